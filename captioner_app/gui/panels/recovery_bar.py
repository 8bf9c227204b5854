"""The bar that offers work left by an earlier session: Restore or Discard."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QWidget

from captioner_app.gui.panels.common import named


class RecoveryBar(QFrame):
    restoreRequested = Signal()
    discardRequested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setFrameShape(QFrame.Shape.StyledPanel)
        named(self, "Recovered work")
        row = QHBoxLayout(self)
        self.label = QLabel()
        self.label.setWordWrap(True)
        self.restore_button = named(QPushButton("Re&store"), "Restore unsaved work")
        self.discard_button = named(QPushButton("Discard"), "Discard unsaved work")
        row.addWidget(self.label, 1)
        row.addWidget(self.restore_button)
        row.addWidget(self.discard_button)
        self.hide()
        self.restore_button.clicked.connect(self.restoreRequested)
        self.discard_button.clicked.connect(self.discardRequested)

    def offer(self, text: str) -> None:
        self.label.setText(text)
        self.show()
        self.restore_button.setFocus()
