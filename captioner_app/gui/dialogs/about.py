"""Help > About: the app's name, version, model, licence and the versions of what it runs on.

Everything is in read-only text fields (not bare labels) so a screen reader can move through it line by
line, and "Copy Details" puts the facts on the clipboard for a bug report.
"""

from __future__ import annotations

import platform
from importlib import metadata

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication, QPixmap
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)

from captioner_app import __version__
from captioner_app.core.model.engine import DEFAULT_MODEL
from captioner_app.gui.screen import fit_title
from captioner_app.resources import APP_NAME, LICENSE_NAME, icon_png, license_text

# what the app runs on, by distribution name (read from installed metadata: never imports torch)
COMPONENTS = (("torch", "PyTorch"), ("transformers", "Transformers"))
MODEL_NOTES = {
    DEFAULT_MODEL: "Molmo2-4B by the Allen Institute for AI (Ai2), Apache License 2.0; "
    "downloaded separately on first use, not part of Captioner",
}


def _version(dist: str) -> str:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return "not installed"


def about_lines(model: str | None) -> list[str]:
    """The facts the dialog shows, one per line (also what Copy Details copies)."""
    model = (model or "").strip() or DEFAULT_MODEL
    from PySide6 import __version__ as pyside_version
    from PySide6.QtCore import qVersion

    lines = [
        f"{APP_NAME} {__version__}",
        f"Model: {model}",
        f"Model licence: {MODEL_NOTES.get(model, 'see the model card of ' + model)}",
        f"Licence: {LICENSE_NAME} (the full text is below)",
        f"Python {platform.python_version()} on {platform.system()} {platform.release()} ({platform.machine()})",
        f"Qt {qVersion()}, PySide6 {pyside_version}",
    ]
    lines += [f"{label} {_version(dist)}" for dist, label in COMPONENTS]
    return lines


class AboutDialog(QDialog):
    def __init__(self, model: str | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"About {APP_NAME}")
        self.setAccessibleName(f"About {APP_NAME}")
        fit_title(self)
        self.lines = about_lines(model)

        heading = QHBoxLayout()
        self.icon_label = QLabel(self)
        pixmap = QPixmap()
        pixmap.loadFromData(icon_png(64), "PNG")
        self.icon_label.setPixmap(pixmap)
        self.icon_label.setAccessibleName(f"{APP_NAME} icon")
        title = QLabel(
            f"<b>{APP_NAME} {__version__}</b><br>Audio-description tracks for videos, written "
            "offline by a vision-language model.",
            self,
        )
        title.setTextFormat(Qt.TextFormat.RichText)
        title.setWordWrap(True)
        heading.addWidget(self.icon_label)
        heading.addWidget(title, 1)

        self.details = QPlainTextEdit("\n".join(self.lines), self)
        self.details.setReadOnly(True)
        self.details.setAccessibleName("About details")
        self.details.setMaximumHeight(self.details.fontMetrics().lineSpacing() * (len(self.lines) + 2))
        licence_label = QLabel(f"&Licence: {LICENSE_NAME}", self)
        self.licence = QPlainTextEdit(license_text(), self)
        self.licence.setReadOnly(True)
        self.licence.setAccessibleName("Licence text")
        licence_label.setBuddy(self.licence)

        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        self.copy_button = buttons.addButton("&Copy Details", QDialogButtonBox.ButtonRole.ActionRole)
        self.copy_button.setAccessibleName("Copy details")
        self.copy_button.clicked.connect(self.copy_details)
        buttons.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.addLayout(heading)
        layout.addWidget(self.details)
        layout.addWidget(licence_label)
        layout.addWidget(self.licence, 1)
        layout.addWidget(buttons)
        self.details.setFocus()
        self.resize(640, 560)

    def copy_details(self) -> None:
        QGuiApplication.clipboard().setText("\n".join(self.lines))
