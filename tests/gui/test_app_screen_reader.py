"""What a screen reader hears, in the window itself (the AT-SPI tree is read in test_atspi.py): values
exposed in accessible names, events announced, the timeline's content as a list walked with keys, the Tab
order of the screen, the focus after Restore; and the state of each video kept apart, one entry per file,
recent files that opened, automatic placement, the Choose Model dialog for every reason a model is missing."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QTabBar, QWidget

from captioner_app.core.tracks.track import Cue
from captioner_app.testing.speech import PHRASES, make_speech_video

CTRL = Qt.KeyboardModifier.ControlModifier


@pytest.fixture(scope="module")
def talk_video(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """8 s: speech at 0.3 s and from 5.5 s (a pause between), a shot change at 4 s."""
    folder = tmp_path_factory.mktemp("screen-reader")
    return make_speech_video(folder / "talk.mp4", 8.0, ((0.3, PHRASES[4]), (5.5, PHRASES[1])), (4.0,))[0]


def key(qtbot, widget: QWidget, k: Qt.Key, mods: Qt.KeyboardModifier = Qt.KeyboardModifier.NoModifier) -> None:
    qtbot.keyClick(widget, k, mods)


def test_values_are_read_with_their_names_and_events_are_announced(
    qtbot, make_window, small_video: Path, wait_opened, tmp_path: Path
):
    w = make_window(placement="windows")
    w.activateWindow()
    w.open_paths([str(small_video)])
    wait_opened(w)
    assert w.slider.accessibleName() == "Playhead 0:00:00.000 of 0:00:06.000"
    assert w.time_label.accessibleName() == "Playhead time: 0:00:00.000 / 0:00:06.000"
    assert w.count_label.accessibleName() == "Cue count: 0 cues"
    assert w.analysis_label.accessibleName().startswith("Analysis status: ")
    w.slider.setFocus()
    key(qtbot, w.slider, Qt.Key.Key_PageDown)  # one second on: the slider's value reads as a time
    qtbot.waitUntil(lambda: w.slider.accessibleName() == "Playhead 0:00:01.000 of 0:00:06.000")
    assert w.slider.value() == 1000 and w.time_label.accessibleName().startswith("Playhead time: 0:00:01.000")
    key(qtbot, w.slider, Qt.Key.Key_R, CTRL)  # caption, from the keyboard
    qtbot.waitUntil(lambda: not w.captioning, timeout=120000)
    assert w.announcer.said[-1] == "Captioning of gui-six.mp4 finished: 3 windows, 3 cues in the track"
    assert w.statusBar().accessibleName() == f"Status: {w.announcer.said[-1]}"
    assert w.count_label.accessibleName() == "Cue count: 3 cues"
    assert w.progress_label.accessibleName() == "Caption status: Done: 3 windows"
    assert w.checks.summary.accessibleName().startswith("Checks summary: ")
    assert w.export_track(str(tmp_path / "out.srt"))
    assert w.announcer.said[-1] == "Export written: 3 cues to out.srt"
    # a failure is announced too (a bad model folder)
    w.model_edit.setText(str(tmp_path))
    w._ask_about_existing_cues = lambda count: "add"  # type: ignore[method-assign]
    key(qtbot, w.slider, Qt.Key.Key_R, CTRL)
    qtbot.waitUntil(lambda: not w.captioning, timeout=60000)
    assert w.announcer.said[-1].startswith("Captioning of gui-six.mp4 failed: model folder")
    w.model_dialog.reject()


def test_timeline_items_list_cues_speech_gaps_and_shots_and_enter_goes_there(
    qtbot, make_window, talk_video: Path, wait_opened
):
    w = make_window()
    w.activateWindow()
    w.open_paths([str(talk_video)])
    wait_opened(w)
    qtbot.waitUntil(lambda: w.doc.analysis is not None, timeout=60000)
    w.doc.model.replace_all([Cue(3600, 5200, "A door opens.")], "cue")
    texts = [w.timeline_items.item(i).text() for i in range(w.timeline_items.count())]
    kinds = [t.split(",")[0].split(" at ")[0] for t in texts]
    assert {"Speech", "Gap", "Shot change", "Cue 1"} <= set(kinds), texts
    assert "Cue 1, 0:00:03.600 to 0:00:05.200: A door opens." in texts
    assert "Shot change at 0:00:04.000" in texts
    key(qtbot, w, Qt.Key.Key_6, CTRL)  # View > Show Timeline Items
    qtbot.waitUntil(w.timeline_items.hasFocus)
    key(qtbot, w.timeline_items, Qt.Key.Key_Home)
    while not w.timeline_items.currentItem().text().startswith("Cue 1"):
        key(qtbot, w.timeline_items, Qt.Key.Key_Down)
    key(qtbot, w.timeline_items, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: w.position == 3600)
    assert w.selected_rows() == [0]
    row = next(i for i, t in enumerate(texts) if t.startswith("Shot change"))
    w.timeline_items.setCurrentRow(row)
    key(qtbot, w.timeline_items, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: w.position == 4000)


def region(w, widget: QWidget) -> int:
    """Where ``widget`` is on the screen: 0 left docks, 1 preview and transport, 2 caption panel,
    3 timeline, 4 find bar and table, 5 right docks."""
    areas = [
        (0, w.queue_dock),
        (0, w.history_dock),
        (1, w.preview),
        (1, w.transport),
        (2, w.caption_panel),
        (3, w.timeline),
        (4, w.find_bar),
        (4, w.table),
        (5, w.checks_dock),
        (5, w.docks["timeline_items"][0]),
    ]
    if isinstance(widget, QTabBar) and widget.parentWidget() is w:  # the tabs of the tabbed right docks
        return 5
    return next(n for n, area in areas if area is widget or area.isAncestorOf(widget))


def test_tab_order_follows_the_screen(qtbot, make_window, small_video: Path, wait_opened):
    w = make_window()
    w.activateWindow()
    qtbot.waitUntil(w.isActiveWindow)
    w.open_paths([str(small_video)])
    wait_opened(w)
    w.queue.setFocus()
    qtbot.waitUntil(w.queue.hasFocus)
    seen: list[QWidget] = []
    for _ in range(60):
        widget = QApplication.focusWidget()
        if widget in seen:
            break
        seen.append(widget)
        key(qtbot, widget, Qt.Key.Key_Tab)
    regions = [region(w, widget) for widget in seen]
    assert regions == sorted(regions), [(r, widget.accessibleName()) for r, widget in zip(regions, seen, strict=False)]
    assert set(regions) == {0, 1, 2, 3, 4, 5}
    for first, second in zip(seen, seen[1:], strict=False):  # within the caption panel's form: top to bottom
        if region(w, first) == region(w, second) == 2:
            a, b = (x.mapTo(w, x.rect().topLeft()) for x in (first, second))
            assert (a.y(), a.x()) <= (b.y(), b.x()), (first.accessibleName(), second.accessibleName())


def test_restore_puts_the_focus_on_the_restored_document(qtbot, make_window, small_video: Path, wait_opened):
    first = make_window()
    first.open_paths([str(small_video)])
    wait_opened(first)
    first.doc.model.replace_all([Cue(100, 900, "A door opens.")], "cue")
    first.shutdown()  # unsaved: kept for the next start
    w = make_window(check_recovery=True)
    w.activateWindow()
    qtbot.waitUntil(w.isActiveWindow)
    assert w.banner.isVisible() and w.restore_button.hasFocus()
    assert w.announcer.said[-1].startswith("Unsaved work from an earlier session was found")
    key(qtbot, w.restore_button, Qt.Key.Key_Space)
    qtbot.waitUntil(lambda: w.table.hasFocus())
    assert w.doc is not None and [c.text for c in w.doc.model.track] == ["A door opens."]
    assert w.announcer.said[-1] == "Restored gui-six.mp4; the cue table has the focus"


def test_automatic_placement_uses_the_pauses_of_a_talking_video(qtbot, make_window, talk_video: Path, wait_opened):
    w = make_window(placement="auto")
    w.activateWindow()
    qtbot.waitUntil(w.isActiveWindow)
    w.open_paths([str(talk_video)])
    wait_opened(w)
    if w.doc.analysis is None:  # while the analysis runs, automatic placement cannot choose yet
        key(qtbot, w, Qt.Key.Key_R, CTRL)
        assert not w.captioning and "still being analysed" in w.messages[-1]
        w.problems.box.close()
        qtbot.waitUntil(lambda: w.doc.analysis is not None, timeout=60000)
        w.activateWindow()
        qtbot.waitUntil(w.isActiveWindow)
    assert w.placement_combo.currentText() == "auto"
    assert w.caption_panel.placement_note.text().startswith("Automatic placement: the pauses between speech")
    key(qtbot, w, Qt.Key.Key_R, CTRL)
    assert w.captioning
    qtbot.waitUntil(lambda: not w.captioning, timeout=120000)
    track, analysis = w.doc.model.track, w.doc.analysis
    assert w.doc.caption["placement"] == "gaps" and len(track) >= 1
    assert all(analysis.speech_overlap_ms(c.start_ms, c.end_ms) == 0 for c in track)


def test_automatic_placement_uses_windows_without_speech(qtbot, make_window, small_video: Path, wait_opened):
    w = make_window(placement="auto")
    w.open_paths([str(small_video)])
    wait_opened(w)
    qtbot.waitUntil(lambda: w.doc.analysis is not None, timeout=60000)
    note = w.caption_panel.placement_note.text()
    assert note in ("Automatic placement: windows (no speech found)", "Automatic placement: windows (no audio track)")
    w.caption_video()
    qtbot.waitUntil(lambda: not w.captioning, timeout=120000)
    assert w.doc.caption["placement"] == "windows" and len(w.doc.model.track) == 3


def test_each_video_keeps_its_own_caption_state(qtbot, make_window, small_video: Path, long_video: Path, wait_opened):
    w = make_window(placement="windows")
    w.open_paths([str(small_video), str(long_video)])
    wait_opened(w)
    first = w.doc
    key(qtbot, w, Qt.Key.Key_R, CTRL)
    qtbot.waitUntil(lambda: not w.captioning, timeout=120000)
    assert w.progress_label.text() == "Done: 3 windows" and w.progress.value() == 3
    w.queue.setFocus()
    key(qtbot, w.queue, Qt.Key.Key_Down)  # the second video: not captioned
    qtbot.waitUntil(lambda: w.doc is not first)
    assert w.progress_label.text() == "" and w.progress.format() == "Not captioned yet"
    key(qtbot, w.queue, Qt.Key.Key_Up)
    qtbot.waitUntil(lambda: w.doc is first)
    assert w.progress_label.text() == "Done: 3 windows" and w.progress.value() == 3


def test_one_entry_per_file_and_recent_files_that_opened(
    qtbot, make_window, small_video: Path, tmp_path: Path, wait_opened
):
    w = make_window()
    broken = tmp_path / "broken.mp4"
    broken.write_bytes(b"not a video")
    w.open_paths([str(small_video), str(broken), str(small_video)])
    wait_opened(w)
    qtbot.waitUntil(lambda: all(not d.probing for d in w.documents))
    assert [d.title for d in w.documents] == ["gui-six.mp4", "broken.mp4"] and w.queue.count() == 2
    assert str(small_video) in w.settings.recent_files and str(broken) not in w.settings.recent_files
    w.activate(w.documents[0])
    w.doc.model.replace_all([Cue(100, 900, "Saved.")], "cue")
    project = tmp_path / "work.adproj"
    assert w.save_project(str(project))
    assert w.open_project(str(project)) is w.doc and w.queue.count() == 2  # the same project: no second entry
    w.doc.model.replace_all([Cue(100, 900, "Edited after saving.")], "edit")
    w.autosave_now()
    w.shutdown()
    # the next start: the project is opened, then its autosave restored: still one entry, the newer cues
    w2 = make_window(check_recovery=True)
    doc = w2.open_project(str(project))
    assert doc is not None and [c.text for c in doc.model.track] == ["Saved."]
    w2.restore_button.click()
    assert w2.queue.count() == 1 and len(w2.documents) == 1
    assert [c.text for c in w2.doc.model.track] == ["Edited after saving."] and w2.doc.dirty
    w2.undo()  # the restore is one undo step
    assert [c.text for c in w2.doc.model.track] == ["Saved."]


@pytest.mark.parametrize("problem", ["no folder", "no config", "offline hub id"])
def test_a_missing_model_opens_the_choose_model_dialog(
    qtbot, make_window, small_video: Path, tmp_path: Path, wait_opened, monkeypatch, problem: str
):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    model = {
        "no folder": str(tmp_path / "models" / "a-very-long-folder-name-that-does-not-exist" / "Molmo2-4B-copy"),
        "no config": str(tmp_path),
        "offline hub id": "someone/never-downloaded-model-with-a-long-name",
    }[problem]
    w = make_window(placement="windows")
    w.model_edit.setText(model)
    w.open_paths([str(small_video)])
    wait_opened(w)
    key(qtbot, w, Qt.Key.Key_R, CTRL)
    qtbot.waitUntil(lambda: w.model_dialog is not None and w.model_dialog.isVisible(), timeout=60000)
    dialog = w.model_dialog
    text = dialog.info.text().replace("\u200b", "")
    assert "--model" not in text and "captioner download" not in text, text
    assert "Download" in text and "Choose folder" in text
    assert dialog.folder_button.isEnabled()
    qtbot.waitUntil(lambda: dialog.info.height() > 0)
    # the message wraps within the dialog, above the buttons
    info = dialog.info.geometry()
    assert info.right() <= dialog.width() and info.bottom() < dialog.download_button.geometry().top()
    dialog.reject()


def test_commands_that_need_a_video_are_disabled_without_one(qtbot, make_window, small_video: Path, wait_opened):
    w = make_window()
    w.activateWindow()
    qtbot.waitUntil(w.isActiveWindow)
    needs_video = ("caption.video", "playback.play", "file.export_described", "caption.analyze", "timing.set_start")
    needs_document = ("file.export_srt", "file.save_project", "edit.add_cue", "file.close")
    assert not any(w.actions_by_id[i].isEnabled() for i in needs_video + needs_document)
    assert w.actions_by_id["file.open"].isEnabled() and w.actions_by_id["caption.model"].isEnabled()
    key(qtbot, w, Qt.Key.Key_N, CTRL)  # Add Cue: nothing to add it to, nothing happens
    assert w.doc is None and w.messages == []
    w.open_paths([str(small_video)])
    wait_opened(w)
    assert all(w.actions_by_id[i].isEnabled() for i in needs_video + needs_document)
    key(qtbot, w, Qt.Key.Key_W, CTRL)  # Close Video
    qtbot.waitUntil(lambda: w.doc is None)
    assert not w.actions_by_id["caption.video"].isEnabled()
