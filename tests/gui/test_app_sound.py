"""Playback with sound, without a sound card: the samples the app writes are tapped
(``Sound.tap``) and the picture's position is checked against them. The sound card is off in these tests
(``CAPTIONER_AUDIO=none``, the wall clock plays the samples); the no-device path is one status line."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from captioner_app.core.speech.player import Timeline
from captioner_app.core.tracks.track import Cue
from captioner_app.testing.sound_probe import band, make_beep_video, peak_freq

SR = 48000


@pytest.fixture(scope="module")
def beep_video(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """6 s: a 1 kHz tone from 3.0 to 3.5 s over a quiet 300 Hz bed."""
    return make_beep_video(tmp_path_factory.mktemp("sound") / "beep.mp4", 6.0)


def _level(x: np.ndarray, freq: float) -> float:
    """The amplitude of ``freq`` in ``x`` (a Hann-windowed projection)."""
    window = np.hanning(len(x))
    ref = np.exp(-2j * np.pi * freq * np.arange(len(x)) / SR)
    return float(abs(np.dot(x * window, ref)) * 2 / window.sum())


def _other(x: np.ndarray, freq: float = 300.0) -> float:
    """The energy per sample of ``x`` more than 50 Hz away from ``freq``."""
    spectrum = np.abs(np.fft.rfft(x * np.hanning(len(x)))) ** 2
    freqs = np.fft.rfftfreq(len(x), 1 / SR)
    return float(spectrum[np.abs(freqs - freq) > 50].sum() / len(x))


def _tapped(w) -> tuple[np.ndarray, Timeline]:
    timeline = Timeline()
    for _, block in w.session.playback.sound.tap:
        timeline.add(block.segments)
    samples = [s for s, _ in w.session.playback.sound.tap]
    return (np.concatenate(samples) if samples else np.zeros(0, np.float32)), timeline


def _open(qtbot, make_window, wait_opened, video: Path):
    w = make_window(auto_analyze=False)
    w.open_paths([str(video)])
    wait_opened(w)
    w.session.playback.sound.tap = []
    return w


def test_no_sound_card_is_one_status_line_and_playback_goes_on(qtbot, make_window, wait_opened, beep_video):
    w = _open(qtbot, make_window, wait_opened, beep_video)
    lines: list[str] = []
    w.session.status.connect(lines.append)
    w.play_button.click()
    assert w.playing
    qtbot.wait(700)
    w.play_button.click()
    w.actions_by_id["playback.play"].trigger()
    qtbot.wait(200)
    w.actions_by_id["playback.play"].trigger()
    said = [line for line in lines if line.startswith("No sound:")]
    assert said == ["No sound: sound turned off (CAPTIONER_AUDIO=none); playing without sound"]
    assert 300 <= w.position <= 2000  # silent playback follows the wall clock


def test_missing_qtmultimedia_is_a_reason_not_a_crash(monkeypatch, qtbot) -> None:
    import sys

    from captioner_app.gui.sound import ClockOut, open_output

    monkeypatch.delenv("CAPTIONER_AUDIO")
    monkeypatch.setitem(sys.modules, "PySide6.QtMultimedia", None)  # import fails
    out, reason = open_output(SR, None)  # type: ignore[arg-type]
    assert isinstance(out, ClockOut) and reason == "QtMultimedia (PySide6-Addons) is not installed"


def test_playing_a_range_writes_the_programme_audio_and_the_picture_follows(
    qtbot, make_window, wait_opened, beep_video, monkeypatch
):
    import threading

    from captioner_app.core.media.audio import AudioReader

    decoded_in: set[int] = set()
    original = AudioReader.read

    def spy(self, start, n):  # type: ignore[no-untyped-def]
        decoded_in.add(threading.get_ident())
        return original(self, start, n)

    monkeypatch.setattr(AudioReader, "read", spy)
    w = _open(qtbot, make_window, wait_opened, beep_video)
    w.session.playback.play_range(2500, 3800)
    qtbot.waitUntil(lambda: not w.playing, timeout=8000)
    assert decoded_in and threading.get_ident() not in decoded_in  # decoded in a worker, never the GUI thread
    out, timeline = _tapped(w)
    assert abs(len(out) - int(1.3 * SR)) < 10
    level = band(out, 1000.0)
    onset = int(np.argmax(level > 0.3)) * 0.01
    assert abs(onset - 0.5) <= 0.02  # the tone at 3.0 s, 0.5 s into a play from 2.5 s
    assert timeline.programme_ms(int(0.5 * SR)) == pytest.approx(3000, abs=1)
    assert abs(w.position - 3800) <= 25  # the picture went to where the sound stopped


def test_each_picture_is_shown_once_the_sound_has_reached_its_time(qtbot, make_window, wait_opened, beep_video):
    from captioner_app.gui.av_sync import EARLY_MS

    w = _open(qtbot, make_window, wait_opened, beep_video)
    playback = w.session.playback
    shown: list[tuple[int, float, bool]] = []  # (picture's time, the audio clock then, exact)
    playback.frameShown.connect(
        lambda f: shown.append((f.time_ms, playback.sound.programme_ms(), f.exact)) if playback.playing else None
    )
    playback.play_range(1000, 3000)
    qtbot.waitUntil(lambda: not w.playing, timeout=8000)
    assert len(shown) >= 10 and all(exact for _, _, exact in shown)
    times = [t for t, _, _ in shown]
    assert times == sorted(times) and len(set(times)) == len(times) and 1000 - 34 < times[0] <= 1000
    # decoded ahead, each picture waits for the sound: never shown before the clock reaches it (how late
    # depends on the machine's load: benchmarks/av_drift.py measures it)
    assert all(t <= clock + EARLY_MS for t, clock, _ in shown)


def test_rate_volume_and_mute_commands(qtbot, make_window, wait_opened, beep_video):
    w = _open(qtbot, make_window, wait_opened, beep_video)
    playback = w.session.playback
    w.actions_by_id["playback.faster"].trigger()
    w.actions_by_id["playback.faster"].trigger()
    assert playback.rate == 1.5
    for _ in range(5):
        w.actions_by_id["playback.faster"].trigger()
    assert playback.rate == 2.0  # the top
    w.actions_by_id["playback.volume_down"].trigger()
    w.actions_by_id["playback.volume_down"].trigger()
    assert playback.sound.volume == pytest.approx(0.8)
    assert w.statusBar().currentMessage() == "Volume 80 %"
    playback.play_range(2800, 3600)  # 0.8 s at 2x: 0.4 s
    qtbot.waitUntil(lambda: not w.playing, timeout=8000)
    out, timeline = _tapped(w)
    assert abs(len(out) / SR - 0.4) < 0.01
    part = out[int(0.12 * SR) : int(0.32 * SR)]  # programme 3.04-3.44 s: the tone
    assert abs(peak_freq(part) - 1000) < 15  # pitch kept
    assert np.max(np.abs(part)) == pytest.approx(0.6 * 0.8, abs=0.05)  # the volume scales the samples
    w.actions_by_id["playback.mute"].trigger()
    assert playback.sound.muted and w.statusBar().currentMessage() == "Sound muted"
    playback.sound.tap = []
    playback.play_range(2800, 3600)
    qtbot.waitUntil(lambda: not w.playing, timeout=8000)
    out, _ = _tapped(w)
    assert len(out) and not np.any(out)
    w.actions_by_id["playback.normal_rate"].trigger()
    assert playback.rate == 1.0


def test_loop_command_wraps_the_selected_cue(qtbot, make_window, wait_opened, beep_video):
    w = _open(qtbot, make_window, wait_opened, beep_video)
    w.doc.model.replace_all([Cue(2800, 3300, "A beep.")], "test")
    w.select_row(0)
    w.actions_by_id["playback.loop"].trigger()
    assert w.session.playback.mode == "loop"
    qtbot.waitUntil(lambda: sum(len(s) for s, _ in w.session.playback.sound.tap) > int(1.6 * SR), timeout=8000)
    positions = []
    for _ in range(20):
        qtbot.wait(40)
        positions.append(w.position)
    w.actions_by_id["playback.loop"].trigger()  # again: stop
    assert not w.playing
    assert all(2800 <= p <= 3300 for p in positions)
    out, _ = _tapped(w)
    level = band(out[: int(1.5 * SR)], 1000.0)
    onsets = [i * 0.01 for i in range(1, len(level)) if level[i] > 0.3 > level[i - 1]]
    assert onsets[:3] == pytest.approx([0.2, 0.7, 1.2], abs=0.02)


def test_frame_step_and_dropped_playhead_play_a_100_ms_burst(qtbot, make_window, wait_opened, beep_video):
    w = _open(qtbot, make_window, wait_opened, beep_video)
    w.seek(3200)
    w.actions_by_id["playback.next_frame"].trigger()
    qtbot.waitUntil(lambda: not w.session.playback.sound.active, timeout=5000)
    out, timeline = _tapped(w)
    assert len(out) == SR // 10
    assert np.max(np.abs(out)) > 0.5 and band(out, 1000.0).mean() > 5 * band(out, 300.0).mean()
    assert timeline.programme_ms(0) == pytest.approx(w.position, abs=1)
    w.session.playback.sound.tap = []
    w.timeline.seekRequested.emit(1000)  # the playhead dropped on the timeline
    qtbot.waitUntil(lambda: not w.session.playback.sound.active, timeout=5000)
    out, _ = _tapped(w)
    assert w.position == 1000 and len(out) == SR // 10
    assert 0.05 < np.max(np.abs(out)) < 0.15  # the 300 Hz bed at 1 s, not the tone


def test_preview_with_descriptions_ducks_speaks_and_holds_the_picture(qtbot, make_window, wait_opened, beep_video):
    w = _open(qtbot, make_window, wait_opened, beep_video)
    w.doc.model.replace_all(
        [Cue(600, 2400, "A door opens."), Cue(4000, 4600, "She waits.", extended=True)], "test cues"
    )
    w.seek(0)
    w.actions_by_id["playback.describe"].trigger()
    assert w.session.playback.mode == "describe"
    shown: list[tuple[int, int]] = []  # (playhead, samples played) each time the playhead moves
    w.session.playback.positionChanged.connect(
        lambda ms, _d: (
            shown.append((ms, w.session.playback.sound.played()))
            if w.playing and w.session.playback.sound.active
            else None
        )
    )
    while w.playing:
        qtbot.wait(30)
    assert not w.messages or "cannot" not in w.messages[-1]
    out, timeline = _tapped(w)
    # under the first cue's narration (0.8-1.3 s) the 300 Hz bed (0.1) is ducked at least 9 dB: measured
    # over 0.5 s with a Hann window (a 4 Hz wide band, so the voice's own harmonics hardly count)
    assert 20 * np.log10(0.1 / _level(out[int(0.8 * SR) : int(1.3 * SR)], 300.0)) >= 9.0
    assert _level(out[int(0.0 * SR) : int(0.4 * SR)], 300.0) == pytest.approx(0.1, abs=0.01)  # before it: not
    # the narration is there: sound away from the bed's frequency, under the cue and not before it
    assert _other(out[int(0.7 * SR) : int(1.3 * SR)]) > 20 * _other(out[int(0.0 * SR) : int(0.5 * SR)])
    # the extended cue holds the programme (and picture) at 4.0 s while it is spoken
    holds = [seg for _, block in w.session.playback.sound.tap for seg in block.segments if seg.ms_per_sample == 0]
    assert holds and holds[0].programme_ms == pytest.approx(4000, abs=1)
    hold_ms = sum(seg.length for seg in holds if abs(seg.programme_ms - 4000) < 1) * 1000 / SR
    assert hold_ms > 300
    # the picture followed the audio clock throughout, the hold included
    assert len(shown) > 20
    for position, played in shown:
        assert abs(position - timeline.programme_ms(played)) <= 15  # the clock moves on while it is set
    assert abs(len(out) / SR - (6.0 + hold_ms / 1000)) < 0.05
