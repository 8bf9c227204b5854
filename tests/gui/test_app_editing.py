"""Editing: timeline edge drags, add/delete/split/merge, find, caption a cue again, play/pause."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QPoint, Qt

from captioner_app.core.tracks.track import Cue, Provenance
from captioner_app.gui.widgets.timeline import RULER_H


def _with_cues(w, cues):
    w.doc.model.replace_all(cues, "test cues")


def test_drag_cue_edge_on_timeline_is_one_undoable_edit(qtbot, make_window, small_video: Path, wait_opened):
    w = make_window()
    w.open_paths([str(small_video)])
    wait_opened(w)
    _with_cues(w, [Cue(1000, 3000, "A man waits."), Cue(4000, 5000, "He leaves.")])
    tl = w.timeline
    tl.resize(600, 100)
    y = int(tl.cue_rect(tl.cues[0]).center().y())
    start = QPoint(int(tl.x_for(3000)), y)
    target_ms = 3500
    end = QPoint(int(round(tl.x_for(target_ms))), y)
    qtbot.mousePress(tl, Qt.MouseButton.LeftButton, pos=start)
    qtbot.mouseMove(tl, end)
    qtbot.mouseRelease(tl, Qt.MouseButton.LeftButton, pos=end)
    cue = w.doc.model.track[0]
    assert cue.start_ms == 1000 and abs(cue.end_ms - target_ms) <= 20, cue
    w.undo_action.trigger()
    assert w.doc.model.track[0].end_ms == 3000
    # clicking the ruler seeks
    qtbot.mouseClick(tl, Qt.MouseButton.LeftButton, pos=QPoint(int(tl.x_for(2500)), RULER_H // 2))
    assert abs(w.position - 2500) <= 20


def test_add_delete_split_merge_find(qtbot, make_window, small_video: Path, wait_opened):
    w = make_window()
    w.open_paths([str(small_video)])
    wait_opened(w)
    w.seek(1000)
    w.add_cue()
    assert [(c.start_ms, c.end_ms) for c in w.doc.model.track] == [(1000, 3000)]
    w.doc.model.setData(w.doc.model.index(0, 3), "A woman opens the red door slowly")
    w.select_row(0)
    w.seek(2000)
    w.split_cue()
    track = w.doc.model.track
    assert [(c.start_ms, c.end_ms) for c in track] == [(1000, 2000), (2000, 3000)]
    assert " ".join(c.text for c in track) == "A woman opens the red door slowly"
    w.table.selectAll()
    w.merge_cues()
    assert [(c.start_ms, c.end_ms, c.text) for c in w.doc.model.track] == [
        (1000, 3000, "A woman opens the red door slowly")
    ]
    w.seek(4000)
    w.add_cue()
    w.doc.model.setData(w.doc.model.index(1, 3), "Rain falls.")
    w.find_edit.setText("rain")
    w.select_row(0)
    w.find_next()
    assert w.selected_rows() == [1] and w.position == 4000
    w.select_row(0)
    w.delete_cues()
    assert [c.text for c in w.doc.model.track] == ["Rain falls."]
    stack = w.doc.model.undo_stack
    texts = [stack.text(i) for i in range(stack.count())]
    assert texts[:3] == ["Add cue", "Edit text of cue 1", "Split cue 1"] and texts[-1] == "Delete cue"
    while stack.canUndo():
        stack.undo()
    assert len(w.doc.model.track) == 0
    # a merge with one cue has nothing to merge with: a message, no crash
    while stack.canRedo():
        stack.redo()
    w.select_row(0)
    w.merge_cues()
    assert "neighbouring" in w.messages[-1]


def test_words_per_minute_warning(qtbot, make_window, small_video: Path, wait_opened):
    w = make_window(narration_wpm=150)
    w.open_paths([str(small_video)])
    wait_opened(w)
    _with_cues(w, [Cue(0, 1000, "one two"), Cue(1000, 2000, "one two three four five six")])
    model = w.doc.model
    ok, fast = model.index(0, 4), model.index(1, 4)
    assert model.data(ok) == "120" and model.data(fast) == "360"
    assert model.data(ok, Qt.ItemDataRole.BackgroundRole) is None
    assert model.data(fast, Qt.ItemDataRole.BackgroundRole) is not None
    assert "too fast" in model.data(fast, Qt.ItemDataRole.AccessibleTextRole)


def test_caption_selected_cue_again_at_another_detail(qtbot, make_window, small_video: Path, wait_opened):
    w = make_window()
    w.open_paths([str(small_video)])
    wait_opened(w)
    _with_cues(w, [Cue(0, 2000, "First."), Cue(2000, 4000, "Old words.", Provenance(source="import"))])
    w.select_row(1)
    w.detail_combo.setCurrentText("low")
    assert w.recaption_button.isEnabled()
    w.recaption_button.click()
    qtbot.waitUntil(lambda: not w.captioning, timeout=120000)
    track = w.doc.model.track
    assert len(track) == 2 and track[0].text == "First."
    new = track[1]
    assert (new.start_ms, new.end_ms) == (2000, 4000)
    assert new.provenance.detail == "low" and new.provenance.source == "model" and new.text != "Old words."
    w.undo_action.trigger()
    assert w.doc.model.track[1].text == "Old words."


def test_caption_a_marked_time_range_as_a_new_cue(qtbot, make_window, small_video: Path, wait_opened):
    w = make_window()
    w.open_paths([str(small_video)])
    wait_opened(w)
    _with_cues(w, [Cue(0, 1000, "First."), Cue(4000, 5000, "Last.")])
    w.caption_range()  # nothing marked yet: says how, changes nothing
    assert "Mark Range In" in w.messages[-1] and len(w.doc.model.track) == 2
    w.seek(3500)
    w.mark_out()
    w.seek(1500)
    w.mark_in()
    w.detail_combo.setCurrentText("low")
    assert w.caption_range() is not None
    qtbot.waitUntil(lambda: not w.captioning, timeout=120000)
    track = w.doc.model.track
    assert [(c.start_ms, c.end_ms) for c in track] == [(0, 1000), (1500, 3500), (4000, 5000)]
    assert track[1].provenance.detail == "low" and track[1].provenance.source == "model" and track[1].text
    w.undo_action.trigger()
    assert [c.text for c in w.doc.model.track] == ["First.", "Last."]


def test_play_pause_advances_at_video_rate(qtbot, make_window, small_video: Path, wait_opened):
    w = make_window()
    w.open_paths([str(small_video)])
    wait_opened(w)
    w.play_button.click()
    assert w.playing
    qtbot.wait(600)
    w.play_button.click()
    assert not w.playing
    assert 300 <= w.position <= 1500  # wall-clock driven; allows a busy machine
    assert w.last_frame.requested_ms > 0
