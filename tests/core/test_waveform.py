"""The waveform envelope: a generated tone's amplitude at every zoom level, the visible range first,
partial envelopes, cancel, and the on-disk cache."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import numpy as np
import pytest

from captioner_app.core.analysis.waveform_cache import cache_path, envelope_for, load_cached
from captioner_app.core.errors import CancelledError
from captioner_app.core.media.waveform import FACTOR, compute_envelope
from captioner_app.testing.media import make_video, tone

SR = 16000


@pytest.fixture(scope="module")
def stepped_tone(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """12 s: a 0.3-peak 440 Hz tone for 4 s, 0.15 for 4 s, silence for 4 s."""
    audio = tone(12.0, SR)
    audio[4 * SR : 8 * SR] *= 0.5
    audio[8 * SR :] = 0
    return make_video(tmp_path_factory.mktemp("wave") / "tone.mp4", 12.0, audio=audio)


def test_envelope_matches_the_tone_amplitude_at_every_level(stepped_tone: Path):
    env = compute_envelope(stepped_tone)
    assert env is not None and env.complete
    assert env.duration_ms == pytest.approx(12_000, abs=100)
    assert env.sample_rate == SR and env.channels == 1
    assert [lv.bin_ms for lv in env.levels][:3] == [10, 10 * FACTOR, 10 * FACTOR**2]
    for level in env.levels[:-1]:  # every level but the coarsest (whose bins straddle the steps)
        t = np.arange(len(level.maxs)) * level.bin_ms
        loud = (t >= 500) & (t + level.bin_ms <= 3900)
        quiet = (t >= 4100) & (t + level.bin_ms <= 7900)
        silent = (t >= 8200) & (t + level.bin_ms <= 11_800)
        assert np.allclose(level.maxs[loud], 0.3, atol=0.03) and np.allclose(level.mins[loud], -0.3, atol=0.03)
        assert np.allclose(level.maxs[quiet], 0.15, atol=0.02)
        assert np.all(np.abs(level.maxs[silent]) < 0.01)
    # what a timeline draws: one (min, max) per pixel, at any zoom
    lo, hi = env.peaks(0, 12_000, 120)
    assert len(hi) == 120
    assert np.allclose(hi[10:38], 0.3, atol=0.03) and np.allclose(lo[10:38], -0.3, atol=0.03)
    assert np.allclose(hi[42:78], 0.15, atol=0.02) and np.all(hi[82:118] < 0.01)
    lo, hi = env.peaks(1000, 1050, 500)  # zoomed in past the finest bin
    assert len(hi) == 500 and np.allclose(hi, 0.3, atol=0.03)
    assert env.peaks(20_000, 21_000, 10)[1].tolist() == [0.0] * 10  # past the end


def test_visible_range_comes_first_then_partials(stepped_tone: Path):
    partials = []
    env = compute_envelope(stepped_tone, first=(5000, 6000), on_partial=partials.append)
    assert env is not None and partials
    first = partials[0]
    assert not first.complete and first.ready == ((5000, 6000),)
    lo, hi = first.peaks(5000, 6000, 10)
    assert np.allclose(hi, 0.15, atol=0.02)  # drawn before the rest of the file was decoded
    assert env.ready == ((0, env.duration_ms),)


def test_cancel_and_no_audio(stepped_tone: Path, tmp_path: Path):
    cancel = threading.Event()
    cancel.set()
    with pytest.raises(CancelledError):
        compute_envelope(stepped_tone, cancel=cancel)
    assert compute_envelope(make_video(tmp_path / "silent.mp4", 2.0)) is None


def test_cache_round_trip_and_invalidation(stepped_tone: Path, tmp_path: Path):
    folder = tmp_path / "waveform"
    env = envelope_for(stepped_tone, folder=folder)
    path = cache_path(stepped_tone, folder=folder)
    assert env is not None and path is not None and path.is_file()
    cached = load_cached(stepped_tone, folder=folder)
    assert cached is not None and cached.complete
    assert len(cached.levels) == len(env.levels)
    assert np.max(np.abs(cached.levels[0].maxs - env.levels[0].maxs)) < 1e-4
    path.write_bytes(b"damaged")  # a damaged entry is recomputed, not an error
    assert load_cached(stepped_tone, folder=folder) is None
    assert envelope_for(stepped_tone, folder=folder) is not None and load_cached(stepped_tone, folder=folder)
    st = os.stat(stepped_tone)
    os.utime(stepped_tone, ns=(st.st_atime_ns, st.st_mtime_ns + 10**9))  # a changed file: a new key
    assert cache_path(stepped_tone, folder=folder) != path
    assert load_cached(stepped_tone, folder=folder) is None
