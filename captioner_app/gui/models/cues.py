"""The cue table: a QAbstractTableModel over :class:`core.track.Track`, every edit through a QUndoStack.

Undo commands hold the whole cue list before and after (cues are frozen, so a snapshot is a list of
references): undo and redo are exact whatever the edit was, and consecutive window results of one
caption run merge into one undo entry.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QObject, QPersistentModelIndex, Qt, Signal
from PySide6.QtGui import QBrush, QColor, QGuiApplication, QPalette, QUndoCommand, QUndoStack

from captioner_app.core.timecode import format_ms, parse_ms
from captioner_app.core.timing.budget import DEFAULT_WPM, budget_words
from captioner_app.core.tracks.track import Cue, Provenance, Track

COLUMNS = ("Start", "End", "Duration", "Text", "WPM", "Extended")
COL_START, COL_END, COL_DURATION, COL_TEXT, COL_WPM, COL_EXTENDED = range(6)
_Index = QModelIndex | QPersistentModelIndex

_DISPLAY, _EDIT, _ACCESSIBLE, _TOOLTIP, _BACKGROUND, _FOREGROUND, _ALIGNMENT = (
    int(role)
    for role in (
        Qt.ItemDataRole.DisplayRole,
        Qt.ItemDataRole.EditRole,
        Qt.ItemDataRole.AccessibleTextRole,
        Qt.ItemDataRole.ToolTipRole,
        Qt.ItemDataRole.BackgroundRole,
        Qt.ItemDataRole.ForegroundRole,
        Qt.ItemDataRole.TextAlignmentRole,
    )
)
_ANSWERED = frozenset({_DISPLAY, _EDIT, _ACCESSIBLE, _TOOLTIP, _BACKGROUND, _FOREGROUND, _ALIGNMENT})
_RIGHT = int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
_READ_ONLY = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
_EDITABLE = _READ_ONLY | Qt.ItemFlag.ItemIsEditable
_BRUSHES: dict[tuple[int, int], QBrush] = {}  # (role, the palette's base colour): the warning brush


class TrackCommand(QUndoCommand):
    MERGE_ID = 1

    def __init__(
        self,
        model: CueTableModel,
        text: str,
        before: Sequence[Cue],
        after: Sequence[Cue],
        merge_key: object = None,
        select: int | None = None,
    ) -> None:
        super().__init__(text)
        self.model = model
        self.before = list(before)
        self.after = list(after)
        self.merge_key = merge_key
        self.select = select

    def id(self) -> int:
        return self.MERGE_ID if self.merge_key is not None else -1

    def mergeWith(self, other: QUndoCommand) -> bool:
        if isinstance(other, TrackCommand) and other.merge_key is not None and other.merge_key == self.merge_key:
            self.after = other.after
            return True
        return False

    def redo(self) -> None:
        self.model._set_cues(self.after, self.select)

    def undo(self) -> None:
        self.model._set_cues(self.before, None)


class CueTableModel(QAbstractTableModel):
    changed = Signal()  # any change to the cues
    selectRow = Signal(int)  # a command asks the view to select this row

    def __init__(self, track: Track | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.track = track or Track()
        self.undo_stack = QUndoStack(self)
        self.narration_wpm = DEFAULT_WPM
        self.generation = 0  # bumped on every change (autosave compares it)

    # -- Qt model API -----------------------------------------------------------------------

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.track)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.AccessibleTextRole):
            if orientation == Qt.Orientation.Horizontal:
                if role == Qt.ItemDataRole.AccessibleTextRole and section == COL_WPM:
                    return "Words per second"
                if role == Qt.ItemDataRole.AccessibleTextRole and section == COL_EXTENDED:
                    return "Extended description (the player pauses)"
                return COLUMNS[section]
            return str(section + 1)
        if role == Qt.ItemDataRole.ToolTipRole and orientation == Qt.Orientation.Horizontal and section == COL_WPM:
            return f"Words per minute; more words than fit at {self.narration_wpm:g} is flagged as too fast to narrate"
        if role == Qt.ItemDataRole.ToolTipRole and orientation == Qt.Orientation.Horizontal and section == COL_EXTENDED:
            return "Extended description: the player pauses the video while it is spoken (Ctrl+Shift+X)"
        return None

    def flags(self, index: _Index) -> Qt.ItemFlag:
        return _EDITABLE if index.column() in (COL_START, COL_END, COL_TEXT) else _READ_ONLY

    def budget(self, cue: Cue) -> int:
        """Words that fit in ``cue`` at the narration rate (``narration_wpm`` words per minute)."""
        return budget_words(cue.duration_ms, self.narration_wpm)

    def _too_fast(self, cue: Cue) -> bool:
        """Over its narration budget (never cut, only flagged); an extended cue has no budget."""
        return bool(cue.text) and not cue.extended and cue.words > self.budget(cue)

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        # the views ask for every role of every visible cell at each paint: the roles never answered go back
        # before anything is looked up, the alignment before the cue is (plain ints, not enum members, compared)
        role = int(role)
        if role not in _ANSWERED:
            return None
        row, col = index.row(), index.column()
        if not 0 <= row < len(self.track):  # an invalid index's row is -1
            return None
        if role == _ALIGNMENT:
            return None if col == COL_TEXT else _RIGHT
        cue = self.track[row]
        if role in (_DISPLAY, _EDIT):
            if col == COL_START:
                return format_ms(cue.start_ms)
            if col == COL_END:
                return format_ms(cue.end_ms)
            if col == COL_DURATION:
                return f"{cue.duration_ms / 1000:.3f}"
            if col == COL_TEXT:
                return cue.text
            if col == COL_WPM:
                wps = cue.words_per_second
                return "∞" if wps == float("inf") else f"{wps * 60:.0f}"
            if col == COL_EXTENDED:
                return "extended" if cue.extended else ""
            return None
        if role in (_BACKGROUND, _FOREGROUND):
            return self._warning_brush(role) if col == COL_WPM and self._too_fast(cue) else None
        if role == _ACCESSIBLE:
            if col == COL_WPM and self._too_fast(cue):
                return (
                    f"{cue.words_per_second * 60:.0f} words per minute, too fast to narrate: "
                    f"{cue.words} words, {self.budget(cue)} fit"
                )
            return None
        # the tooltip
        if col == COL_WPM and self._too_fast(cue):
            return (
                f"Over the narration budget: {cue.words} words, {self.budget(cue)} fit at "
                f"{self.narration_wpm:g} words per minute. "
                "Cut words, lengthen the cue, or mark it extended (Ctrl+Shift+X)."
            )
        if col == COL_EXTENDED and cue.extended:
            return "Extended: the player pauses the video while this description is spoken"
        if col == COL_TEXT:
            p = cue.provenance
            origin = p.source if p.source != "model" else f"model {p.model or ''} ({p.detail or '?'} detail)"
            return f"{cue.text}\n\nFrom: {origin}"
        return None

    @staticmethod
    def _warning_brush(role: int) -> QBrush:
        """A warning colour that keeps contrast with the system palette (dark, light, high contrast); made
        once per palette."""
        base = QGuiApplication.palette().color(QPalette.ColorRole.Base).rgba()
        key = (role, base)
        brush = _BRUSHES.get(key)
        if brush is None:
            dark = QColor.fromRgba(base).lightness() < 128
            if role == _BACKGROUND:
                brush = QBrush(QColor(120, 20, 0) if dark else QColor(255, 205, 150))
            else:
                brush = QBrush(QColor(255, 255, 255) if dark else QColor(0, 0, 0))
            _BRUSHES[key] = brush
        return brush

    def setData(self, index: _Index, value: Any, role: int = Qt.ItemDataRole.EditRole) -> bool:
        if role != Qt.ItemDataRole.EditRole or not index.isValid():
            return False
        cue = self.track[index.row()]
        col = index.column()
        try:
            if col == COL_TEXT:
                new = cue.with_(text=str(value))
            elif col == COL_START:
                new = cue.with_(start_ms=parse_ms(str(value)))
            elif col == COL_END:
                new = cue.with_(end_ms=parse_ms(str(value)))
            else:
                return False
        except ValueError as err:
            self.editRejected.emit(str(err))
            return False
        if new == cue:
            return False
        self.replace_cue(index.row(), new, f"Edit {COLUMNS[col].lower()} of cue {index.row() + 1}")
        return True

    editRejected = Signal(str)

    # -- edits (all undoable) -------------------------------------------------------------------

    def cues(self) -> list[Cue]:
        return list(self.track.cues)

    def _push(self, text: str, after: Sequence[Cue], merge_key: object = None, select: int | None = None) -> None:
        self.undo_stack.push(TrackCommand(self, text, self.cues(), after, merge_key, select))

    def _set_cues(self, cues: Sequence[Cue], select: int | None) -> None:
        old = self.track.cues
        new = list(cues)
        if len(old) == len(new):
            changed = [i for i, (a, b) in enumerate(zip(old, new, strict=True)) if a is not b]
            self.track.cues = new
            if changed:
                self.dataChanged.emit(self.index(min(changed), 0), self.index(max(changed), len(COLUMNS) - 1))
        else:
            self._replace_rows(old, new)
        self.generation += 1
        self.changed.emit()
        if select is not None and 0 <= select < len(new):
            self.selectRow.emit(select)

    def _replace_rows(self, old: list[Cue], new: list[Cue]) -> None:
        """The cue list changes length: one run of rows inserted or removed (a cue arriving from the
        model, a cue added or deleted) is told to the views as such, which keep their scroll place and
        selection and measure only those rows; anything else resets the model."""
        head = 0
        for a, b in zip(old, new, strict=False):
            if a is not b:
                break
            head += 1
        tail = 0
        for a, b in zip(reversed(old[head:]), reversed(new[head:]), strict=False):
            if a is not b:
                break
            tail += 1
        if head + tail == len(old):  # new rows head .. len(new) - tail - 1
            self.beginInsertRows(QModelIndex(), head, len(new) - tail - 1)
            self.track.cues = new
            self.endInsertRows()
        elif head + tail == len(new):  # old rows head .. len(old) - tail - 1 are gone
            self.beginRemoveRows(QModelIndex(), head, len(old) - tail - 1)
            self.track.cues = new
            self.endRemoveRows()
        else:
            self.beginResetModel()
            self.track.cues = new
            self.endResetModel()

    def replace_cue(self, row: int, cue: Cue, text: str = "Edit cue") -> int:
        t = Track(self.cues())
        new_row = t.replace(row, cue)
        self._push(text, t.cues, select=new_row)
        return new_row

    def set_times(self, row: int, start_ms: int, end_ms: int) -> None:
        cue = self.track[row]
        start_ms, end_ms = max(0, int(start_ms)), int(end_ms)
        if end_ms < start_ms:
            start_ms, end_ms = end_ms, start_ms
        if (start_ms, end_ms) != (cue.start_ms, cue.end_ms):
            self.replace_cue(row, cue.with_(start_ms=start_ms, end_ms=end_ms), f"Move cue {row + 1}")

    def set_extended(self, rows: Sequence[int], extended: bool) -> bool:
        """Mark the cues at ``rows`` extended (or not), as one undoable edit; False if nothing changed."""
        rows = sorted(set(r for r in rows if 0 <= r < len(self.track)))
        cues = self.cues()
        changed = [r for r in rows if cues[r].extended != extended]
        if not changed:
            return False
        for r in changed:
            cues[r] = cues[r].with_(extended=extended)
        what = f"cue {changed[0] + 1}" if len(changed) == 1 else f"{len(changed)} cues"
        self._push(f"Mark {what} {'extended' if extended else 'not extended'}", cues, select=changed[0])
        return True

    def add_cue(self, cue: Cue, text: str = "Add cue", merge_key: object = None) -> int:
        t = Track(self.cues())
        row = t.add(cue)
        self._push(text, t.cues, merge_key, select=None if merge_key is not None else row)
        return row

    def add_caption(self, cue: Cue, run: object, replace: Cue | None = None) -> None:
        """A window's result from a caption run; one run is one undo entry (unless edits come between)."""
        t = Track(self.cues())
        if replace is not None:
            try:
                row = next(i for i, c in enumerate(t.cues) if c == replace)
            except StopIteration:
                row = None
            if row is not None:
                t.replace(row, cue)
                self._push("Caption again", t.cues, merge_key=None, select=t.cues.index(cue))
                return
        t.add(cue)
        self._push("Caption video", t.cues, merge_key=("run", run))

    def remove_rows(self, rows: Sequence[int]) -> None:
        rows = sorted(set(r for r in rows if 0 <= r < len(self.track)))
        if not rows:
            return
        keep = [c for i, c in enumerate(self.track.cues) if i not in set(rows)]
        label = "Delete cue" if len(rows) == 1 else f"Delete {len(rows)} cues"
        self._push(label, keep, select=min(rows[0], len(keep) - 1) if keep else None)

    def split(self, row: int, at_ms: int | None = None) -> None:
        t = Track(self.cues())
        t.split(row, at_ms)  # raises ValueError for a point outside the cue
        self._push(f"Split cue {row + 1}", t.cues, select=row)

    def merge(self, rows: Sequence[int]) -> None:
        rows = sorted(set(rows))
        if len(rows) == 1:
            rows = [rows[0], rows[0] + 1]
        if len(rows) < 2 or rows != list(range(rows[0], rows[-1] + 1)) or rows[-1] >= len(self.track):
            raise ValueError("select two or more neighbouring cues to merge")
        t = Track(self.cues())
        t.merge(rows[0], len(rows))
        self._push(f"Merge {len(rows)} cues", t.cues, select=rows[0])

    def replace_all(self, cues: Sequence[Cue], text: str) -> None:
        self._push(text, sorted(cues, key=lambda c: (c.start_ms, c.end_ms)))

    def load(self, track: Track) -> None:
        """A new document's cues: not an edit, so the undo history starts empty."""
        self.undo_stack.clear()
        self.beginResetModel()
        self.track = track
        self.endResetModel()
        self.generation += 1
        self.changed.emit()

    def new_manual_cue(self, at_ms: int, duration_ms: int = 2000, limit_ms: int | None = None) -> Cue:
        end = at_ms + duration_ms if limit_ms is None else min(at_ms + duration_ms, max(limit_ms, at_ms))
        return Cue(at_ms, end, "", Provenance(source="manual"))
