"""The playback sound without a sound card: the samples the player produces are tapped and checked."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from captioner_app.core.media.audio import AudioReader
from captioner_app.core.speech.mix import MixOptions
from captioner_app.core.speech.player import (
    Block,
    Describe,
    Player,
    PlayOptions,
    Timeline,
    apply_gain,
    pcm16,
)
from captioner_app.core.speech.voice import Narration
from captioner_app.core.tracks.track import Cue
from captioner_app.testing.media import tone
from captioner_app.testing.sound_probe import band, make_beep_video, peak_freq

SR = 48000


@pytest.fixture(scope="module")
def beep_video(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """8 s: a 1 kHz tone from 3.0 to 3.5 s, a quiet 300 Hz bed everywhere else."""
    return make_beep_video(tmp_path_factory.mktemp("player") / "beep.mp4", 8.0)


def _play(player: Player) -> tuple[np.ndarray, list[Block]]:
    blocks = []
    while (block := player.next_block()) is not None:
        blocks.append(block)
    return np.concatenate([b.samples for b in blocks]), blocks


def _onset(x: np.ndarray, freq: float = 1000.0) -> float:
    level = band(x, freq)
    return float(np.argmax(level > level.max() / 2)) * 0.01


def test_reader_reads_by_position_and_seeks(beep_video: Path) -> None:
    with AudioReader(str(beep_video)) as reader:
        late = reader.read(int(3.2 * SR), SR // 10)  # inside the tone, read first: a seek
        early = reader.read(int(1.0 * SR), SR // 10)  # backwards: another seek
        on = reader.read(int(1.1 * SR), SR // 10)  # continues the decode
        assert reader.seeks == 2
    assert abs(peak_freq(late) - 1000) < 15 and np.max(np.abs(late)) > 0.5
    assert abs(peak_freq(early) - 300) < 15 and np.max(np.abs(early)) < 0.15
    assert abs(peak_freq(on) - 300) < 15


def test_playback_from_a_time_puts_the_tone_at_the_right_sample(beep_video: Path) -> None:
    with AudioReader(str(beep_video)) as reader:
        out, blocks = _play(Player(reader.read, 8000, PlayOptions(start_ms=2000, until_ms=5000)))
    assert abs(len(out) - 3 * SR) < 10
    assert abs(_onset(out) - 1.0) <= 0.02  # the tone at 3.0 s is 1.0 s into a play from 2.0 s
    timeline = Timeline()
    for block in blocks:
        timeline.add(block.segments)
    assert timeline.programme_ms(SR) == pytest.approx(3000, abs=1)
    assert timeline.programme_ms(0) == pytest.approx(2000, abs=1)


@pytest.mark.parametrize("rate", [2.0, 0.5])
def test_rate_changes_the_duration_and_keeps_the_pitch(beep_video: Path, rate: float) -> None:
    with AudioReader(str(beep_video)) as reader:
        out, blocks = _play(Player(reader.read, 8000, PlayOptions(start_ms=2000, until_ms=5000, rate=rate)))
    assert abs(len(out) / SR - 3.0 / rate) < 0.01
    assert abs(_onset(out) - 1.0 / rate) <= 0.04  # frames move up to 10 ms (input time) to line up
    start = int((1.0 / rate + 0.1) * SR)
    tone_part = out[start : start + int(0.2 * SR / rate)]
    assert abs(peak_freq(tone_part) - 1000) < 15  # not 2 kHz or 500 Hz: the pitch is kept
    assert np.sqrt(np.mean(tone_part**2)) > 0.6 / np.sqrt(2) * 0.8
    timeline = Timeline()
    for block in blocks:
        timeline.add(block.segments)
    assert timeline.programme_ms(int(SR / rate)) == pytest.approx(3000, abs=15)


def test_volume_and_mute_scale_the_samples() -> None:
    x = (0.5 * np.sin(np.arange(1000) / 10)).astype(np.float32)
    assert np.allclose(apply_gain(x, 0.25, False), x * 0.25)
    assert np.all(apply_gain(x, 1.0, True) == 0)
    assert apply_gain(x, 1.0, False) is x
    pcm = np.frombuffer(pcm16(x, 2), "<i2")
    assert len(pcm) == 2000 and pcm[0] == pcm[1] and abs(pcm[200] / 32767 - x[100]) < 1e-4


def test_loop_wraps_back_to_the_range_start(beep_video: Path) -> None:
    with AudioReader(str(beep_video)) as reader:
        player = Player(reader.read, 8000, PlayOptions(start_ms=2800, loop_ms=(2800, 3300), fade_ms=5))
        blocks = []
        while sum(len(b.samples) for b in blocks) < 2 * SR:  # a loop never ends by itself
            block = player.next_block()
            assert block is not None
            blocks.append(block)
    out = np.concatenate([b.samples for b in blocks])[: 2 * SR]
    level = band(out, 1000.0)
    onsets = [i * 0.01 for i in range(1, len(level)) if level[i] > 0.3 > level[i - 1]]
    assert onsets[:4] == pytest.approx([0.2, 0.7, 1.2, 1.7], abs=0.02)  # every 500 ms
    timeline = Timeline()
    for block in blocks:
        timeline.add(block.segments)
    assert timeline.programme_ms(int(0.6 * SR)) == pytest.approx(2900, abs=2)


def test_burst_is_100_ms_of_the_audio_at_the_playhead(beep_video: Path) -> None:
    with AudioReader(str(beep_video)) as reader:
        out, _ = _play(Player(reader.read, 8000, PlayOptions(start_ms=3200, until_ms=3300, fade_ms=5)))
        bed, _ = _play(Player(reader.read, 8000, PlayOptions(start_ms=1000, until_ms=1100, fade_ms=5)))
    assert len(out) == SR // 10
    assert abs(out[0]) < 0.01 and abs(out[-1]) < 0.05  # faded: no click
    assert abs(peak_freq(out) - 1000) < 20 and np.max(np.abs(out)) > 0.5
    assert abs(peak_freq(bed) - 300) < 20 and np.max(np.abs(bed)) < 0.15


def _narration(cue: Cue) -> Narration:
    """A stand-in voice with a known sound: 2 kHz for 0.8 s (the real voice is tested in test_speech_voice)."""
    return Narration(cue.text, "test", 180, tone(0.8, 16000, 2000.0), 16000)


def test_preview_with_descriptions_ducks_and_speaks(beep_video: Path) -> None:
    cues = (Cue(1000, 2000, "A door opens."), Cue(5000, 6000, "She waits.", extended=True))
    describe = Describe(cues, _narration, MixOptions(duck_db=-12.0, ramp_ms=100))
    with AudioReader(str(beep_video)) as reader:
        out, blocks = _play(Player(reader.read, 8000, PlayOptions(start_ms=0, describe=describe)))
        plain, _ = _play(Player(reader.read, 8000, PlayOptions(start_ms=0)))
    # the extended cue holds the programme for its narration: the output is 0.8 s longer
    assert abs(len(out) / SR - 8.8) < 0.01
    bed, bed_plain = band(out, 300.0), band(plain, 300.0)
    speech = band(out, 2000.0)
    under = slice(125, 170)  # 1.25-1.70 s: narration of cue 1, the programme ducked
    assert 20 * np.log10(np.median(bed_plain[under]) / np.median(bed[under])) >= 9.0
    assert np.median(speech[under]) > 0.3  # the narration is there
    assert np.median(speech[300:400]) < 0.01 and np.median(speech[20:80]) < 0.01  # and nowhere else
    # the programme is silent while the extended cue is spoken (5.0-5.8 s of output), the picture held
    assert np.median(bed[505:575]) < 0.01 and np.median(speech[505:575]) > 0.3
    timeline = Timeline()
    for block in blocks:
        timeline.add(block.segments)
    assert timeline.programme_ms(int(5.2 * SR)) == pytest.approx(5000, abs=2)
    assert timeline.programme_ms(int(5.6 * SR)) == pytest.approx(5000, abs=2)
    assert timeline.programme_ms(int(6.8 * SR)) == pytest.approx(6000, abs=2)
    # the beep at 3.0 s plays on time (no pause before it)
    assert abs(_onset(out) - 3.0) <= 0.02
