"""The main window's first paint, spread over several turns of the event loop.

Painting the whole window the first time it is shown (every panel, its fonts' first glyphs, the docks'
title bars) took the GUI thread 24 ms in one turn of the event loop on a 2-core machine, during which the
worker threads that start with the app (the model process being started, the video being probed) wait for
the interpreter lock or hold it: the largest gap at start-up in ``benchmarks/gui_stall.py``. Here the
window is painted as a skeleton first (its frame, menu bar, status bar, splitters and dock title bars) and
its panels one group per turn after that, so no turn paints more than a few panels; the videos opened with
the window are probed once the panels are painted (see :meth:`WorkerPool.hold_probes`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from PySide6.QtCore import QEvent, QObject, Qt, QTimer
from PySide6.QtGui import QGradient
from PySide6.QtWidgets import QWidget

from captioner_app.gui.threads import freeze_startup_objects

# PySide6 creates a wrapped class on first use. QPainter.fillRect's overload resolution uses QGradient,
# whose creation (five enums, one of 180 gradient presets) took 8-10 ms of the GUI thread inside the first
# paint of the timeline; importing it here creates it with the other Qt classes, before any window shows.
PAINT_TYPES = (QGradient,)


class StagedFirstPaint(QObject):
    """On ``window``'s first Show, turn off painting of every widget in ``stages``; then turn each stage's
    widgets back on in a turn of the event loop of its own (each painted at once), and call ``done`` after
    the last. A window never shown paints as usual (nothing is turned off) and ``done`` is called when
    the event loop first runs."""

    def __init__(self, window: QWidget, stages: Sequence[Sequence[QWidget]], done: Callable[[], object]) -> None:
        super().__init__(window)
        self.window = window
        self.stages = [list(stage) for stage in stages if stage]
        self._done: Callable[[], object] | None = done
        self.painted: list[int] = []  # the stages painted so far, in order (for tests)
        window.installEventFilter(self)
        QTimer.singleShot(0, self, self._not_shown)  # with ``self`` as context: dropped if the window goes

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:
        if obj is self.window and event.type() == QEvent.Type.Show:
            self.window.removeEventFilter(self)
            for stage in self.stages:
                for widget in stage:
                    widget.setUpdatesEnabled(False)
            # the skeleton is painted in the event loop's next turn, the first stage in the turn after
            QTimer.singleShot(0, self, lambda: QTimer.singleShot(0, self, self._next))
        return False

    def _not_shown(self) -> None:
        """The event loop runs and the window was not shown: nothing waits for its paint."""
        if not self.window.isVisible() and not self.painted:
            self.window.removeEventFilter(self)
            self.stages = []
            self._finish()

    def _next(self) -> None:
        index = len(self.painted)
        if index >= len(self.stages):
            self._finish()
            return
        for widget in self.stages[index]:
            try:
                widget.setUpdatesEnabled(True)
                if widget.isVisible():
                    widget.repaint()
            except RuntimeError:  # deleted meanwhile (a dock removed, the window closing)
                continue
        self.painted.append(index)
        QTimer.singleShot(0, self, self._next)

    def _finish(self) -> None:
        done, self._done = self._done, None
        if done is not None:
            done()


def stage_first_paint(window: Any) -> StagedFirstPaint:
    """The main window's stages, after the skeleton: the menu bar, status bar and transport; the preview and
    timeline; the caption panel in two halves; the find bar and cue table; the docks. The window's pool
    probes the videos opened meanwhile after the last, once the objects made so far are set aside from the
    garbage collector's scans (:func:`gui.threads.freeze_startup_objects`)."""
    panel = window.caption_panel
    fields = panel.findChildren(QWidget, options=Qt.FindChildOption.FindDirectChildrenOnly)
    half = len(fields) // 2
    stages = [
        [window.menuBar(), window.statusBar(), window.recovery_bar, window.transport],
        [window.preview, window.timeline],
        [panel, *fields[:half]],
        fields[half:],
        [window.find_bar, window.table],
        [dock for dock, _focus in window.docks.values()],
    ]
    window.pool.hold_probes()

    def done() -> None:
        freeze_startup_objects()
        window.pool.release_probes()

    return StagedFirstPaint(window, stages, done)
