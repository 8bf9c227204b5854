"""The captioning pipeline, in faster-whisper's shape: plan first, then a lazy generator of results.

:func:`prepare` decides everything before any frame is decoded (the windows, what was analysed for
them, each window's prompt and detail level) and returns a :class:`CaptionPlan`; :func:`run` yields each
window's cue as soon as it is written; :func:`caption` does both. :class:`TrackBuilder` is the one
accumulator the CLI, the app and the server use to turn results into a :class:`Track` (a cancelled run
keeps what arrived).

Frames are decoded once, in time order, for all windows together (overlapping windows share frames);
a window whose last frame has arrived joins the next batch; each batch is one ``generate`` call.
Callers show cues as they arrive and may cancel at any time.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from captioner_app.core.errors import CancelledError, UsageError
from captioner_app.core.media.video import Frame, VideoInfo, sample_at, sample_times
from captioner_app.core.model.engine import CaptionEngine, ClipRequest
from captioner_app.core.model.prompts import PromptSpec, video_prompt, window_prompt
from captioner_app.core.timing.budget import DEFAULT_WPM, budget_words, detail_for_budget
from captioner_app.core.timing.placement import windows_in
from captioner_app.core.timing.spans import Span
from captioner_app.core.timing.windows import Window, plan_windows
from captioner_app.core.tracks.track import Cue, Provenance, Track
from captioner_app.core.vocab import Detail, Placement

if TYPE_CHECKING:
    from captioner_app.core.analysis.analyze import Analysis, AnalysisOptions

MAX_SAMPLING_FPS = 8.0
GAP_LEAD_IN_MS = 2000  # gaps placement: the model also sees this much of what leads into the gap
DEFAULT_MIN_GAP_MS = 1200  # gaps placement: the shortest pause described into (AD_GUIDELINES)
DEFAULT_PAD_MS = 150  # gaps placement: distance kept from speech


@dataclass(frozen=True)
class CaptionOptions:
    """What a run asks for. Times are integer milliseconds; ``detail`` and ``placement`` take their enums
    (or their texts, converted on creation; an unknown text is reported by :meth:`validate`)."""

    detail: Detail = Detail.MEDIUM
    window_ms: int = 10_000
    stride_ms: int | None = None
    fps: float = 2.0
    max_side: int = 768  # frames are shrunk to this before the processor resizes them again
    placement: Placement = Placement.WINDOWS
    min_new_tokens: int = 0  # for benchmarks only: force the output length
    # narration budget: words per minute a cue may hold (None: no budget, the detail level's length);
    # detail "auto" picks the level from each cue's budget (at 180 wpm when wpm is None)
    wpm: float | None = None
    # frames are sampled from this long before each window (None: 2 s for gaps, else 0)
    lead_in_ms: int | None = None
    min_gap_ms: int = DEFAULT_MIN_GAP_MS
    pad_ms: int = DEFAULT_PAD_MS

    def __post_init__(self) -> None:
        for name, kind in (("detail", Detail), ("placement", Placement)):
            value = getattr(self, name)
            if not isinstance(value, kind):
                try:
                    object.__setattr__(self, name, kind.parse(value))
                except UsageError:
                    pass  # validate() says why

    def validate(self) -> None:
        Detail.parse(self.detail)
        Placement.parse(self.placement)
        if self.wpm is not None and not 0 < self.wpm < 10_000:
            raise UsageError(f"--wpm must be a positive rate, got {self.wpm:g}")
        if self.lead_in_ms is not None and self.lead_in_ms < 0:
            raise UsageError(f"the lead-in must not be negative, got {self.lead_in_ms / 1000:g} s")
        if self.min_gap_ms < 0:
            raise UsageError(f"--min-gap must not be negative, got {self.min_gap_ms / 1000:g} s")
        if self.pad_ms < 0:
            raise UsageError(f"--pad must not be negative, got {self.pad_ms / 1000:g} s")
        if not 0 < self.fps <= MAX_SAMPLING_FPS:
            raise UsageError(f"--fps must be above 0 and at most {MAX_SAMPLING_FPS:g}, got {self.fps:g}")
        if self.window_ms <= 0:
            raise UsageError(f"--window must be positive, got {self.window_ms / 1000:g} s")
        if self.stride_ms is not None and self.stride_ms <= 0:
            raise UsageError(f"--stride must be positive, got {self.stride_ms / 1000:g} s")
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


@dataclass(frozen=True)
class CaptionPlan:
    """Everything decided before decoding starts: one window, prompt and detail level per cue."""

    info: VideoInfo
    options: CaptionOptions
    windows: tuple[Window, ...]
    prompts: tuple[PromptSpec, ...]
    details: tuple[Detail, ...]
    analysis: Analysis | None = None  # what gaps or shots placement was planned from

    def __len__(self) -> int:
        return len(self.windows)


def plan(
    info: VideoInfo,
    options: CaptionOptions,
    analysis: Analysis | None = None,
    cancel: threading.Event | None = None,
) -> list[Window]:
    """The cue windows for ``options.placement`` (see :func:`prepare`)."""
    return _windows(info, options, analysis, cancel)[0]


def _windows(
    info: VideoInfo, options: CaptionOptions, analysis: Analysis | None, cancel: threading.Event | None
) -> tuple[list[Window], Analysis | None]:
    options.validate()
    if options.placement is Placement.WINDOWS:
        return plan_windows(info.duration_ms, options.window_ms, options.stride_ms), analysis
    from captioner_app.core.analysis.analyze import analyze

    gaps = options.placement is Placement.GAPS
    if analysis is None:
        needed = analysis_options(options)
        assert needed is not None
        analysis = analyze(info, needed, cancel=cancel)
    if gaps:
        spans: list[Span] = list(analysis.gaps)
        if not spans:
            raise UsageError(
                f"{analysis.video or 'the video'}: no pause of at least {analysis.min_gap_ms / 1000:g} s "
                "between speech; use --placement windows or a shorter --min-gap"
            )
    else:
        spans = list(analysis.shots) or [Span(0, analysis.duration_ms)]
    # a gap or shot longer than 1.5 windows is cut into equal pieces
    return windows_in(spans, options.window_ms * 3 // 2), analysis


def analysis_options(options: CaptionOptions) -> AnalysisOptions | None:
    """What gaps or shots placement needs analysed (speech for gaps, shots for shots); None for windows.

    A caller that runs the analysis elsewhere (in the model's process) passes the result to :func:`prepare`."""
    if options.placement is Placement.WINDOWS:
        return None
    from captioner_app.core.analysis.analyze import AnalysisOptions

    gaps = options.placement is Placement.GAPS
    return AnalysisOptions(min_gap_ms=options.min_gap_ms, pad_ms=options.pad_ms, speech=gaps, shots=not gaps)


def prepare(
    info: VideoInfo,
    options: CaptionOptions | None = None,
    *,
    windows: Sequence[Window] | None = None,
    prompts: Sequence[PromptSpec] | None = None,
    analysis: Analysis | None = None,
    cancel: threading.Event | None = None,
) -> CaptionPlan:
    """Plan a run: the windows (default: from ``options.placement``; gaps and shots come from
    ``analysis``, which is made here when not given), each window's detail level and prompt.

    Without ``prompts``, a budget (``options.wpm``, or detail "auto") caps each cue's words.
    """
    options = options or CaptionOptions()
    options.validate()
    if windows is None:
        wins, analysis = _windows(info, options, analysis, cancel)
    else:
        wins = list(windows)
    wins.sort(key=lambda w: (w.start_ms, w.end_ms))
    if prompts is not None and len(prompts) != len(wins):
        raise ValueError("one prompt per window is needed")
    auto = options.detail is Detail.AUTO
    budgeted = options.wpm is not None or auto
    wpm = options.wpm if options.wpm is not None else DEFAULT_WPM
    details: list[Detail] = []
    window_prompts: list[PromptSpec] = []
    for w in wins:
        budget = budget_words(w.duration_ms, wpm) if budgeted else None
        level = detail_for_budget(budget or 0) if auto else Detail.parse_level(options.detail)
        details.append(level)
        if prompts is None:
            window_prompts.append(window_prompt(level, budget))
    if prompts is not None:
        window_prompts = list(prompts)
    return CaptionPlan(info, options, tuple(wins), tuple(window_prompts), tuple(details), analysis)


def caption(
    info: VideoInfo,
    engine: CaptionEngine,
    options: CaptionOptions | None = None,
    *,
    windows: Sequence[Window] | None = None,
    prompts: Sequence[PromptSpec] | None = None,
    analysis: Analysis | None = None,
    cancel: threading.Event | None = None,
) -> tuple[CaptionPlan, Iterator[WindowResult]]:
    """The plan (made now) and the lazy generator of its results (runs as it is consumed)."""
    the_plan = prepare(info, options, windows=windows, prompts=prompts, analysis=analysis, cancel=cancel)
    return the_plan, run(the_plan, engine, cancel)


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
    """Just the results of :func:`caption` (planned when the first result is asked for)."""
    the_plan = prepare(info, options, windows=windows, prompts=prompts, analysis=analysis, cancel=cancel)
    yield from run(the_plan, engine, cancel)


def run(the_plan: CaptionPlan, engine: CaptionEngine, cancel: threading.Event | None = None) -> Iterator[WindowResult]:
    """Caption the plan's windows and yield each result in order. Raises :class:`CancelledError` when
    ``cancel`` is set; results already yielded stay with the caller."""
    info, options, wins = the_plan.info, the_plan.options, the_plan.windows
    window_prompts, details = the_plan.prompts, the_plan.details
    lead_in = options.lead_in_ms
    if lead_in is None:
        lead_in = GAP_LEAD_IN_MS if options.placement is Placement.GAPS else 0
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
                detail=details[i].value,
                model=engine.model_id,
                revision=engine.revision,
                placement=options.placement.value,
                engine=getattr(engine, "engine_url", None),
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



class TrackBuilder:
    """The one accumulator of results: fills :attr:`track` as cues arrive, so a cancelled or failed run
    keeps every cue already written. ``video`` names the track's video (default: the file's path)."""

    def __init__(self, info: VideoInfo, video: str | None = None) -> None:
        self.track = Track(video=video if video is not None else info.path, duration_ms=info.duration_ms)
        self.progress: Progress | None = None

    def consume(
        self, results: Iterable[WindowResult], on_result: Callable[[WindowResult], None] | None = None
    ) -> Track:
        for result in results:
            self.track.add(result.cue)
            self.progress = result.progress
            if on_result is not None:
                on_result(result)
        return self.track


def caption_track(
    info: VideoInfo,
    engine: CaptionEngine,
    options: CaptionOptions | None = None,
    cancel: threading.Event | None = None,
) -> Track:
    """Convenience: the whole run as a :class:`Track` (raises on cancel)."""
    _, results = caption(info, engine, options, cancel=cancel)
    return TrackBuilder(info).consume(results)


def describe_video(
    info: VideoInfo,
    engine: CaptionEngine,
    detail: Detail | str = Detail.MEDIUM,
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
