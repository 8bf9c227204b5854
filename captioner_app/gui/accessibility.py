"""What a screen reader hears: values that change exposed as values, events announced, the window's
tab order following the screen.

- :class:`ValueLabel`: a label whose text is a value (the playhead time, the cue count, a status line);
  its accessible name is "what: value", so a screen reader reading the tree (AT-SPI, UIA) hears both
  and a change of the value is a name-change event, not a fixed name hiding the text.
- :class:`Announcer`: says an event (a caption run finished or failed, an analysis done, an export
  written, work to restore) through Qt's accessibility announcement (``QAccessibleAnnouncementEvent``,
  Qt 6.8 and later: AT-SPI's ``object:announcement``, UIA's notification). It also shows the line in the
  status bar, whose accessible name follows its message, which is what a screen reader reads where the
  platform or Qt has no announcements.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QAccessible
from PySide6.QtWidgets import QLabel, QMainWindow, QSizeGrip, QSplitter, QWidget

try:  # Qt 6.8 and later
    from PySide6.QtGui import QAccessibleAnnouncementEvent
except ImportError:  # pragma: no cover - older Qt: the status bar's accessible name is the fallback
    QAccessibleAnnouncementEvent = None  # type: ignore[assignment,misc]

ANNOUNCEMENTS = QAccessibleAnnouncementEvent is not None


class ValueLabel(QLabel):
    """A label showing a value; its accessible name is ``"{what}: {value}"`` (just ``what`` when empty)."""

    def __init__(self, what: str, text: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.what = what
        self.setAccessibleDescription(what)
        self.setText(text)

    def setText(self, text: str) -> None:  # noqa: N802 (Qt's name)
        super().setText(text)
        name = f"{self.what}: {text}" if text else self.what
        if self.accessibleName() != name:
            self.setAccessibleName(name)


class Announcer(QObject):
    """Announce events to screen readers (and in the status bar); :attr:`said` keeps them, newest last."""

    def __init__(self, window: QMainWindow) -> None:
        super().__init__(window)
        self.window = window
        self.said: list[str] = []
        bar = window.statusBar()
        bar.setAccessibleName("Status")
        bar.messageChanged.connect(self._status_changed)

    def _status_changed(self, message: str) -> None:
        bar = self.window.statusBar()
        bar.setAccessibleName(f"Status: {message}" if message else "Status")
        bar.setAccessibleDescription(message)

    def announce(self, text: str, assertive: bool = False) -> None:
        self.said.append(text)
        self.window.statusBar().showMessage(text, 15000)
        if ANNOUNCEMENTS and QAccessible.isActive():
            event = QAccessibleAnnouncementEvent(self.window, text)
            if assertive:
                event.setPoliteness(QAccessible.AnnouncementPoliteness.Assertive)
            QAccessible.updateAccessibility(event)


def chain_tab_order(widgets: Sequence[QWidget]) -> None:
    """Tab visits ``widgets`` in this order (Shift+Tab the other way)."""
    for first, second in zip(widgets, widgets[1:], strict=False):
        QWidget.setTabOrder(first, second)


def screen_tab_order(w: Any) -> None:
    """The main window's (``w``) Tab order, as on the screen: the left docks, then the middle from top to
    bottom, then the right docks."""
    t, p = w.transport, w.caption_panel
    chain_tab_order(
        [w.queue, w.undo_view, w.restore_button, w.discard_button, w.preview, t.play_button, t.slider]
        + [p.detail_combo, p.placement_combo, p.window_spin, p.stride_spin, p.model_edit, p.model_browse]
        + [p.device_combo, p.caption_button, p.cancel_button, p.recaption_button, p.analysis_cancel_button]
        + [w.timeline, *find_bar_order(w.find_bar), w.table, w.checks.kind_combo, w.checks.list, w.timeline_items]
    )


def find_bar_order(bar: Any) -> list[QWidget]:
    """The find bar's fields and buttons as on the screen (the replacement row under the find row)."""
    return [
        bar.find_edit,
        bar.case_check,
        bar.word_check,
        bar.regex_check,
        bar.previous_button,
        bar.find_button,
        bar.replace_edit,
        bar.replace_button,
        bar.replace_all_button,
    ]


def name_parts(window: QWidget) -> None:
    """Name the parts Qt builds without a name whose role AT-SPI reports as unknown: the splitters' drag
    handles and the status bar's size grip (a screen reader otherwise meets an unnamed unknown object)."""
    for splitter in window.findChildren(QSplitter):
        vertical = splitter.orientation() == Qt.Orientation.Vertical
        splitter.setAccessibleName("Panes, one above the other" if vertical else "Panes side by side")
        for i in range(splitter.count()):
            splitter.handle(i).setAccessibleName(f"Pane divider {i}: drag to resize the panes")
    for grip in window.findChildren(QSizeGrip):
        grip.setAccessibleName("Size grip: drag to resize the window")
