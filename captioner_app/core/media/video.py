"""Probe videos, sample frames by timestamp, fetch a frame for previews.

PyAV (FFmpeg's libraries) demuxes and decodes; OpenCV resizes and rotates. Frame counts and fps in
headers lie, so every frame is placed by its own presentation time. Nothing here buffers a whole
video: frames stream out as they are decoded, and only the sampled ones are converted to arrays.
"""

from __future__ import annotations

import bisect
import collections
import math
import os
import queue
import threading
from collections.abc import Callable, Generator, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from captioner_app.core.errors import CancelledError, VideoError
from captioner_app.core.media.stream import VideoStream, rotation_cw

if TYPE_CHECKING:
    import numpy as np

MAX_DIMENSION = 16384
MAX_FPS = 1000.0
PROBE_TIMEOUT_S = 15.0  # see also stream.OPEN_TIMEOUT_S: FFmpeg's own I/O time limit


@dataclass(frozen=True)
class VideoInfo:
    """What a probe learned about a video file. ``width``/``height`` are after rotation."""

    path: str
    duration_ms: int
    fps: float
    width: int
    height: int
    rotation: int  # degrees clockwise that the stored picture is turned for display (0, 90, 180, 270)
    has_audio: bool
    codec: str
    frame_count: int | None
    size_bytes: int
    # where the pictures really end, when that is well before the stated duration although the data
    # runs to it (the last picture is held, e.g. two frames declaring ten hours, or a still picture
    # over a song); None: the pictures run to the stated end
    pictures_end_ms: int | None = None

    @property
    def duration_s(self) -> float:
        return self.duration_ms / 1000.0

    @property
    def content_end_ms(self) -> int:
        """The end of what there is to see: what windows are planned up to."""
        return self.duration_ms if self.pictures_end_ms is None else self.pictures_end_ms


@dataclass(frozen=True)
class Frame:
    """One decoded picture: RGB uint8 array (height, width, 3) and its presentation time."""

    time_ms: int
    image: np.ndarray


def _name(path: str | os.PathLike[str]) -> str:
    return os.fspath(path)


def _check_path(path: str) -> None:
    p = Path(path)
    if not p.exists():
        raise VideoError(f"{path}: no such file")
    if p.is_dir():
        raise VideoError(f"{path}: is a folder, not a video file")
    if not os.access(p, os.R_OK):
        raise VideoError(f"{path}: cannot be read (permission denied)")
    if p.stat().st_size == 0:
        raise VideoError(f"{path}: the file is empty (0 bytes)")


def _probe_now(path: str) -> VideoInfo:
    with VideoStream(path, threads=None) as vs:
        stream = vs.video
        if stream is None:
            kinds = vs.kinds() or ["nothing"]
            raise VideoError(f"{path}: has no video stream (it holds {', '.join(kinds)})")
        has_audio = vs.audio is not None
        codec = stream.codec_context.name if stream.codec_context else "unknown"
        duration_s = vs.duration_s()
        rate = stream.average_rate or stream.guessed_rate or stream.base_rate
        fps = float(rate) if rate else 0.0

        first = next(vs.frames(), (None, None))[1]
        if first is None:
            raise VideoError(f"{path}: the video stream holds no decodable picture (empty or truncated)")
        rotation = rotation_cw(getattr(first, "rotation", 0) or 0)
        width, height = int(first.width), int(first.height)
        if rotation in (90, 270):
            width, height = height, width
        if not duration_s or duration_s <= 0 or not math.isfinite(duration_s):
            raise VideoError(f"{path}: the video has no usable duration")
        if not (0 < fps <= MAX_FPS):
            raise VideoError(f"{path}: implausible frame rate ({fps:g} fps)")
        if not (0 < width <= MAX_DIMENSION and 0 < height <= MAX_DIMENSION):
            raise VideoError(f"{path}: implausible frame size {width}x{height}")

        pictures_end_ms = _pictures_end(vs, duration_s, fps)
        frames = int(stream.frames) if stream.frames else None
        return VideoInfo(
            path=path,
            duration_ms=int(round(duration_s * 1000)),
            fps=fps,
            width=width,
            height=height,
            rotation=rotation,
            has_audio=has_audio,
            codec=codec,
            frame_count=frames,
            size_bytes=Path(path).stat().st_size,
            pictures_end_ms=pictures_end_ms,
        )


