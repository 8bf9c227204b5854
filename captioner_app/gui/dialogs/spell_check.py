"""Edit > Spell Check (Ctrl+F7): goes through the track's unknown words one by one, as Subtitle Edit's
spell check does: the word in its cue, suggestions, Change, Change All, Skip, Skip All, Add to Dictionary.

It starts at the selected cue and reads on to the end of the track. Each word found selects its cue and
moves the playhead there; the word, its cue and the number of suggestions are said on the status line (and
shown in the dialog), so a screen-reader user hears where they are. Change is one undo step, Change All
(every whole-word occurrence in the track) is one undo step too.
"""

from __future__ import annotations

from collections.abc import Callable
from html import escape

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from captioner_app.core.errors import CaptionerError
from captioner_app.gui.panels.common import name_buddy_labels, named
from captioner_app.gui.session import Session
from captioner_app.gui.spelling import Misspelling, Speller, change_all, match_case, next_misspelling


class SpellCheckDialog(QDialog):
    def __init__(
        self, session: Session, select: Callable[[int], None], start_row: int = 0, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.session = session
        self.select = select
        self.row, self.offset = start_row, 0
        self.current: Misspelling | None = None
        self.setWindowTitle("Spell check")
        self.setAccessibleName("Spell check")
        self.word_label = named(QLabel(""), "Unknown word")
        self.context = named(QLabel(""), "Cue text")
        self.context.setWordWrap(True)
        self.context.setTextFormat(Qt.TextFormat.RichText)
        self.change_edit = named(QLineEdit(), "Change to")
        self.suggestions = named(QListWidget(), "Suggestions", "Enter or double click changes to the suggestion")
        buttons = [
            ("change", "&Change", "Change this word in this cue (one undo step)"),
            ("change_all", "Change &All", "Change this word everywhere in the track (one undo step)"),
            ("skip", "&Skip", "Leave this word here and go to the next unknown word"),
            ("skip_all", "Skip A&ll", "Leave this word everywhere until the app closes"),
            ("add", "A&dd to Dictionary", "Keep this word in your dictionary (in the app's data folder)"),
            ("close", "Close", "Close the spell check (Escape)"),
        ]
        self.buttons: dict[str, QPushButton] = {}
        column = QVBoxLayout()
        for key, text, tip in buttons:
            button = named(QPushButton(text), text.replace("&", ""), tip)
            button.setAutoDefault(False)
            self.buttons[key] = button
            column.addWidget(button)
        column.addStretch(1)
        form = QFormLayout()
        form.addRow("Not in the dictionary:", self.word_label)
        form.addRow("In the cue:", self.context)
        change_label = QLabel("Change &to:")
        change_label.setBuddy(self.change_edit)
        form.addRow(change_label, self.change_edit)
        suggestions_label = QLabel("S&uggestions:")
        suggestions_label.setBuddy(self.suggestions)
        form.addRow(suggestions_label, self.suggestions)
        name_buddy_labels(self)
        row = QHBoxLayout(self)
        left = QVBoxLayout()
        left.addLayout(form)
        row.addLayout(left, 1)
        row.addLayout(column)
        self.buttons["change"].setDefault(True)
        self.buttons["change"].clicked.connect(self.change)
        self.buttons["change_all"].clicked.connect(self.change_all)
        self.buttons["skip"].clicked.connect(self.skip)
        self.buttons["skip_all"].clicked.connect(self.skip_all)
        self.buttons["add"].clicked.connect(self.add)
        self.buttons["close"].clicked.connect(self.reject)
        self.suggestions.currentTextChanged.connect(lambda text: self.change_edit.setText(text) if text else None)
        self.suggestions.itemActivated.connect(lambda item: self.change())
        self.resize(560, 360)

    # -- moving through the track ------------------------------------------------------------------

    def speller(self) -> Speller | None:
        doc = self.session.doc
        return self.session.spelling.speller(doc.model.track.language) if doc is not None else None

    def start(self) -> Misspelling | None:
        """Find the first unknown word (call once the dialog is built); says why when nothing can be checked."""
        doc = self.session.doc
        if doc is None:
            self._finish("Open a video to spell check its cues")
            return None
        if self.speller() is None:
            self._finish(f"Not spell checked: {self.session.spelling.reason(doc.model.track.language)}")
            return None
        return self.advance()

    def advance(self) -> Misspelling | None:
        doc, speller = self.session.doc, self.speller()
        found = next_misspelling(doc.model.track.cues, speller, self.row, self.offset) if doc and speller else None
        self.current = found
        if found is None:
            self._finish("Spell check done: no more unknown words")
            return None
        self.select(found.row)
        self.session.playback.seek(doc.model.track[found.row].start_ms)  # type: ignore[union-attr]
        text = doc.model.track[found.row].text  # type: ignore[union-attr]
        self.word_label.setText(found.word)
        self.context.setText(
            f"Cue {found.row + 1}: {escape(text[: found.start])}<b><u>{escape(found.word)}</u></b>"
            f"{escape(text[found.end :])}"
        )
        self.context.setAccessibleDescription(text)
        suggestions = speller.suggestions(found.word) if speller else []
        self.suggestions.clear()
        self.suggestions.addItems(suggestions)
        self.change_edit.setText(suggestions[0] if suggestions else found.word)
        if suggestions:
            self.suggestions.setCurrentRow(0)
        for button in self.buttons.values():
            button.setEnabled(True)
        said = f"{len(suggestions)} suggestion{'s' if len(suggestions) != 1 else ''}"
        first = f", first {suggestions[0]}" if suggestions else ""
        self.session.status.emit(f"Unknown word “{found.word}” in cue {found.row + 1}: {said}{first}")
        self.change_edit.setFocus()
        self.change_edit.selectAll()
        return found

    def _finish(self, message: str) -> None:
        self.current = None
        self.word_label.setText("")
        self.context.setText(message)
        self.suggestions.clear()
        self.change_edit.clear()
        for key, button in self.buttons.items():
            button.setEnabled(key == "close")
        self.buttons["close"].setFocus()
        self.session.status.emit(message)

    # -- the buttons ---------------------------------------------------------------------------------

    def change(self) -> None:
        found, doc = self.current, self.session.doc
        new = self.change_edit.text()
        if found is None or doc is None or not new:
            return
        cue = doc.model.track[found.row]
        if cue.text[found.start : found.end] != found.word:  # the cue was edited meanwhile: look again
            self.row, self.offset = found.row, 0
            self.advance()
            return
        new = match_case(new, found.word) if new.casefold() != found.word.casefold() else new
        text = cue.text[: found.start] + new + cue.text[found.end :]
        doc.model.replace_cue(
            found.row, cue.with_(text=text), f"Change “{found.word}” to “{new}” in cue {found.row + 1}"
        )
        self.row, self.offset = found.row, found.start + len(new)
        self.advance()

    def change_all(self) -> None:
        found, doc = self.current, self.session.doc
        new = self.change_edit.text()
        if found is None or doc is None or not new:
            return
        cues, count = change_all(doc.model.track.cues, found.word, new)
        if count:
            doc.model.replace_all(cues, f"Change all “{found.word}” to “{new}” ({count})")
        self.session.status.emit(f"Changed {count} “{found.word}” to “{new}”")
        self.row, self.offset = found.row, found.start + len(new)
        self.advance()

    def skip(self) -> None:
        if self.current is not None:
            self.row, self.offset = self.current.row, self.current.end
            self.advance()

    def skip_all(self) -> None:
        if self.current is not None:
            self.session.spelling.ignore(self.current.word)
            self.row, self.offset = self.current.row, self.current.end
            self.advance()

    def add(self) -> None:
        if self.current is None:
            return
        try:
            self.session.spelling.add_word(self.current.word)
        except CaptionerError as err:
            self.session.report(str(err), "Cannot add to the dictionary")
            return
        self.row, self.offset = self.current.row, self.current.end
        self.advance()
