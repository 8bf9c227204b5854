"""The window on the screen it opens on: a saved (or default) size larger than the screen's free area is
shrunk to fit, and a window left off-screen is brought back."""

from __future__ import annotations

from PySide6.QtCore import QRect
from PySide6.QtWidgets import QWidget


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
