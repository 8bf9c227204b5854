"""What a video offers audio description: its speech, the gaps between speech, and its shots.

:func:`analyze` decodes the audio (speech) and the pictures (shot changes) at the same time, in two
threads. :class:`Analysis` is plain data the CLI prints and the app draws; :func:`snap` moves a
time to the nearest shot change or gap edge.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from typing import Any

from captioner_app.core.analysis.shots import DEFAULT_MIN_SHOT_MS, DEFAULT_THRESHOLD, detect_cuts, shots_from_cuts
from captioner_app.core.analysis.speech import DEFAULT_MIN_GAP_MS, DEFAULT_PAD_MS, detect_speech, gaps_between
from captioner_app.core.errors import UsageError
from captioner_app.core.media.audio import SAMPLE_RATE, decode_audio
from captioner_app.core.media.video import VideoInfo
from captioner_app.core.timing.spans import Span
from captioner_app.core.vocab import Placement


@dataclass(frozen=True)
class AnalysisOptions:
    min_gap_ms: int = DEFAULT_MIN_GAP_MS  # shortest pause worth describing into
    pad_ms: int = DEFAULT_PAD_MS  # distance kept from speech on each side
    vad_threshold: float = 0.5  # silero-vad speech probability
    shot_threshold: float = DEFAULT_THRESHOLD  # PySceneDetect adaptive ratio for a cut
    min_shot_ms: int = DEFAULT_MIN_SHOT_MS
    speech: bool = True  # False: skip speech detection (every moment counts as gap)
    shots: bool = True  # False: skip shot detection (one shot)

    def validate(self) -> None:
        if self.min_gap_ms < 0:
            raise UsageError(f"--min-gap must not be negative, got {self.min_gap_ms / 1000:g} s")
        if self.pad_ms < 0:
            raise UsageError(f"--pad must not be negative, got {self.pad_ms / 1000:g} s")
        if not 0 < self.vad_threshold < 1:
            raise UsageError(f"the speech threshold must be between 0 and 1, got {self.vad_threshold:g}")
        if self.shot_threshold <= 0:
            raise UsageError(f"the shot threshold must be positive, got {self.shot_threshold:g}")
        if self.min_shot_ms < 0:
            raise UsageError(f"the shortest shot must not be negative, got {self.min_shot_ms} ms")


@dataclass(frozen=True)
class Analysis:
    """Speech, usable gaps and shots of one video; all times integer milliseconds."""

    duration_ms: int
    speech: tuple[Span, ...] = ()
    gaps: tuple[Span, ...] = ()
    shots: tuple[Span, ...] = ()
    has_audio: bool = False
    min_gap_ms: int = DEFAULT_MIN_GAP_MS
    pad_ms: int = DEFAULT_PAD_MS
    video: str | None = None

    @property
    def cuts_ms(self) -> list[int]:
        """Shot changes: the start of every shot but the first."""
        return [s.start_ms for s in self.shots[1:]]

    def with_gap_settings(self, min_gap_ms: int | None = None, pad_ms: int | None = None) -> Analysis:
        """The same analysis with gaps recomputed for new settings (no decoding)."""
        mg = self.min_gap_ms if min_gap_ms is None else int(min_gap_ms)
        pad = self.pad_ms if pad_ms is None else int(pad_ms)
        gaps = tuple(gaps_between(self.speech, self.duration_ms, mg, pad))
        return replace(self, gaps=gaps, min_gap_ms=mg, pad_ms=pad)

    def automatic_placement(self) -> tuple[Placement, str]:
        """What ``auto`` placement chooses for this video, and why in words: the pauses between speech
        when there is speech (so no cue covers dialogue), else windows."""
        if self.speech:
            gaps = len(self.gaps)
            return Placement.GAPS, (
                f"the pauses between speech ({len(self.speech)} speech region{'s' if len(self.speech) != 1 else ''}, "
                f"{gaps} usable gap{'s' if gaps != 1 else ''}), so no cue covers dialogue"
            )
        return Placement.WINDOWS, f"windows ({'no speech found' if self.has_audio else 'no audio track'})"

    def speech_overlap_ms(self, start_ms: int, end_ms: int) -> int:
        return sum(s.overlap_ms(start_ms, end_ms) for s in self.speech)

    def pause_around(self, time_ms: int) -> Span | None:
        """The speech-free stretch (unpadded) containing ``time_ms``; ``None`` inside speech."""
        start = 0
        for s in self.speech:
            if s.start_ms <= time_ms < s.end_ms:
                return None
            if s.end_ms <= time_ms:
                start = max(start, s.end_ms)
            elif s.start_ms > time_ms:
                return Span(start, s.start_ms)
        return Span(start, self.duration_ms)

    def to_json(self) -> dict[str, Any]:
        """The ``captioner analyze --json`` form: times in seconds (floats)."""
        return {
            "duration": self.duration_ms / 1000.0,
            "shots": [s.to_seconds() for s in self.shots],
            "speech": [s.to_seconds() for s in self.speech],
            "gaps": [s.to_seconds() for s in self.gaps],
        }


class _Stop(threading.Event):
    """Set by a failing half of :func:`analyze`, or through the caller's own ``cancel`` event."""

    def __init__(self, outer: threading.Event | None) -> None:
        super().__init__()
        self._outer = outer

    def is_set(self) -> bool:
        return super().is_set() or (self._outer is not None and self._outer.is_set())


