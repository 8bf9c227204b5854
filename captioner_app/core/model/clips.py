"""What the remote engine sends for a window: its frames as a short MP4 (``transformers serve``) or as a
JPEG sequence (vLLM), and the loopback server that hands clips to model servers on this machine (see
remote.py and docs/remote.md for which server gets which, and why)."""

from __future__ import annotations

import base64
import contextlib
import io
import logging
import secrets
import threading
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from captioner_app.core.media.video import Frame

log = logging.getLogger(__name__)

CLIP_CRF = 18  # H.264 quality: visually lossless at the frame sizes we send
JPEG_QUALITY = 95  # the JPEG sequence's quality: visually lossless too


def encode_clip(frames: Sequence[Frame], audio: bool = True) -> bytes:
    """An MP4 (H.264, yuv420p) of ``frames`` at their own spacing, with a silent mono AAC track.

    Frame times are kept relative to the first frame: a decoder that reads the clip (torchcodec in
    ``transformers serve``, OpenCV in vLLM) numbers its frames from 0 and reports ``index / fps`` as
    their times whatever the container's start time, so an offset would change nothing. No B-frames:
    with them torchcodec measures the stream one frame short and reports a frame rate too high
    (4 frames 0.5 s apart read as 2.67 fps, so times 0.0, 0.4, 0.8, 1.1 instead of 0.0 ... 1.5).
    Odd sizes are padded by one edge pixel (yuv420p needs even sizes).
    """
    import av
    import numpy as np

    if not frames:
        raise ValueError("a clip needs at least one frame")
    h, w = frames[0].image.shape[:2]
    ph, pw = h + h % 2, w + w % 2
    t0 = frames[0].time_ms
    times = [f.time_ms - t0 for f in frames]
    step = (times[-1] / (len(times) - 1)) if len(times) > 1 and times[-1] > 0 else 500.0
    duration_ms = int(times[-1] + step)
    rate = max(1, int(round(1000.0 / step)))
    buf = io.BytesIO()
    with av.open(buf, "w", format="mp4") as out:
        vs = out.add_stream("libx264", rate=rate)
        vs.width, vs.height = pw, ph
        vs.pix_fmt = "yuv420p"
        vs.time_base = _fraction(1, 1000)
        vs.codec_context.time_base = _fraction(1, 1000)
        vs.options = {"crf": str(CLIP_CRF), "preset": "veryfast", "tune": "stillimage", "bf": "0"}
        aus = None
        if audio:
            aus = out.add_stream("aac", rate=16000)
            aus.layout = "mono"
        last = -1
        for f, t in zip(frames, times, strict=True):
            image = f.image
            if image.shape[:2] != (h, w):
                raise ValueError(f"frames of one clip differ in size: {image.shape[:2]} and {(h, w)}")
            if (ph, pw) != (h, w):
                image = np.pad(image, ((0, ph - h), (0, pw - w), (0, 0)), mode="edge")
            frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(image), format="rgb24")
            frame.pts = max(int(t), last + 1)
            last = frame.pts
            frame.time_base = _fraction(1, 1000)
            for packet in vs.encode(frame):
                out.mux(packet)
        for packet in vs.encode():
            out.mux(packet)
        if aus is not None:
            samples = max(1024, int(16000 * duration_ms / 1000))
            silence = av.AudioFrame.from_ndarray(np.zeros((1, samples), np.float32), format="fltp", layout="mono")
            silence.sample_rate = 16000
            silence.pts = 0
            for packet in aus.encode(silence):
                out.mux(packet)
            for packet in aus.encode():
                out.mux(packet)
    return buf.getvalue()


def jpeg_sequence_url(frames: Sequence[Frame]) -> str:
    """``frames`` as vLLM's ``data:video/jpeg;base64,...`` URL: one base64 JPEG per frame, comma-separated.

    vLLM takes such a video with its metadata (frame indices, fps) from the request's
    ``media_io_kwargs``, so the model is told the frames' real times (see remote.py)."""
    import cv2
    import numpy as np

    if not frames:
        raise ValueError("a clip needs at least one frame")
    shape = frames[0].image.shape
    parts = []
    for f in frames:
        if f.image.shape != shape:
            raise ValueError(f"frames of one clip differ in size: {f.image.shape[:2]} and {shape[:2]}")
        bgr = cv2.cvtColor(np.ascontiguousarray(f.image), cv2.COLOR_RGB2BGR)
        ok, data = cv2.imencode(".jpg", bgr, [cv2.IMWRITE_JPEG_QUALITY, JPEG_QUALITY])
        if not ok:
            raise ValueError("a frame could not be encoded as JPEG")
        parts.append(base64.b64encode(data.tobytes()).decode("ascii"))
    return "data:video/jpeg;base64," + ",".join(parts)


class WindowVideo:
    """One window's frames in the form a server takes, each form made once (when first needed)."""

    def __init__(self, frames: Sequence[Frame], metadata: dict[str, Any]) -> None:
        self.frames = frames
        self.metadata = metadata  # ClipRequest.video_metadata(): what the local engine passes
        self._mp4: bytes | None = None
        self._jpeg: str | None = None

    def mp4(self) -> bytes:
        if self._mp4 is None:
            self._mp4 = encode_clip(self.frames)
        return self._mp4

    def jpeg_url(self) -> str:
        if self._jpeg is None:
            self._jpeg = jpeg_sequence_url(self.frames)
        return self._jpeg

    def vllm_media_kwargs(self, with_times: bool) -> dict[str, Any]:
        """vLLM's ``media_io_kwargs["video"]``: keep every frame and, for a JPEG sequence, the metadata
        the local engine gives the processor (the frames' indices at the video's own rate)."""
        kwargs: dict[str, Any] = {"num_frames": len(self.frames)}
        if with_times:
            m = self.metadata
            kwargs.update(
                fps=float(m["fps"]),
                frames_indices=[int(i) for i in m["frames_indices"]],
                total_num_frames=max(int(m["total_num_frames"]), len(self.frames)),
                duration=float(m["duration"]),
                do_sample_frames=False,
            )
        return kwargs


def _fraction(a: int, b: int) -> Any:
    from fractions import Fraction

    return Fraction(a, b)


class ClipServer:
    """Serves clips to model servers on this machine, at unguessable URLs, on 127.0.0.1 only."""

    def __init__(self) -> None:
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        clips: dict[str, bytes] = {}
        lock = threading.Lock()
        self._clips, self._lock = clips, lock

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - http.server's name
                name = self.path.rsplit("/", 1)[-1].removesuffix(".mp4")
                with lock:
                    data = clips.get(name) if self.path.startswith("/clips/") else None
                if data is None:
                    self.send_error(404)
                    return
                self.send_response(200)
                self.send_header("Content-Type", "video/mp4")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                with contextlib.suppress(OSError):
                    self.wfile.write(data)

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - http.server's name
                log.debug("clip server: " + format, *args)

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        self.port = int(self._httpd.server_address[1])
        self._thread = threading.Thread(target=self._httpd.serve_forever, name="captioner-clips", daemon=True)
        self._thread.start()

    def add(self, data: bytes) -> tuple[str, str]:
        token = secrets.token_urlsafe(18)
        with self._lock:
            self._clips[token] = data
        return token, f"http://127.0.0.1:{self.port}/clips/{token}.mp4"

    def remove(self, token: str) -> None:
        with self._lock:
            self._clips.pop(token, None)

    def close(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)
