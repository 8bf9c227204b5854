"""Edit menu commands on the selected cues: undo and redo, delete, split at the playhead, merge, edit the
text, mark extended, spell check, speak the cue; and Go to Selected Cue. Each edit is one undo step of the
active document's cue model (the session's rules); this only turns the selection into the session's call.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtWidgets import QWidget

from captioner_app.gui.panels.cue_table import CueTable
from captioner_app.gui.selection import SelectionCommands
from captioner_app.gui.session import Session


class EditCommands(SelectionCommands):
    def __init__(
        self,
        session: Session,
        table: CueTable,
        rows: Callable[[], list[int]],
        select: Callable[[int], None],
        parent: QWidget,
    ) -> None:
        super().__init__(session, rows, select, parent)
        self.table = table
        self.window = parent  # the spell check dialog's parent
        self.spell_dialog: Any = None  # Edit > Spell Check, once shown

    def undo(self) -> None:
        if self.session.doc is not None:
            self.session.doc.model.undo_stack.undo()

    def redo(self) -> None:
        if self.session.doc is not None:
            self.session.doc.model.undo_stack.redo()

    def delete_cues(self) -> None:
        self.session.delete_cues(self.rows())

    def split_cue(self) -> None:
        self.session.split_cue(self.rows())

    def merge_cues(self) -> None:
        self.session.merge_cues(self.rows())

    def edit_text(self) -> None:
        self.table.edit_text()

    def toggle_extended(self) -> None:
        """Mark the selected cues extended (the player pauses for them), or unmark them if all are."""
        self.session.toggle_extended(self.rows())

    def spell_check(self) -> None:
        from captioner_app.gui.dialogs.spell_check import SpellCheckDialog

        self.spell_dialog = SpellCheckDialog(self.session, self.select, (self.rows() or [0])[0], self.window)
        self.spell_dialog.open()
        self.spell_dialog.start()

    def speak_cue(self) -> bool:
        """Say the selected cue with text-to-speech, or say why that is not possible here."""
        return self.session.narration.speak_cue(self.rows())

    def goto_selected(self) -> None:
        rows, doc = self.rows(), self.session.doc
        if rows and doc is not None:
            self.session.playback.seek(doc.model.track[rows[0]].start_ms)
