"""Shot changes (cuts): PySceneDetect's adaptive content detector fed with every decoded frame.

Frames are decoded with PyAV in time order and shrunk to a thumbnail (about 128 px wide) before
PySceneDetect scores the change from the previous frame in HSV. The adaptive detector compares that
score with the scores of the frames around it (a cut stands out; steady motion does not), which
catches cuts between similar colours that the fixed-threshold detector misses. Every frame is
placed by its own presentation time, so a cut's time is that of the first frame of the new shot.
"""

from __future__ import annotations

import threading
import warnings
from collections.abc import Callable, Sequence
from typing import Any

from captioner_app.core.errors import CancelledError, VideoError
from captioner_app.core.media.stream import VideoStream
from captioner_app.core.media.video import VideoInfo
from captioner_app.core.timing.spans import Span

DEFAULT_THRESHOLD = 3.0  # PySceneDetect's AdaptiveDetector default: score / average of neighbours' scores
MIN_CONTENT_SCORE = 15.0  # ... and the score itself must reach this (AdaptiveDetector default)
DEFAULT_MIN_SHOT_MS = 500
THUMB_WIDTH = 128


def _content_detector(threshold: float, min_shot_frames: int) -> Any:
    """PySceneDetect 0.6's adaptive detector (0.6 has a headless-OpenCV extra; 0.7 needs opencv-python,
    whose bundled Qt plugins clash with PySide6). It counts in frames: we number frames ourselves."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            from scenedetect.detectors.adaptive_detector import AdaptiveDetector
    except ImportError:
        raise VideoError(
            "shot detection needs PySceneDetect: pip install 'scenedetect[opencv-headless]==0.6.6'"
        ) from None
    return AdaptiveDetector(
        adaptive_threshold=threshold, min_content_val=MIN_CONTENT_SCORE, min_scene_len=max(1, min_shot_frames)
    )


class _Thumbnailer:
    """A frame as a small BGR image: sampled straight from 8-bit 4:2:0 planes (most video), which
    costs almost nothing next to decoding, else scaled by FFmpeg."""

    def __init__(self, info: VideoInfo) -> None:
        stored_w, stored_h = (info.height, info.width) if info.rotation in (90, 270) else (info.width, info.height)
        self.step = max(1, stored_w // THUMB_WIDTH)
        self.size = (THUMB_WIDTH, max(2, round(THUMB_WIDTH * stored_h / max(1, stored_w)) // 2 * 2))
        self.grid: tuple[int, int, Any, Any] | None = None  # for (height, width): rows, columns

    def __call__(self, frame: Any) -> Any:
        import numpy as np

        if frame.format.name not in ("yuv420p", "yuvj420p"):
            return frame.reformat(
                width=self.size[0], height=self.size[1], format="bgr24", interpolation="FAST_BILINEAR"
            ).to_ndarray()
        import cv2

        if self.grid is None or self.grid[:2] != (frame.height, frame.width):
            self.grid = (
                frame.height,
                frame.width,
                np.arange(0, frame.height, self.step),
                np.arange(0, frame.width, self.step),
            )
        rows, cols = self.grid[2:]
        planes = [np.frombuffer(p, np.uint8).reshape(p.height, -1) for p in frame.planes[:3]]
        y = planes[0][rows][:, cols]
        u = planes[1][rows // 2][:, cols // 2]
        v = planes[2][rows // 2][:, cols // 2]
        yuv = np.dstack([y, u, v])
        if frame.format.name == "yuv420p":  # limited (TV) range: stretch to full range first
            scaled = (yuv.astype(np.float32) - (16.0, 128.0, 128.0)) * (255 / 219, 255 / 224, 255 / 224)
            yuv = np.clip(scaled + (0.0, 128.0, 128.0), 0, 255).astype(np.uint8)
        return cv2.cvtColor(yuv, cv2.COLOR_YUV2BGR)


def detect_cuts(
    info: VideoInfo,
    *,
    threshold: float = DEFAULT_THRESHOLD,
    min_shot_ms: int = DEFAULT_MIN_SHOT_MS,
    cancel: threading.Event | None = None,
    progress: Callable[[float], None] | None = None,
) -> list[int]:
    """Times (ms) where a new shot starts, in order; time 0 is not a cut."""
    if threshold <= 0:
        raise ValueError("the shot threshold must be positive")
    fps = info.fps if info.fps > 0 else 30.0
    detector = _content_detector(threshold, int(round(min_shot_ms / 1000.0 * fps)))
    cuts: list[float] = []
    frame_times: list[float] = []  # the detector's frame numbers index this
    # fast: no deblocking; the colour statistics a cut is found by barely change without it
    with VideoStream(info.path, fast=True) as vs:
        shrink = _Thumbnailer(info)
        previous_ms = -1
        count = 0
        for t_ms, frame in vs.frames():
            if t_ms <= previous_ms:  # a repeated or out-of-order picture: not a new frame
                continue
            previous_ms = t_ms
            count += 1
            if count % 64 == 0:
                if cancel is not None and cancel.is_set():
                    raise CancelledError()
                if progress is not None and info.duration_ms > 0:
                    progress(min(1.0, t_ms / info.duration_ms))
            image = shrink(frame)
            frame_times.append(max(0.0, t_ms / 1000.0))
            cuts.extend(frame_times[n] for n in detector.process_frame(len(frame_times) - 1, image))
    if frame_times:
        cuts.extend(frame_times[n] for n in detector.post_process(len(frame_times) - 1))
    times = sorted({int(round(c * 1000)) for c in cuts})
    return [t for t in times if 0 < t < info.duration_ms]


def shots_from_cuts(cuts: Sequence[int], duration_ms: int) -> list[Span]:
    """Shots as spans covering ``[0, duration_ms)``, split at ``cuts``."""
    edges = [0, *sorted(c for c in set(cuts) if 0 < c < duration_ms), duration_ms]
    return [Span(a, b) for a, b in zip(edges[:-1], edges[1:], strict=True) if b > a]
