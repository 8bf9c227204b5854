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

import logging
import queue
import threading
import time
from collections.abc import Callable, Generator, Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from captioner_app.core.errors import CancelledError, UsageError, VideoError
from captioner_app.core.media.video import Frame, VideoInfo, sample_at, sample_times
from captioner_app.core.model.engine import CaptionEngine, ClipRequest
from captioner_app.core.model.prompts import PromptSpec, video_prompt, window_prompt
from captioner_app.core.timing.budget import DEFAULT_WPM, budget_words, detail_for_budget
from captioner_app.core.timing.placement import windows_in
from captioner_app.core.timing.spans import Span
from captioner_app.core.timing.windows import Window, plan_windows
from captioner_app.core.tracks.track import Cue, Provenance, Track
from captioner_app.core.vocab import Detail, Placement

log = logging.getLogger(__name__)

if TYPE_CHECKING:
    from captioner_app.core.analysis.analyze import Analysis, AnalysisOptions

MAX_SAMPLING_FPS = 8.0
# a run stops when this many windows in a row, spanning at least this long, find no picture of their
# own (a file that declares hours but holds two frames would otherwise be captioned for hours)
STALE_WINDOWS = 3
STALE_SPAN_MS = 60_000
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
        end_ms = info.content_end_ms
        if end_ms < info.duration_ms:
            log.warning(
                "%s: the file declares %.1f s but its pictures end at %.1f s; windows are planned to %.1f s",
                info.path,
                info.duration_s,
                end_ms / 1000,
                end_ms / 1000,
            )
        return plan_windows(end_ms, options.window_ms, options.stride_ms), analysis
    from captioner_app.core.analysis.analyze import analyze

    if analysis is None:
        needed = analysis_options(options)
        assert needed is not None
        analysis = analyze(info, needed, cancel=cancel)
    placement = resolve_placement(options.placement, analysis)
    if placement is Placement.WINDOWS:
        return plan_windows(info.duration_ms, options.window_ms, options.stride_ms), analysis
    gaps = placement is Placement.GAPS
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


def resolve_placement(placement: Placement, analysis: Analysis | None) -> Placement:
    """``auto`` made concrete from the analysis (gaps when the video has speech, else windows)."""
    if placement is not Placement.AUTO:
        return placement
    return analysis.automatic_placement()[0] if analysis is not None else Placement.WINDOWS


def analysis_options(options: CaptionOptions) -> AnalysisOptions | None:
    """What placement needs analysed (speech for gaps and auto, shots for shots); None for windows.

    A caller that runs the analysis elsewhere (in the model's process) passes the result to :func:`prepare`."""
    if options.placement is Placement.WINDOWS:
        return None
    from captioner_app.core.analysis.analyze import AnalysisOptions

    gaps = options.placement in (Placement.GAPS, Placement.AUTO)
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
    if options.placement is Placement.AUTO:  # the plan and the track's provenance say what auto chose
        options = replace(options, placement=resolve_placement(options.placement, analysis))
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
    stats: dict[str, float] | None = None,
) -> Iterator[WindowResult]:
    """Just the results of :func:`caption` (planned when the first result is asked for)."""
    the_plan = prepare(info, options, windows=windows, prompts=prompts, analysis=analysis, cancel=cancel)
    yield from run(the_plan, engine, cancel, stats=stats)


_DONE = object()
# decoding workers (media.video.sample_at): 1, one frame-threaded stream; None, parallel segments (one
# worker per core up to 4). Measured on 2 cores: segments sample 1.60x / 1.75x ffmpeg's speed (grain /
# film-like clip) against 1.41x / 1.63x for one stream, but their frames arrive in bursts and the overlap
# with the model fell to 0.83 (target 0.87; one stream 0.92-0.93)
DECODE_WORKERS: int | None = 1
DECODE_SEGMENT_S = 30.0  # the longest segment a decoding worker takes on
BATCHES_AHEAD = 2  # prepared batches waiting for the model: memory stays flat in the video's length


@dataclass
class _Batch:
    indices: list[int]
    requests: list[ClipRequest]


def decoded_frames(
    info: VideoInfo, times: Sequence[int], options: CaptionOptions, cancel: threading.Event | None = None
) -> Generator[Frame]:
    """The frames a run decodes, in time order: the sampler exactly as :func:`run` calls it (and as
    ``benchmarks/frame_sampling.py`` and ``benchmarks/overlap.py`` time it).

    :data:`DECODE_WORKERS` streams (one frame-threaded stream, or parallel segments); non-reference
    frames skipped within half a sampling interval; hardware decoding where present. Closing the
    generator stops its decoding at once."""
    return sample_at(
        info,
        times,
        max_side=options.max_side,
        workers=DECODE_WORKERS,
        segment_s=DECODE_SEGMENT_S,
        cancel=cancel,
        tolerance_ms=500.0 / options.fps,
        hwaccel="auto",
    )