def analyze(
    info: VideoInfo,
    options: AnalysisOptions | None = None,
    *,
    cancel: threading.Event | None = None,
    progress: Callable[[float], None] | None = None,
) -> Analysis:
    """Find speech (silero-vad), usable gaps and shots (PySceneDetect) in a probed video.

    ``progress`` gets a fraction 0..1 now and then (from a worker thread); ``cancel`` stops both
    halves with :class:`CancelledError`. A video without audio is all gap.
    """
    options = options or AnalysisOptions()
    options.validate()
    stop = _Stop(cancel)
    cancel = stop
    parts = {"speech": 0.0, "shots": 0.0}
    lock = threading.Lock()

    def report(part: str, weight: float) -> Callable[[float], None]:
        def update(value: float) -> None:
            if progress is None:
                return
            with lock:
                parts[part] = value * weight
                total = sum(parts.values())
            progress(min(1.0, total))

        return update

    def speech_part() -> tuple[list[Span], bool]:
        if not options.speech or not info.has_audio:
            return [], info.has_audio
        samples = decode_audio(info.path, SAMPLE_RATE, cancel)
        if samples is None:
            return [], False
        speech = detect_speech(
            samples, SAMPLE_RATE, threshold=options.vad_threshold, cancel=cancel, progress=report("speech", 0.3)
        )
        return [
            Span(s.start_ms, min(s.end_ms, info.duration_ms)) for s in speech if s.start_ms < info.duration_ms
        ], True

    def shots_part() -> list[int]:
        if not options.shots:
            return []
        return detect_cuts(
            info,
            threshold=options.shot_threshold,
            min_shot_ms=options.min_shot_ms,
            cancel=cancel,
            progress=report("shots", 0.7),
        )

    with ThreadPoolExecutor(max_workers=2, thread_name_prefix="analyze") as pool:
        speech_future = pool.submit(speech_part)
        cuts_future = pool.submit(shots_part)
        try:
            cuts = cuts_future.result()
            speech, has_audio = speech_future.result()
        except BaseException:
            stop.set()  # the other half stops soon too
            raise
    gaps = gaps_between(speech, info.duration_ms, options.min_gap_ms, options.pad_ms)
    if progress is not None:
        progress(1.0)
    return Analysis(
        duration_ms=info.duration_ms,
        speech=tuple(speech),
        gaps=tuple(gaps),
        shots=tuple(shots_from_cuts(cuts, info.duration_ms)),
        has_audio=has_audio,
        min_gap_ms=options.min_gap_ms,
        pad_ms=options.pad_ms,
        video=info.path,
    )


def snap_points(analysis: Analysis) -> list[int]:
    """Every time a cue edge may snap to: shot changes and gap edges, sorted, no duplicates."""
    points = set(analysis.cuts_ms)
    for gap in analysis.gaps:
        points.add(gap.start_ms)
        points.add(gap.end_ms)
    return sorted(points)


def snap(time_ms: int, analysis: Analysis | None, tolerance_ms: int) -> int:
    """``time_ms`` moved to the nearest shot change or gap edge within ``tolerance_ms``, else unchanged."""
    if analysis is None or tolerance_ms <= 0:
        return int(time_ms)
    best = int(time_ms)
    best_distance = tolerance_ms + 1
    for point in snap_points(analysis):
        distance = abs(point - time_ms)
        if distance < best_distance:
            best, best_distance = point, distance
    return best
