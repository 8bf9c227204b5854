"""The ducking mix: placement, pauses for extended cues, gain under narration, chunked = whole."""

from __future__ import annotations

import numpy as np
import pytest

from captioner_app.core.errors import UsageError
from captioner_app.core.speech import Mixer, MixOptions, Narration, mix, plan_narration
from captioner_app.core.tracks.track import Cue

SR = 16000


def _narration(ms: int, level: float = 0.5) -> Narration:
    n = ms * SR // 1000
    samples = (level * np.sin(np.arange(n) * 2 * np.pi * 300 / SR)).astype(np.float32)
    return Narration("x", "en", 180, samples, SR)


CUES = [Cue(1000, 3000, "one"), Cue(5000, 5200, "two", extended=True), Cue(7000, 9000, "three")]
SPOKEN = [1500, 2000, 2500]


def test_plan_places_cues_and_pauses_for_extended_ones():
    plan = plan_narration(CUES, SPOKEN, 10_000)
    assert [p.output_start_ms for p in plan.placements] == [1000, 5000, 9000]
    assert [(p.at_ms, p.length_ms) for p in plan.pauses] == [(5000, 2000)]
    assert plan.output_ms == 12_000
    assert plan.to_output_ms(4999) == 4999 and plan.to_output_ms(5000) == 7000
    over = plan.overruns
    assert [p.cue_index for p in over] == [2]  # 2.5 s in a 2 s cue; the extended cue always fits
    assert over[0].line() == "cue 3 (00:07.0-00:09.0): narration needs 2.5 s, the cue has 2.0 s"
    assert plan.to_dict()["cues"][1]["freeze"] == {"output_start_ms": 5000, "duration_ms": 2000}


def test_ducking_lowers_the_programme_by_the_set_amount_only_under_narration():
    plan = plan_narration(CUES[:1], SPOKEN[:1], 5000)
    narrations = {0: _narration(1500)}
    programme = np.full(5 * SR, 0.1, np.float32)
    out = mix(programme, SR, plan, narrations)
    stem = mix(programme, SR, plan, narrations, MixOptions(programme=False))
    ducked = (out - stem)[0]
    assert out.shape == (1, 5 * SR)
    assert np.allclose(ducked[: int(0.7 * SR)], 0.1)  # before the 200 ms ramp
    under = ducked[int(1.0 * SR) : int(2.5 * SR)]
    assert np.allclose(under, 0.1 * 10 ** (-12 / 20), atol=1e-4)
    ramp = ducked[int(0.8 * SR) : int(1.0 * SR)]
    assert np.all(np.diff(ramp) <= 1e-7) and ramp[0] > ramp[-1]  # a smooth way down
    assert np.allclose(ducked[int(2.8 * SR) :], 0.1)  # back up after the ramp
    assert np.count_nonzero(stem[0, :SR]) == 0 and np.count_nonzero(stem[0, int(2.6 * SR) :]) == 0
    loud = mix(programme, SR, plan, narrations, MixOptions(duck_db=-20))
    assert np.allclose((loud - stem)[0, int(1.2 * SR)], 0.01, atol=1e-4)


def test_extended_cue_pauses_the_programme_for_its_narration():
    plan = plan_narration(CUES[:2], SPOKEN[:2], 8000)
    ramp = np.linspace(0, 0.5, 8 * SR, dtype=np.float32)  # every sample says where it came from
    out = mix(ramp, SR, plan, {0: _narration(1500), 1: _narration(2000)}, MixOptions(duck_db=0))
    assert out.shape[1] == 10 * SR
    # programme time 6 s plays at output time 8 s, untouched (duck 0 dB, far from the narration)
    assert out[0, 8 * SR + 1000] == pytest.approx(ramp[6 * SR + 1000])
    stem = mix(ramp, SR, plan, {0: _narration(1500), 1: _narration(2000)}, MixOptions(programme=False))
    paused = (out - stem)[0, 5 * SR + 400 : 7 * SR - 400]
    assert np.max(np.abs(paused)) == 0  # the programme is silent while the extended cue is spoken
    assert np.max(np.abs(stem[0, 5 * SR : 7 * SR])) > 0.3


def test_chunked_mixing_equals_one_call():
    plan = plan_narration(CUES, SPOKEN, 10_000)
    narrations = {i: _narration(ms) for i, ms in enumerate(SPOKEN)}
    rng = np.random.default_rng(1)
    programme = rng.uniform(-0.2, 0.2, (2, 10 * SR)).astype(np.float32)
    whole = mix(programme, SR, plan, narrations)
    mixer = Mixer(plan, narrations, SR, 2)
    parts = [mixer.feed(programme[:, i : i + 777]) for i in range(0, programme.shape[1], 777)]
    parts.append(mixer.finish())
    chunked = np.concatenate(parts, axis=1)
    assert chunked.shape == whole.shape == (2, 12 * SR)
    assert np.max(np.abs(chunked - whole)) < 1e-6


def test_narration_is_resampled_to_the_programme_rate_and_levelled():
    plan = plan_narration(CUES[:1], SPOKEN[:1], 4000)
    out = mix(None, 48000, plan, {0: _narration(1500, level=0.2)}, MixOptions(programme=False))
    assert out.shape == (1, 4 * 48000)
    peak = float(np.max(np.abs(out)))
    assert peak == pytest.approx(10 ** (-3 / 20), abs=0.01)  # narration peaks at -3 dBFS
    voiced = np.flatnonzero(np.abs(out[0]) > 1e-3)
    assert voiced[0] / 48000 == pytest.approx(1.0, abs=0.01) and voiced[-1] / 48000 == pytest.approx(2.5, abs=0.01)


def test_bad_mix_options():
    with pytest.raises(UsageError, match="--duck 6"):
        MixOptions(duck_db=6).validate()
