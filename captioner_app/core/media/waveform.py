"""The waveform of a video's audio: a min/max envelope at several zoom levels, cached per file.

:func:`compute_envelope` decodes the first audio stream with PyAV (in the calling thread: run it in a
worker), cancellable, and hands out partial envelopes as it goes so a timeline can draw the part in
view first (``first``: that range is decoded before the whole file). ``core.analysis.waveform_cache``
keeps envelopes on disk beside the analysis cache (``envelope_for`` reads it or computes and stores).
An :class:`Envelope` is immutable; a timeline asks it for one (min, max) pair per pixel with
:meth:`Envelope.peaks`.

Times are integer milliseconds from the video's start (the same time 0 as frames and cues). The finest
level has one bin per ``base_ms`` (10 ms); each next level merges ``FACTOR`` (4) bins. Values are the
lowest and highest sample of any channel in the bin, in [-1, 1].
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from captioner_app.core.errors import CancelledError, VideoError, one_line

if TYPE_CHECKING:
    import numpy as np

BASE_MS = 10
FACTOR = 4
MIN_BINS = 64  # levels stop once they are this small
PARTIAL_EVERY_S = 0.5  # a partial envelope at most this often (wall-clock)


@dataclass(frozen=True, eq=False)
class EnvelopeLevel:
    """``mins[i]``/``maxs[i]``: the extremes over ``[i * bin_ms, (i + 1) * bin_ms)``."""

    bin_ms: int
    mins: np.ndarray  # float32
    maxs: np.ndarray  # float32


@dataclass(frozen=True, eq=False)
class Envelope:
    duration_ms: int  # of the audio, from the video's start
    sample_rate: int
    channels: int
    levels: tuple[EnvelopeLevel, ...]  # finest first
    ready: tuple[tuple[int, int], ...]  # ms ranges computed so far (the whole file once complete)
    complete: bool

    def level_for(self, ms_per_pixel: float) -> EnvelopeLevel:
        """The coarsest level whose bins are no wider than a pixel (the finest when zoomed in further)."""
        best = self.levels[0]
        for level in self.levels:
            if level.bin_ms <= ms_per_pixel:
                best = level
        return best

    def peaks(self, start_ms: int, end_ms: int, width: int) -> tuple[np.ndarray, np.ndarray]:
        """One (min, max) per pixel for ``width`` pixels showing ``[start_ms, end_ms)``: float32 arrays.
        Pixels past the audio's end, or not computed yet, hold 0."""
        import numpy as np

        if width <= 0 or end_ms <= start_ms:
            return np.zeros(0, np.float32), np.zeros(0, np.float32)
        level = self.level_for((end_ms - start_ms) / width)
        n = len(level.mins)
        edges = start_ms + (end_ms - start_ms) * np.arange(width + 1, dtype=np.float64) / width
        first = np.clip(np.floor(edges[:-1] / level.bin_ms).astype(np.int64), 0, n)
        last = np.clip(np.ceil(edges[1:] / level.bin_ms).astype(np.int64), 0, n)
        last = np.maximum(last, np.minimum(first + 1, n))
        lo: np.ndarray = np.zeros(width, np.float32)
        hi: np.ndarray = np.zeros(width, np.float32)
        has = first < last
        if n and has.any():
            idx = first[has]
            lo[has] = _reduce(np.minimum, level.mins, idx, last[has])
            hi[has] = _reduce(np.maximum, level.maxs, idx, last[has])
        return lo, hi


def _reduce(op: Any, values: np.ndarray, starts: np.ndarray, stops: np.ndarray) -> np.ndarray:
    """``op`` over ``values[starts[i]:stops[i]]`` for each i (non-empty ranges)."""
    import numpy as np

    # reduceat works on consecutive start indices; ranges may overlap or skip, so run it on the starts
    # and, where a range ends before the next start, on a second set of bounds
    bounds: np.ndarray = np.empty(len(starts) * 2, np.int64)
    bounds[0::2] = starts
    bounds[1::2] = np.minimum(stops, len(values) - 1)
    out = op.reduceat(values, bounds)[0::2] if len(values) else np.zeros(len(starts), values.dtype)
    # a range reaching the end: reduceat above stopped one short of it
    tail = stops >= len(values)
    if tail.any():
        out[tail] = [op.reduce(values[s:]) for s in starts[tail]]
    return np.asarray(out, dtype=np.float32)


