"""The captioning pipeline: a generator that yields each window's cue as soon as it is written.

Frames are decoded once, in time order, for all windows together (overlapping windows share
frames); a window whose last frame has arrived joins the next batch; each batch is one
``generate`` call. Callers (CLI, app, server) show cues as they arrive and may cancel at any time.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from captioner_app.core.budget import DEFAULT_WPM, budget_words, detail_for_budget
from captioner_app.core.engine import CaptionEngine, ClipRequest
from captioner_app.core.errors import CancelledError, UsageError
from captioner_app.core.prompts import Detail, PromptSpec, video_prompt, window_prompt
from captioner_app.core.track import Cue, Provenance, Track
from captioner_app.core.video import Frame, VideoInfo, sample_at, sample_times
from captioner_app.core.windows import Window, plan_windows

if TYPE_CHECKING:
    from captioner_app.core.analysis import Analysis

MAX_SAMPLING_FPS = 8.0
AUTO_DETAIL = "auto"
PLACEMENTS = ("windows", "gaps", "shots")
GAP_LEAD_IN_S = 2.0  # gaps placement: the model also sees this much of what leads into the gap


@dataclass(frozen=True)
class CaptionOptions:
    detail: str = "medium"
    window_s: float = 10.0
    stride_s: float | None = None
    fps: float = 2.0
    max_side: int = 768  # frames are shrunk to this before the processor resizes them again
    placement: str = "windows"
    min_new_tokens: int = 0  # for benchmarks only: force the output length
    # narration budget: words per minute a cue may hold (None: no budget, the detail level's length);
    # detail "auto" picks the level from each cue's budget (at 180 wpm when wpm is None)
    wpm: float | None = None
    # frames are sampled from this long before each window (None: 2 s for gaps, else 0)
    lead_in_s: float | None = None
    min_gap_s: float = 1.2  # gaps placement: the shortest pause described into
    pad_s: float = 0.15  # gaps placement: distance kept from speech

    def validate(self) -> None:
        if self.detail != AUTO_DETAIL:
            Detail.parse(self.detail)
        if self.placement not in PLACEMENTS:
            raise UsageError(f"unknown placement {self.placement!r}: choose {', '.join(PLACEMENTS)}")
        if self.wpm is not None and not 0 < self.wpm < 10_000:
            raise UsageError(f"--wpm must be a positive rate, got {self.wpm:g}")
        if self.lead_in_s is not None and self.lead_in_s < 0:
            raise UsageError(f"the lead-in must not be negative, got {self.lead_in_s:g} s")
        if self.min_gap_s < 0:
            raise UsageError(f"--min-gap must not be negative, got {self.min_gap_s:g} s")
        if self.pad_s < 0:
            raise UsageError(f"--pad must not be negative, got {self.pad_s:g} s")
        if not 0 < self.fps <= MAX_SAMPLING_FPS:
            raise UsageError(f"--fps must be above 0 and at most {MAX_SAMPLING_FPS:g}, got {self.fps:g}")
        if self.window_s <= 0:
            raise UsageError(f"--window must be positive, got {self.window_s:g} s")
        if self.stride_s is not None and self.stride_s <= 0:
            raise UsageError(f"--stride must be positive, got {self.stride_s:g} s")
        if self.max_side < 28:
            raise UsageError(f"frame size {self.max_side} px is too small")


@dataclass(frozen=True)
class Progress:
    done: int
    total: int
    elapsed_s: float

    @property
    def eta_s(self) -> float | None:
        if self.done == 0:
            return None
        return self.elapsed_s / self.done * (self.total - self.done)


@dataclass(frozen=True)
class WindowResult:
    window: Window
    cue: Cue
    progress: Progress


def plan(
    info: VideoInfo,
    options: CaptionOptions,
    analysis: Analysis | None = None,
    cancel: threading.Event | None = None,
) -> list[Window]:
    """The cue windows for ``options.placement``.

    "gaps" and "shots" come from ``analysis``; without one, the video is analysed here (speech for
    gaps, shots for shots), which decodes it once more. Gaps or shots longer than 1.5 windows are
    cut into equal pieces.
    """
    options.validate()
    if options.placement == "windows":
        stride = None if options.stride_s is None else int(round(options.stride_s * 1000))
        return plan_windows(info.duration_ms, int(round(options.window_s * 1000)), stride)
    from captioner_app.core.analysis import AnalysisOptions, analyze
    from captioner_app.core.placement import windows_for

    if analysis is None:
        gaps = options.placement == "gaps"
        analysis = analyze(info, AnalysisOptions(min_gap_ms=int(round(options.min_gap_s * 1000)),
                                                 pad_ms=int(round(options.pad_s * 1000)),
                                                 speech=gaps, shots=not gaps), cancel=cancel)
    return windows_for(options.placement, analysis, int(round(options.window_s * 1500)))


def caption_windows(
    info: VideoInfo,
    engine: CaptionEngine,
    options: CaptionOptions | None = None,
    *,
    windows: Sequence[Window] | None = None,
    prompts: Sequence[PromptSpec] | None = None,
    cancel: threading.Event | None = None,
    analysis: Analysis | None = None,
) -> Iterator[WindowResult]:
    """Caption ``windows`` (default: :func:`plan` for ``options.placement``) and yield each result in order.

    For gaps and shots placement, pass the video's ``analysis`` if you have one (else it is made).
    Without ``prompts``, a budget (``options.wpm``, or detail "auto") caps each cue's words.

    ``prompts`` may give one prompt per window (for word budgets); by default every window gets the
    detail level's prompt. Raises :class:`CancelledError` when ``cancel`` is set; results already
    yielded stay with the caller.
    """
    options = options or CaptionOptions()
    options.validate()
    wins = list(windows) if windows is not None else plan(info, options, analysis, cancel)
    wins.sort(key=lambda w: (w.start_ms, w.end_ms))
    if prompts is not None and len(prompts) != len(wins):
        raise ValueError("one prompt per window is needed")
    budgeted = options.wpm is not None or options.detail == AUTO_DETAIL
    wpm = options.wpm if options.wpm is not None else DEFAULT_WPM
    details: list[str] = []
    window_prompts: list[PromptSpec] = []
    for w in wins:
        budget = budget_words(w.duration_ms, wpm) if budgeted else None
        level = detail_for_budget(budget or 0) if options.detail == AUTO_DETAIL else Detail.parse(options.detail)
        details.append(level.value)
        if prompts is None:
            window_prompts.append(window_prompt(level, budget))
    if prompts is not None:
        window_prompts = list(prompts)
    lead_in_s = options.lead_in_s
    if lead_in_s is None:
        lead_in_s = GAP_LEAD_IN_S if options.placement == "gaps" else 0.0
    lead_in = int(round(lead_in_s * 1000))
    sample_from = [max(0, w.start_ms - lead_in) for w in wins]
    started = time.monotonic()
    total = len(wins)
    done = 0

    times_per_window = [
        sample_times(sample_from[i], min(w.end_ms, info.duration_ms), options.fps) for i, w in enumerate(wins)
    ]
    all_times = sorted({t for ts in times_per_window for t in ts})
    frames_by_time: dict[int, Frame] = {}
    ready: list[int] = []  # indices of windows whose frames are all in
    next_window = 0
    batch = max(1, engine.batch_size)

    def flush(indices: list[int]) -> Iterator[WindowResult]:
        nonlocal done
        if cancel is not None and cancel.is_set():
            raise CancelledError()
        requests = [
            ClipRequest(
                frames=[frames_by_time[t] for t in times_per_window[i] if t in frames_by_time],
                prompt=window_prompts[i],
                native_fps=info.fps,
                video_duration_ms=info.duration_ms,
                min_new_tokens=options.min_new_tokens,
            )
            for i in indices
        ]
        usable = [k for k, r in enumerate(requests) if r.frames]
        texts = engine.caption([requests[k] for k in usable], cancel) if usable else []
        text_for = dict(zip(usable, texts, strict=False))
        for k, i in enumerate(indices):
            w = wins[i]
            done += 1
            provenance = Provenance(
                window_index=w.index,
                window_start_ms=w.start_ms,
                window_end_ms=w.end_ms,
                frame_times_ms=tuple(f.time_ms for f in requests[k].frames),
                detail=details[i],
                model=engine.model_id,
                revision=engine.revision,
                placement=options.placement,
            )
            cue = Cue(w.start_ms, w.end_ms, text_for.get(k, ""), provenance)
            yield WindowResult(w, cue, Progress(done, total, time.monotonic() - started))
        # frames no later window needs are dropped, so memory stays bounded
        keep_from = sample_from[indices[-1] + 1] if indices[-1] + 1 < total else None
        for t in [t for t in frames_by_time if keep_from is None or t < keep_from]:
            del frames_by_time[t]

    def complete_up_to(time_ms: int) -> Iterator[WindowResult]:
        nonlocal next_window
        while next_window < total and (
            not times_per_window[next_window] or times_per_window[next_window][-1] <= time_ms
        ):
            ready.append(next_window)
            next_window += 1
            if len(ready) >= batch:
                yield from flush(ready[:])
                ready.clear()

    frames = sample_at(info, all_times, max_side=options.max_side, cancel=cancel)
    for target, frame in zip(all_times, frames, strict=False):
        if cancel is not None and cancel.is_set():
            raise CancelledError()
        frames_by_time[target] = frame
        yield from complete_up_to(target)
    yield from complete_up_to(info.duration_ms + 1)
    if ready:
        yield from flush(ready[:])
        ready.clear()


def caption_track(
    info: VideoInfo,
    engine: CaptionEngine,
    options: CaptionOptions | None = None,
    cancel: threading.Event | None = None,
) -> Track:
    """Convenience: the whole run as a :class:`Track` (raises on cancel)."""
    track = Track(video=info.path, duration_ms=info.duration_ms)
    for result in caption_windows(info, engine, options, cancel=cancel):
        track.add(result.cue)
    return track


def describe_video(
    info: VideoInfo,
    engine: CaptionEngine,
    detail: str = "medium",
    *,
    max_frames: int = 64,
    fps: float = 2.0,
    max_side: int = 768,
    cancel: threading.Event | None = None,
) -> str:
    """One description of the whole video, as the hosted service gives (frames spread evenly)."""
    duration_s = info.duration_ms / 1000.0
    rate = min(fps, max_frames / duration_s) if duration_s > 0 else fps
    step = 1000.0 / rate
    times = [int(i * step) for i in range(max_frames) if i * step < info.duration_ms]
    frames = list(sample_at(info, times, max_side=max_side, cancel=cancel))
    if not frames:
        raise UsageError(f"{info.path}: no frames could be sampled")
    request = ClipRequest(frames, video_prompt(detail), info.fps, info.duration_ms)
    return engine.caption([request], cancel)[0]
