"""The find bar above the cue table: the text to find, Find next, and the number of cues."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QHBoxLayout, QLineEdit, QPushButton, QWidget

from captioner_app.gui.accessibility import ValueLabel
from captioner_app.gui.panels.common import named


class FindBar(QWidget):
    findRequested = Signal(str)  # find the next cue holding this text

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        self.find_edit = named(QLineEdit(), "Find text", "Find text in cues (Ctrl+F, then Enter or F3)")
        self.find_edit.setPlaceholderText("Find in cues (Ctrl+F)")
        self.find_button = named(QPushButton("Find &next"), "Find next")
        self.count_label = ValueLabel("Cue count")
        row.addWidget(self.find_edit, 1)
        row.addWidget(self.find_button)
        row.addWidget(self.count_label)
        self.find_button.clicked.connect(self.find_next)
        self.find_edit.returnPressed.connect(self.find_next)

    def find_next(self) -> None:
        if self.find_edit.text():
            self.findRequested.emit(self.find_edit.text())

    def focus(self) -> None:
        self.find_edit.setFocus()
        self.find_edit.selectAll()

    def set_count(self, n: int) -> None:
        self.count_label.setText(f"{n} cue{'s' if n != 1 else ''}")
