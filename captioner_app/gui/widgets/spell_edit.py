"""The cue text editor of the cue table: unknown words are underlined (a QSyntaxHighlighter) and the
context menu (the Menu key, Shift+F10 or a right click) offers the word's suggestions, Add to Dictionary
and Skip All above the usual editing commands.

Enter ends the edit (Shift+Enter starts a new line in the cue), Escape drops it, Tab moves on; as with the
table's other cells, the edit is one undo step. The underline is the platform's spell-check underline in
the palette's link colour, and a screen reader hears the unknown words through the editor's accessible
description ("unknown words: ...").
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QEvent, QModelIndex, QObject, QPersistentModelIndex, Qt, Signal
from PySide6.QtGui import (
    QAction,
    QColor,
    QContextMenuEvent,
    QKeyEvent,
    QSyntaxHighlighter,
    QTextCharFormat,
    QTextCursor,
    QTextDocument,
)
from PySide6.QtWidgets import (
    QAbstractItemDelegate,
    QMenu,
    QPlainTextEdit,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QWidget,
)

from captioner_app.core.errors import CaptionerError
from captioner_app.gui.spelling import Speller, Spelling, words

_Index = QModelIndex | QPersistentModelIndex


class SpellHighlighter(QSyntaxHighlighter):
    """Underlines the words ``speller()`` does not know (no underline while it is None)."""

    def __init__(self, document: QTextDocument, speller: Callable[[], Speller | None]) -> None:
        super().__init__(document)
        self.speller = speller
        self.underline = QTextCharFormat()
        self.underline.setUnderlineStyle(QTextCharFormat.UnderlineStyle.SpellCheckUnderline)
        self.underline.setUnderlineColor(QColor(220, 0, 0))

    def highlightBlock(self, text: str) -> None:
        speller = self.speller()
        if speller is None:
            return
        for start, end, _word in speller.misspelt(text):
            self.setFormat(start, end - start, self.underline)


class CueTextEdit(QPlainTextEdit):
    editingDone = Signal()  # Enter: keep the text and close
    problem = Signal(str, str)  # a word could not be added to the dictionary: message, title

    def __init__(self, spelling: Spelling, language: Callable[[], str], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.spelling = spelling
        self.language = language
        self.setAccessibleName("Cue text")
        self.setTabChangesFocus(True)
        self.setLineWrapMode(QPlainTextEdit.LineWrapMode.WidgetWidth)
        self.highlighter = SpellHighlighter(self.document(), self.speller)
        self.menu: QMenu | None = None  # the open context menu (tests and tools read it)
        spelling.changed.connect(self.highlighter.rehighlight)
        self.textChanged.connect(self._describe)

    def speller(self) -> Speller | None:
        try:
            return self.spelling.speller(self.language())
        except (OSError, ValueError):  # a broken dictionary file in the package: no spell check
            return None

    def unknown_words(self) -> list[str]:
        speller = self.speller()
        return [w for _s, _e, w in speller.misspelt(self.toPlainText())] if speller else []

    def _describe(self) -> None:
        unknown = self.unknown_words()
        self.setAccessibleDescription(
            f"Unknown words: {', '.join(unknown)}. Shift+F10 for suggestions." if unknown else ""
        )

    def keyPressEvent(self, event: QKeyEvent) -> None:
        key, mods = event.key(), event.modifiers()
        if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and not mods & Qt.KeyboardModifier.ShiftModifier:
            self.editingDone.emit()
            return
        if (key == Qt.Key.Key_F10 and mods == Qt.KeyboardModifier.ShiftModifier) or key == Qt.Key.Key_Menu:
            at = self.cursorRect().bottomLeft()
            self.contextMenuEvent(
                QContextMenuEvent(QContextMenuEvent.Reason.Keyboard, at, self.viewport().mapToGlobal(at))
            )
            return
        super().keyPressEvent(event)

    def word_at(self, cursor: QTextCursor) -> tuple[int, int, str] | None:
        """The word under the text cursor (touching it on either side)."""
        block = cursor.block()
        at = cursor.position() - block.position()
        for start, end, word in words(block.text()):
            if start <= at <= end:
                return block.position() + start, block.position() + end, word
        return None

    def contextMenuEvent(self, event: QContextMenuEvent) -> None:
        if event.reason() == QContextMenuEvent.Reason.Mouse:
            self.setTextCursor(self.cursorForPosition(event.pos()))
        self.menu = self.spelling_menu()
        if event.reason() == QContextMenuEvent.Reason.Mouse:
            self.menu.popup(event.globalPos())
        else:
            self.menu.popup(self.viewport().mapToGlobal(self.cursorRect().bottomLeft()))
        first = next((a for a in self.menu.actions() if a.isEnabled() and not a.isSeparator()), None)
        if first is not None:
            self.menu.setActiveAction(first)

    def spelling_menu(self) -> QMenu:
        """The context menu: for an unknown word under the cursor, its suggestions (choosing one replaces
        the word), Add to Dictionary and Skip All; then the standard editing commands."""
        menu = self.createStandardContextMenu()
        menu.setAccessibleName("Cue text menu")
        speller, found = self.speller(), self.word_at(self.textCursor())
        if speller is None or found is None or speller.known(found[2]):
            return menu
        start, end, word = found
        first = menu.actions()[0] if menu.actions() else None
        items: list[QAction] = []
        suggestions = speller.suggestions(word)
        for suggestion in suggestions:
            action = QAction(suggestion, menu)
            action.triggered.connect(lambda _=False, s=suggestion: self._replace(start, end, s))
            items.append(action)
        if not suggestions:
            none = QAction(f"(no suggestions for “{word}”)", menu)
            none.setEnabled(False)
            items.append(none)
        add = QAction(f"Add “{word}” to Dictionary", menu)
        add.triggered.connect(lambda: self._add(word))
        skip = QAction(f"Skip “{word}” Everywhere", menu)
        skip.triggered.connect(lambda: self.spelling.ignore(word))
        items += [add, skip]
        for action in items:
            menu.insertAction(first, action)  # type: ignore[arg-type]
        menu.insertSeparator(first)  # type: ignore[arg-type]
        return menu

    def _replace(self, start: int, end: int, text: str) -> None:
        cursor = self.textCursor()
        cursor.setPosition(start)
        cursor.setPosition(end, QTextCursor.MoveMode.KeepAnchor)
        cursor.insertText(text)
        self.setTextCursor(cursor)

    def _add(self, word: str) -> None:
        try:
            self.spelling.add_word(word)
        except CaptionerError as err:
            self.problem.emit(str(err), "Cannot add to the dictionary")


class CueTextDelegate(QStyledItemDelegate):
    """Edits the cue table's text column in a :class:`CueTextEdit`."""

    problem = Signal(str, str)  # message, title

    def __init__(self, spelling: Spelling, language: Callable[[], str], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.spelling = spelling
        self.language = language
        self.editor: CueTextEdit | None = None  # the open editor, if any

    def createEditor(self, parent: QWidget, option: QStyleOptionViewItem, index: _Index) -> QWidget:
        editor = CueTextEdit(self.spelling, self.language, parent)
        editor.editingDone.connect(lambda: self._done(editor))
        editor.problem.connect(self.problem)
        editor.destroyed.connect(lambda *_: setattr(self, "editor", None))
        self.editor = editor
        return editor

    def _done(self, editor: CueTextEdit) -> None:
        self.commitData.emit(editor)
        self.closeEditor.emit(editor, QAbstractItemDelegate.EndEditHint.NoHint)

    def setEditorData(self, editor: QWidget, index: _Index) -> None:
        if isinstance(editor, CueTextEdit):
            editor.setPlainText(str(index.data(Qt.ItemDataRole.EditRole) or ""))
            editor.moveCursor(QTextCursor.MoveOperation.End)
        else:
            super().setEditorData(editor, index)

    def setModelData(self, editor: QWidget, model: Any, index: _Index) -> None:
        if isinstance(editor, CueTextEdit):
            model.setData(index, editor.toPlainText(), Qt.ItemDataRole.EditRole)
        else:
            super().setModelData(editor, model, index)

    def updateEditorGeometry(self, editor: QWidget, option: QStyleOptionViewItem, index: _Index) -> None:
        """The cell, at least three lines high (moved up to stay inside the table at its bottom)."""
        rect = option.rect
        height = max(rect.height(), editor.fontMetrics().lineSpacing() * 3 + 10)
        parent = editor.parentWidget()
        top = min(rect.y(), max(0, parent.height() - height)) if parent is not None else rect.y()
        editor.setGeometry(rect.x(), top, rect.width(), height)

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:
        # the open context menu takes the focus: that is not the end of the edit
        if (
            event.type() == QEvent.Type.FocusOut
            and isinstance(obj, CueTextEdit)
            and obj.menu is not None
            and obj.menu.isVisible()
        ):
            return False
        return super().eventFilter(obj, event)
