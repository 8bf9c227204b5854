"""A progress bar that repaints with the event loop, not inside ``setValue``."""

from __future__ import annotations

from PySide6.QtWidgets import QProgressBar


class ProgressBar(QProgressBar):
    """``QProgressBar.setValue`` repaints at once (synchronously) whenever its text changes, and on the
    way repaints what lies around it: a worker's progress update then paints the timeline and the cue
    table in the middle of the GUI thread's work (measured with ``benchmarks/gui_stall.py --trace``).
    Here a new value schedules the repaint for the next pass of the event loop, where Qt merges it
    with the others. Screen readers still get the value change at once."""

    def setValue(self, value: int) -> None:  # noqa: N802 (Qt's name)
        if value == self.value():
            return
        self.setUpdatesEnabled(False)  # the synchronous repaint inside setValue does nothing ...
        try:
            super().setValue(value)
        finally:
            self.setUpdatesEnabled(True)  # ... and this schedules an ordinary update()
