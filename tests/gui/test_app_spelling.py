"""Spell check in the app, from the keyboard: the cue text editor underlines unknown words and offers
suggestions (Shift+F10), and Edit > Spell Check (Ctrl+F7) goes word by word with Change All as one undo."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QTextCharFormat
from PySide6.QtWidgets import QApplication

from captioner_app.core.tracks.track import Cue
from captioner_app.gui.widgets.spell_edit import CueTextEdit

Key = Qt.Key
Mod = Qt.KeyboardModifier


def _underlined(editor: CueTextEdit) -> list[str]:
    text = editor.toPlainText()
    ranges = editor.document().firstBlock().layout().formats()
    return [
        text[r.start : r.start + r.length]
        for r in ranges
        if r.format.underlineStyle() == QTextCharFormat.UnderlineStyle.SpellCheckUnderline
    ]


def test_the_cue_editor_underlines_unknown_words_and_offers_suggestions(qtbot, ready_window):
    w = ready_window([Cue(500, 2500, "A man walks teh dog")])
    stack = w.doc.model.undo_stack
    count = stack.count()
    w.select_row(0)
    qtbot.keyClick(w.table, Key.Key_T, Mod.ControlModifier)  # Edit Cue Text
    qtbot.waitUntil(lambda: isinstance(QApplication.focusWidget(), CueTextEdit))
    editor = QApplication.focusWidget()
    assert editor.toPlainText() == "A man walks teh dog"
    qtbot.waitUntil(lambda: _underlined(editor) == ["teh"])
    assert "teh" in editor.accessibleDescription()
    # the cursor on the word, Shift+F10: the suggestions come first, Enter takes the first ("the")
    for _ in range(5):
        qtbot.keyClick(editor, Key.Key_Left)
    qtbot.keyClick(editor, Key.Key_F10, Mod.ShiftModifier)
    menu = editor.menu
    qtbot.waitUntil(menu.isVisible)
    labels = [a.text() for a in menu.actions() if not a.isSeparator()]
    assert labels[0] == "the" and "Add “teh” to Dictionary" in labels
    qtbot.keyClick(menu, Key.Key_Return)
    qtbot.waitUntil(lambda: not menu.isVisible())
    assert editor.toPlainText() == "A man walks the dog" and _underlined(editor) == []
    # typing a new unknown word underlines it; Add to Dictionary (from the menu) keeps it for good
    qtbot.keyClick(editor, Key.Key_End, Mod.ControlModifier)  # the end of the text (End alone: of the wrapped line)
    qtbot.keyClicks(editor, " Rexo")
    qtbot.waitUntil(lambda: _underlined(editor) == ["Rexo"])
    qtbot.keyClick(editor, Key.Key_Menu)  # the context menu key does the same as Shift+F10
    menu = editor.menu
    qtbot.waitUntil(menu.isVisible)
    add = next(a for a in menu.actions() if a.text() == "Add “Rexo” to Dictionary")
    menu.setActiveAction(add)
    qtbot.keyClick(menu, Key.Key_Return)
    qtbot.waitUntil(lambda: _underlined(editor) == [])
    assert "rexo" in (w.session.spelling.path.read_text(encoding="utf-8")).split()
    qtbot.keyClick(editor, Key.Key_Return)  # Enter ends the edit: one undo step
    qtbot.waitUntil(lambda: w.doc.model.track[0].text == "A man walks the dog Rexo")
    assert stack.count() == count + 1


def test_spell_check_goes_word_by_word_and_change_all_is_one_undo(qtbot, ready_window, press_button):
    cues = [Cue(500, 1500, "Teh door opens."), Cue(2000, 3000, "A dog sits."), Cue(3500, 4500, "He shuts teh doorr.")]
    w = ready_window(cues)
    stack = w.doc.model.undo_stack
    count = stack.count()
    w.select_row(0)
    qtbot.keyClick(w.table, Key.Key_F7, Mod.ControlModifier)
    dialog = w.spell_dialog
    qtbot.waitUntil(dialog.isVisible)
    assert dialog.word_label.text() == "Teh" and dialog.change_edit.text() == "The"
    assert w.statusBar().currentMessage().startswith("Unknown word “Teh” in cue 1:")
    qtbot.waitUntil(dialog.change_edit.hasFocus)
    press_button(dialog.buttons["change_all"])
    assert [c.text for c in w.doc.model.track] == ["The door opens.", "A dog sits.", "He shuts the doorr."]
    assert stack.count() == count + 1
    assert dialog.word_label.text() == "doorr" and w.selected_rows() == [2] and w.position == 3500
    press_button(dialog.buttons["skip"])  # nothing left after it
    assert dialog.current is None and w.statusBar().currentMessage() == "Spell check done: no more unknown words"
    assert not dialog.buttons["change"].isEnabled()
    dialog.reject()
    w.activateWindow()
    qtbot.waitUntil(w.isActiveWindow)
    w.table.setFocus()
    qtbot.waitUntil(w.table.hasFocus)
    qtbot.keyClick(w.table, Key.Key_Z, Mod.ControlModifier)  # one undo brings every "teh" back
    assert [c.text for c in w.doc.model.track] == [c.text for c in cues]
    # a track in a language without a dictionary says so
    w.doc.model.track.language = "xx"
    w.spell_check()
    assert "no spelling dictionary for the track's language “xx”" in w.statusBar().currentMessage()
    w.spell_dialog.reject()
