"""One PyAV stream class: everything the core does with an open video file goes through it.

Opening (with one-line errors), decoder thread setup, start-time normalisation (time 0 is the video
stream's first presentation time, which is what every frame time in the core is measured from),
seeking, rotation and conversion to arrays live here once; probing, frame sampling, preview decoding,
audio decoding and shot detection use it (the shape follows PySceneDetect's ``VideoStreamAv``).
"""

from __future__ import annotations

import logging
import os
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from captioner_app.core.errors import VideoError, one_line

if TYPE_CHECKING:
    import numpy as np

log = logging.getLogger(__name__)

OPEN_TIMEOUT_S = 15.0
HWACCEL_ENV = "CAPTIONER_HWDECODE"  # auto (default), none, or an FFmpeg device type (cuda, videotoolbox, ...)
# decoders that can decode at 1/2, 1/4 or 1/8 size (FFmpeg's ``lowres``); H.264/HEVC/VP9/AV1 cannot
LOWRES_CODECS = frozenset(
    {
        "mjpeg",
        "mpeg1video",
        "mpeg2video",
        "mpeg4",
        "h263",
        "h263p",
        "flv",
        "msmpeg4v1",
        "msmpeg4v2",
        "msmpeg4v3",
        "wmv1",
        "wmv2",
        "dvvideo",
        "h261",
    }
)
MAX_LOWRES = 3

_hw_lock = threading.Lock()
_hw_failed: set[str] = set()  # device types that failed once: not tried again, and logged once

ffmpeg_reason = one_line  # FFmpeg errors carry their text in strerror


def rotation_cw(frame_rotation: int) -> int:
    """PyAV reports the display matrix's counterclockwise angle; return the clockwise turn to apply."""
    return int(round(-frame_rotation / 90.0)) % 4 * 90


def hw_device_type(requested: str | None = "auto") -> str | None:
    """The hardware decoder to try: ``requested`` (``auto``: NVDEC where an NVIDIA driver is present,
    VideoToolbox on macOS; ``CAPTIONER_HWDECODE`` overrides), or None for software decoding."""
    env = os.environ.get(HWACCEL_ENV, "").strip().lower()
    if requested == "auto" and env:
        requested = env
    if requested in (None, "", "none", "off", "0", "software"):
        return None
    import av.codec.hwaccel

    available = set(av.codec.hwaccel.hwdevices_available())
    if requested == "auto":
        if sys.platform == "darwin" and "videotoolbox" in available:
            requested = "videotoolbox"
        elif "cuda" in available and Path("/dev/nvidiactl").exists():
            requested = "cuda"
        else:
            return None
    with _hw_lock:
        if requested in _hw_failed:
            return None
    return requested


def _hw_fallback(device: str, path: str, reason: str) -> None:
    with _hw_lock:
        first = device not in _hw_failed
        _hw_failed.add(device)
    if first:
        log.warning("hardware video decoding (%s) is not usable (%s: %s); decoding in software", device, path, reason)


def lowres_for(codec: str, width: int, height: int, max_side: int | None) -> int:
    """FFmpeg's ``lowres`` (decode at 1/2**n size) that keeps the longer side at least ``max_side``."""
    if not max_side or codec not in LOWRES_CODECS:
        return 0
    n = 0
    while n < MAX_LOWRES and max(width, height) >> (n + 1) >= max_side:
        n += 1
    return n


