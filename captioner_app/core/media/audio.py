"""A video's audio track decoded to float32 mono samples, aligned to the video's time 0."""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

from captioner_app.core.errors import CancelledError, VideoError
from captioner_app.core.media.stream import VideoStream, ffmpeg_reason

if TYPE_CHECKING:
    import numpy as np

SAMPLE_RATE = 16000


def decode_audio(path: str, sample_rate: int = SAMPLE_RATE, cancel: threading.Event | None = None) -> np.ndarray | None:
    """The first audio stream as float32 mono at ``sample_rate``, aligned to the video's start.

    Returns ``None`` when the file has no audio stream. Sample 0 is the video's time 0: audio that
    starts late is padded with silence, audio that starts early is trimmed.
    """
    import av
    import numpy as np

    with VideoStream(path, threads=None) as vs:
        if vs.audio is None:
            return None
        origin = vs.origin_s
        resampler = av.AudioResampler(format="flt", layout="mono", rate=sample_rate)
        chunks: list[np.ndarray] = []
        first_time: float | None = None
        try:
            for frame in vs.audio_frames():
                if cancel is not None and cancel.is_set():
                    raise CancelledError()
                if first_time is None and frame.time is not None:
                    first_time = float(frame.time)
                for out in resampler.resample(frame):
                    chunks.append(out.to_ndarray().reshape(-1))
            for out in resampler.resample(None):
                chunks.append(out.to_ndarray().reshape(-1))
        except av.error.FFmpegError as err:
            raise VideoError(f"{path}: the audio cannot be resampled ({ffmpeg_reason(err)})") from None
    samples = np.concatenate(chunks).astype(np.float32, copy=False) if chunks else np.zeros(0, np.float32)
    offset = int(round(((first_time if first_time is not None else origin) - origin) * sample_rate))
    if offset > 0:
        samples = np.concatenate([np.zeros(offset, np.float32), samples])
    elif offset < 0:
        samples = samples[-offset:]
    return samples


PLAY_RATE = 48000  # what the app plays at


class AudioReader:
    """A video's audio read by position, for a player: mono float32 at ``sample_rate``, decoded in pieces
    as it is asked for (reading on from the last piece continues the decode; reading elsewhere seeks), so a
    two-hour file is never decoded whole. Sample 0 is the video's time 0; samples before the audio starts
    or after it ends, and a file without audio, read as silence. One thread at a time."""

    def __init__(self, path: str, sample_rate: int = PLAY_RATE) -> None:
        import numpy as np

        self.path = path
        self.sample_rate = int(sample_rate)
        self._vs = VideoStream(path, threads=None)
        self.has_audio = self._vs.audio is not None
        self._buf: np.ndarray = np.zeros(0, np.float32)
        self._start: int | None = None  # the sample index of _buf[0]; None: not decoding
        self._frames: Any = None
        self._resampler: Any = None
        self._eof = False
        self.seeks = 0

    def close(self) -> None:
        self._vs.close()

    def __enter__(self) -> AudioReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def read(self, start: int, n: int) -> np.ndarray:
        """``n`` samples from sample ``start`` (silence where there is no audio)."""
        import numpy as np

        out: np.ndarray = np.zeros(max(0, n), np.float32)
        if n <= 0 or not self.has_audio:
            return out
        end = start + n
        buffered_end = (self._start or 0) + len(self._buf)
        if self._start is None or start < self._start or start > buffered_end + self.sample_rate:
            self._seek(max(0, start))
        assert self._start is not None
        while not self._eof and self._start + len(self._buf) < end:
            self._decode_more()
        lo, hi = max(start, self._start), min(end, self._start + len(self._buf))
        if lo < hi:
            out[lo - start : hi - start] = self._buf[lo - self._start : hi - self._start]
        keep = max(0, start - self._start)  # what was read before this piece is not needed again
        if keep:
            self._buf = self._buf[keep:]
            self._start += keep
        return out

    def _seek(self, sample: int) -> None:
        import av
        import numpy as np

        stream = self._vs.audio
        target_s = max(0.0, sample / self.sample_rate - 0.2) + self._vs.origin_s
        self.seeks += 1
        try:
            if stream.time_base is not None:
                self._vs.container.seek(int(target_s / stream.time_base), stream=stream, backward=True)
        except av.error.FFmpegError as err:
            raise VideoError(f"{self.path}: cannot seek the audio ({ffmpeg_reason(err)})") from None
        self._frames = self._vs.audio_frames()
        self._resampler = av.AudioResampler(format="flt", layout="mono", rate=self.sample_rate)
        self._buf = np.zeros(0, np.float32)
        self._start = None
        self._eof = False
        self._decode_more()
        if self._start is None:
            self._start = sample
        if self._start > sample:  # the audio starts later than asked: silence before it
            self._buf = np.concatenate([np.zeros(self._start - sample, np.float32), self._buf])
            self._start = sample

    def _decode_more(self) -> None:
        import av
        import numpy as np

        try:
            frame = next(self._frames)
        except StopIteration:
            frame = None
        except av.error.FFmpegError as err:
            raise VideoError(f"{self.path}: the audio cannot be decoded ({ffmpeg_reason(err)})") from None
        try:
            outs = self._resampler.resample(frame)
        except av.error.FFmpegError as err:
            raise VideoError(f"{self.path}: the audio cannot be resampled ({ffmpeg_reason(err)})") from None
        if frame is None:
            self._eof = True
        samples = [o.to_ndarray().reshape(-1) for o in outs]
        chunk = np.concatenate(samples).astype(np.float32, copy=False) if samples else np.zeros(0, np.float32)
        if self._start is None:
            if frame is None:
                return
            t = float(frame.time) if frame.time is not None else self._vs.origin_s
            self._start = int(round((t - self._vs.origin_s) * self.sample_rate))  # < 0: before time 0
        self._buf = np.concatenate([self._buf, chunk]) if len(self._buf) else chunk
