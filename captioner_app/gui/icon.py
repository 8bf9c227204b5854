"""The app icon, built from the PNG sizes shipped as package data (so it works installed and frozen)."""

from __future__ import annotations

from PySide6.QtGui import QIcon, QPixmap

from captioner_app.resources import ICON_SIZES, icon_png


def app_icon() -> QIcon:
    """Captioner's icon at every size it ships in; Qt picks the nearest size for each use."""
    icon = QIcon()
    for size in ICON_SIZES:
        pixmap = QPixmap()
        if pixmap.loadFromData(icon_png(size), "PNG"):
            icon.addPixmap(pixmap)
    return icon
