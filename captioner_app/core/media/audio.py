"""A video's audio track decoded to float32 mono samples, aligned to the video's time 0."""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

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
