"""The base of the command groups that act on the cue table's selection (edits, timing, find and replace).

They create no widgets: ``rows()`` gives the table's selected rows, ``select(row)`` selects one, and the
session does the work (its status line says what happened).
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject

from captioner_app.gui.session import Session


class SelectionCommands(QObject):
    def __init__(
        self,
        session: Session,
        rows: Callable[[], list[int]],
        select: Callable[[int], None],
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.session = session
        self.rows = rows
        self.select = select
