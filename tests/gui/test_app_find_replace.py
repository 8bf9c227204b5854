"""Find and Replace in cue text from the keyboard (Ctrl+F, F3 / Shift+F3, Ctrl+H, Enter, Ctrl+Alt+Enter):
the selection and the playhead follow the matches, Replace All is one undo step, results are announced."""

from __future__ import annotations

from PySide6.QtCore import Qt

from captioner_app.core.tracks.track import Cue

Key = Qt.Key
Mod = Qt.KeyboardModifier
CUES = [Cue(500, 1500, "The cats sit."), Cue(2000, 3000, "A dog barks."), Cue(3500, 4500, "The cat and the Cat.")]


def _texts(w):
    return [c.text for c in w.doc.model.track]


def test_find_next_and_previous_move_the_selection_and_the_playhead(qtbot, ready_window):
    w = ready_window(CUES)
    qtbot.keyClick(w.table, Key.Key_F, Mod.ControlModifier)
    qtbot.waitUntil(w.find_edit.hasFocus)
    qtbot.keyClicks(w.find_edit, "cat")
    qtbot.keyClick(w.find_edit, Key.Key_Return)
    assert w.selected_rows() == [0] and w.position == 500
    assert w.statusBar().currentMessage() == "“cat”: match 1 of 3 in 2 cues, cue 1"
    qtbot.keyClick(w.find_edit, Key.Key_F3)
    assert w.selected_rows() == [2] and w.position == 3500
    qtbot.keyClick(w.find_edit, Key.Key_F3)  # the second match in the same cue
    assert w.selected_rows() == [2] and "match 3 of 3" in w.statusBar().currentMessage()
    qtbot.keyClick(w.find_edit, Key.Key_F3)  # wraps to the first
    assert w.selected_rows() == [0] and "searched from the start" in w.statusBar().currentMessage()
    qtbot.keyClick(w.find_edit, Key.Key_F3, Mod.ShiftModifier)  # previous: wraps to the last
    assert w.selected_rows() == [2] and "match 3 of 3" in w.statusBar().currentMessage()
    qtbot.keyClick(w.find_edit, Key.Key_Return, Mod.ShiftModifier)  # Shift+Enter: previous too
    assert w.selected_rows() == [2] and "match 2 of 3" in w.statusBar().currentMessage()
    qtbot.keyClick(w.find_edit, Key.Key_Return, Mod.ShiftModifier)
    assert w.selected_rows() == [0] and w.position == 500
    # the options are check boxes after the field (Tab, Space): whole word ("cat" in "cats" no longer
    # matches) and match case
    w.find_edit.setText("cat")
    for box in (w.find_bar.case_check, w.find_bar.word_check):
        box.setFocus()
        qtbot.keyClick(box, Key.Key_Space)
        assert box.isChecked()
    w.find_edit.setFocus()
    w.select_row(1)
    qtbot.keyClick(w.find_edit, Key.Key_Return)
    assert w.selected_rows() == [2]
    assert w.statusBar().currentMessage() == "“cat” (match case, whole word): match 1 of 1 in 1 cue, cue 3"
    qtbot.keyClick(w.find_edit, Key.Key_A, Mod.ControlModifier)
    qtbot.keyClicks(w.find_edit, "cow")
    qtbot.keyClick(w.find_edit, Key.Key_Return)
    assert w.statusBar().currentMessage() == "“cow” (match case, whole word) is not in any cue"
    assert w.selected_rows() == [2]  # nothing found: the selection stays


def test_replace_all_is_one_undo_step_and_replace_goes_match_by_match(qtbot, ready_window):
    w = ready_window(CUES)
    stack = w.doc.model.undo_stack
    before = list(w.doc.model.track.cues)
    qtbot.keyClick(w.table, Key.Key_F, Mod.ControlModifier)
    qtbot.keyClicks(w.find_edit, "cat")
    qtbot.keyClick(w.find_edit, Key.Key_H, Mod.ControlModifier)  # Replace: the replacement row, focused
    qtbot.waitUntil(w.find_bar.replace_edit.hasFocus)
    assert w.find_bar.replace_row.isVisible()
    qtbot.keyClicks(w.find_bar.replace_edit, "fox")
    count = stack.count()
    qtbot.keyClick(w.find_bar.replace_edit, Key.Key_Return, Mod.ControlModifier | Mod.AltModifier)
    assert _texts(w) == ["The foxs sit.", "A dog barks.", "The fox and the fox."]
    assert stack.count() == count + 1
    assert w.statusBar().currentMessage() == "Replaced 3 matches in 2 cues"
    w.table.setFocus()
    qtbot.keyClick(w.table, Key.Key_Z, Mod.ControlModifier)  # one undo restores every cue
    assert list(w.doc.model.track.cues) == before

    # Replace: the first Enter finds, each next one replaces the current match and finds the next
    w.select_row(1)
    w.find_bar.replace_edit.setFocus()
    qtbot.keyClick(w.find_bar.replace_edit, Key.Key_Return)
    assert w.selected_rows() == [2] and _texts(w) == [c.text for c in before]
    qtbot.keyClick(w.find_bar.replace_edit, Key.Key_Return)
    assert _texts(w)[2] == "The fox and the Cat." and w.selected_rows() == [2]
    assert w.statusBar().currentMessage() == "Replaced 1 match; 2 left, next in cue 3"
    qtbot.keyClick(w.find_bar.replace_edit, Key.Key_Return)
    assert _texts(w)[2] == "The fox and the fox." and w.selected_rows() == [0]
    assert stack.count() == count + 2  # one step per replacement (the undone Replace All is gone)
    # a regular expression with a group in the replacement
    w.find_bar.regex_check.setChecked(True)
    w.find_edit.setText(r"(\w+) barks")
    w.find_bar.replace_edit.setText(r"\1 sleeps")
    w.find_bar.replace_all()
    assert _texts(w)[1] == "A dog sleeps."
    w.find_edit.setText("(")
    w.find_bar.replace_all()
    assert w.statusBar().currentMessage().startswith("bad regular expression “(”")
    # Escape hides the replacement row and gives the focus back to the table
    w.find_bar.replace_edit.setFocus()
    qtbot.waitUntil(w.find_bar.replace_edit.hasFocus)
    qtbot.keyClick(w.find_bar.replace_edit, Key.Key_Escape)
    assert not w.find_bar.replace_row.isVisible()
    qtbot.waitUntil(w.table.hasFocus)