TAIL_S = 2.0  # the end is checked by decoding from a seek this far before it (a keyframe at or before)
END_SLACK_S = 3.0  # pictures or data ending this much before the stated duration are a finding


def _pictures_end(vs: VideoStream, duration_s: float, fps: float) -> int | None:
    """Check the stated end with a seek near it and the packets from there (cheap for any length).

    Pictures that stop well before the stated duration mean one of two things. The data stops there
    too (the last packet's time plus its duration falls short): the file was cut off, and it is
    refused. The data runs to the stated end, its last picture held on screen that long (two frames
    declaring ten hours, a still picture over a song): the file is read, and the end of its pictures
    (the last one's time plus a frame) is returned, so that windows are planned from what it holds.
    None: the pictures run to the stated end."""
    import av

    stream = vs.video
    base = float(stream.time_base) if stream.time_base is not None else 0.0
    last_ms: int | None = None
    data_end_s: float | None = None
    try:
        vs.seek_ms(max(0.0, duration_s - TAIL_S) * 1000)
        for packet in vs.container.demux(stream):
            if packet.pts is not None and base:
                end_s = (packet.pts + (packet.duration or 0)) * base - vs.origin_s
                data_end_s = end_s if data_end_s is None else max(data_end_s, end_s)
            for frame in packet.decode():
                t_ms = vs.time_ms(frame)
                if t_ms is not None:
                    last_ms = t_ms if last_ms is None else max(last_ms, t_ms)
    except (VideoError, av.error.FFmpegError):
        pass
    if last_ms is None:
        raise VideoError(f"{vs.path}: truncated or damaged (no picture can be decoded near the end)")
    end_seen = last_ms / 1000.0
    if end_seen >= duration_s - END_SLACK_S:
        return None
    if data_end_s is None or data_end_s < duration_s - END_SLACK_S:
        raise VideoError(
            f"{vs.path}: truncated (the header says {duration_s:.1f} s but pictures stop at {end_seen:.1f} s)"
        )
    # one frame more (at most a second: such a file's average frame rate is as wrong as its duration)
    return min(int(round(duration_s * 1000)), last_ms + min(1000, max(1, int(round(1000.0 / fps)))))


def probe(path: str | os.PathLike[str], timeout_s: float = PROBE_TIMEOUT_S) -> VideoInfo:
    """Read a video's facts, or raise :class:`VideoError` within ``timeout_s`` seconds."""
    name = _name(path)
    _check_path(name)
    result: list[VideoInfo] = []
    failure: list[BaseException] = []

    def work() -> None:
        try:
            result.append(_probe_now(name))
        except BaseException as err:  # handed back to the caller's thread
            failure.append(err)

    worker = threading.Thread(target=work, name="probe", daemon=True)
    worker.start()
    worker.join(timeout_s)
    if worker.is_alive():
        raise VideoError(f"{name}: probing took longer than {timeout_s:g} s (damaged or unusual file)")
    if failure:
        err = failure[0]
        if isinstance(err, VideoError):
            raise err
        raise VideoError(f"{name}: cannot be read as a video ({type(err).__name__}: {err})") from None
    return result[0]


def sample_times(start_ms: int, end_ms: int, fps: float) -> list[int]:
    """Timestamps (ms) at ``fps`` inside ``[start_ms, end_ms)``, the first at ``start_ms``."""
    if fps <= 0:
        raise ValueError("fps must be positive")
    step = 1000.0 / fps
    count = max(1, math.ceil((end_ms - start_ms) / step - 1e-9))
    return [int(round(start_ms + i * step)) for i in range(count) if start_ms + i * step < end_ms]