class VideoStream:
    """An open media file and its first video stream (if any) and first audio stream (if any).

    ``threads``: decoder threads for the video stream (0: FFmpeg picks; None: leave FFmpeg's default
    single-threaded set-up). ``rotation``: the clockwise turn :meth:`to_array` applies (a probe's
    :attr:`VideoInfo.rotation`). ``fast``: skip the deblocking filter (pictures for analysis, not for
    people: colour statistics barely change and decoding is about a fifth faster).

    Decoding less, for sampling: ``skip_frame`` (FFmpeg's ``AVDiscard`` name, e.g. ``"NONREF"``: frames
    no other frame refers to are not decoded at all); ``max_side``: decode at reduced resolution where the
    codec can (``lowres``), never below ``max_side`` on the longer side; ``hwaccel``: a hardware decoder
    (``"auto"``, ``"cuda"``, ``"videotoolbox"``, ...; see :func:`hw_device_type`), falling back to
    software with one log line when it cannot be used. :attr:`hw` says which one decodes.
    """

    def __init__(
        self,
        path: str,
        *,
        threads: int | None = 0,
        rotation: int = 0,
        fast: bool = False,
        skip_frame: str | None = None,
        max_side: int | None = None,
        hwaccel: str | None = None,
    ) -> None:
        self.path = path
        self.rotation = rotation
        self._settings = (threads, fast, skip_frame, max_side)
        self._seek_ms: float | None = None
        # sampling: the next time (ms) the reader still needs; packets before a keyframe at or before it
        # are then not decoded at all (None: decode every packet)
        self.wanted_ms: int | None = None
        self.jumps = 0  # how often packets were left undecoded that way
        self.hw: str | None = hw_device_type(hwaccel) if hwaccel else None
        self.container: Any = None
        self._open()

    def _open(self) -> None:
        import av

        path = self.path
        if self.hw is not None:
            from av.codec.hwaccel import HWAccel

            try:
                self.container = av.open(
                    path, mode="r", timeout=OPEN_TIMEOUT_S, hwaccel=HWAccel(self.hw, allow_software_fallback=True)
                )
            except (av.error.FFmpegError, OSError, ValueError) as err:
                _hw_fallback(self.hw, path, one_line(err))
                self.hw = None
        try:
            if self.container is None:
                self.container = av.open(path, mode="r", timeout=OPEN_TIMEOUT_S)
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
                self._configure(self.video)
            self.origin_s = self._origin()
        except BaseException:
            self.container.close()
            raise

    def _configure(self, stream: Any) -> None:
        threads, fast, skip_frame, max_side = self._settings
        if threads is not None and self.hw is None:
            stream.thread_type = "AUTO"
            stream.codec_context.thread_count = threads
        ctx = stream.codec_context
        options: dict[str, str] = {}
        if fast:
            options["skip_loop_filter"] = "all"
        lowres = lowres_for(ctx.name, ctx.width, ctx.height, max_side) if self.hw is None else 0
        if lowres:
            options["lowres"] = str(lowres)
        if options:
            ctx.options = options
        if skip_frame:
            ctx.skip_frame = skip_frame

    def _software(self, reason: str) -> None:
        """The hardware decoder failed before its first picture: reopen in software where we were."""
        assert self.hw is not None
        _hw_fallback(self.hw, self.path, reason)
        self.hw = None
        self.close()
        self._open()
        if self._seek_ms is not None:
            self.seek_ms(self._seek_ms)

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
        self._seek_ms = time_ms
        try:
            self.container.seek(
                int((time_ms / 1000.0 + self.origin_s) / stream.time_base), stream=stream, backward=True
            )
        except av.error.FFmpegError as err:
            raise VideoError(f"{self.path}: cannot seek to {time_ms / 1000:.1f} s ({ffmpeg_reason(err)})") from None

    def keyframe_ms(self, time_ms: float) -> int | None:
        """Where decoding after a seek to ``time_ms`` starts: the time of the keyframe at or before it,
        read from the packets without decoding (None when the seek fails or lands on no keyframe)."""
        import av

        stream = self.video
        try:
            self.seek_ms(time_ms)
            for packet in self.container.demux(stream):
                if packet.pts is None or packet.size == 0:
                    continue
                if not packet.is_keyframe:
                    return None
                return int(round((float(packet.pts * stream.time_base) - self.origin_s) * 1000))
        except (VideoError, av.error.FFmpegError):
            return None
        return None

    def frames(self) -> Iterator[tuple[int, Any]]:
        """``(time_ms, av.VideoFrame)`` of the video stream from the current position, in decode order
        of presentation; frames without a timestamp are skipped. FFmpeg errors become
        :class:`VideoError` naming the file and the time reached. A hardware decoder that fails before
        its first picture is replaced by software decoding (logged once)."""
        import av

        reached = 0
        decoded = False
        while True:
            try:
                source = self._decoded() if self.wanted_ms is not None else self.container.decode(self.video)
                for frame in source:
                    decoded = True
                    t = self.time_ms(frame)
                    if t is None:
                        continue
                    reached = t
                    yield t, frame
                return
            except av.error.FFmpegError as err:
                if self.hw is not None and not decoded:
                    self._software(ffmpeg_reason(err))
                    continue
                raise VideoError(
                    f"{self.path}: decoding failed at {max(reached, 0) / 1000:.1f} s ({ffmpeg_reason(err)})"
                ) from None

    def _decoded(self) -> Iterator[Any]:
        """Decode packets, leaving out those no wanted frame needs: when a keyframe shown at or before
        :attr:`wanted_ms` arrives, the packets held since the last needed one are dropped and the decoder
        restarts at the keyframe (pictures shown before it, open-GOP leading pictures, are dropped)."""
        stream = self.video
        ctx = stream.codec_context
        base = float(stream.time_base)

        def ms(ts: int) -> float:
            return (ts * base - self.origin_s) * 1000.0

        held: list[Any] = []
        floor_ms: float | None = None
        for packet in self.container.demux(stream):
            wanted = self.wanted_ms
            if packet.dts is None or wanted is None:
                batch, held = [*held, packet], []
            elif packet.is_keyframe and packet.pts is not None and ms(packet.pts) <= wanted:
                if held:
                    ctx.flush_buffers()
                    self.jumps += 1
                    floor_ms = ms(packet.pts)
                held = [packet]
                continue
            elif ms(packet.dts) > wanted:
                batch, held = [*held, packet], []
            else:
                held.append(packet)
                continue
            for item in batch:
                for frame in item.decode():
                    if floor_ms is not None and frame.time is not None:
                        if (float(frame.time) - self.origin_s) * 1000.0 < floor_ms - 0.5:
                            continue
                        floor_ms = None
                    yield frame

    def audio_frames(self) -> Iterator[Any]:
        """The audio stream's decoded frames (``av.AudioFrame``), FFmpeg errors as :class:`VideoError`."""
        import av

        try:
            yield from self.container.decode(self.audio)
        except av.error.FFmpegError as err:
            raise VideoError(f"{self.path}: the audio cannot be decoded ({ffmpeg_reason(err)})") from None

    def to_array(self, frame: Any, max_side: int | None = None) -> np.ndarray:
        """The picture as RGB uint8 (height, width, 3), turned upright, its longer side at most ``max_side``."""
        h, w = int(frame.height), int(frame.width)
        scale = max_side / max(h, w) if max_side else 1.0
        if scale < 1.0:
            # swscale shrinks while converting to RGB: cheaper than converting the full picture first
            image = frame.to_ndarray(
                width=max(2, round(w * scale)), height=max(2, round(h * scale)), format="rgb24", interpolation="AREA"
            )
        else:
            image = frame.to_ndarray(format="rgb24")
        if not self.rotation:
            return image
        import cv2  # only for turned pictures: importing it holds the interpreter lock for a long while

        if self.rotation == 90:
            image = cv2.rotate(image, cv2.ROTATE_90_CLOCKWISE)
        elif self.rotation == 180:
            image = cv2.rotate(image, cv2.ROTATE_180)
        elif self.rotation == 270:
            image = cv2.rotate(image, cv2.ROTATE_90_COUNTERCLOCKWISE)
        return image
