"""Help > Keyboard Shortcuts: every menu command with its keys, built from the actions table."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QTableWidget, QTableWidgetItem, QVBoxLayout, QWidget

from captioner_app.gui.actions import ACTIONS, Action, key_sequences, menu_title
from captioner_app.gui.screen import fit_title

EXTRA = (
    ("Preview, slider or timeline focused", "Left / Right", "Step one frame back / forward"),
    ("Preview, slider or timeline focused", "Page Up / Page Down", "Jump one second"),
    ("Preview, slider or timeline focused", "Space", "Play / pause"),
    ("Timeline focused", "+ / -", "Zoom in / out"),
    ("Timeline", "Drag a cue edge", "Retime the cue (undoable)"),
    ("Timeline", "Shift while dragging", "Do not snap to shot changes and gap edges"),
    ("Cue table", "F2 or Enter", "Edit the current cell"),
)


def shortcut_rows(actions: Sequence[Action] = ACTIONS) -> list[tuple[str, str, str]]:
    """(menu, keys in this platform's words, command) for every action that has keys."""
    rows = []
    for action in actions:
        keys = ", ".join(s.toString(QKeySequence.SequenceFormat.NativeText) for s in key_sequences(action))
        if keys:
            rows.append((menu_title(action.menu).replace("&", ""), keys, action.label))
    return rows


class ShortcutsDialog(QDialog):
    def __init__(self, actions: Sequence[Action] = ACTIONS, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Keyboard shortcuts")
        self.setAccessibleName("Keyboard shortcuts")
        fit_title(self)
        rows = shortcut_rows(actions) + list(EXTRA)
        table = QTableWidget(len(rows), 3, self)
        table.setAccessibleName("Keyboard shortcuts table")
        table.setHorizontalHeaderLabels(["Where", "Keys", "Action"])
        for r, row in enumerate(rows):
            for c, text in enumerate(row):
                table.setItem(r, c, QTableWidgetItem(text))
        table.resizeColumnsToContents()
        table.horizontalHeader().setStretchLastSection(True)
        table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table = table
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.button(QDialogButtonBox.StandardButton.Close).setAccessibleName("Close")
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(table)
        layout.addWidget(buttons)
        self.resize(620, 520)
