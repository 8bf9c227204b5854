"""Real synthesized speech (espeak-ng) placed at known times, for the audio tests and benchmarks."""

from __future__ import annotations

import io
import shutil
import subprocess
import wave
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

import numpy as np

PHRASES = (
    "The quick brown fox jumps over the lazy dog near the river bank.",
    "Please remember to bring your umbrella, it will rain this afternoon.",
    "She opened the letter slowly and read it twice before answering.",
    "Our train leaves at seven, so we should be at the station by half past six.",
    "Nobody expected the meeting to last until midnight.",
    "He painted the kitchen bright yellow and the hallway a soft grey.",
)


def _espeak() -> str:
    for name in ("espeak-ng", "espeak"):
        found = shutil.which(name)
        if found:
            return found
    raise RuntimeError("espeak-ng is not installed (apt-get install espeak-ng; .ci/run installs it)")


@lru_cache(maxsize=64)
def _say(text: str, voice: str, rate_wpm: int) -> tuple[np.ndarray, int]:
    out = subprocess.run(
        [_espeak(), "-v", voice, "-s", str(rate_wpm), "--stdout", text],
        check=True,
        capture_output=True,
        timeout=60,
    ).stdout
    with wave.open(io.BytesIO(out)) as w:
        rate = w.getframerate()
        raw = w.readframes(w.getnframes())
        width = w.getsampwidth()
    if width != 2:
        raise RuntimeError(f"espeak-ng wrote {8 * width}-bit audio; 16-bit expected")
    samples = np.frombuffer(raw, dtype="<i2").astype(np.float32) / 32768.0
    return samples, rate


def synthesize(text: str, sample_rate: int = 16000, voice: str = "en", rate_wpm: int = 165) -> np.ndarray:
    """``text`` spoken by espeak-ng, float32 mono at ``sample_rate``, leading/trailing silence trimmed."""
    samples, rate = _say(text, voice, rate_wpm)
    if rate != sample_rate:
        n = int(round(len(samples) * sample_rate / rate))
        samples = np.interp(np.arange(n) * rate / sample_rate, np.arange(len(samples)), samples)
    samples = np.asarray(samples, dtype=np.float32)
    loud = np.flatnonzero(np.abs(samples) > 0.02)
    if len(loud) == 0:
        raise RuntimeError(f"espeak-ng produced silence for {text!r}")
    return samples[loud[0] : loud[-1] + 1]


def speech_track(
    duration_s: float,
    placements: Sequence[tuple[float, str]],
    sample_rate: int = 16000,
    noise_level: float = 0.0,
    seed: int = 0,
) -> tuple[np.ndarray, list[tuple[int, int]]]:
    """A mono track of ``duration_s`` with each ``(start_s, text)`` spoken from ``start_s``.

    Returns the samples and the true speech spans in ms (first to last audible sample of each
    utterance). ``noise_level`` adds a steady background hiss (peak amplitude) everywhere.
    """
    total = int(round(duration_s * sample_rate))
    track: np.ndarray = np.zeros(total, dtype=np.float32)
    truth: list[tuple[int, int]] = []
    for start_s, text in placements:
        voice = synthesize(text, sample_rate)
        a = int(round(start_s * sample_rate))
        b = min(total, a + len(voice))
        if b <= a:
            continue
        track[a:b] += voice[: b - a]
        truth.append((int(round(a * 1000 / sample_rate)), int(round(b * 1000 / sample_rate))))
    if noise_level > 0:
        rng = np.random.default_rng(seed)
        track += (rng.uniform(-1, 1, total) * noise_level).astype(np.float32)
    peak = float(np.max(np.abs(track))) if total else 0.0
    if peak > 0.95:
        track *= 0.95 / peak
    return track, truth


SPEECH_LAYOUT: tuple[tuple[float, str], ...] = ((1.0, PHRASES[0]), (7.5, PHRASES[1]), (14.0, PHRASES[2]))
SCENE_CUTS_S: tuple[float, ...] = (3.0, 9.0, 15.5)


def make_speech_video(
    path: str | Path,
    duration_s: float = 20.0,
    placements: Sequence[tuple[float, str]] = SPEECH_LAYOUT,
    scene_cuts_s: Sequence[float] = SCENE_CUTS_S,
    *,
    fps: int = 30,
    size: tuple[int, int] = (160, 90),
    noise_level: float = 0.0,
) -> tuple[Path, list[tuple[int, int]]]:
    """A video whose audio holds espeak-ng speech at ``placements`` and whose scenes change at
    ``scene_cuts_s``. Returns the path and the true speech spans (ms)."""
    from captioner_app.testing.media import make_video

    audio, truth = speech_track(duration_s, placements, noise_level=noise_level)
    return make_video(path, duration_s, fps=fps, size=size, scene_cuts_s=scene_cuts_s, audio=audio), truth


def first_frame_at_or_after(cut_s: float, fps: int) -> int:
    """The time (ms) of the first frame of the scene ``make_video`` starts at ``cut_s``."""
    import math

    return int(round(math.ceil(cut_s * fps - 1e-9) * 1000 / fps))