class _TooFar(Exception):
    """The nearest decodable frame is too far from a target: decode every frame instead."""


@dataclass
class _SkipState:
    """Shared by one sampling run's segments: once skipping failed, the rest decodes every frame."""

    failed: bool = False


def _decode_segment(
    info: VideoInfo,
    targets: Sequence[int],
    max_side: int | None,
    cancel: threading.Event | None,
    threads: int,
    tolerance_ms: float | None = None,
    hwaccel: str | None = None,
    skip: _SkipState | None = None,
) -> Iterator[Frame]:
    """Decode sequentially from the keyframe before ``targets[0]``, yielding one frame per target.

    Exact (``tolerance_ms`` None): the frame on screen at each target. Sampling (``tolerance_ms``
    given): non-reference frames are not decoded and each target gets the nearest decoded frame,
    which must lie less than ``tolerance_ms`` from it; where none does, the rest of the segment is
    decoded in full, exactly. Either way ``Frame.time_ms`` is the decoded frame's own time.
    """
    if not targets:
        return
    if tolerance_ms is not None and not (skip is not None and skip.failed):
        done = 0
        try:
            for frame in _decode_nearest(info, targets, max_side, cancel, threads, tolerance_ms, hwaccel):
                yield frame
                done += 1
            return
        except _TooFar:
            if skip is not None:
                skip.failed = True
            targets = targets[done:]
    yield from _decode_exact(info, targets, max_side, cancel, threads, hwaccel if tolerance_ms is not None else None)


def _decode_nearest(
    info: VideoInfo,
    targets: Sequence[int],
    max_side: int | None,
    cancel: threading.Event | None,
    threads: int,
    tolerance_ms: float,
    hwaccel: str | None,
) -> Iterator[Frame]:
    with VideoStream(
        info.path, threads=threads, rotation=info.rotation, skip_frame="NONREF", max_side=max_side, hwaccel=hwaccel
    ) as vs:
        if targets[0] > 500:
            vs.seek_ms(targets[0])
        index = 0
        vs.wanted_ms = targets[0]  # packets no target needs are not decoded (see VideoStream._decoded)
        prev: Any = None
        prev_ms = 0
        last: tuple[Any, np.ndarray] | None = None  # the last frame converted (two targets may share it)

        def pick(frame: Any, t_ms: int, target: int) -> Frame:
            nonlocal last
            if abs(t_ms - target) >= tolerance_ms:
                raise _TooFar()
            if last is None or last[0] is not frame:
                last = (frame, vs.to_array(frame, max_side))
            return Frame(t_ms, last[1])

        for t_ms, frame in vs.frames():
            if cancel is not None and cancel.is_set():
                raise CancelledError()
            while index < len(targets) and t_ms >= targets[index]:
                target = targets[index]
                if prev is not None and target - prev_ms < t_ms - target:
                    yield pick(prev, prev_ms, target)
                else:
                    yield pick(frame, t_ms, target)
                index += 1
            if index >= len(targets):
                return
            vs.wanted_ms = targets[index]
            prev, prev_ms = frame, t_ms
        while index < len(targets):
            if prev is None:
                raise _TooFar()
            yield pick(prev, prev_ms, targets[index])
            index += 1


