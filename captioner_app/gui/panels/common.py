"""Small helpers shared by the panels and the window."""

from __future__ import annotations

from typing import Any, TypeVar

from PySide6.QtWidgets import QComboBox, QLabel, QWidget

W = TypeVar("W", bound=QWidget)


def named(widget: W, name: str, description: str = "") -> W:
    """Give a widget its accessible name (and description, also as its tooltip)."""
    widget.setAccessibleName(name)
    if isinstance(widget, QComboBox):
        widget.view().setAccessibleName(f"{name} choices")
    if description:
        widget.setAccessibleDescription(description)
        widget.setToolTip(description)
    return widget


def name_buddy_labels(root: Any) -> None:
    """Labels that are the buddies' visible names get the same accessible name (without the mnemonic)."""
    for label in root.findChildren(QLabel):
        if label.buddy() is not None and not label.accessibleName():
            label.setAccessibleName(label.text().replace("&", "").rstrip(":"))
