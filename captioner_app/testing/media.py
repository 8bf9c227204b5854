"""Generate test videos with PyAV: coloured scenes with a moving block, optional audio, rotation."""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Sequence
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np

DEFAULT_COLOURS: tuple[tuple[int, int, int], ...] = (
    (200, 40, 40),
    (40, 160, 60),
    (40, 60, 200),
    (220, 200, 40),
    (160, 40, 180),
    (30, 190, 190),
)


def make_video(
    path: str | Path,
    duration_s: float = 5.0,
    *,
    fps: int = 30,
    size: tuple[int, int] = (160, 90),
    codec: str = "libx264",
    scene_cuts_s: Sequence[float] = (),
    audio: np.ndarray | None = None,
    sample_rate: int = 16000,
    rotation: int = 0,
    gop: int | None = None,
    noise: bool = False,
    texture: bool = False,
    preset: str = "ultrafast",
    film: bool = False,
) -> Path:
    """Write a video of ``duration_s`` seconds; ``size`` is (width, height) as stored.

    Scenes change colour at ``scene_cuts_s``; a white block moves so neighbouring frames differ.
    ``audio`` is mono float32 in [-1, 1] at ``sample_rate`` (AAC in MP4/MKV). ``rotation`` is the
    clockwise display rotation written as metadata. ``noise`` adds fresh noise to every frame (hard
    to compress); ``texture`` overlays a scrolling random texture (hard-edged: x264 codes nearly every
    frame as a P-frame); ``film`` overlays a scrolling smooth picture with fine grain, closer to filmed
    footage (x264 veryfast codes about half of it as B-frames, its usual share).
    """
    import av

    path = Path(path)
    width, height = size
    n_frames = int(round(duration_s * fps))
    cuts = sorted(scene_cuts_s)
    rng = np.random.default_rng(0)
    pattern = rng.integers(-30, 30, (height, width * 2, 1), dtype=np.int16) if texture else None
    if film:
        import cv2

        blobs = rng.integers(-60, 60, (max(2, height // 16), max(2, width * 2 // 16), 1)).astype(np.float32)
        smooth = cv2.resize(blobs, (width * 2, height), interpolation=cv2.INTER_CUBIC).astype(np.int16)
        grain = rng.integers(-14, 14, (height, width * 2), dtype=np.int16)
        pattern = (smooth + grain)[:, :, None] if pattern is None else pattern + (smooth + grain)[:, :, None]
    with av.open(str(path), mode="w") as container:
        vs = container.add_stream(codec, rate=fps)
        vs.width, vs.height = width, height
        vs.pix_fmt = "yuv420p"
        if codec == "libx264":
            vs.options = {"preset": preset, "tune": "zerolatency" if gop is None else "film"}
            if gop:
                vs.options["g"] = str(gop)
        if rotation:
            # the display matrix turns counterclockwise; a clockwise display rotation is its negative
            vs.set_display_rotation(-rotation)
        aus = None
        if audio is not None:
            aus = container.add_stream("aac", rate=sample_rate)
            aus.layout = "mono"
        for i in range(n_frames):
            t = i / fps
            scene = sum(1 for c in cuts if t >= c)
            colour = DEFAULT_COLOURS[scene % len(DEFAULT_COLOURS)]
            img: np.ndarray = np.empty((height, width, 3), dtype=np.uint8)
            img[:] = colour
            if pattern is not None:
                shift = (i * 7) % width
                img = np.clip(img.astype(np.int16) + pattern[:, shift : shift + width], 0, 255).astype(np.uint8)
            if noise:
                img = np.clip(img.astype(np.int16) + rng.integers(-40, 40, img.shape), 0, 255).astype(np.uint8)
            bw = max(2, width // 10)
            x = int((width - bw) * (0.5 + 0.5 * math.sin(2 * math.pi * t / 3)))
            y = height // 3
            img[y : y + bw, x : x + bw] = 255
            frame = av.VideoFrame.from_ndarray(img, format="rgb24")
            frame.pts = i
            frame.time_base = Fraction(1, fps)
            for packet in vs.encode(frame):
                container.mux(packet)
        for packet in vs.encode():
            container.mux(packet)
        if aus is not None and audio is not None:
            _encode_audio(container, aus, np.asarray(audio, dtype=np.float32), sample_rate)
    return path


def _encode_audio(container: Any, stream: Any, samples: np.ndarray, sample_rate: int) -> None:
    import av

    for start in range(0, len(samples), 1024):
        frame = av.AudioFrame.from_ndarray(samples[start : start + 1024].reshape(1, -1), format="fltp", layout="mono")
        frame.sample_rate = sample_rate
        frame.pts = start
        frame.time_base = Fraction(1, sample_rate)
        for packet in stream.encode(frame):
            container.mux(packet)
    for packet in stream.encode():
        container.mux(packet)


def tone(duration_s: float, sample_rate: int = 16000, freq: float = 440.0) -> np.ndarray:
    t = np.arange(int(duration_s * sample_rate)) / sample_rate
    return (0.3 * np.sin(2 * np.pi * freq * t)).astype(np.float32)


def make_audio_only(path: str | Path, duration_s: float = 3.0, sample_rate: int = 16000) -> Path:
    import av

    path = Path(path)
    with av.open(str(path), mode="w") as container:
        aus = container.add_stream("aac", rate=sample_rate)
        aus.layout = "mono"
        _encode_audio(container, aus, tone(duration_s, sample_rate), sample_rate)
    return path


def make_truncated(folder: Path, suffix: str = ".mkv", duration_s: float = 20.0) -> Path:
    """A video cut in half: the header promises more than the data holds."""
    src = make_video(folder / f"whole{suffix}", duration_s, noise=True)
    data = src.read_bytes()
    bad = folder / f"truncated{suffix}"
    bad.write_bytes(data[: len(data) // 2])
    src.unlink()
    return bad


# name -> (builder taking a folder and returning the bad path, words the error must contain)
BAD_INPUTS: dict[str, tuple[Callable[[Path], Path], str]] = {
    "missing": (lambda d: d / "missing.mp4", "no such file"),
    "empty": (lambda d: _write(d / "empty.mp4", b""), "empty"),
    "random-bytes": (lambda d: _write(d / "noise.mp4", os.urandom(40_000)), "not a recognisable video"),
    "text": (lambda d: _write(d / "notes.txt", b"hello, not a video\n"), "not a recognisable video"),
    "audio-only": (lambda d: make_audio_only(d / "voice.m4a"), "no video stream"),
    "folder": (lambda d: _folder(d / "a-folder.mp4"), "is a folder"),
    "truncated-mp4": (lambda d: make_truncated(d, ".mp4"), "not a recognisable video"),  # index at the end
    "truncated-mkv": (lambda d: make_truncated(d, ".mkv"), "truncated"),
}


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def _folder(path: Path) -> Path:
    path.mkdir()
    return path
