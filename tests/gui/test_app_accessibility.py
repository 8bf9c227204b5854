"""The app itself is accessible: names on every interactive widget, keyboard paths, palette, fonts."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtGui import QFont, QPalette
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractItemView,
    QAbstractSlider,
    QAbstractSpinBox,
    QApplication,
    QComboBox,
    QLineEdit,
    QPlainTextEdit,
    QTextEdit,
    QWidget,
)

from captioner_app.gui.app import parse_args
from captioner_app.gui.dialogs.shortcuts import shortcut_rows
from captioner_app.gui.widgets.timeline import Timeline

INTERACTIVE = (
    QAbstractButton,
    QAbstractSlider,
    QAbstractSpinBox,
    QComboBox,
    QLineEdit,
    QPlainTextEdit,
    QTextEdit,
    QAbstractItemView,
    Timeline,
)


def unnamed(root: QWidget) -> list[str]:
    missing = []
    for widget in [root, *root.findChildren(QWidget)]:
        if not isinstance(widget, INTERACTIVE):
            continue
        parent = widget.parentWidget()
        # parts Qt builds inside a composite widget (the spin box's line edit, a header's buttons)
        if isinstance(widget, QLineEdit) and isinstance(parent, (QAbstractSpinBox, QComboBox)):
            continue
        if isinstance(parent, QAbstractItemView) and not isinstance(widget, QLineEdit):
            continue
        if type(widget).__name__ in ("QScrollBar",) or widget.objectName().startswith("qt_"):
            continue
        if (
            widget.focusPolicy().name == "NoFocus"
            and isinstance(widget, QAbstractButton)
            and type(widget).__name__ in ("QDockWidgetTitleButton",)
        ):
            continue
        if not widget.accessibleName().strip():
            text = getattr(widget, "text", lambda: "")()
            missing.append(f"{type(widget).__name__} {widget.objectName()!r} text={text!r}")
    return missing


def test_every_interactive_widget_has_an_accessible_name(qtbot, make_window, small_video: Path, wait_opened):
    w = make_window()
    w.open_paths([str(small_video)])
    wait_opened(w)
    assert unnamed(w) == []
    w.show_model_dialog("test")
    assert unnamed(w.model_dialog) == []
    w.model_dialog.reject()
    w.show_shortcuts()
    assert unnamed(w.shortcuts_dialog) == []
    w.shortcuts_dialog.reject()


def test_every_action_has_a_keyboard_path_listed_in_help(qtbot, make_window):
    w = make_window()
    listed = {text for _, _, text in shortcut_rows()}
    without_keys = [a.text() for a in w.all_actions if not a.shortcuts()]
    # actions without their own keys are reachable through the menus' mnemonics (Alt+letter)
    for action in w.all_actions:
        assert "&" in action.text() or action.shortcuts(), action.text()
    assert {
        "Open Video…",
        "Undo",
        "Redo",
        "Caption Video",
        "Cancel",
        "Play/Pause",
        "Next Frame",
        "Split Cue at Playhead",
        "Merge Cues",
        "Find…",
        "Keyboard Shortcuts",
    } <= listed
    assert len(without_keys) <= 3, without_keys
    for menu in w.menuBar().findChildren(type(w.menuBar().actions()[0].menu())):
        assert "&" in menu.title() or not menu.title()
    keys = [s.toString() for a in w.all_actions for s in a.shortcuts()]
    assert len(keys) == len(set(keys)), "a shortcut is bound twice"


def test_follows_system_palette_and_font(qtbot, make_window):
    app = QApplication.instance()
    old_palette, old_font = app.palette(), app.font()
    try:
        contrast = QPalette()
        for role in (QPalette.ColorRole.Window, QPalette.ColorRole.Base):
            contrast.setColor(role, "black")
        for role in (QPalette.ColorRole.WindowText, QPalette.ColorRole.Text, QPalette.ColorRole.ButtonText):
            contrast.setColor(role, "yellow")
        app.setPalette(contrast)
        big = QFont(old_font)
        big.setPointSize(20)
        app.setFont(big)
        w = make_window()
        assert w.table.palette().color(QPalette.ColorRole.Base).name() == "#000000"
        assert w.timeline.palette().color(QPalette.ColorRole.WindowText).name() == "#ffff00"
        assert w.table.font().pointSize() == 20 and w.timeline.font().pointSize() == 20
        assert w.styleSheet() == "" and w.timeline.styleSheet() == ""
        image = w.timeline.grab().toImage()
        assert image.pixelColor(image.width() // 2, image.height() - 3).name() == "#000000"
    finally:
        app.setPalette(old_palette)
        app.setFont(old_font)


def test_command_line_options():
    args = parse_args(["a.mp4", "b.mp4", "--model", "/models/m", "--device", "cpu", "--autosave", "5"])
    assert args.files == ["a.mp4", "b.mp4"] and args.model == "/models/m" and args.autosave == 5.0