def _decode_exact(
    info: VideoInfo,
    targets: Sequence[int],
    max_side: int | None,
    cancel: threading.Event | None,
    threads: int,
    hwaccel: str | None = None,
) -> Iterator[Frame]:
    with VideoStream(
        info.path, threads=threads, rotation=info.rotation, hwaccel=hwaccel, max_side=max_side if hwaccel else None
    ) as vs:
        if targets[0] > 500:
            vs.seek_ms(targets[0])
        index = 0
        prev = None
        prev_ms = -1
        for t_ms, frame in vs.frames():
            if cancel is not None and cancel.is_set():
                raise CancelledError()
            # the picture on screen at target T is the last one whose time is <= T
            while index < len(targets) and t_ms > targets[index]:
                if prev is None:  # the stream starts after the target: its first picture is shown
                    prev, prev_ms = frame, t_ms
                yield Frame(prev_ms, vs.to_array(prev, max_side))
                index += 1
            if index >= len(targets):
                return
            prev, prev_ms = frame, t_ms
        while index < len(targets) and prev is not None:
            yield Frame(prev_ms, vs.to_array(prev, max_side))
            index += 1


def sample_frames(
    info: VideoInfo,
    start_ms: int = 0,
    end_ms: int | None = None,
    fps: float = 2.0,
    *,
    max_side: int | None = 768,
    workers: int | None = None,
    segment_s: float = 30.0,
    cancel: threading.Event | None = None,
    exact: bool = True,
    hwaccel: str | None = None,
) -> Iterator[Frame]:
    """Yield frames at ``fps`` inside ``[start_ms, end_ms)`` in time order (see :func:`sample_at`);
    ``exact=False`` lets each frame be the nearest decodable one within half a sampling interval."""
    end = info.duration_ms if end_ms is None else min(end_ms, info.duration_ms)
    targets = sample_times(max(0, start_ms), end, fps) if end > start_ms else []
    yield from sample_at(
        info,
        targets,
        max_side=max_side,
        workers=workers,
        segment_s=segment_s,
        cancel=cancel,
        tolerance_ms=None if exact else 500.0 / fps,
        hwaccel=hwaccel,
    )


_END = object()
SEGMENT_FRAMES = 30  # targets per segment at most: with 2 x workers segments in flight, memory stays flat


def _split(targets: Sequence[int], segment_s: float, keyframe_ms: Callable[[int], int | None]) -> Iterator[list[int]]:
    """Cut ascending ``targets`` into runs, one per decoding worker, lazily.

    The first run covers about ``segment_s / 16``, each next one twice the last, up to ``segment_s`` (and
    :data:`SEGMENT_FRAMES` targets): the first frames of a long range come early, from several workers
    at once. Each run after the first begins at a keyframe (``keyframe_ms(t)``: the keyframe a seek to
    ``t`` lands on), so no two workers decode the same pictures; where a picture group is longer than
    the run, the run grows to the next keyframe, and where none is known it ends at the target."""
    n = len(targets)
    start = 0
    length_ms = segment_s * 1000.0 / 16
    while start < n:
        first = targets[start]
        j = min(bisect.bisect_left(targets, first + length_ms, start + 1), start + SEGMENT_FRAMES)
        end = n
        while j < n:
            key = keyframe_ms(targets[j])
            if key is None:
                end = j
                break
            if key > first:
                end = bisect.bisect_left(targets, key, start + 1, j + 1)
                break
            # a long picture group: look twice as far for the next keyframe
            j = bisect.bisect_left(targets, first + 2 * (targets[j] - first) + 1, j + 1)
        yield list(targets[start:end])
        start = end
        length_ms = min(2 * length_ms, segment_s * 1000.0)


