"""The cue table: one row per cue (start, end, duration, text, WPM, extended), edited in place."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QEvent, QItemSelectionModel, Signal
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QStyle, QTableView, QWidget

from captioner_app.gui.models.cues import (
    COL_DURATION,
    COL_END,
    COL_EXTENDED,
    COL_START,
    COL_TEXT,
    COL_WPM,
    CueTableModel,
)
from captioner_app.gui.panels.common import named
from captioner_app.gui.spelling import Spelling
from captioner_app.gui.widgets.spell_edit import CueTextDelegate

# the widest text each short column shows: its width is measured once from the font, never from the rows
# (sizing to contents measured every visible row, a Python call per cell and role, each time a cue came)
WIDEST = {
    COL_START: "00:00:00.000",
    COL_END: "00:00:00.000",
    COL_DURATION: "0000.000",
    COL_WPM: "0000",
    COL_EXTENDED: "extended",
}


class CueTable(QTableView):
    rowsSelected = Signal(list)  # the selected rows, sorted

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        named(self, "Cue table", "Cues: start, end, duration, text and words per second. F2 edits a cell.")
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.setEditTriggers(
            QAbstractItemView.EditTrigger.DoubleClicked
            | QAbstractItemView.EditTrigger.EditKeyPressed
            | QAbstractItemView.EditTrigger.AnyKeyPressed
        )
        self.setWordWrap(True)
        self.setTabKeyNavigation(False)

    def use_spelling(self, spelling: Spelling, language: Callable[[], str]) -> CueTextDelegate:
        """Edit the text column in the spell-checking editor (``language()``: the track's language)."""
        self.text_delegate = CueTextDelegate(spelling, language, self)
        self.setItemDelegateForColumn(COL_TEXT, self.text_delegate)
        return self.text_delegate

    def show_model(self, model: CueTableModel | None) -> None:
        self.setModel(model)
        if model is None:
            return
        header = self.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)  # the editor may still drag them
        header.setSectionResizeMode(COL_TEXT, QHeaderView.ResizeMode.Stretch)
        self.size_columns()
        self.selectionModel().selectionChanged.connect(lambda *_: self.rowsSelected.emit(self.selected_rows()))

    def size_columns(self) -> None:
        """Each short column as wide as its widest text or its title, in the current font."""
        if self.model() is None:
            return
        header, metrics = self.horizontalHeader(), self.fontMetrics()
        margin = 2 * (self.style().pixelMetric(QStyle.PixelMetric.PM_FocusFrameHMargin, None, self) + 1) + 8
        for column, widest in WIDEST.items():
            width = max(metrics.horizontalAdvance(widest) + margin, header.sectionSizeHint(column))
            header.resizeSection(column, width)

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() in (QEvent.Type.FontChange, QEvent.Type.StyleChange):
            self.size_columns()  # a larger font (the editor's zoom, the system's) gets wider columns

    def selected_rows(self) -> list[int]:
        sm = self.selectionModel()
        if sm is None or self.model() is None:
            return []
        return sorted({i.row() for i in sm.selectedRows()})

    def select_row(self, row: int) -> None:
        model = self.model()
        if model is None or not 0 <= row < model.rowCount():
            return
        self.selectionModel().setCurrentIndex(
            model.index(row, COL_TEXT),
            QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows,
        )
        self.scrollTo(model.index(row, 0))

    def edit_text(self) -> None:
        """Open the editor on the first selected cue's text."""
        rows = self.selected_rows()
        model = self.model()
        if rows and model is not None:
            index = model.index(rows[0], COL_TEXT)
            self.setCurrentIndex(index)
            self.edit(index)
