"""The window on the screen it opens on: a saved (or default) size larger than the screen's free area is
shrunk to fit, and a window left off-screen is brought back; dialogs wide enough for their titles; long
paths in labels that can wrap."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QEvent, QObject, QRect, Qt, QTimer
from PySide6.QtGui import QFontMetrics
from PySide6.QtWidgets import (
    QFrame,
    QGridLayout,
    QMessageBox,
    QScrollArea,
    QSizePolicy,
    QSpacerItem,
    QSplitter,
    QStyle,
    QWidget,
)

MIN_TABLE_ROWS = 6  # cue rows the table shows however small the window
PREVIEW_MIN = (96, 32)  # the preview may get this small on a small screen (the table comes first)
CAPTION_PANEL_MIN_W = 160  # the caption panel keeps this width (it scrolls sideways below it)
TITLE_BAR_EXTRA_PX = 160  # a title bar's icon, close/maximise/minimise buttons and margins


def fit_to_screen(window: QWidget, again: bool = True) -> QRect:
    """Shrink and move ``window`` so its frame lies within its screen's available geometry; returns it.
    With ``again``, it is fitted once more when first shown (when its frame is known)."""
    if again and not window.isVisible():
        _OnFirstShow(window, lambda: fit_to_screen(window, again=False))
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


class _OnFirstShow(QObject):
    """Call ``fn`` once ``widget`` is first shown and laid out (the window manager's frame is known then)."""

    def __init__(self, widget: QWidget, fn: Callable[[], object]) -> None:
        super().__init__(widget)
        self.fn = fn
        widget.installEventFilter(self)

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Show:
            obj.removeEventFilter(self)
            QTimer.singleShot(0, self.fn)
        return False


def _share(splitter: QSplitter, index: int, want: int) -> None:
    """Give the splitter's pane ``index`` (of two) ``want`` pixels, at most 45 % of the splitter."""
    total = sum(splitter.sizes())
    if total > 0:
        width = max(min(want, int(total * 0.45)), CAPTION_PANEL_MIN_W)
        splitter.setSizes([total - width, width] if index == 1 else [width, total - width])


def arrange(window: Any) -> None:
    """Layout that holds on small screens and large scale factors (1024x700, ``QT_SCALE_FACTOR=1.5``): the
    caption panel scrolls instead of pushing the table off the window, the table always shows
    :data:`MIN_TABLE_ROWS` rows, and the checks pane's text never changes the width of the docks (so the
    preview does not jump while you edit)."""
    panel = window.caption_panel
    splitter = panel.parentWidget()
    scroll = QScrollArea()
    scroll.setWidgetResizable(True)
    scroll.setFrameShape(QFrame.Shape.NoFrame)
    scroll.setAccessibleName("Caption settings")
    scroll.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # Tab goes to its controls; it scrolls to the focused one
    index = splitter.indexOf(panel)
    splitter.insertWidget(index, scroll)
    scroll.setWidget(panel)  # the splitter lets go of the panel as the scroll area takes it
    splitter.setStretchFactor(index, 2)  # against the preview's 3: its width once the minimums are met
    splitter.setCollapsible(index, False)
    scroll.setMinimumWidth(min(panel.sizeHint().width(), CAPTION_PANEL_MIN_W))
    bar = scroll.style().pixelMetric(QStyle.PixelMetric.PM_ScrollBarExtent, None, scroll)
    _OnFirstShow(window, lambda: _share(splitter, index, panel.sizeHint().width() + bar))
    table = window.table
    rows = table.verticalHeader().defaultSectionSize() * MIN_TABLE_ROWS
    # the header (sized before it has columns, so from the font) and a horizontal scroll bar on narrow windows
    header = max(table.horizontalHeader().sizeHint().height(), table.horizontalHeader().fontMetrics().height() + 6)
    bar = table.style().pixelMetric(QStyle.PixelMetric.PM_ScrollBarExtent, None, table)
    table.setMinimumHeight(rows + header + bar + 2 * table.frameWidth() + 2)
    scroll.setMinimumHeight(PREVIEW_MIN[1])
    margins = window.centralWidget().layout().contentsMargins()
    margins.setTop(2)
    margins.setBottom(2)
    window.centralWidget().layout().setContentsMargins(margins)
    window.preview.setMinimumSize(*PREVIEW_MIN)
    window.timeline.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Maximum)  # may lose its margin
    summary = window.checks.summary
    summary.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
    summary.setMinimumWidth(1)


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
