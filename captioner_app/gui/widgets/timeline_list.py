"""Timeline Items: the timeline's content as a list a keyboard and screen-reader user can walk (cues,
speech regions, gaps and shot changes in time order). Enter moves the playhead to the item (and selects
a cue)."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QListWidget, QListWidgetItem, QWidget

from captioner_app.core.timecode import format_ms
from captioner_app.gui.widgets.timeline import Timeline

TIME_ROLE = Qt.ItemDataRole.UserRole
ROW_ROLE = Qt.ItemDataRole.UserRole + 1


def _seconds(ms: int) -> str:
    return f"{ms / 1000:.1f} s"


class TimelineList(QListWidget):
    seekRequested = Signal(int)  # ms
    cueChosen = Signal(int)  # row of the cue table

    def __init__(self, timeline: Timeline, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.timeline = timeline
        self.setAccessibleName("Timeline items")
        self.setAccessibleDescription(
            "The timeline's cues, speech, gaps and shot changes in time order; Enter moves the playhead there"
        )
        self.setWordWrap(True)
        timeline.contentChanged.connect(self.refresh)
        self.itemActivated.connect(self._activate)

    def entries(self) -> list[tuple[int, str, int | None]]:
        """(time, text, cue row or None) for everything the timeline shows, in time order."""
        out: list[tuple[int, int, str, int | None]] = []
        for row, cue in enumerate(self.timeline.cues):
            text = " ".join(cue.text.split()) or "(empty)"
            extended = ", extended" if cue.extended else ""
            label = f"Cue {row + 1}, {format_ms(cue.start_ms)} to {format_ms(cue.end_ms)}{extended}: {text}"
            out.append((cue.start_ms, 3, label, row))
        analysis = self.timeline.analysis
        if analysis is not None:
            for span in analysis.speech:
                label = f"Speech, {format_ms(span.start_ms)} to {format_ms(span.end_ms)} ({_seconds(span.duration_ms)})"
                out.append((span.start_ms, 1, label, None))
            for span in analysis.gaps:
                label = f"Gap, {format_ms(span.start_ms)} to {format_ms(span.end_ms)} ({_seconds(span.duration_ms)})"
                out.append((span.start_ms, 2, label, None))
            for cut in analysis.cuts_ms:
                out.append((cut, 0, f"Shot change at {format_ms(cut)}", None))
        out.sort(key=lambda e: (e[0], e[1]))
        return [(ms, text, row) for ms, _, text, row in out]

    def refresh(self) -> None:
        current = self.currentRow()
        self.clear()
        for ms, text, row in self.entries():
            item = QListWidgetItem(text)
            item.setData(TIME_ROLE, ms)
            item.setData(ROW_ROLE, row)
            item.setData(Qt.ItemDataRole.AccessibleTextRole, text)
            self.addItem(item)
        if 0 <= current < self.count():
            self.setCurrentRow(current)

    def _activate(self, item: QListWidgetItem) -> None:
        row = item.data(ROW_ROLE)
        if isinstance(row, int):
            self.cueChosen.emit(row)
        self.seekRequested.emit(int(item.data(TIME_ROLE)))
