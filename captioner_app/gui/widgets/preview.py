"""The preview pane: shows the latest decoded frame, scaled to fit, keeping its aspect ratio.

The pane says how large it is (:attr:`PreviewPane.viewResized`, in device pixels) so that the frame worker
decodes pictures at the size shown: painting is then a copy, not a smooth rescale on the GUI thread."""

from __future__ import annotations

from PySide6.QtCore import QRect, QSize, Qt, Signal
from PySide6.QtGui import QImage, QPainter, QPaintEvent, QPalette, QResizeEvent
from PySide6.QtWidgets import QSizePolicy, QWidget


class PreviewPane(QWidget):
    shown = Signal(int)  # the time of the frame now on screen
    viewResized = Signal(int, int)  # the pane's size in device pixels

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMinimumSize(160, 90)
        # paintEvent fills the whole pane: Qt need not paint what is behind it first (show_image repaints
        # at once, on the GUI thread, for every picture played)
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)
        self._image: QImage | None = None
        self.message = "Open a video (Ctrl+O) or drop files here"
        self.frame_ms = -1

    def sizeHint(self) -> QSize:
        return QSize(640, 360)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        ratio = self.devicePixelRatioF()
        self.viewResized.emit(round(self.width() * ratio), round(self.height() * ratio))

    def show_image(self, image: QImage, time_ms: int) -> None:
        self._image = image
        self.frame_ms = time_ms
        self.repaint()  # paint now, so "shown" means on screen
        self.shown.emit(time_ms)

    def clear(self, message: str) -> None:
        self._image = None
        self.frame_ms = -1
        self.message = message
        self.update()

    def paintEvent(self, event: QPaintEvent) -> None:
        p = QPainter(self)
        p.fillRect(self.rect(), self.palette().color(QPalette.ColorRole.Shadow))
        if self._image is not None and not self._image.isNull():
            ratio = self.devicePixelRatioF()
            scaled = self._image.size().scaled(self.size(), Qt.AspectRatioMode.KeepAspectRatio)
            x = (self.width() - scaled.width()) // 2
            y = (self.height() - scaled.height()) // 2
            image = self._image
            if abs(image.width() - scaled.width() * ratio) > 1 or abs(image.height() - scaled.height() * ratio) > 1:
                # decoded for another size (the pane was just resized): rescale until the next frame
                p.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
            p.drawImage(QRect(x, y, scaled.width(), scaled.height()), image)
        else:
            p.setPen(self.palette().color(QPalette.ColorRole.BrightText))
            p.drawText(self.rect(), int(Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap), self.message)
        p.end()