def run(
    the_plan: CaptionPlan,
    engine: CaptionEngine,
    cancel: threading.Event | None = None,
    *,
    stats: dict[str, float] | None = None,
) -> Iterator[WindowResult]:
    """Caption the plan's windows and yield each result in order. Raises :class:`CancelledError` when
    ``cancel`` is set; results already yielded stay with the caller.

    Decoding (and the engine's preprocessing, where it has a ``prepare`` hook) runs ahead of the model
    in a producer thread, at most :data:`BATCHES_AHEAD` batches ahead; the model's thread (the caller's)
    only runs ``engine.caption``. Stopping early, cancelling or an error on either side stops the
    producer before this generator ends. ``stats`` (when given) receives seconds spent decoding
    (``decode``), preparing batches (``preprocess``), waiting for a batch (``wait``) and in the engine
    (``engine``).
    """
    info, options, wins = the_plan.info, the_plan.options, the_plan.windows
    window_prompts, details = the_plan.prompts, the_plan.details
    lead_in = options.lead_in_ms
    if lead_in is None:
        lead_in = GAP_LEAD_IN_MS if options.placement is Placement.GAPS else 0
    sample_from = [max(0, w.start_ms - lead_in) for w in wins]
    started = time.monotonic()
    total = len(wins)
    timings = stats if stats is not None else {}
    for key in ("decode", "preprocess", "wait", "engine"):
        timings.setdefault(key, 0.0)

    times_per_window = [
        sample_times(sample_from[i], min(w.end_ms, info.duration_ms), options.fps) for i, w in enumerate(wins)
    ]
    all_times = sorted({t for ts in times_per_window for t in ts})
    batch = max(1, engine.batch_size)
    prepare_hook = getattr(engine, "prepare", None)
    halt = threading.Event()  # set by the consumer side: the producer stops at its next step
    ready_batches: queue.Queue[object] = queue.Queue(maxsize=BATCHES_AHEAD)

    def stopping() -> bool:
        return halt.is_set() or (cancel is not None and cancel.is_set())

    def hand_over(item: object) -> bool:
        while not halt.is_set():
            try:
                ready_batches.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def produce() -> None:
        frames_by_time: dict[int, Frame] = {}
        ready: list[int] = []
        next_window = 0

        def emit(indices: list[int]) -> bool:
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
            item = _Batch(indices, requests)
            usable = [r for r in requests if r.frames]
            if prepare_hook is not None and usable:
                t0 = time.perf_counter()
                prepare_hook(usable)
                timings["preprocess"] += time.perf_counter() - t0
            # frames no later window needs are dropped, so memory stays bounded
            keep_from = sample_from[indices[-1] + 1] if indices[-1] + 1 < total else None
            for t in [t for t in frames_by_time if keep_from is None or t < keep_from]:
                del frames_by_time[t]
            return hand_over(item)

        def complete_up_to(time_ms: int) -> bool:
            nonlocal next_window
            while next_window < total and (
                not times_per_window[next_window] or times_per_window[next_window][-1] <= time_ms
            ):
                ready.append(next_window)
                next_window += 1
                if len(ready) >= batch:
                    if not emit(ready[:]):
                        return False
                    ready.clear()
            return True

        try:
            frames = decoded_frames(info, all_times, options, halt)
            try:
                t0 = time.perf_counter()
                for target, frame in zip(all_times, frames, strict=False):
                    timings["decode"] += time.perf_counter() - t0
                    if stopping():
                        return
                    frames_by_time[target] = frame
                    if not complete_up_to(target):
                        return
                    t0 = time.perf_counter()
            finally:
                frames.close()  # stops its decoding threads at once
            if not complete_up_to(info.duration_ms + 1):
                return
            if ready and not emit(ready[:]):
                return
            hand_over(_DONE)
        except BaseException as err:  # handed to the consumer, which raises it
            hand_over(err)

    producer = threading.Thread(target=produce, name="caption-producer", daemon=True)
    producer.start()
    done = 0
    stale_windows, stale_from = 0, -1  # the current run of windows that found no picture of their own
    try:
        while True:
            t0 = time.perf_counter()
            try:
                item = ready_batches.get(timeout=0.1)
            except queue.Empty:
                if cancel is not None and cancel.is_set():
                    raise CancelledError() from None
                continue
            finally:
                timings["wait"] += time.perf_counter() - t0
            if item is _DONE:
                break
            if isinstance(item, BaseException):
                raise item
            assert isinstance(item, _Batch)
            if cancel is not None and cancel.is_set():
                raise CancelledError()
            indices, requests = list(item.indices), list(item.requests)
            stop: VideoError | None = None
            for k, i in enumerate(indices):
                # a window "finds" a picture when one starts inside it (or just before): past the end of
                # what a file really holds, every sample is the last picture held on screen
                if any(f.time_ms >= sample_from[i] - 1000 for f in requests[k].frames):
                    stale_windows, stale_from = 0, -1
                    continue
                if stale_from < 0:
                    stale_from = wins[i].start_ms
                stale_windows += 1
                if stale_windows >= STALE_WINDOWS and wins[i].end_ms - stale_from >= STALE_SPAN_MS:
                    stop = VideoError(
                        f"{info.path}: no pictures from {stale_from / 1000:.0f} s to {wins[i].end_ms / 1000:.0f} s "
                        f"of the {info.duration_s:.0f} s the file declares (it holds less than it says); "
                        "the run was stopped"
                    )
                    indices, requests = indices[:k], requests[:k]
                    break
            usable = [k for k, r in enumerate(requests) if r.frames]
            t0 = time.perf_counter()
            # the same request objects the producer prepared (an engine's prepare hook keys on them)
            texts = engine.caption([requests[k] for k in usable], cancel) if usable else []
            timings["engine"] += time.perf_counter() - t0
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
            if stop is not None:
                raise stop
    finally:
        halt.set()
        while producer.is_alive():
            try:  # unblock a producer waiting to hand over a batch
                ready_batches.get_nowait()
            except queue.Empty:
                pass
            producer.join(0.05)
        while True:  # nothing is left queued
            try:
                ready_batches.get_nowait()
            except queue.Empty:
                break


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
