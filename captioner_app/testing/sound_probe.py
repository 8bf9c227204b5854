"""A video with a beep to listen for, and measures of the samples a player produced (tests of the
playback sound: the samples are tapped, no sound card is needed)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from captioner_app.testing.media import make_video, tone


def make_beep_video(path: str | Path, duration_s: float) -> Path:
    """A 1 kHz tone (amplitude 0.6) from 3.0 to 3.5 s over a quiet 300 Hz bed (amplitude 0.1)."""
    rate = 16000
    audio = 0.1 * np.sin(2 * np.pi * 300 * np.arange(int(duration_s * rate)) / rate).astype(np.float32)
    audio[3 * rate : int(3.5 * rate)] = tone(0.5, rate, 1000.0) / 0.3 * 0.6  # tone() peaks at 0.3
    return make_video(path, duration_s, audio=audio, sample_rate=rate)


def band(x: np.ndarray, freq: float, rate: int = 48000) -> np.ndarray:
    """The level of ``freq`` over 10 ms steps (a sliding single-frequency correlation)."""
    n = rate // 100
    ref = np.exp(-2j * np.pi * freq * np.arange(n) / rate)
    return np.array([abs(np.dot(x[i * n : (i + 1) * n], ref)) * 2 / n for i in range(len(x) // n)])


def peak_freq(x: np.ndarray, rate: int = 48000) -> float:
    """The strongest frequency in ``x`` (a Hann-windowed spectrum)."""
    spectrum = np.abs(np.fft.rfft(x * np.hanning(len(x))))
    return float(np.fft.rfftfreq(len(x), 1 / rate)[np.argmax(spectrum)])
