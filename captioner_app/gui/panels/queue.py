"""The queue: every video opened or dropped, with its state; selecting one makes it current."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QListWidget, QListWidgetItem, QWidget

from captioner_app.gui.document import Document
from captioner_app.gui.panels.common import named


class QueueList(QListWidget):
    documentChosen = Signal(int)  # the row the user selected

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        named(self, "Video queue", "Videos opened or dropped; select one to work on it")
        self.currentRowChanged.connect(self._row_changed)

    def _row_changed(self, row: int) -> None:
        if row >= 0:
            self.documentChosen.emit(row)

    def add(self, doc: Document) -> None:
        item = QListWidgetItem(doc.title)
        item.setData(Qt.ItemDataRole.UserRole, doc.key)
        self.addItem(item)
        self.refresh(doc)

    def refresh(self, doc: Document) -> None:
        for i in range(self.count()):
            item = self.item(i)
            if item.data(Qt.ItemDataRole.UserRole) == doc.key:
                state = " (opening…)" if doc.probing else (" — cannot open" if doc.error else "")
                star = " *" if doc.dirty else ""
                item.setText(f"{doc.title}{star}{state}")
                item.setToolTip(doc.error or doc.video or doc.title)
                return

    def remove(self, index: int) -> None:
        self.takeItem(index)

    def show_current(self, row: int) -> None:
        if self.currentRow() != row:
            self.setCurrentRow(row)
