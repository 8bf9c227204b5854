"""The app icon on every window, Help > About (name, version, model, licence), and how the app is started
and stopped from outside (--verbose, SIGTERM) as installers and the frozen smoke test do."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from PySide6.QtCore import QTimer
from PySide6.QtGui import QFileOpenEvent, QIcon
from PySide6.QtWidgets import QApplication

from captioner_app import __version__
from captioner_app.core.model.engine import DEFAULT_MODEL
from captioner_app.gui.dialogs.about import AboutDialog, about_lines
from captioner_app.gui.icon import app_icon
from captioner_app.resources import ICON_SIZES


def _help_action(window, text: str):
    return next(a for a in window.all_actions if a.property("menu") == "Help" and a.text().replace("&", "") == text)


def test_app_icon_has_every_shipped_size(qtbot):
    icon = app_icon()
    assert not icon.isNull()
    assert sorted(s.width() for s in icon.availableSizes()) == sorted(ICON_SIZES)


def test_help_about_shows_name_version_model_and_licence(qtbot, make_window, tiny_model_dir: Path):
    w = make_window()
    _help_action(w, "About").trigger()
    dialog = w.about_dialog
    qtbot.waitUntil(dialog.isVisible)
    details = dialog.details.toPlainText()
    assert f"Captioner {__version__}" in details
    assert f"Model: {tiny_model_dir}" in details
    assert "Licence: Apache License 2.0" in details
    assert "TERMS AND CONDITIONS FOR USE, REPRODUCTION, AND DISTRIBUTION" in dialog.licence.toPlainText()
    assert dialog.details.isReadOnly() and dialog.licence.isReadOnly()
    assert dialog.accessibleName() == "About Captioner" and dialog.licence.accessibleName() == "Licence text"
    assert not dialog.icon_label.pixmap().isNull()
    dialog.copy_button.click()
    assert QApplication.clipboard().text() == "\n".join(dialog.lines)
    dialog.reject()
    assert not dialog.isVisible()


def test_about_names_the_default_model_and_its_licence(qtbot):
    lines = about_lines("")
    assert f"Model: {DEFAULT_MODEL}" in lines
    assert any(line.startswith("Model licence: Molmo2-4B") and "Apache" in line for line in lines)
    dialog = AboutDialog("/models/my-finetune")
    qtbot.addWidget(dialog)
    assert "Model licence: see the model card of /models/my-finetune" in dialog.lines
    assert any(line.startswith("PyTorch ") for line in dialog.lines)  # read from metadata, torch not imported


def test_started_app_sets_the_icon_and_desktop_file_name(qtbot, tiny_model_dir: Path, small_video: Path, monkeypatch):
    """captioner-gui's main(): the window (and every dialog) carries the app icon; the desktop entry is named;
    files the desktop hands over (macOS FileOpen events) are opened."""
    from captioner_app.gui.app import main

    monkeypatch.setattr("captioner_app.gui.app.FILE_OPEN_EVENTS", True)  # as on macOS, which sends them

    app = QApplication.instance()
    seen: dict[str, object] = {}

    def look_and_close() -> None:
        windows = [w for w in app.topLevelWidgets() if w.isWindow() and w.isVisible()]
        window = next(w for w in windows if w.metaObject().className() == "MainWindow")
        seen["window_icon"] = not window.windowIcon().isNull()
        seen["sizes"] = len(window.windowIcon().availableSizes())
        # macOS: a double-clicked file arrives as a FileOpen event
        QApplication.sendEvent(app, QFileOpenEvent(str(small_video)))
        seen["opened"] = [d.video for d in window.documents]
        window.close()

    QTimer.singleShot(0, look_and_close)
    try:
        assert main(["--no-restore", "--model", str(tiny_model_dir), "--device", "cpu"]) == 0
        assert seen == {"window_icon": True, "sizes": len(ICON_SIZES), "opened": [str(small_video)]}
        assert app.desktopFileName() == "captioner-gui"
        assert not app.windowIcon().isNull()
    finally:
        app.setWindowIcon(QIcon())  # leave the shared QApplication as other tests expect it


def test_no_application_wide_event_filter_where_no_file_open_events_come(qtbot, monkeypatch) -> None:
    """Off macOS the app installs no Python filter on the application, which would run for every event of
    every widget (and take the interpreter lock each time) to wait for events that never come."""
    from captioner_app.gui.app import _open_files_from_desktop

    app = QApplication.instance()
    monkeypatch.setattr("captioner_app.gui.app.FILE_OPEN_EVENTS", False)
    assert _open_files_from_desktop(app, lambda paths: None) is None
    monkeypatch.setattr("captioner_app.gui.app.FILE_OPEN_EVENTS", True)
    opened: list[list[str]] = []
    opener = _open_files_from_desktop(app, opened.append)
    try:
        QApplication.sendEvent(app, QFileOpenEvent("/tmp/clip.mp4"))
    finally:
        app.removeEventFilter(opener)
    assert opened == [["/tmp/clip.mp4"]]


def test_verbose_prints_status_and_sigterm_quits_cleanly(small_video: Path, data_dir: Path, tiny_model_dir: Path):
    """What packaging/linux/smoke.sh does to the frozen app, here with the installed one."""
    env = dict(os.environ, CAPTIONER_DATA_DIR=str(data_dir), QT_QPA_PLATFORM="offscreen")
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "captioner_app",
            str(small_video),
            "--verbose",
            "--no-restore",
            "--model",
            str(tiny_model_dir),
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    lines: list[str] = []
    try:
        assert proc.stderr is not None
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline and not any("shot change" in line for line in lines):
            line = proc.stderr.readline()
            if not line:
                break
            lines.append(line)
        assert any(line.startswith(f"captioner-gui: Opened {small_video.name}: 160x90") for line in lines), lines
        assert any("shot change" in line for line in lines), lines  # speech and shot analysis ran
        proc.send_signal(signal.SIGTERM)
        rest = proc.communicate(timeout=300)[1]  # quitting waits for the background torch import
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 0, "".join(lines) + rest
    assert "Traceback" not in rest
    assert small_video.name in (data_dir / "settings.json").read_text(encoding="utf-8")  # settings saved on quit