def build_levels(mins: np.ndarray, maxs: np.ndarray, base_ms: int) -> tuple[EnvelopeLevel, ...]:
    import numpy as np

    levels = [EnvelopeLevel(base_ms, mins, maxs)]
    bin_ms = base_ms
    while len(mins) > MIN_BINS:
        n = len(mins) // FACTOR * FACTOR
        head_lo = mins[:n].reshape(-1, FACTOR).min(axis=1)
        head_hi = maxs[:n].reshape(-1, FACTOR).max(axis=1)
        if n < len(mins):
            head_lo = np.append(head_lo, mins[n:].min())
            head_hi = np.append(head_hi, maxs[n:].max())
        mins, maxs = head_lo.astype(np.float32), head_hi.astype(np.float32)
        bin_ms *= FACTOR
        levels.append(EnvelopeLevel(bin_ms, mins, maxs))
    return tuple(levels)


class _Bins:
    """Base bins filled from decoded audio placed at sample positions (from the video's start)."""

    def __init__(self, total_bins: int, sample_rate: int, base_ms: int) -> None:
        import numpy as np

        self.sample_rate, self.base_ms = sample_rate, base_ms
        self.mins: np.ndarray = np.zeros(max(1, total_bins), np.float32)
        self.maxs: np.ndarray = np.zeros(max(1, total_bins), np.float32)

    def add(self, first_sample: int, lo: np.ndarray, hi: np.ndarray) -> None:
        """Per-sample lows and highs (across channels) starting at sample ``first_sample``."""
        import numpy as np

        if first_sample < 0:
            lo, hi = lo[-first_sample:], hi[-first_sample:]
            first_sample = 0
        n = len(lo)
        if n == 0:
            return
        per_bin = self.sample_rate * self.base_ms / 1000.0
        b0 = int(first_sample // per_bin)
        b1 = int((first_sample + n - 1) // per_bin) + 1
        if b0 >= len(self.mins):
            self._grow(b1)
        if b1 > len(self.mins):
            self._grow(b1)
        starts = np.ceil(np.arange(b0, b1) * per_bin).astype(np.int64) - first_sample
        starts[0] = 0
        starts = np.clip(starts, 0, n - 1)
        keep = np.concatenate([[True], starts[1:] > starts[:-1]])
        bins = np.arange(b0, b1)[keep]
        starts = starts[keep]
        bmin = np.minimum.reduceat(lo, starts)
        bmax = np.maximum.reduceat(hi, starts)
        # a bin split between two decoded chunks keeps the extremes of both
        edge = (bins == b0) & (first_sample > int(np.ceil(b0 * per_bin)))
        self.mins[bins] = np.where(edge, np.minimum(self.mins[bins], bmin), bmin)
        self.maxs[bins] = np.where(edge, np.maximum(self.maxs[bins], bmax), bmax)

    def _grow(self, size: int) -> None:
        import numpy as np

        extra = size - len(self.mins)
        self.mins = np.concatenate([self.mins, np.zeros(extra, np.float32)])
        self.maxs = np.concatenate([self.maxs, np.zeros(extra, np.float32)])


def _extremes(frame: Any) -> tuple[np.ndarray, np.ndarray]:
    """A decoded frame's lowest and highest sample across channels, per sample: float32 in [-1, 1]."""
    import numpy as np

    n = frame.samples
    fmt = frame.format
    if fmt.is_planar and fmt.name in ("fltp", "dblp"):  # AAC, Opus, MP3, Vorbis: read the planes as they are
        dtype = np.float32 if fmt.name == "fltp" else np.float64
        planes = [np.frombuffer(plane, dtype=dtype, count=n) for plane in frame.planes]
    else:
        data = frame.to_ndarray()
        channels = len(frame.layout.channels)
        if not fmt.is_planar:
            data = data.reshape(-1, channels).T
        if data.dtype.kind == "u":
            data = (data.astype(np.float32) - 128.0) / 128.0
        elif data.dtype.kind == "i":
            data = data.astype(np.float32) / float(np.iinfo(data.dtype).max)
        planes = list(data)
    lo = planes[0]
    hi = planes[0]
    for plane in planes[1:]:
        lo = np.minimum(lo, plane)
        hi = np.maximum(hi, plane)
    return lo.astype(np.float32, copy=False), hi.astype(np.float32, copy=False)


def compute_envelope(
    path: str | os.PathLike[str],
    *,
    base_ms: int = BASE_MS,
    first: tuple[int, int] | None = None,
    cancel: threading.Event | None = None,
    progress: Callable[[float], None] | None = None,
    on_partial: Callable[[Envelope], None] | None = None,
) -> Envelope | None:
    """The envelope of ``path``'s first audio stream, or ``None`` when it has no audio.

    ``first``: a (start_ms, end_ms) range decoded (after a seek) before the whole file, so the part on
    screen can be drawn at once. ``on_partial`` receives incomplete envelopes (``ready`` says which
    ranges hold data) at most every half second; the return value is complete.
    """
    import av
    import numpy as np

    from captioner_app.core.media.stream import VideoStream

    name = os.fspath(path)
    vs = VideoStream(name, threads=None)
    container = vs.container
    try:
        if vs.audio is None:
            return None
        stream = vs.audio
        origin = vs.origin_s
        rate = int(stream.codec_context.sample_rate or stream.rate or 0)
        channels = int(stream.codec_context.channels or 1)
        if rate <= 0:
            raise VideoError(f"{name}: the audio stream has no sample rate")
        if stream.duration is not None and stream.time_base is not None:
            duration_s = float(stream.duration * stream.time_base)
        elif container.duration is not None:
            duration_s = container.duration / 1_000_000.0
        else:
            duration_s = 0.0
        bins = _Bins(int(duration_s * 1000 / base_ms) + 1, rate, base_ms)
        block = rate  # samples handled at once (about a second)
        ready: list[tuple[int, int]] = []
        last_emit = time.monotonic()

        def snapshot(done_ms: int, complete: bool) -> Envelope:
            spans = sorted(ready + ([(0, done_ms)] if done_ms > 0 else []))
            merged: list[tuple[int, int]] = []
            for a, b in spans:
                if merged and a <= merged[-1][1]:
                    merged[-1] = (merged[-1][0], max(merged[-1][1], b))
                else:
                    merged.append((a, b))
            size = len(bins.mins)
            return Envelope(
                int(round(size * base_ms)) if not complete else done_ms,
                rate,
                channels,
                build_levels(bins.mins.copy(), bins.maxs.copy(), base_ms),
                tuple(merged),
                complete,
            )

        def decode(start_ms: int | None, stop_ms: int | None) -> int:
            """Decode from ``start_ms`` (None: the beginning) to ``stop_ms`` (None: the end); returns
            the end reached (ms)."""
            nonlocal last_emit
            if start_ms is not None:
                container.seek(int((origin + start_ms / 1000.0) / stream.time_base), stream=stream, backward=True)
            reached = 0
            # decoded frames (about 21 ms each) are gathered into one-second frames, so the work in
            # Python is done once a second of audio; the fifo's own timestamps are not used (they
            # refuse gaps), each block's place is kept here
            fifo = av.AudioFifo()
            fifo_at: int | None = None  # sample where the fifo's first sample goes

            def take(out: Any, at: int) -> bool:
                nonlocal reached, last_emit
                lo, hi = _extremes(out)
                bins.add(at, lo, hi)
                reached = int((at + len(lo)) * 1000 / rate)
                if cancel is not None and cancel.is_set():
                    raise CancelledError()
                if stop_ms is not None and reached >= stop_ms:
                    return False
                if start_ms is None:
                    if progress is not None and duration_s > 0:
                        progress(min(1.0, reached / 1000.0 / duration_s))
                    now = time.monotonic()
                    if on_partial is not None and now - last_emit >= PARTIAL_EVERY_S:
                        last_emit = now
                        on_partial(snapshot(reached, False))
                return True

            def drain() -> bool:
                nonlocal fifo, fifo_at
                going = True
                if fifo.samples and fifo_at is not None:
                    going = take(fifo.read(), fifo_at)
                fifo, fifo_at = av.AudioFifo(), None
                return going

            try:
                going = True
                for frame in container.decode(stream):
                    at = int(round((float(frame.time) - origin) * rate)) if frame.time is not None else None
                    if fifo_at is not None and at is not None and abs(at - (fifo_at + fifo.samples)) > rate // 20:
                        going = drain()  # a gap in the audio
                    if going and fifo_at is None:
                        fifo_at = at if at is not None else int(reached * rate / 1000)
                    frame.pts = None
                    try:
                        fifo.write(frame)
                    except ValueError:  # the format changed: start afresh
                        start = fifo_at + fifo.samples if fifo_at is not None else 0
                        going = going and drain()
                        fifo_at = start
                        fifo.write(frame)
                    if going and fifo.samples >= block and fifo_at is not None:
                        going = take(fifo.read(block), fifo_at)
                        fifo_at += block
                    if not going:
                        break
                if going:
                    drain()
            except av.error.FFmpegError as err:
                raise VideoError(f"{name}: the audio cannot be decoded ({one_line(err)})") from None
            return reached

        if first is not None and first[1] > first[0]:
            reached = decode(max(0, first[0]), first[1])
            ready.append((max(0, first[0]), min(reached, first[1])))
            if on_partial is not None:
                on_partial(snapshot(0, False))
                last_emit = time.monotonic()
            container.seek(0)
            stream.codec_context.flush_buffers()
        end = decode(None, None)
        ready.clear()
        size = int(np.ceil(end / base_ms)) if end else 0
        bins.mins, bins.maxs = bins.mins[: max(1, size)], bins.maxs[: max(1, size)]
        result = snapshot(end, True)
        if progress is not None:
            progress(1.0)
        return result
    finally:
        vs.close()
