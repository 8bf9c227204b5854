"""Captioning a video that already has cues: replace them, add to them, or cancel."""

from __future__ import annotations

from PySide6.QtWidgets import QMessageBox, QPushButton, QWidget

from captioner_app.gui.screen import fit_title

ANSWERS = ("replace", "add", "cancel")


def existing_cues_box(parent: QWidget | None, title: str, count: int) -> tuple[QMessageBox, dict[str, QPushButton]]:
    """The question, with one keyboard-reachable button per answer (Alt+R, Alt+A, Escape)."""
    cues = f"{count} cue{'s' if count != 1 else ''}"
    box = QMessageBox(QMessageBox.Icon.Question, "Caption again?", f"{title} already has {cues}.", parent=parent)
    box.setInformativeText(
        "Replace them with the new descriptions (one undo brings them back), add the new descriptions to "
        "them (they may overlap), or cancel?"
    )
    buttons: dict[str, QPushButton] = {
        "replace": box.addButton("&Replace", QMessageBox.ButtonRole.DestructiveRole),
        "add": box.addButton("&Add to them", QMessageBox.ButtonRole.AcceptRole),
        "cancel": box.addButton(QMessageBox.StandardButton.Cancel),
    }
    box.setDefaultButton(buttons["cancel"])
    box.setEscapeButton(buttons["cancel"])
    box.setAccessibleName("Caption again?")
    fit_title(box)
    return box, buttons


def ask_about_existing_cues(parent: QWidget | None, title: str, count: int) -> str:
    """'replace', 'add' or 'cancel'."""
    box, buttons = existing_cues_box(parent, title, count)
    box.exec()
    clicked = box.clickedButton()
    return next((answer for answer, button in buttons.items() if button is clicked), "cancel")
