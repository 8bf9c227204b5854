"""The described-audio render: programme + narration, as a second audio stream or an audio file.

``.mp4`` / ``.mkv``: every video and audio stream of the source copied packet for packet (no
re-encode), plus one AAC stream holding the described mix, titled "Audio description", tagged with
the track's language and the ``visual_impaired`` (and ``descriptions``) disposition that players use
to offer it. ``.wav`` / ``.m4a`` / ``.flac``: the described mix alone; with ``stem`` the narration alone.

Extended cues pause the programme: the copied streams' timestamps after each pause are moved later by
its narration time, so the picture holds on the frame showing at the cue's start (the frame before
the gap is simply displayed longer; nothing is re-encoded) and the original audio resumes with it.

Every cue's narration is synthesized and measured before anything is written. One demux pass then
copies packets, decodes the programme audio, mixes and encodes. The output goes to a temporary file
beside the target, renamed over it at the end; a failure or cancel removes it.
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import TYPE_CHECKING, Any

from captioner_app.core.errors import CancelledError, TrackError, UsageError, VideoError, one_line
from captioner_app.core.fileio import atomic_write_file, check_writable
from captioner_app.core.speech.mix import DEFAULT_DUCK_DB, Mixer, MixOptions, NarrationPlan, plan_narration
from captioner_app.core.speech.voice import (
    DEFAULT_WPM,
    Narration,
    VoiceOptions,
    find_voice,
    speak,
    voice_for_language,
)

if TYPE_CHECKING:
    import numpy as np

    from captioner_app.core.media.video import VideoInfo
    from captioner_app.core.tracks.track import Cue, Track

AD_TITLE = "Audio description"
VIDEO_FORMATS = {".mp4": "mp4", ".m4v": "mp4", ".mov": "mov", ".mkv": "matroska"}
AUDIO_FORMATS = {".wav": ("wav", "pcm_s16le"), ".flac": ("flac", "flac"), ".m4a": ("ipod", "aac")}
NO_AUDIO_RATE = 48000
BLOCK_S = 0.5  # programme audio is mixed in blocks of about this length

# ISO 639-1 -> ISO 639-2/B, which MP4 and Matroska store (codes not listed pass through when 3 letters)
_ISO639_2 = {
    "ar": "ara",
    "bg": "bul",
    "bn": "ben",
    "ca": "cat",
    "cs": "cze",
    "cy": "wel",
    "da": "dan",
    "de": "ger",
    "el": "gre",
    "en": "eng",
    "eo": "epo",
    "es": "spa",
    "et": "est",
    "eu": "baq",
    "fa": "per",
    "fi": "fin",
    "fr": "fre",
    "ga": "gle",
    "gd": "gla",
    "gl": "glg",
    "gu": "guj",
    "he": "heb",
    "hi": "hin",
    "hr": "hrv",
    "hu": "hun",
    "hy": "arm",
    "id": "ind",
    "is": "ice",
    "it": "ita",
    "ja": "jpn",
    "ka": "geo",
    "kk": "kaz",
    "kn": "kan",
    "ko": "kor",
    "lt": "lit",
    "lv": "lav",
    "mk": "mac",
    "ml": "mal",
    "mr": "mar",
    "ms": "may",
    "mt": "mlt",
    "nb": "nob",
    "ne": "nep",
    "nl": "dut",
    "nn": "nno",
    "no": "nor",
    "pa": "pan",
    "pl": "pol",
    "pt": "por",
    "ro": "rum",
    "ru": "rus",
    "sk": "slo",
    "sl": "slv",
    "sq": "alb",
    "sr": "srp",
    "sv": "swe",
    "sw": "swa",
    "ta": "tam",
    "te": "tel",
    "th": "tha",
    "tr": "tur",
    "uk": "ukr",
    "ur": "urd",
    "vi": "vie",
    "zh": "chi",
}


def iso639_2(language: str | None) -> str:
    """The three-letter code containers store for ``language`` (``en``, ``en-GB``, ``fra``); ``und`` if unknown."""
    if not language:
        return "und"
    base = language.strip().lower().replace("_", "-").split("-")[0]
    if base in _ISO639_2:
        return _ISO639_2[base]
    return base if len(base) == 3 and base.isalpha() else "und"


@dataclass(frozen=True)
class RenderOptions:
    voice: str | None = None  # None: the voice for the track's language
    wpm: int = DEFAULT_WPM
    duck_db: float = DEFAULT_DUCK_DB
    stem: bool = False  # the narration alone (audio outputs only)
    allow_overrun: bool = False  # render even when some narration is longer than its cue
    language: str | None = None  # None: the track's

    def validate(self) -> None:
        VoiceOptions(self.voice or "en", self.wpm).validate()
        MixOptions(duck_db=self.duck_db).validate()


@dataclass(frozen=True)
class RenderResult:
    output: Path
    plan: NarrationPlan
    voice: str
    wpm: int
    kind: str  # "video", "mix" or "stem"
    duck_db: float = DEFAULT_DUCK_DB

    def to_dict(self) -> dict[str, object]:
        return {
            "output": str(self.output),
            "kind": self.kind,
            "voice": self.voice,
            "wpm": self.wpm,
            "duck_db": self.duck_db,
            **self.plan.to_dict(),
        }


class NarrationOverrunError(TrackError):
    """Some cues' narration is longer than the cue (exit code 5); ``overruns`` lists them."""

    def __init__(self, message: str, overruns: Sequence[Any]) -> None:
        super().__init__(message)
        self.overruns = tuple(overruns)


