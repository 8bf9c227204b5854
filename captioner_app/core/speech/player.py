"""The app's playback sound without Qt: programme audio from a position, block by block, with the
playback rate (0.5x-2x, pitch kept), a loop range, a stop time, short fades for scrub bursts, and the
preview with descriptions (each cue's narration spoken at its start over the programme ducked under it,
the programme held while an extended cue is spoken; the same :class:`~.mix.Mixer` as the render).

Each :class:`Block` says which programme times its samples play (:class:`Segment`), so the player that
sends them to a device can show the picture the audio has reached (:class:`Timeline`): the picture
follows the audio clock, and holds while an extended cue's narration plays. Volume and mute are applied
where the samples are written (:func:`apply_gain`), so they take effect at once.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from captioner_app.core.errors import UsageError
from captioner_app.core.media.audio import PLAY_RATE
from captioner_app.core.media.stretch import MAX_RATE, MIN_RATE, Stretcher
from captioner_app.core.speech.mix import Mixer, MixOptions, plan_narration

if TYPE_CHECKING:
    import numpy as np

    from captioner_app.core.speech.voice import Narration
    from captioner_app.core.tracks.track import Cue

BURST_MS = 100  # the sound of a frame step or a dropped playhead
CONTEXT_MS = 1000  # play a cue with this much before and after it
WINDOW_MS = 20_000  # the preview with descriptions speaks the cues this far ahead at a time


@dataclass(frozen=True)
class Segment:
    """Output samples ``start`` (counted from the play's start) to ``start + length`` play the programme
    from ``programme_ms`` on, moving ``ms_per_sample`` per sample (0: the programme is held)."""

    start: int
    length: int
    programme_ms: float
    ms_per_sample: float


@dataclass(frozen=True)
class Block:
    samples: np.ndarray  # mono float32
    segments: tuple[Segment, ...]


@dataclass(frozen=True)
class Describe:
    """The preview with descriptions: ``narrate(cue)`` speaks a cue (called in the player's thread)."""

    cues: tuple[Cue, ...]
    narrate: Callable[[Cue], Narration]
    mix: MixOptions = field(default_factory=MixOptions)


@dataclass(frozen=True)
class PlayOptions:
    start_ms: int
    until_ms: int | None = None  # stop here (None: the programme's end)
    loop_ms: tuple[int, int] | None = None  # play this range over and over (from start_ms inside it)
    rate: float = 1.0
    fade_ms: int = 0  # fade in at the start, out before the stop (a burst without clicks)
    describe: Describe | None = None

    def validate(self) -> None:
        if not MIN_RATE <= self.rate <= MAX_RATE:
            raise UsageError(f"a playback rate of {self.rate:g}x is outside {MIN_RATE:g}x-{MAX_RATE:g}x")
        if self.loop_ms is not None and self.loop_ms[1] - self.loop_ms[0] < 50:
            raise UsageError("a loop range needs at least 50 ms")


class Player:
    """Blocks of the sound to play for ``options``; ``read(start_sample, n)`` gives programme audio
    (mono float32 at ``sample_rate``, silence outside the audio). :meth:`next_block` returns None at the end."""

    def __init__(
        self,
        read: Callable[[int, int], np.ndarray],
        duration_ms: int,
        options: PlayOptions,
        sample_rate: int = PLAY_RATE,
        block: int = 2048,
    ) -> None:
        options.validate()
        self.read = read
        self.options = options
        self.sr = int(sample_rate)
        self.block = int(block)
        self.duration = self._s(duration_ms)
        loop = options.loop_ms
        self.loop = (self._s(max(0, loop[0])), min(self.duration, self._s(loop[1]))) if loop else None
        start = self._s(max(0, options.start_ms))
        if self.loop is not None and not self.loop[0] <= start < self.loop[1]:
            start = self.loop[0]
        self.end = self.duration if options.until_ms is None else min(self.duration, self._s(options.until_ms))
        self.prog = min(start, self.end)
        self.fade = self._s(options.fade_ms)
        self._fade_in_at = self.prog  # programme sample where a fade in starts (the start, a loop's wrap)
        self.stretcher = Stretcher(options.rate, self.sr) if options.rate != 1.0 else None
        self._dsegs: list[tuple[int, int, float, float]] = []  # described-time segments (start, n, ms, slope)
        self._described = 0  # described samples made
        self._out = 0  # output samples made
        self._done = False
        self._mixer: Mixer | None = None
        self._window_end = 0
        self._pauses: list[tuple[int, int]] = []  # the window's pauses (programme sample, length)
        self.narrated: list[int] = []  # the cues spoken so far (indexes in describe.cues)

    def _s(self, ms: float) -> int:
        return int(round(ms * self.sr / 1000))

    # -- the described stream (programme, or programme with narration), before the rate change --------

    def _next_described(self) -> np.ndarray | None:
        import numpy as np

        if self.prog >= self.end and self.loop is None:
            return None
        if self.loop is not None and self.prog >= self.loop[1]:
            self.prog = self._fade_in_at = self.loop[0]
            self._mixer = None
        stop = self.loop[1] if self.loop is not None else self.end
        describe = self.options.describe
        if describe is not None and (self._mixer is None or self.prog >= self._window_end):
            self._open_window(describe)
        a = self.prog
        b = min(a + self.block, stop, self._window_end if describe is not None else stop)
        raw: np.ndarray = self.read(a, b - a).astype(np.float32, copy=True)
        if self.fade:
            self._fades(raw, a, b, stop)
        self.prog = b
        ms_per = 1000.0 / self.sr
        if self._mixer is None:
            self._add_dseg(len(raw), a * ms_per, ms_per)
            out = raw
        else:
            out = self._mixer.feed(raw).reshape(-1)
            at = a
            for p_at, length in self._pauses:
                if a <= p_at < b:
                    if p_at > at:
                        self._add_dseg(p_at - at, at * ms_per, ms_per)
                    self._add_dseg(length, p_at * ms_per, 0.0)
                    at = p_at
            self._add_dseg(b - at, at * ms_per, ms_per)
            if b >= self.duration and self.loop is None:  # narration after the programme's end
                tail = self._mixer.finish().reshape(-1)
                self._add_dseg(len(tail), b * ms_per, 0.0)
                out = np.concatenate([out, tail])
        return out

    def _fades(self, raw: np.ndarray, a: int, b: int, stop: int) -> None:
        import numpy as np

        f = self.fade
        idx = np.arange(a, b)
        gain = np.clip((idx - self._fade_in_at) / f, 0, 1) * np.clip((stop - idx) / f, 0, 1)
        raw *= gain.astype(np.float32)

    def _add_dseg(self, n: int, programme_ms: float, slope: float) -> None:
        if n > 0:
            self._dsegs.append((self._described, n, programme_ms, slope))
            self._described += n

    def _open_window(self, describe: Describe) -> None:
        """Speak the cues that start in the next :data:`WINDOW_MS` (and any whose ducking reaches past
        it) and mix them from the current position; the window ends where no narration or ramp is under way."""
        at_ms = self.prog * 1000 / self.sr
        ramp = describe.mix.ramp_ms
        end_ms = at_ms + WINDOW_MS
        chosen: dict[int, Narration] = {}
        for i, cue in enumerate(describe.cues):
            if cue.start_ms < at_ms or not cue.text.strip():
                continue
            if cue.start_ms - ramp >= end_ms:
                break
            narration = describe.narrate(cue)
            chosen[i] = narration
            self.narrated.append(i)
            spoken_end = cue.start_ms if cue.extended else cue.start_ms + narration.duration_ms
            end_ms = max(end_ms, spoken_end + ramp + 1)
        spoken = [chosen[i].duration_ms if i in chosen else 0 for i in range(len(describe.cues))]
        plan = plan_narration(describe.cues, spoken, int(self.duration * 1000 / self.sr))
        self._mixer = Mixer(plan, chosen, self.sr, 1, describe.mix)
        self._mixer.seek(self.prog)
        self._pauses = [(self._s(p.at_ms), self._s(p.length_ms)) for p in plan.pauses]
        self._window_end = max(self.prog + 1, self._s(end_ms))

    # -- the output ------------------------------------------------------------------------------------

    def next_block(self) -> Block | None:
        """The next block of output (about ``block`` samples), or None when the play is over."""
        import numpy as np

        while not self._done:
            described = self._next_described()
            if described is None:
                self._done = True
                out = self.stretcher.flush() if self.stretcher is not None else np.zeros(0, np.float32)
            else:
                out = self.stretcher.feed(described) if self.stretcher is not None else described
            if len(out):
                return self._emit(out)
        return None

    def _emit(self, out: np.ndarray) -> Block:
        rate = self.options.rate
        o0, o1 = self._out, self._out + len(out)
        d0, d1 = o0 * rate, o1 * rate
        segments: list[Segment] = []
        for start, n, ms, slope in self._dsegs:
            if start + n <= d0 or start >= d1:
                continue
            s_out = max(o0, int(round(start / rate)))
            e_out = min(o1, int(round((start + n) / rate)))
            if e_out > s_out:
                segments.append(
                    Segment(s_out, e_out - s_out, ms + max(0.0, s_out * rate - start) * slope, slope * rate)
                )
        if not segments and self._dsegs:  # the stretcher's tail: the last programme time, held
            start, n, ms, slope = self._dsegs[-1]
            segments.append(Segment(o0, o1 - o0, ms + n * slope, 0.0))
        self._dsegs = [d for d in self._dsegs if d[0] + d[1] > d1] or self._dsegs[-1:]
        self._out = o1
        return Block(out, tuple(segments))


class Timeline:
    """The programme time each played output sample stands for, from the blocks' segments."""

    def __init__(self) -> None:
        self._starts: list[int] = []
        self._segments: list[Segment] = []

    def add(self, segments: Sequence[Segment]) -> None:
        for seg in segments:
            self._starts.append(seg.start)
            self._segments.append(seg)

    def programme_ms(self, played: float) -> float | None:
        """Where the programme is after ``played`` output samples (None before any block)."""
        if not self._segments:
            return None
        i = max(0, bisect.bisect_right(self._starts, played) - 1)
        seg = self._segments[i]
        return seg.programme_ms + min(max(0, played - seg.start), seg.length) * seg.ms_per_sample

    def forget_before(self, played: int) -> None:
        i = bisect.bisect_right(self._starts, played) - 1
        if i > 0:
            del self._starts[:i], self._segments[:i]


def apply_gain(samples: np.ndarray, volume: float, muted: bool) -> np.ndarray:
    """The samples at ``volume`` (0-1, linear), or silence when muted."""
    import numpy as np

    if muted or volume <= 0:
        return np.zeros_like(samples)
    return samples if volume >= 1 else (samples * np.float32(volume)).astype(np.float32)


def pcm16(samples: np.ndarray, channels: int = 1) -> bytes:
    """Mono float32 as interleaved signed 16-bit PCM on ``channels`` channels (the same on each)."""
    import numpy as np

    ints = (np.clip(samples, -1.0, 1.0) * 32767).astype("<i2")
    if channels > 1:
        ints = np.repeat(ints, channels)
    return ints.tobytes()


def array_source(
    samples: np.ndarray, sample_rate: int, target_rate: int = PLAY_RATE
) -> tuple[Callable[[int, int], np.ndarray], int]:
    """A ``read`` function over mono samples in memory (a spoken cue) at ``target_rate``, and their length in ms."""
    import numpy as np

    from captioner_app.core.speech.mix import _resample

    data = _resample(np.asarray(samples, np.float32), sample_rate, target_rate)

    def read(start: int, n: int) -> np.ndarray:
        chunk = data[max(0, start) : max(0, start + n)]
        return chunk if len(chunk) == n else np.pad(chunk, (0, n - len(chunk)))

    return read, int(len(data) * 1000 / target_rate)
