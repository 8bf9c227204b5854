"""The app's problem box: non-blocking, and a second problem while it is open joins the same box."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox, QWidget

from captioner_app.gui.screen import fit_title


class ProblemBox:
    def __init__(self, parent: QWidget) -> None:
        self.parent = parent
        self.box: QMessageBox | None = None

    def show(self, message: str, title: str) -> None:
        box = self.box
        if box is not None and box.isVisible():
            box.setText(box.text() + "\n" + message)
            return
        box = QMessageBox(QMessageBox.Icon.Warning, title, message, QMessageBox.StandardButton.Ok, self.parent)
        box.setAccessibleName(title)
        box.setWindowModality(Qt.WindowModality.NonModal)
        fit_title(box)
        self.box = box
        box.open()