def output_kind(output: str | os.PathLike[str], stem: bool = False) -> str:
    """ "video", "mix" or "stem" for an output path, or a UsageError naming the extensions allowed."""
    ext = Path(output).suffix.lower()
    if ext in VIDEO_FORMATS:
        if stem:
            raise UsageError(f"{output}: --stem writes audio only: use .wav, .flac or .m4a")
        return "video"
    if ext in AUDIO_FORMATS:
        return "stem" if stem else "mix"
    allowed = ", ".join(sorted(VIDEO_FORMATS) + sorted(AUDIO_FORMATS))
    raise UsageError(f"{output}: cannot render to {ext or 'a file without an extension'}: use {allowed}")


def measure(
    cues: Sequence[Cue],
    programme_ms: int,
    voice: VoiceOptions,
    cancel: threading.Event | None = None,
    progress: Callable[[float], None] | None = None,
) -> tuple[dict[int, Narration], NarrationPlan]:
    """Speak every cue (in time order) and place it: the narrations by cue index, and the plan."""
    narrations: dict[int, Narration] = {}
    lengths: list[int] = []
    for index, cue in enumerate(cues):
        if cancel is not None and cancel.is_set():
            raise CancelledError()
        narration = speak(cue.text, voice, cancel) if cue.text.strip() else None
        if narration is not None:
            narrations[index] = narration
        lengths.append(narration.duration_ms if narration is not None else 0)
        if progress is not None:
            progress((index + 1) / max(1, len(cues)))
    return narrations, plan_narration(cues, lengths, programme_ms)


def render(
    video: str | os.PathLike[str],
    track: Track,
    output: str | os.PathLike[str],
    options: RenderOptions | None = None,
    *,
    track_name: str = "track",
    cancel: threading.Event | None = None,
    progress: Callable[[float], None] | None = None,
) -> RenderResult:
    """Render ``track`` over ``video`` into ``output`` (its extension picks what is written).

    Raises UsageError (options, output type), VideoError (the video), TrackError (a cue past the
    video's end, an unwritable output), NarrationOverrunError (narration longer than its cue, unless
    ``allow_overrun``), VoiceError, CancelledError. Nothing is written unless it succeeds.
    """
    from captioner_app.core.media.video import probe

    options = options or RenderOptions()
    options.validate()
    video = os.fspath(video)
    target = Path(output)
    kind = output_kind(target, options.stem)
    with contextlib.suppress(OSError):
        if target.exists() and os.path.samefile(target, video):
            raise UsageError(f"{target}: is the input video; choose another output")
    info = probe(video)
    cues = list(track)
    late = [(i, c) for i, c in enumerate(cues) if c.start_ms >= info.duration_ms]
    if late:
        i, c = late[0]
        raise TrackError(
            f"{track_name}: {len(late)} cue{'s' if len(late) > 1 else ''} start after the video ends "
            f"({info.duration_ms / 1000:.1f} s), first cue {i + 1} at {c.start_ms / 1000:.1f} s: "
            "is it the track of another video?"
        )
    check_writable(target)
    language = options.language or track.language
    voice = VoiceOptions(find_voice(options.voice).id if options.voice else voice_for_language(language), options.wpm)

    def report(share: float, done: float) -> Callable[[float], None]:
        return lambda f: progress(done + share * f) if progress is not None else None

    narrations, plan = measure(cues, info.duration_ms, voice, cancel, report(0.1, 0.0))
    if plan.overruns and not options.allow_overrun:
        n = len(plan.overruns)
        raise NarrationOverrunError(
            f"{track_name}: {n} cue{'s' if n > 1 else ''} take{'' if n > 1 else 's'} longer to speak than "
            f"{'they last' if n > 1 else 'it lasts'} at {voice.wpm} wpm; nothing written (shorten "
            f"{'them' if n > 1 else 'it'}, mark extended, or pass --allow-overrun)",
            plan.overruns,
        )
    mix_options = MixOptions(duck_db=options.duck_db, programme=kind != "stem")
    atomic_write_file(
        target,
        lambda tmp: _render_to(
            tmp, target, kind, info, plan, narrations, mix_options, language, cancel, report(0.9, 0.1)
        ),
    )
    if progress is not None:
        progress(1.0)
    return RenderResult(target, plan, voice.voice, voice.wpm, kind, options.duck_db)


