"""One PyAV stream class: everything the core does with an open video file goes through it.

Opening (with one-line errors), decoder thread setup, start-time normalisation (time 0 is the video
stream's first presentation time, which is what every frame time in the core is measured from),
seeking, rotation and conversion to arrays live here once; probing, frame sampling, preview decoding,
audio decoding and shot detection use it (the shape follows PySceneDetect's ``VideoStreamAv``).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from captioner_app.core.errors import VideoError, one_line

if TYPE_CHECKING:
    import numpy as np

OPEN_TIMEOUT_S = 15.0

ffmpeg_reason = one_line  # FFmpeg errors carry their text in strerror


def rotation_cw(frame_rotation: int) -> int:
    """PyAV reports the display matrix's counterclockwise angle; return the clockwise turn to apply."""
    return int(round(-frame_rotation / 90.0)) % 4 * 90


class VideoStream:
    """An open media file and its first video stream (if any) and first audio stream (if any).

    ``threads``: decoder threads for the video stream (0: FFmpeg picks; None: leave FFmpeg's default
    single-threaded set-up). ``rotation``: the clockwise turn :meth:`to_array` applies (a probe's
    :attr:`VideoInfo.rotation`). ``fast``: skip the deblocking filter (pictures for analysis, not for
    people: colour statistics barely change and decoding is about a fifth faster).
    """

    def __init__(self, path: str, *, threads: int | None = 0, rotation: int = 0, fast: bool = False) -> None:
        import av

        self.path = path
        self.rotation = rotation
        try:
            self.container: Any = av.open(path, mode="r", timeout=OPEN_TIMEOUT_S)
        except av.error.InvalidDataError:
            raise VideoError(f"{path}: not a recognisable video (wrong format, truncated or damaged)") from None
        except av.error.FFmpegError as err:
            raise VideoError(f"{path}: cannot be opened as a video ({ffmpeg_reason(err)})") from None
        except OSError as err:
            raise VideoError(f"{path}: cannot be read ({err.strerror or err})") from None
        try:
            videos = [s for s in self.container.streams if s.type == "video"]
            audios = [s for s in self.container.streams if s.type == "audio"]
            self.video: Any = videos[0] if videos else None
            self.audio: Any = audios[0] if audios else None
            if self.video is not None:
                if threads is not None:
                    self.video.thread_type = "AUTO"
                    self.video.codec_context.thread_count = threads
                if fast:
                    self.video.codec_context.options = {"skip_loop_filter": "all"}
            self.origin_s = self._origin()
        except BaseException:
            self.container.close()
            raise

    # -- life cycle ------------------------------------------------------------------------------

    def close(self) -> None:
        if self.container is not None:
            self.container.close()
            self.container = None

    def __enter__(self) -> VideoStream:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- facts -----------------------------------------------------------------------------------

    def kinds(self) -> list[str]:
        """The kinds of stream the file holds (``audio``, ``data``, ...), for error messages."""
        return sorted({s.type for s in self.container.streams})

    def _origin(self) -> float:
        """Time 0 of the file: its video stream's start time (what frame times are measured from)."""
        stream = self.video
        if stream is not None and stream.start_time is not None and stream.time_base is not None:
            return float(stream.start_time * stream.time_base)
        return 0.0

    def duration_s(self) -> float:
        """The video stream's stated duration (the container's when the stream states none)."""
        stream = self.video
        if stream is not None and stream.duration is not None and stream.time_base is not None:
            return float(stream.duration * stream.time_base)
        if self.container.duration is not None:
            return float(self.container.duration) / 1_000_000.0
        return 0.0

    def time_ms(self, frame: Any) -> int | None:
        """A decoded frame's time in ms from time 0 (None when it has no timestamp)."""
        if frame.time is None:
            return None
        return int(round((float(frame.time) - self.origin_s) * 1000))

    # -- decoding --------------------------------------------------------------------------------

    def seek_ms(self, time_ms: float) -> None:
        """Jump to the keyframe at or before ``time_ms``; the next :meth:`frames` start there."""
        import av

        stream = self.video
        try:
            self.container.seek(int((time_ms / 1000.0 + self.origin_s) / stream.time_base), stream=stream,
                                backward=True)
        except av.error.FFmpegError as err:
            raise VideoError(f"{self.path}: cannot seek to {time_ms / 1000:.1f} s ({ffmpeg_reason(err)})") from None

    def frames(self) -> Iterator[tuple[int, Any]]:
        """``(time_ms, av.VideoFrame)`` of the video stream from the current position, in decode order
        of presentation; frames without a timestamp are skipped. FFmpeg errors become
        :class:`VideoError` naming the file and the time reached."""
        import av

        reached = 0
        try:
            for frame in self.container.decode(self.video):
                t = self.time_ms(frame)
                if t is None:
                    continue
                reached = t
                yield t, frame
        except av.error.FFmpegError as err:
            raise VideoError(f"{self.path}: decoding failed at {max(reached, 0) / 1000:.1f} s "
                             f"({ffmpeg_reason(err)})") from None

    def audio_frames(self) -> Iterator[Any]:
        """The audio stream's decoded frames (``av.AudioFrame``), FFmpeg errors as :class:`VideoError`."""
        import av

        try:
            yield from self.container.decode(self.audio)
        except av.error.FFmpegError as err:
            raise VideoError(f"{self.path}: the audio cannot be decoded ({ffmpeg_reason(err)})") from None

    def to_array(self, frame: Any, max_side: int | None = None) -> np.ndarray:
        """The picture as RGB uint8 (height, width, 3), turned upright, its longer side at most ``max_side``."""
        import cv2

        h, w = int(frame.height), int(frame.width)
        scale = max_side / max(h, w) if max_side else 1.0
        if scale < 1.0:
            # swscale shrinks while converting to RGB: cheaper than converting the full picture first
            image = frame.to_ndarray(width=max(2, round(w * scale)), height=max(2, round(h * scale)),
                                     format="rgb24", interpolation="AREA")
        else:
            image = frame.to_ndarray(format="rgb24")
        if self.rotation == 90:
            image = cv2.rotate(image, cv2.ROTATE_90_CLOCKWISE)
        elif self.rotation == 180:
            image = cv2.rotate(image, cv2.ROTATE_180)
        elif self.rotation == 270:
            image = cv2.rotate(image, cv2.ROTATE_90_COUNTERCLOCKWISE)
        return image
