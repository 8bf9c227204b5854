"""The preview pane: shows the latest decoded frame, scaled to fit, keeping its aspect ratio."""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QImage, QPainter, QPaintEvent, QPalette, QPixmap
from PySide6.QtWidgets import QSizePolicy, QWidget


class PreviewPane(QWidget):
    shown = Signal(int)  # the time of the frame now on screen

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMinimumSize(160, 90)
        self._pixmap: QPixmap | None = None
        self.message = "Open a video (Ctrl+O) or drop files here"
        self.frame_ms = -1

    def sizeHint(self) -> QSize:
        return QSize(640, 360)

    def show_image(self, image: QImage, time_ms: int) -> None:
        self._pixmap = QPixmap.fromImage(image)
        self.frame_ms = time_ms
        self.repaint()  # paint now, so "shown" means on screen
        self.shown.emit(time_ms)

    def clear(self, message: str) -> None:
        self._pixmap = None
        self.frame_ms = -1
        self.message = message
        self.update()

    def paintEvent(self, event: QPaintEvent) -> None:
        p = QPainter(self)
        p.fillRect(self.rect(), self.palette().color(QPalette.ColorRole.Shadow))
        if self._pixmap is not None and not self._pixmap.isNull():
            scaled = self._pixmap.size().scaled(self.size(), Qt.AspectRatioMode.KeepAspectRatio)
            x = (self.width() - scaled.width()) // 2
            y = (self.height() - scaled.height()) // 2
            p.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
            p.drawPixmap(x, y, scaled.width(), scaled.height(), self._pixmap)
        else:
            p.setPen(self.palette().color(QPalette.ColorRole.BrightText))
            p.drawText(self.rect(), int(Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap), self.message)
        p.end()
