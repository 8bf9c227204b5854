"""The find and replace bar above the cue table: the text to find with its options (match case, whole
word, regular expression), Find previous / next, and (shown by Edit > Replace, Ctrl+H) the replacement
with Replace and Replace all; and the number of cues.

Keys: Enter in the find field finds the next match, Shift+Enter the previous one; Enter in the
replacement field replaces the current match, Ctrl+Alt+Enter replaces all (Edit > Replace All); Escape
hides the replacement row and gives the focus back to the cue table. The bar only says what was asked (its signals); the
window's :class:`~captioner_app.gui.find_replace.FindReplace` does it.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import QCheckBox, QGridLayout, QHBoxLayout, QLineEdit, QPushButton, QToolButton, QWidget

from captioner_app.core.tracks.search import Query
from captioner_app.gui.accessibility import ValueLabel
from captioner_app.gui.panels.common import named


def _compact_button(text: str) -> QToolButton:
    """A button as narrow as its text (a push button is at least 80 px wide in most styles: the find row
    must fit a 1024-pixel screen at 150 % scale), reached by Tab like the others."""
    button = QToolButton()
    button.setText(text)
    button.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
    button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
    return button


class FindBar(QWidget):
    searchRequested = Signal(object, bool)  # Query, backward
    replaceRequested = Signal(object, str)  # Query, replacement
    replaceAllRequested = Signal(object, str)  # Query, replacement
    closed = Signal()  # Escape: the bar gives the focus back

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        grid = QGridLayout(self)
        grid.setContentsMargins(0, 0, 0, 0)
        self.find_edit = named(
            QLineEdit(),
            "Find text",
            "Text to find in cues: Enter or F3 finds the next, Shift+Enter or Shift+F3 the previous",
        )
        self.find_edit.setPlaceholderText("Find in cues (Ctrl+F)")
        self.case_check = named(QCheckBox("Case"), "Match case", "Find only text with the same capitals")
        self.word_check = named(QCheckBox("W&ord"), "Whole word", "Find only whole words")
        self.regex_check = named(
            QCheckBox("Rege&x"),
            "Regular expression",
            "Find a Python regular expression; the replacement may use \\1 or \\g<name>",
        )
        self.previous_button = named(_compact_button("Previous"), "Find previous", "Find the previous match (Shift+F3)")
        self.find_button = named(_compact_button("&Next"), "Find next", "Find the next match (F3)")
        self.count_label = ValueLabel("Cue count")
        top = QHBoxLayout()
        top.addWidget(self.find_edit, 1)
        for w in (self.case_check, self.word_check, self.regex_check, self.previous_button, self.find_button):
            top.addWidget(w)
        top.addWidget(self.count_label)
        grid.addLayout(top, 0, 0)

        self.replace_row = QWidget()
        row = QHBoxLayout(self.replace_row)
        row.setContentsMargins(0, 0, 0, 0)
        self.replace_edit = named(
            QLineEdit(),
            "Replace with",
            "Replacement text: Enter replaces the current match, Ctrl+Alt+Enter replaces every match",
        )
        self.replace_edit.setPlaceholderText("Replace with (Ctrl+H)")
        self.replace_button = named(QPushButton("Replace"), "Replace", "Replace the current match and find the next")
        self.replace_all_button = named(
            QPushButton("Replace all"), "Replace all", "Replace every match in the track, as one undo step"
        )
        row.addWidget(self.replace_edit, 1)
        row.addWidget(self.replace_button)
        row.addWidget(self.replace_all_button)
        grid.addWidget(self.replace_row, 1, 0)
        self.replace_row.hide()

        self.find_button.clicked.connect(self.find_next)
        self.previous_button.clicked.connect(self.find_previous)
        self.find_edit.returnPressed.connect(self._enter_in_find)
        self.replace_button.clicked.connect(self.replace)
        self.replace_all_button.clicked.connect(self.replace_all)
        self.replace_edit.returnPressed.connect(self.replace)
        escape = QShortcut(QKeySequence("Escape"), self, context=Qt.ShortcutContext.WidgetWithChildrenShortcut)
        escape.activated.connect(self.close_bar)

    def query(self) -> Query:
        return Query(
            self.find_edit.text(),
            match_case=self.case_check.isChecked(),
            whole_word=self.word_check.isChecked(),
            regex=self.regex_check.isChecked(),
        )

    def _enter_in_find(self) -> None:
        from PySide6.QtWidgets import QApplication

        backward = bool(QApplication.keyboardModifiers() & Qt.KeyboardModifier.ShiftModifier)
        self._search(backward)

    def _search(self, backward: bool) -> None:
        if self.find_edit.text():
            self.searchRequested.emit(self.query(), backward)
        else:
            self.focus()

    def find_next(self) -> None:
        self._search(False)

    def find_previous(self) -> None:
        self._search(True)

    def replace(self) -> None:
        if self.find_edit.text():
            self.replaceRequested.emit(self.query(), self.replace_edit.text())
        else:
            self.focus()

    def replace_all(self) -> None:
        if self.find_edit.text():
            self.replaceAllRequested.emit(self.query(), self.replace_edit.text())
        else:
            self.focus()

    def focus(self) -> None:
        self.find_edit.setFocus()
        self.find_edit.selectAll()

    def show_replace(self) -> None:
        """Edit > Replace: show the replacement row; the focus goes to the empty field first."""
        self.replace_row.show()
        field = self.replace_edit if self.find_edit.text() else self.find_edit
        field.setFocus()
        field.selectAll()

    def close_bar(self) -> None:
        self.replace_row.hide()
        self.closed.emit()

    def set_count(self, n: int) -> None:
        self.count_label.setText(f"{n} cue{'s' if n != 1 else ''}")
