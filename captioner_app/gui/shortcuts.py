"""The user's keyboard shortcuts: the actions table's keys with the user's changes, kept in
``shortcuts.json`` in the data folder.

The file holds only the changed commands, by id, each with its keys in Qt's portable text (an empty list
removes a command's keys), and may be edited by hand::

    {"edit.add_cue": ["Ctrl+Alt+N"], "timing.set_start": ["F9"], "file.export_json": []}

A file that cannot be read, names a command that does not exist, holds something that is not a key, or
gives one key to two commands is not used at all: the app says why in one line and keeps the default
keys (nothing is half applied). The same rules refuse a key in Help > Keyboard Shortcuts, with a reason
that names the command that has the key already.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence

from captioner_app.core.errors import CaptionerError
from captioner_app.core.fileio import atomic_write_text
from captioner_app.core.settings import data_dir
from captioner_app.gui.actions import ACTIONS, MENUS, TEXT_EDITING, Action, key_sequences, menu_title, mnemonic

SHORTCUTS_FILE = "shortcuts.json"
PORTABLE = QKeySequence.SequenceFormat.PortableText
Mod = Qt.KeyboardModifier
# keys the window's widgets need for themselves, with the reason a command may not have them
NAVIGATION = {
    Qt.Key.Key_Left: "moves in the table and steps frames in the preview",
    Qt.Key.Key_Right: "moves in the table and steps frames in the preview",
    Qt.Key.Key_Up: "moves in the table and lists",
    Qt.Key.Key_Down: "moves in the table and lists",
    Qt.Key.Key_PageUp: "scrolls the table and jumps one second in the preview",
    Qt.Key.Key_PageDown: "scrolls the table and jumps one second in the preview",
    Qt.Key.Key_Home: "moves to the start of a field or list",
    Qt.Key.Key_End: "moves to the end of a field or list",
    Qt.Key.Key_Tab: "moves the focus",
    Qt.Key.Key_Backtab: "moves the focus",
    Qt.Key.Key_Return: "confirms and ends an edit",
    Qt.Key.Key_Enter: "confirms and ends an edit",
    Qt.Key.Key_Escape: "cancels an edit or closes a dialog",
    Qt.Key.Key_Backspace: "deletes text",
    Qt.Key.Key_Delete: "deletes text",
    Qt.Key.Key_F2: "edits the current cell of the cue table",
    Qt.Key.Key_Menu: "opens the context menu",
    Qt.Key.Key_F10: "opens the menu bar or, with Shift, the context menu",
}


def portable(seq: QKeySequence) -> str:
    return seq.toString(PORTABLE)


def parse_key(text: str) -> QKeySequence:
    """One key combination from its portable text ("Ctrl+Shift+E"); ValueError when it is not one."""
    seq = QKeySequence.fromString(text.strip(), PORTABLE)
    if seq.isEmpty() or seq.count() != 1 or seq[0].key() == Qt.Key.Key_unknown or not portable(seq):  # type: ignore[index]
        raise ValueError(f"“{text}” is not a key combination (write it as Ctrl+Shift+E, F9 or Alt+Down)")
    return seq


def reserved_reason(seq: QKeySequence, own: Sequence[QKeySequence] = ()) -> str:
    """Why no command may have ``seq`` ("" when one may); ``own`` are the command's default keys, which it
    may always have back."""
    if seq in own:
        return ""
    name = seq.toString(QKeySequence.SequenceFormat.NativeText)
    combo = seq[0]  # type: ignore[index]
    key, mods = combo.key(), combo.keyboardModifiers() & ~Mod.KeypadModifier
    if key in NAVIGATION and not mods & (Mod.ControlModifier | Mod.AltModifier | Mod.MetaModifier):
        return f"{name} {NAVIGATION[key]}"
    if key.value < 0x01000000 and not mods & (Mod.ControlModifier | Mod.AltModifier | Mod.MetaModifier):
        return f"{name} types text"
    if portable(seq) in {portable(s) for std in TEXT_EDITING for s in QKeySequence.keyBindings(std)}:
        return f"{name} is kept for editing text (undo, copy, paste, select or move by word)"
    if mods == Mod.AltModifier:
        letter = QKeySequence(key).toString(PORTABLE).lower()
        menu = next((title for _id, title in MENUS if mnemonic(title) == letter), None)
        if menu is not None:
            return f"{name} opens the {menu.replace('&', '')} menu"
    return ""


class Keymap:
    """Every command's keys: the table's defaults with the user's changes (``overrides``)."""

    def __init__(self, actions: Sequence[Action] = ACTIONS, overrides: dict[str, list[str]] | None = None) -> None:
        self.actions = [a for a in actions if not a.submenu]
        self.by_id = {a.id: a for a in self.actions}
        self.overrides: dict[str, list[str]] = {}
        for action_id, keys in (overrides or {}).items():  # a file: checked as a whole (keys may swap)
            if action_id not in self.by_id:
                raise ValueError(f"there is no command “{action_id}”")
            seqs = [parse_key(k) for k in keys]
            for seq in seqs:
                reason = reserved_reason(seq, self.defaults(action_id))
                if reason:
                    raise ValueError(f"{reason}; not given to {self.label(action_id)}")
            self.overrides[action_id] = [portable(seq) for seq in seqs]
        clash = self.clash()
        if clash:
            raise ValueError(clash)

    def clash(self) -> str:
        """The first key that two commands have, as a sentence ("" when there is none)."""
        seen: dict[str, str] = {}
        for action in self.actions:
            for seq in self.keys(action.id):
                other = seen.setdefault(portable(seq), action.id)
                if other != action.id:
                    name = seq.toString(QKeySequence.SequenceFormat.NativeText)
                    return f"{name} is the key of both {self.label(other)} and {self.label(action.id)}"
        return ""

    def defaults(self, action_id: str) -> list[QKeySequence]:
        return key_sequences(self.by_id[action_id])

    def keys(self, action_id: str) -> list[QKeySequence]:
        if action_id in self.overrides:
            return [parse_key(k) for k in self.overrides[action_id]]
        return self.defaults(action_id)

    def label(self, action_id: str) -> str:
        action = self.by_id[action_id]
        return f"“{action.label}” ({menu_title(action.menu).replace('&', '')} menu)"

    def owner(self, seq: QKeySequence, but: str = "") -> str | None:
        """The command (other than ``but``) that has ``seq`` now."""
        text = portable(seq)
        return next(
            (a.id for a in self.actions if a.id != but and text in {portable(s) for s in self.keys(a.id)}), None
        )

    def refusal(self, action_id: str, seq: QKeySequence) -> str:
        """Why ``action_id`` may not have ``seq`` ("" when it may)."""
        reason = reserved_reason(seq, self.defaults(action_id))
        if reason:
            return reason
        other = self.owner(seq, but=action_id)
        if other is not None:
            name = seq.toString(QKeySequence.SequenceFormat.NativeText)
            return f"{name} is already the key of {self.label(other)}"
        return ""

    def set(self, action_id: str, keys: Iterable[QKeySequence]) -> None:
        """Give a command these keys (replacing its others); ValueError with the reason when one is refused."""
        if action_id not in self.by_id:
            raise ValueError(f"there is no command “{action_id}”")
        keys = list(keys)
        for seq in keys:
            reason = self.refusal(action_id, seq)
            if reason:
                raise ValueError(f"{reason}; not given to {self.label(action_id)}")
        texts = [portable(s) for s in keys]
        if len(set(texts)) != len(texts):
            raise ValueError(f"a key is given twice to {self.label(action_id)}")
        if texts == [portable(s) for s in self.defaults(action_id)]:
            self.overrides.pop(action_id, None)
        else:
            self.overrides[action_id] = texts

    def reset(self, action_id: str | None = None) -> None:
        """Back to the default keys (of one command, or of all when ``action_id`` is None).

        A reset command whose default key was given to another command meanwhile gets no key instead of
        a clash (the other command keeps it)."""
        if action_id is None:
            self.overrides.clear()
            return
        self.overrides.pop(action_id, None)
        if any(self.owner(s, but=action_id) for s in self.defaults(action_id)):
            free = [s for s in self.defaults(action_id) if not self.owner(s, but=action_id)]
            self.overrides[action_id] = [portable(s) for s in free]

    def copy(self) -> Keymap:
        new = Keymap(self.actions)
        new.overrides = {k: list(v) for k, v in self.overrides.items()}
        return new


