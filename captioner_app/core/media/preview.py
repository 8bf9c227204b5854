"""A persistent per-video decoder for previews: scrubbing and playback without reopening the file.

:func:`captioner_app.core.media.video.frame_at` opens the file, seeks to the keyframe and decodes forward
for every call. A preview asks for many nearby times in a row, so :class:`PreviewDecoder` keeps the
container open, remembers the last picture it decoded and, when the next request lies a little
later, decodes forward from there instead of seeking. Not thread-safe: one owner thread per decoder.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

from captioner_app.core.errors import VideoError
from captioner_app.core.media.stream import VideoStream
from captioner_app.core.media.video import Frame, VideoInfo

FORWARD_LIMIT_MS = 1500  # a request this far ahead of the last picture is reached by decoding on
INTERIM_AFTER_FRAMES = 3  # a seek landing this many frames or more before its target shows the keyframe first


class PreviewAborted(Exception):
    """``abort()`` said a newer request is waiting: this one was dropped half-way (the decoder stays usable)."""


class PreviewDecoder:
    def __init__(self, info: VideoInfo, max_side: int | None = 960) -> None:
        self.info = info
        self.max_side = max_side
        self._vs: VideoStream | None = VideoStream(
            info.path, threads=min(4, os.cpu_count() or 2), rotation=info.rotation
        )
        self._frames: Any = None  # the running decode generator
        self._current: Any = None  # last decoded av.VideoFrame
        self._current_ms = -1
        self._next: Any = None  # a frame decoded past the last target, kept for the next request
        self._next_ms = -1

    def close(self) -> None:
        if self._vs is not None:
            self._vs.close()
            self._vs = None

    def __enter__(self) -> PreviewDecoder:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _restart(self, target_ms: int) -> None:
        assert self._vs is not None
        self._vs.seek_ms(target_ms)
        self._frames = self._vs.frames()
        self._current = None
        self._current_ms = -1
        self._next = None
        self._next_ms = -1

    def frame_at(
        self,
        time_ms: int,
        interim: Callable[[Frame], None] | None = None,
        abort: Callable[[], bool] | None = None,
    ) -> Frame:
        """The picture on screen at ``time_ms`` (clamped into the video).

        After a seek, decoding forward from the keyframe to the target can take a while on heavy
        footage: ``interim`` then receives the keyframe's picture at once (its own time in
        ``time_ms``), so a scrub shows something right away, and the exact picture follows.
        ``abort`` is asked between pictures; when it returns True, :class:`PreviewAborted` is raised.
        """
        vs = self._vs
        if vs is None:
            raise VideoError(f"{self.info.path}: the preview decoder is closed")
        t = min(max(0, int(time_ms)), max(0, self.info.duration_ms - 1))
        frame_ms = 1000.0 / max(self.info.fps, 1.0)
        if (
            self._current is not None
            and self._current_ms <= t
            and (t < self._next_ms if self._next is not None else t - self._current_ms < frame_ms)
        ):
            return Frame(self._current_ms, vs.to_array(self._current, self.max_side))
        forward = (
            self._frames is not None
            and self._current is not None
            and self._current_ms <= t <= self._current_ms + FORWARD_LIMIT_MS
        )
        seeking = not forward
        if seeking:
            self._restart(t)
        elif self._next is not None and self._next_ms <= t:
            self._current, self._current_ms = self._next, self._next_ms
            self._next = None
        try:
            while True:
                try:
                    f_ms, frame = next(self._frames)
                except StopIteration:
                    self._frames = None
                    break
                if seeking:
                    seeking = False
                    if interim is not None and f_ms <= t - INTERIM_AFTER_FRAMES * frame_ms:
                        interim(Frame(f_ms, vs.to_array(frame, self.max_side)))
                elif abort is not None and abort():
                    self._current, self._current_ms = frame, f_ms
                    raise PreviewAborted()
                if f_ms > t and self._current is not None:
                    self._next, self._next_ms = frame, f_ms
                    break
                self._current, self._current_ms = frame, f_ms
                if f_ms > t:  # the stream starts after the target: show its first picture
                    break
        except VideoError:
            self._frames = None
            raise
        if self._current is None:
            raise VideoError(f"{self.info.path}: no picture at {t / 1000:.2f} s")
        return Frame(self._current_ms, vs.to_array(self._current, self.max_side))
