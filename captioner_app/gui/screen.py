"""The window on the screen it opens on: a saved (or default) size larger than the screen's free area is
shrunk to fit, and a window left off-screen is brought back; dialogs wide enough for their titles; long
paths in labels that can wrap."""

from __future__ import annotations

from PySide6.QtCore import QRect
from PySide6.QtGui import QFontMetrics
from PySide6.QtWidgets import QGridLayout, QMessageBox, QSpacerItem, QWidget

TITLE_BAR_EXTRA_PX = 160  # a title bar's icon, close/maximise/minimise buttons and margins


def fit_to_screen(window: QWidget) -> QRect:
    """Shrink and move ``window`` so its frame lies within its screen's available geometry; returns it."""
    screen = window.screen()
    if screen is None:
        return window.geometry()
    free = screen.availableGeometry()
    frame, inner = window.frameGeometry(), window.geometry()
    # the window manager's frame (title bar, borders) around the inner geometry; none before it is shown
    extra_w, extra_h = max(0, frame.width() - inner.width()), max(0, frame.height() - inner.height())
    width = min(inner.width(), free.width() - extra_w)
    height = min(inner.height(), free.height() - extra_h)
    if (width, height) != (inner.width(), inner.height()):
        window.resize(max(width, window.minimumWidth()), max(height, window.minimumHeight()))
    frame = window.frameGeometry()
    x = min(max(frame.x(), free.x()), free.right() - frame.width() + 1)
    y = min(max(frame.y(), free.y()), free.bottom() - frame.height() + 1)
    if (x, y) != (frame.x(), frame.y()):
        window.move(x, y)
    return window.geometry()


def wrappable(text: str, longest: int = 30) -> str:
    """``text`` with a zero-width space after each ``/ \\ _ - .`` of its long words (paths, hub ids), so a
    word-wrapped label breaks them instead of spilling over its neighbours."""
    words = text.split(" ")
    for i, word in enumerate(words):
        if len(word) > longest:
            for sep in "/\\_-.":
                word = word.replace(sep, sep + "\u200b")
            words[i] = word
    return " ".join(words)


def fit_title(dialog: QWidget) -> None:
    """Make ``dialog`` wide enough for its whole title beside the title bar's icon and buttons."""
    font = dialog.font()
    font.setBold(True)  # title bars often draw bold, and larger than the text
    font.setPointSizeF(font.pointSizeF() * 1.2)
    needed = QFontMetrics(font).horizontalAdvance(dialog.windowTitle()) + TITLE_BAR_EXTRA_PX
    layout = dialog.layout()
    if isinstance(dialog, QMessageBox) and isinstance(layout, QGridLayout):
        # a message box fixes its own size from its layout: a spacer of that width keeps the title whole
        layout.addItem(QSpacerItem(needed, 0), layout.rowCount(), 0, 1, layout.columnCount())
    else:
        dialog.setMinimumWidth(max(dialog.minimumWidth(), needed))
