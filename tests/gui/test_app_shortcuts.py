"""Help > Keyboard Shortcuts changes keys, driven by key events: a new key triggers its command at once,
a key another command has is refused with that command's name, and a bad shortcuts file keeps the defaults."""

from __future__ import annotations

import json

from PySide6.QtCore import Qt

Key = Qt.Key
Mod = Qt.KeyboardModifier


def test_a_key_changed_in_the_dialog_triggers_the_command(qtbot, ready_window, make_window, data_dir, press_button):
    w = ready_window()
    qtbot.keyClick(w.table, Key.Key_F1)
    dialog = w.shortcuts_dialog
    qtbot.waitUntil(lambda: dialog is not None and dialog.isVisible())
    dialog.select("edit.add_cue")
    dialog.key_edit.setFocus()
    qtbot.waitUntil(dialog.key_edit.hasFocus)
    qtbot.keyClick(dialog.key_edit, Key.Key_E, Mod.ControlModifier)  # Export SRT has it: refused
    assert dialog.message.text() == (
        "Refused: Ctrl+E is already the key of “Export SRT…” (File menu); not given to “Add Cue at Playhead” "
        "(Edit menu)"
    )
    assert dialog.key_edit.accessibleDescription() == dialog.message.text()
    assert dialog.key_edit.keySequence().toString() == "Ctrl+N" and dialog.keymap.overrides == {}
    dialog.key_edit.setFocus()
    qtbot.keyClick(dialog.key_edit, Key.Key_J, Mod.ControlModifier | Mod.AltModifier)
    assert dialog.message.text() == "Ctrl+Alt+J is now the key of “Add Cue at Playhead” (Edit menu)"
    row = dialog.commands.index("edit.add_cue")
    assert dialog.table.item(row, 1).text() == "Ctrl+Alt+J"
    press_button(dialog.buttons.button(dialog.buttons.StandardButton.Save))
    qtbot.waitUntil(lambda: not dialog.isVisible())
    assert json.loads((data_dir / "shortcuts.json").read_text()) == {"edit.add_cue": ["Ctrl+Alt+J"]}
    assert w.actions_by_id["edit.add_cue"].shortcut().toString() == "Ctrl+Alt+J"

    w.activateWindow()
    qtbot.waitUntil(w.isActiveWindow)
    w.table.setFocus()
    qtbot.waitUntil(w.table.hasFocus)
    w.seek(1000)
    qtbot.keyClick(w.table, Key.Key_N, Mod.ControlModifier)  # the old key does nothing now
    assert len(w.doc.model.track) == 0
    qtbot.keyClick(w.table, Key.Key_J, Mod.ControlModifier | Mod.AltModifier)
    assert [(c.start_ms, c.end_ms) for c in w.doc.model.track] == [(1000, 3000)]
    # the new key works in a text field too (the key guard knows it), and the timing keys still do
    w.find_edit.setFocus()
    qtbot.waitUntil(w.find_edit.hasFocus)
    w.seek(4000)
    qtbot.keyClick(w.find_edit, Key.Key_J, Mod.ControlModifier | Mod.AltModifier)
    assert len(w.doc.model.track) == 2 and w.find_edit.text() == ""
    w.select_row(0)
    w.table.setFocus()
    qtbot.waitUntil(w.table.hasFocus)
    qtbot.keyClick(w.table, Key.Key_F6, Mod.ShiftModifier)  # start 100 ms later
    assert w.doc.model.track[0].start_ms == 1100

    # a second window (the next start) reads the file; Reset All brings the defaults back
    w2 = make_window(auto_analyze=False)
    assert w2.actions_by_id["edit.add_cue"].shortcut().toString() == "Ctrl+Alt+J"
    w2.show_shortcuts()
    press_button(w2.shortcuts_dialog.reset_all_button)
    assert w2.shortcuts_dialog.keymap.overrides == {}
    w2.shortcuts_dialog.accept()
    assert w2.actions_by_id["edit.add_cue"].shortcut().toString() == "Ctrl+N"
    assert json.loads((data_dir / "shortcuts.json").read_text()) == {}


def test_a_bad_shortcuts_file_keeps_the_default_keys(qtbot, make_window, small_video, wait_opened, data_dir):
    data_dir.mkdir(parents=True, exist_ok=True)
    (data_dir / "shortcuts.json").write_text('{"edit.add_cue": ["Ctrl+E"]}')  # Export SRT's key
    w = make_window(auto_analyze=False)
    problem = next(m for m in w.messages if "shortcuts.json" in m)
    assert "Ctrl+E is the key of both" in problem and problem.endswith("default shortcuts kept")
    box = w.problems.box
    assert box is not None and problem in box.text()
    qtbot.waitUntil(box.isVisible)
    qtbot.keyClick(box, Key.Key_Return)  # the box is dismissed with Enter
    qtbot.waitUntil(lambda: not box.isVisible())
    w.open_paths([str(small_video)])
    wait_opened(w)
    w.activateWindow()
    qtbot.waitUntil(w.isActiveWindow)
    w.table.setFocus()
    qtbot.waitUntil(w.table.hasFocus)
    w.seek(1000)
    qtbot.keyClick(w.table, Key.Key_N, Mod.ControlModifier)
    assert len(w.doc.model.track) == 1
    assert w.actions_by_id["file.export_srt"].shortcut().toString() == "Ctrl+E"


def test_tab_and_escape_in_the_key_field_move_on_and_close(qtbot):
    from captioner_app.gui.dialogs.shortcuts import ShortcutsDialog

    dialog = ShortcutsDialog()
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.activateWindow()
    qtbot.waitUntil(dialog.isActiveWindow)
    dialog.select("edit.add_cue")
    dialog.key_edit.setFocus()
    qtbot.waitUntil(dialog.key_edit.hasFocus)
    qtbot.keyClick(dialog.key_edit, Key.Key_Tab)  # leaves the field; Tab is not taken as the new key
    qtbot.waitUntil(dialog.remove_button.hasFocus)
    assert dialog.keymap.overrides == {} and dialog.message.text() == ""
    dialog.key_edit.setFocus()
    qtbot.waitUntil(dialog.key_edit.hasFocus)
    qtbot.keyClick(dialog.key_edit, Key.Key_Escape)  # closes the dialog (Cancel)
    assert not dialog.isVisible() and dialog.result() == dialog.DialogCode.Rejected