def shortcuts_path() -> Path:
    return data_dir() / SHORTCUTS_FILE


def load_keymap(path: Path | None = None, actions: Sequence[Action] = ACTIONS) -> tuple[Keymap, str]:
    """The user's keys, and "" or the one-line reason the file was not used (then every key is the default)."""
    path = path or shortcuts_path()
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return Keymap(actions), ""
    except (OSError, UnicodeDecodeError) as err:
        return Keymap(actions), f"{path}: cannot be read ({err}); default shortcuts kept"
    try:
        data = json.loads(text)
        if not isinstance(data, dict):
            raise ValueError("it is not an object of command ids and keys")
        overrides: dict[str, list[str]] = {}
        for action_id, keys in data.items():
            keys = [keys] if isinstance(keys, str) else keys
            if not isinstance(keys, list) or not all(isinstance(k, str) for k in keys):
                raise ValueError(f"the keys of “{action_id}” are not a key or a list of keys")
            overrides[action_id] = keys
        return Keymap(actions, overrides), ""
    except json.JSONDecodeError as err:
        return Keymap(actions), f"{path}: not valid JSON (line {err.lineno}: {err.msg}); default shortcuts kept"
    except ValueError as err:
        return Keymap(actions), f"{path}: {err}; default shortcuts kept"


def save_keymap(keymap: Keymap, path: Path | None = None) -> Path:
    """Write the changed keys (raises CaptionerError with a one-line reason when it cannot)."""
    path = path or shortcuts_path()
    try:
        return atomic_write_text(path, json.dumps(keymap.overrides, indent=2, sort_keys=True) + "\n")
    except CaptionerError:
        raise
    except OSError as err:
        raise CaptionerError(f"{path}: shortcuts not saved ({err.strerror or err})") from err
