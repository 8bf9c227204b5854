"""The app's audio: the timeline's waveform (computed in a worker thread with the core's envelope API and
cache), the narration voice for Speak Cue and the checks, and File > Export Described Video."""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np
import pytest

from captioner_app.testing.media import make_video, tone


@pytest.fixture(scope="module")
def tone_video(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """4 s: silence for 1 s, a 440 Hz tone at amplitude 0.5 for 2 s, silence for 1 s."""
    rate = 16000
    audio = np.zeros(4 * rate, np.float32)
    audio[rate : 3 * rate] = tone(2.0, rate) / 0.3 * 0.5  # tone() peaks at 0.3
    return make_video(tmp_path_factory.mktemp("audio") / "tone.mp4", 4.0, audio=audio, sample_rate=rate)


def test_waveform_worker_reaches_the_timeline_and_matches_the_tone(
    make_window, wait_opened, qtbot, tone_video: Path
) -> None:
    window = make_window()
    gui_thread = threading.get_ident()
    computed_in: list[int] = []
    from captioner_app.core.analysis import waveform_cache

    original = waveform_cache.compute_envelope

    def spy(*args, **kwargs):  # type: ignore[no-untyped-def]
        computed_in.append(threading.get_ident())
        return original(*args, **kwargs)

    waveform_cache.compute_envelope = spy  # type: ignore[assignment]
    try:
        window.session.open_paths([str(tone_video)])
        wait_opened(window)
        qtbot.waitUntil(
            lambda: window.timeline.envelope is not None and window.timeline.envelope.complete, timeout=20000
        )
    finally:
        waveform_cache.compute_envelope = original  # type: ignore[assignment]
    assert computed_in and gui_thread not in computed_in  # decoded in a worker, never the GUI thread
    envelope = window.timeline.envelope
    assert envelope is window.session.waveforms.get(str(tone_video))
    # the tone's amplitude between 1 s and 3 s, silence around it (AAC keeps it within a few percent)
    lo, hi = envelope.peaks(1200, 2800, 16)
    assert np.all(np.abs(hi - 0.5) < 0.06) and np.all(np.abs(lo + 0.5) < 0.06)
    lo, hi = envelope.peaks(100, 800, 8)
    assert np.all(np.maximum(hi, -lo) < 0.02)
    # drawn at every zoom: the timeline's peaks per pixel show the tone where it is in view
    window.timeline.resize(400, window.timeline.height())
    for factor in (1.0, 2.0, 8.0):
        window.timeline.zoom(factor, 2000)
        mins, maxs = window.timeline.waveform_peaks()
        assert len(maxs) == window.timeline.width()
        inside = [x for x in range(len(maxs)) if 1100 < window.timeline.ms_for(x) < 2900]
        assert inside and np.all(np.abs(maxs[inside] - 0.5) < 0.06)
        window.timeline.grab()  # paints without error at this zoom
    # a second opening reads the cache written beside the analysis cache (no decode)
    from captioner_app.core.analysis.waveform_cache import cache_path

    assert cache_path(tone_video) is not None and cache_path(tone_video).is_file()


def test_partial_envelopes_are_drawn_as_they_arrive(
    make_window, wait_opened, qtbot, tone_video: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from captioner_app.core.media import waveform

    monkeypatch.setattr(waveform, "PARTIAL_EVERY_S", 0.0)  # hand out every partial envelope
    window = make_window()
    seen: list[tuple[bool, float]] = []  # (complete, the drawn peak) for each envelope the timeline got

    def record(update) -> None:  # type: ignore[no-untyped-def]
        if update.envelope is not None and window.timeline.envelope is update.envelope:
            window.timeline.resize(400, window.timeline.height())
            seen.append((update.envelope.complete, float(window.timeline.waveform_peaks()[1].max())))

    window.session.waveforms.updated.connect(record)
    window.session.open_paths([str(tone_video)])
    wait_opened(window)
    qtbot.waitUntil(lambda: bool(seen) and seen[-1][0], timeout=20000)
    partial = [peak for complete, peak in seen if not complete]
    assert partial, seen  # partial envelopes reached the timeline before the complete one
    assert seen[-1][1] == pytest.approx(0.5, abs=0.06)


def _opened(make_window, wait_opened, video: Path, *cues):
    """A window (no automatic analysis) with ``video`` open and ``cues`` added."""
    window = make_window(auto_analyze=False)
    window.session.open_paths([str(video)])
    wait_opened(window)
    for cue in cues:
        window.doc.model.add_cue(cue)
    return window


def action(w, text: str):
    return next(a for a in w.all_actions if a.text().replace("&", "") == text)


def _spy_threads(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Record the thread of every call in this process to the core voice's ``speak``."""
    import captioner_app.core.speech as speech
    import captioner_app.core.speech.voice as voice

    threads: list[int] = []
    original = voice.speak

    def spy(*args, **kwargs):  # type: ignore[no-untyped-def]
        threads.append(threading.get_ident())
        return original(*args, **kwargs)

    monkeypatch.setattr(speech, "speak", spy)
    monkeypatch.setattr(voice, "speak", spy)
    return threads


def test_speak_cue_synthesises_off_the_gui_thread(
    make_window, wait_opened, qtbot, tone_video: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from captioner_app.core.tracks.track import Cue

    threads = _spy_threads(monkeypatch)
    window = _opened(
        make_window, wait_opened, tone_video, Cue(0, 600, "A woman walks slowly across the crowded station hall.")
    )
    window.select_row(0)
    spoken: list[object] = []
    window.session.narration.spoken.connect(spoken.append)
    sound = window.session.playback.sound
    sound.tap = []
    action(window, "Speak Cue").trigger()
    qtbot.waitUntil(lambda: bool(spoken), timeout=20000)
    assert threads and threading.get_ident() not in threads
    assert spoken[0].duration_ms > 600 and "too long" in window.messages[-1]
    # played through the playback's sound (no sound card in the tests: the line says why it is not heard)
    assert "not heard: sound turned off" in window.messages[-1]
    qtbot.waitUntil(lambda: not sound.active, timeout=20000)
    played = np.concatenate([samples for samples, _ in sound.tap])
    assert abs(len(played) / 48000 - spoken[0].duration_ms / 1000) < 0.05 and np.max(np.abs(played)) > 0.1


def test_voice_menu_lists_voices_and_keeps_the_choice(make_window, qtbot) -> None:
    from PySide6.QtWidgets import QMenu

    window = make_window()
    narrator = window.session.narration.narrator
    qtbot.waitUntil(lambda: narrator.voices is not None, timeout=20000)
    assert any(v.id.startswith("fr") for v in narrator.voices)
    menu = QMenu()
    window.fill_voice_menu(menu)
    labels = [a.text() for a in menu.actions()]
    assert labels[0].replace("&", "") == "Track Language’s Voice" and menu.actions()[0].isChecked()
    french = next(a for a in menu.actions() if "(fr" in a.text())
    french_label = french.text()
    french.trigger()
    assert window.settings.narration_voice.startswith("fr")
    window.fill_voice_menu(menu)
    assert next(a for a in menu.actions() if a.isChecked()).text() == french_label


def test_checks_pane_flags_narration_longer_than_its_cue(
    make_window, wait_opened, qtbot, tone_video: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from captioner_app.core.tracks.track import Cue

    threads = _spy_threads(monkeypatch)
    window = _opened(
        make_window,
        wait_opened,
        tone_video,
        Cue(0, 700, "A tall man in a grey coat hurries along the wet platform."),
        Cue(1500, 3900, "Rain falls."),
    )
    qtbot.waitUntil(lambda: any(f.rule == "narration-too-long" for f in window.checks.findings), timeout=20000)
    flagged = [f.cue_index for f in window.checks.findings if f.rule == "narration-too-long"]
    assert flagged == [0]
    # measured in the analysis process (at its lower priority, beside no GUI thread), not in this one
    assert threads == []
    language, wpm = window.doc.model.track.language, window.session.narration.wpm
    narrator = window.session.narration.narrator
    qtbot.waitUntil(lambda: narrator.length(window.settings.narration_voice, language, wpm, "Rain falls.") is not None)
    assert 300 < narrator.length(window.settings.narration_voice, language, wpm, "Rain falls.") < 3900
    # an extended cue is exempt (the player pauses for it)
    window.doc.model.set_extended([0], True)
    assert not any(f.rule == "narration-too-long" for f in window.checks.findings)


@pytest.fixture(scope="module")
def talking_video(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from captioner_app.testing.speech import make_speech_video

    path, _ = make_speech_video(
        tmp_path_factory.mktemp("render") / "talking.mp4", 8.0, ((0.5, "Hello there."), (5.0, "Good night.")), (3.0,)
    )
    return path


def _export(window, qtbot, monkeypatch: pytest.MonkeyPatch, out: Path) -> list[object]:
    from captioner_app.gui import file_commands

    monkeypatch.setattr(file_commands.QFileDialog, "getSaveFileName", staticmethod(lambda *a, **k: (str(out), "")))
    done: list[object] = []
    window.session.renderer.finished.connect(done.append)
    action(window, "Export Described Video…").trigger()
    return done


def test_export_described_video(
    make_window, wait_opened, qtbot, talking_video: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import av

    from captioner_app.core.tracks.track import Cue

    window = _opened(make_window, wait_opened, talking_video, Cue(2000, 4500, "A door opens."))
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    out = out_dir / "described.mp4"
    done = _export(window, qtbot, monkeypatch, out)
    assert window.files.progress_dialog.isVisible()  # progress with a Cancel button, keyboard reachable
    qtbot.waitUntil(lambda: bool(done), timeout=120000)
    assert done[0].ok, done[0].message
    assert window.messages[-1].startswith("Exported the described video to") and "\n" not in window.messages[-1]
    assert window.files.progress_dialog is None  # closed
    with av.open(str(out)) as container:
        audio = [s for s in container.streams if s.type == "audio"]
        assert len(container.streams.video) == 1 and len(audio) == 2
        assert "Audio description" in audio[1].metadata.values()  # MP4 keeps the title as the handler name
    assert [p.name for p in out_dir.iterdir()] == ["described.mp4"]  # no temporary file left


def test_export_cancelled_or_failing_writes_nothing(
    make_window, wait_opened, qtbot, talking_video: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from captioner_app.core.tracks.track import Cue

    window = _opened(make_window, wait_opened, talking_video, Cue(2000, 4500, "A door opens."))
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    out = out_dir / "cancelled.mkv"
    from PySide6.QtCore import Qt

    from captioner_app.core.speech import render

    original = render.speak

    def slow_speak(*args, **kwargs):  # type: ignore[no-untyped-def]
        window.session.renderer.cancel_event.wait(10)  # the render is still running when Esc comes
        return original(*args, **kwargs)

    monkeypatch.setattr(render, "speak", slow_speak)
    done = _export(window, qtbot, monkeypatch, out)
    dialog = window.files.progress_dialog
    dialog.activateWindow()  # as a window manager does with a new dialog (offscreen has none)
    qtbot.waitUntil(dialog.isActiveWindow)
    qtbot.keyClick(dialog, Qt.Key.Key_Escape)  # Esc cancels
    qtbot.waitUntil(lambda: bool(done), timeout=120000)
    assert done[0].cancelled and "cancelled" in window.messages[-1]
    assert list(out_dir.iterdir()) == []
    monkeypatch.setattr(render, "speak", original)
    # a cue whose narration does not fit: one line naming it, nothing written
    window.doc.model.add_cue(Cue(5000, 5400, "A long grey train pulls slowly out of the station."))
    out = out_dir / "overrun.wav"
    done = _export(window, qtbot, monkeypatch, out)
    qtbot.waitUntil(lambda: bool(done), timeout=120000)
    assert not done[0].ok and "cue 2" in done[0].message and "\n" not in done[0].message
    assert window.messages[-1] == done[0].message and not out.exists()