def sample_at(
    info: VideoInfo,
    targets: Sequence[int],
    *,
    max_side: int | None = 768,
    workers: int | None = None,
    segment_s: float = 30.0,
    cancel: threading.Event | None = None,
    tolerance_ms: float | None = None,
    hwaccel: str | None = None,
    threads: int | None = None,
) -> Generator[Frame]:
    """Yield, for each target time (ms, ascending), the frame on screen then; ``time_ms`` is its own time.

    ``tolerance_ms`` (sampling, typically half the sampling interval): decode less. Frames nothing
    refers to are skipped and a target may get the nearest decoded frame instead, less than
    ``tolerance_ms`` away (where none is that close, that stretch is decoded in full). ``hwaccel``:
    a hardware decoder to try (see :class:`VideoStream`). ``threads``: decoder threads per stream
    (default: the cores shared among the workers, two at least).

    Long ranges are split into segments (see :func:`_split`: short first, then up to ``segment_s``
    seconds, each from a keyframe) decoded in parallel (``workers`` threads, default one per core up to
    4, each with its own demuxer and decoder; FFmpeg releases the GIL while decoding); ``workers=1``
    decodes in one stream with all cores (frame threads). Frames come out in order as they are decoded,
    with at most ``2 x workers`` segments in flight; a consumer that stops early (or ``cancel``) stops
    the workers.
    """
    targets = sorted(t for t in targets if 0 <= t < info.duration_ms)
    if not targets:
        return
    frame_ms = 1000.0 / info.fps if info.fps > 0 else 1000.0
    if tolerance_ms is not None and tolerance_ms < 2 * frame_ms:
        tolerance_ms = None  # too few frames between samples for skipping to pay
    skip = _SkipState()
    cores = os.cpu_count() or 2
    n_workers = workers if workers is not None else min(4, cores)
    if n_workers <= 1 or targets[-1] - targets[0] < segment_s * 1000.0 / 16:
        yield from _decode_segment(info, targets, max_side, cancel, threads or 0, tolerance_ms, hwaccel, skip)
        return

    # frame threads in every worker, two at least: FFmpeg's own threads decode without the interpreter
    # lock, where a worker decoding in its Python thread waits for the lock whenever another holds it
    # (on a busy machine that halved the throughput of two single-threaded workers)
    decoder_threads = threads or max(2, cores // n_workers)
    halt = threading.Event()  # the consumer stopped or was cancelled: workers stop at their next frame

    def run(seg: Sequence[int], out: queue.SimpleQueue[object]) -> None:
        try:
            for frame in _decode_segment(info, seg, max_side, halt, decoder_threads, tolerance_ms, hwaccel, skip):
                out.put(frame)
            out.put(_END)
        except BaseException as err:  # handed to the consumer
            out.put(err)

    def frames_of(out: queue.SimpleQueue[object]) -> Iterator[Frame]:
        while True:
            try:
                item = out.get(timeout=0.1)
            except queue.Empty:
                if cancel is not None and cancel.is_set():
                    raise CancelledError() from None
                continue
            if item is _END:
                return
            if isinstance(item, BaseException):
                raise item
            if cancel is not None and cancel.is_set():
                raise CancelledError()
            assert isinstance(item, Frame)
            yield item

    # keyframes are looked up in a stream of its own, from the packets only (a seek and one packet each)
    with VideoStream(info.path, threads=None) as index, ThreadPoolExecutor(n_workers, "decode") as pool:
        segments = _split(targets, segment_s, index.keyframe_ms)
        pending: collections.deque[tuple[Future[None], queue.SimpleQueue[object]]] = collections.deque()

        def submit() -> None:
            seg = next(segments, None)
            if seg:
                out: queue.SimpleQueue[object] = queue.SimpleQueue()
                pending.append((pool.submit(run, seg, out), out))

        try:
            for _ in range(2 * n_workers):
                submit()
            while pending:
                _future, out = pending[0]
                yield from frames_of(out)
                pending.popleft()
                submit()
        finally:
            halt.set()
            for future, _out in pending:  # a consumer that stopped early: drop work not yet started
                future.cancel()


def frame_at(info: VideoInfo, time_ms: int, max_side: int | None = None) -> Frame:
    """The frame on screen at ``time_ms`` (clamped into the video), for previews."""
    t = min(max(0, int(time_ms)), max(0, info.duration_ms - 1))
    for frame in _decode_segment(info, [t], max_side, None, threads=0):
        return frame
    raise VideoError(f"{info.path}: no picture at {t / 1000:.2f} s")
