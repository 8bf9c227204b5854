"""Help > Keyboard Shortcuts (F1): every command of the actions table with its keys, which the user may
change, and the fixed keys of the panels.

Select a command in the table, Tab (or Enter) to "New key" and press the keys: they are given to the command at
once, or refused with the reason (the command that has them already, or what the key does in the
window), said under the field and in the field's description, which a screen reader reads. Remove Key,
Reset to Default, Reset All; Save writes ``shortcuts.json`` in the data folder
(:mod:`captioner_app.gui.shortcuts`) and the window uses the new keys at once; Cancel forgets the changes.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtGui import QAction, QKeyEvent, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QKeySequenceEdit,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from captioner_app.core.errors import CaptionerError
from captioner_app.gui.actions import ACTIONS, Action, KeyGuard, key_sequences, menu_title
from captioner_app.gui.panels.common import named
from captioner_app.gui.screen import fit_title
from captioner_app.gui.shortcuts import Keymap, load_keymap, save_keymap

NATIVE = QKeySequence.SequenceFormat.NativeText
EXTRA = (
    ("Preview, slider or timeline focused", "Left / Right", "Step one frame back / forward"),
    ("Preview, slider or timeline focused", "Page Up / Page Down", "Jump one second"),
    ("Preview, slider or timeline focused", "Space", "Play / pause"),
    ("Timeline focused", "+ / -", "Zoom in / out"),
    ("Timeline", "Drag a cue edge", "Retime the cue (undoable)"),
    ("Timeline", "Shift while dragging", "Do not snap to shot changes and gap edges"),
    ("Cue table", "F2 or Enter", "Edit the current cell"),
    ("Cue text editor", "Enter / Shift+Enter", "End the edit / start a new line"),
    ("Cue text editor", "Shift+F10 or Menu", "Spelling suggestions for the word at the cursor"),
    ("Find bar", "Enter / Shift+Enter", "Find the next / previous match"),
    ("Find bar", "Escape", "Hide the replacement and go back to the cue table"),
)


def keys_text(sequences: Sequence[QKeySequence]) -> str:
    return ", ".join(s.toString(NATIVE) for s in sequences)


def shortcut_rows(actions: Sequence[Action] = ACTIONS, keymap: Keymap | None = None) -> list[tuple[str, str, str]]:
    """(menu, keys in this platform's words, command) for every action that has keys."""
    rows = []
    for action in actions:
        if action.submenu:
            continue
        keys = keys_text(keymap.keys(action.id) if keymap else key_sequences(action))
        if keys:
            rows.append((menu_title(action.menu).replace("&", ""), keys, action.label))
    return rows


class ShortcutsDialog(QDialog):
    keymapChanged = Signal(object)  # the saved Keymap

    def __init__(
        self,
        keymap: Keymap | None = None,
        parent: QWidget | None = None,
        save: Callable[[Keymap], Path] = save_keymap,
    ) -> None:
        super().__init__(parent)
        self.keymap = keymap.copy() if keymap else Keymap()
        self.save = save
        self.setWindowTitle("Keyboard shortcuts")
        self.setAccessibleName("Keyboard shortcuts")
        fit_title(self)
        self.commands = [a.id for a in self.keymap.actions]
        table = QTableWidget(len(self.commands) + len(EXTRA), 3, self)
        named(table, "Keyboard shortcuts table", "Select a command, then Tab to New key and press the keys")
        table.setHorizontalHeaderLabels(["Where", "Keys", "Action"])
        for r, action_id in enumerate(self.commands):
            action = self.keymap.by_id[action_id]
            cells = (menu_title(action.menu).replace("&", ""), "", action.label)
            for c, text in enumerate(cells):
                table.setItem(r, c, QTableWidgetItem(text))
        for r, row in enumerate(EXTRA, start=len(self.commands)):
            for c, text in enumerate(row):
                item = QTableWidgetItem(text)
                item.setToolTip("A fixed key of the panel (not changed here)")
                table.setItem(r, c, item)
        table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        table.setTabKeyNavigation(False)
        self.table = table
        self.key_edit = named(QKeySequenceEdit(), "New key", "Press the new keys for the selected command")
        self.key_edit.setMaximumSequenceLength(1)
        self.key_edit.installEventFilter(self)  # Escape closes the dialog instead of being recorded
        key_label = QLabel("&New key:")
        key_label.setBuddy(self.key_edit)
        key_label.setAccessibleName("New key")
        self.message = named(QLabel(""), "Shortcut message")
        self.message.setWordWrap(True)
        self.remove_button = named(QPushButton("&Remove Key"), "Remove key", "The selected command gets no key")
        self.reset_button = named(QPushButton("Reset to &Default"), "Reset to default", "Its key from the app")
        self.reset_all_button = named(QPushButton("Reset &All"), "Reset all", "Every command's key from the app")
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel)
        for which, name in (
            (QDialogButtonBox.StandardButton.Save, "Save"),
            (QDialogButtonBox.StandardButton.Cancel, "Cancel"),
        ):
            buttons.button(which).setAccessibleName(name)
            buttons.button(which).setAutoDefault(False)
        self.buttons = buttons
        edit_row = QHBoxLayout()
        edit_row.addWidget(key_label)
        edit_row.addWidget(self.key_edit, 1)
        for button in (self.remove_button, self.reset_button, self.reset_all_button):
            button.setAutoDefault(False)
            edit_row.addWidget(button)
        layout = QVBoxLayout(self)
        layout.addWidget(table, 1)
        layout.addLayout(edit_row)
        layout.addWidget(self.message)
        layout.addWidget(buttons)
        table.currentCellChanged.connect(lambda row, *_: self._show_current(row))
        table.itemActivated.connect(lambda _item: self.key_edit.setFocus() if self.current() else None)
        self.key_edit.editingFinished.connect(lambda: self.assign(self.key_edit.keySequence()))
        self.remove_button.clicked.connect(self.remove)
        self.reset_button.clicked.connect(self.reset)
        self.reset_all_button.clicked.connect(self.reset_all)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        self._refresh()
        table.resizeColumnsToContents()
        table.horizontalHeader().setStretchLastSection(True)
        table.setCurrentCell(0, 0)
        self.resize(680, 560)

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:
        if (
            obj is self.key_edit
            and event.type() == QEvent.Type.KeyPress
            and isinstance(event, QKeyEvent)
            and event.key() == Qt.Key.Key_Escape
            and event.modifiers() == Qt.KeyboardModifier.NoModifier
        ):
            self.reject()
            return True
        return super().eventFilter(obj, event)

    # -- the selected command ------------------------------------------------------------------------

    def current(self) -> str | None:
        row = self.table.currentRow()
        return self.commands[row] if 0 <= row < len(self.commands) else None

    def select(self, action_id: str) -> None:
        self.table.setCurrentCell(self.commands.index(action_id), 0)

    def _refresh(self) -> None:
        for r, action_id in enumerate(self.commands):
            keys = self.keymap.keys(action_id)
            item, command = self.table.item(r, 1), self.table.item(r, 2)
            assert item is not None and command is not None
            item.setText(keys_text(keys))
            changed = action_id in self.keymap.overrides
            default = keys_text(self.keymap.defaults(action_id)) or "none"
            item.setToolTip(f"Changed; the default is {default}" if changed else "")
            font = item.font()
            font.setBold(changed)
            item.setFont(font)
            label = self.keymap.by_id[action_id].label
            command.setData(Qt.ItemDataRole.AccessibleTextRole, label + (" (changed)" if changed else ""))

    def _show_current(self, row: int) -> None:
        action_id = self.current()
        editable = action_id is not None
        for widget in (self.key_edit, self.remove_button, self.reset_button):
            widget.setEnabled(editable)
        keys = self.keymap.keys(action_id) if action_id else []
        self.key_edit.blockSignals(True)
        self.key_edit.setKeySequence(keys[0] if keys else QKeySequence())
        self.key_edit.blockSignals(False)

    def _say(self, text: str) -> None:
        self.message.setText(text)
        self.key_edit.setAccessibleDescription(text)

    # -- changes --------------------------------------------------------------------------------------

    def assign(self, seq: QKeySequence) -> bool:
        """Give the selected command ``seq`` (its only key), or say why not and keep its keys."""
        action_id = self.current()
        if action_id is None or seq.isEmpty() or self.keymap.keys(action_id) == [seq]:
            return False  # nothing pressed, or the key it has (the field lost the focus)
        try:
            self.keymap.set(action_id, [seq])
        except ValueError as err:
            self._say(f"Refused: {err}")
            self._show_current(self.table.currentRow())
            return False
        self._refresh()
        self._say(f"{seq.toString(NATIVE)} is now the key of {self.keymap.label(action_id)}")
        return True

    def remove(self) -> None:
        action_id = self.current()
        if action_id is not None:
            self.keymap.set(action_id, [])
            self._refresh()
            self._show_current(self.table.currentRow())
            self._say(f"{self.keymap.label(action_id)} has no key now")

    def reset(self) -> None:
        action_id = self.current()
        if action_id is not None:
            self.keymap.reset(action_id)
            self._refresh()
            self._show_current(self.table.currentRow())
            keys = keys_text(self.keymap.keys(action_id)) or "no key (its default key belongs to another command)"
            self._say(f"{self.keymap.label(action_id)}: {keys}")

    def reset_all(self) -> None:
        self.keymap.reset()
        self._refresh()
        self._show_current(self.table.currentRow())
        self._say("Every command has its default keys again")

    def accept(self) -> None:
        try:
            path = self.save(self.keymap)
        except CaptionerError as err:
            self._say(f"Not saved: {err}")
            return
        self.keymapChanged.emit(self.keymap)
        self._say(f"Saved in {path}")
        super().accept()


class WindowKeys:
    """The window's keys: the user's file read at start, the dialog, and new keys put to use at once."""

    def __init__(self, window: Any, actions: dict[str, QAction], guard: KeyGuard) -> None:
        self.window = window  # the MainWindow (typed loosely: it imports this module)
        self.actions = actions
        self.guard = guard
        self.keymap = Keymap()
        self.dialog: ShortcutsDialog | None = None

    def load(self) -> None:
        """The keys of shortcuts.json (a bad file: one line saying why, and the default keys)."""
        keymap, problem = load_keymap()
        self.apply(keymap)
        if problem:
            self.window.session.report(problem, "Shortcuts not changed")

    def apply(self, keymap: Keymap) -> None:
        self.keymap = keymap
        for action_id in keymap.by_id:
            self.actions[action_id].setShortcuts(keymap.keys(action_id))
        self.guard.set_keys(seq for action_id in keymap.by_id for seq in keymap.keys(action_id))

    def show_dialog(self) -> None:
        self.dialog = ShortcutsDialog(self.keymap, self.window)
        self.dialog.keymapChanged.connect(self.apply)
        self.dialog.keymapChanged.connect(lambda _: self.window.session.status.emit("Keyboard shortcuts saved"))
        self.dialog.open()
