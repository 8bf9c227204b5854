"""Quitting with unsaved edits: save them in projects, quit (they stay as an autosave), or cancel."""

from __future__ import annotations

from PySide6.QtWidgets import QMessageBox, QWidget

from captioner_app.gui.screen import fit_title


def ask_about_unsaved(parent: QWidget, titles: list[str]) -> str:
    """'save', 'quit' or 'cancel'."""
    names = ", ".join(titles[:3]) + (f" and {len(titles) - 3} more" if len(titles) > 3 else "")
    box = QMessageBox(
        QMessageBox.Icon.Question, "Unsaved edits", f"Edits not saved in a project: {names}.", parent=parent
    )
    box.setInformativeText(
        "Save them in project files? If you quit without saving, they are kept as an "
        "autosave and offered when Captioner starts again."
    )
    save = box.addButton("&Save…", QMessageBox.ButtonRole.AcceptRole)
    quit_ = box.addButton("&Quit without saving", QMessageBox.ButtonRole.DestructiveRole)
    box.addButton(QMessageBox.StandardButton.Cancel)
    box.setDefaultButton(save)
    box.setAccessibleName("Unsaved edits")
    fit_title(box)
    box.exec()
    clicked = box.clickedButton()
    return "save" if clicked is save else "quit" if clicked is quit_ else "cancel"