class _Shifter:
    """Moves a copied stream's timestamps later by each pause that starts at or before them."""

    def __init__(self, plan: NarrationPlan, origin_s: float, time_base: Fraction) -> None:
        self.steps = [
            (
                (origin_s + p.at_ms / 1000.0) / float(time_base) - 1e-6,
                int(round(p.length_ms / 1000.0 / float(time_base))),
            )
            for p in plan.pauses
        ]

    def __call__(self, ts: int | None) -> int | None:
        if ts is None or not self.steps:
            return ts
        return ts + sum(step for at, step in self.steps if ts >= at)


def _render_to(
    tmp: str,
    target: Path,
    kind: str,
    info: VideoInfo,
    plan: NarrationPlan,
    narrations: dict[int, Narration],
    mix_options: MixOptions,
    language: str,
    cancel: threading.Event | None,
    progress: Callable[[float], None],
) -> None:
    import av

    from captioner_app.core.media.stream import VideoStream

    source = info.path
    vs = VideoStream(source, threads=None)
    inp = vs.container
    out: Any = None
    try:
        programme = vs.audio
        origin = vs.origin_s
        if programme is not None:
            rate = int(programme.codec_context.sample_rate or programme.rate or NO_AUDIO_RATE)
            channels = 1 if (programme.codec_context.channels or 1) == 1 else 2
        else:
            rate, channels = NO_AUDIO_RATE, 1
        layout = "mono" if channels == 1 else "stereo"
        copied: list[Any] = []
        if kind == "video":
            fmt = VIDEO_FORMATS[target.suffix.lower()]
            codec = "aac"
            copied = [
                s
                for s in inp.streams
                if s.type in ("video", "audio")
                and not (s.type == "video" and s.disposition & av.stream.Disposition.attached_pic)
            ]
        else:
            fmt, codec = AUDIO_FORMATS[target.suffix.lower()]
        try:
            out = av.open(tmp, mode="w", format=fmt)
        except (av.error.FFmpegError, OSError) as err:
            raise TrackError(f"{target}: cannot write ({one_line(err)})") from None
        mapping: dict[int, Any] = {}
        shifters: dict[int, _Shifter] = {}
        for s in copied:
            o = out.add_stream_from_template(s)
            for key, value in s.metadata.items():
                if key.lower() in ("language", "title", "handler_name"):
                    o.metadata[key] = value
            o.disposition = s.disposition
            mapping[s.index] = o
            shifters[s.index] = _Shifter(plan, origin, s.time_base)
        ad = out.add_stream(codec, rate=rate)
        ad.layout = layout
        if codec == "aac":
            ad.bit_rate = 96000 * channels
        if codec == "flac":
            ad.format = "s16"
        title = AD_TITLE if kind != "stem" else "Audio description (narration only)"
        ad.metadata["title"] = title
        if fmt in ("mp4", "mov", "ipod"):
            ad.metadata["handler_name"] = title  # MP4 keeps a track's name in its handler box
        ad.metadata["language"] = iso639_2(language)
        if kind == "video":
            ad.disposition = av.stream.Disposition.visual_impaired | av.stream.Disposition.descriptions
        mixer = Mixer(plan, narrations, rate, channels, mix_options)
        encoder = _Encoder(out, ad, rate, layout, round(origin * rate) if kind == "video" else 0)
        try:
            _pass(
                inp,
                programme,
                copied,
                mapping,
                shifters,
                mixer,
                encoder,
                origin,
                rate,
                layout,
                info.duration_ms / 1000.0,
                cancel,
                progress,
            )
            for block in mixer.finish_blocks():
                encoder.write(block)
            encoder.close()
            out.close()
        except av.error.FFmpegError as err:
            raise VideoError(
                f"{source}: cannot be rendered into {target.suffix} ({one_line(err)}); try .mkv, which stores any codec"
            ) from None
        out = None
    finally:
        if out is not None:
            with contextlib.suppress(Exception):
                out.close()
        vs.close()


class _Encoder:
    def __init__(self, out: Any, stream: Any, rate: int, layout: str, first_pts: int) -> None:
        self.out, self.stream, self.rate, self.layout = out, stream, rate, layout
        self.pts = first_pts

    def write(self, block: np.ndarray) -> None:
        import av

        if block.shape[1] == 0:
            return
        frame = av.AudioFrame.from_ndarray(block, format="fltp", layout=self.layout)
        frame.sample_rate = self.rate
        frame.pts = self.pts
        frame.time_base = Fraction(1, self.rate)
        self.pts += block.shape[1]
        for packet in self.stream.encode(frame):
            self.out.mux(packet)

    def close(self) -> None:
        for packet in self.stream.encode(None):
            self.out.mux(packet)


def _pass(
    inp: Any,
    programme: Any,
    copied: list[Any],
    mapping: dict[int, Any],
    shifters: dict[int, _Shifter],
    mixer: Mixer,
    encoder: _Encoder,
    origin: float,
    rate: int,
    layout: str,
    duration_s: float,
    cancel: threading.Event | None,
    progress: Callable[[float], None],
) -> None:
    """One demux pass: copy packets (timestamps shifted past pauses), decode, mix and encode the programme."""
    import av
    import numpy as np

    streams = list(copied)
    if programme is not None and programme not in streams:
        streams.append(programme)
    resampler = av.AudioResampler(format="fltp", layout=layout, rate=rate) if programme is not None else None
    pending: list[np.ndarray] = []
    pending_n = 0
    block = int(BLOCK_S * rate)
    fed = 0  # programme samples handed to the mixer
    skip = 0  # samples before the video's start, dropped
    aligned = False
    last_tick = -1.0

    def feed(samples: np.ndarray, force: bool = False) -> None:
        nonlocal pending_n, fed
        if samples.shape[1]:
            pending.append(samples)
            pending_n += samples.shape[1]
        if pending_n >= block or (force and pending_n):
            chunk = np.concatenate(pending, axis=1) if len(pending) > 1 else pending[0]
            pending.clear()
            pending_n = 0
            fed += chunk.shape[1]
            encoder.write(mixer.feed(chunk))

    def take(frame: Any) -> None:
        nonlocal aligned, skip
        assert resampler is not None
        for out_frame in resampler.resample(frame):
            if not aligned:
                aligned = True
                start = float(frame.time) if frame is not None and frame.time is not None else origin
                offset = int(round((start - origin) * rate))
                if offset > 0:
                    feed(np.zeros((mixer.channels, offset), np.float32))
                else:
                    skip = -offset
            samples = out_frame.to_ndarray().astype(np.float32, copy=False)
            if skip:
                cut = min(skip, samples.shape[1])
                samples = samples[:, cut:]
                skip -= cut
            feed(samples)

    for packet in inp.demux(*streams) if streams else ():
        if cancel is not None and cancel.is_set():
            raise CancelledError()
        s = packet.stream
        if programme is not None and s.index == programme.index:
            try:
                for frame in packet.decode():
                    take(frame)
            except av.error.InvalidDataError:
                pass  # one damaged audio packet: its samples are skipped (FFmpeg conceals the gap)
        if packet.dts is None or packet.size == 0:
            continue
        if programme is None and packet.pts is not None:  # no programme audio: silence keeps pace
            t = float(packet.pts * s.time_base) - origin
            want = int(t * rate) - fed
            if want >= block:
                feed(np.zeros((mixer.channels, want), np.float32))
        if packet.pts is not None and duration_s > 0:
            done = min(1.0, max(0.0, float(packet.pts * s.time_base) - origin) / duration_s)
            if done - last_tick >= 0.01:
                last_tick = done
                progress(done)
        target = mapping.get(s.index)
        if target is not None:
            shift = shifters[s.index]
            packet.pts = shift(packet.pts)
            packet.dts = shift(packet.dts)
            packet.stream = target  # (timestamps are rescaled to the output stream's time base)
            encoder.out.mux(packet)
    if resampler is not None:
        if programme is not None:
            try:
                for frame in programme.codec_context.decode(None):
                    take(frame)
            except av.error.FFmpegError:
                pass
        for out_frame in resampler.resample(None):
            samples = out_frame.to_ndarray().astype(np.float32, copy=False)
            feed(samples)
    if programme is None:  # no programme audio: silence up to the video's end, a block at a time
        total = int(duration_s * rate)
        while fed + pending_n < total:
            feed(np.zeros((mixer.channels, min(block, total - fed - pending_n)), np.float32))
    feed(np.zeros((mixer.channels, 0), np.float32), force=True)
