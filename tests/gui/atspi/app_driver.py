"""The app under AT-SPI: a main window with the tiny model, driven by lines on stdin; says what happened on
stdout. Run by tests/gui/test_atspi.py under Xvfb with the xcb platform and the accessibility bus.

    python app_driver.py MODEL_DIR VIDEO

stdin: ``step`` (Page Down on the focused scrub slider: one second on), ``caption`` (Ctrl+R on the window),
``quit``. stdout: ``ready`` (the video is open, analysed and shown), ``stepped``, ``captioned``.
"""

from __future__ import annotations

import sys

from PySide6.QtCore import QSocketNotifier, Qt, QTimer
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from captioner_app.gui.main_window import MainWindow
from captioner_app.gui.preferences import Settings


def main() -> int:
    model, video = sys.argv[1], sys.argv[2]
    app = QApplication(sys.argv[:1])
    app.setApplicationName("Captioner")
    window = MainWindow(Settings(window_s=2.0, autosave_s=600.0), model=model, device="cpu")  # type: ignore[arg-type]
    window._ask_about_unsaved = lambda dirty: "quit"  # type: ignore[method-assign]
    window.show()
    window.open_paths([video])

    def say(line: str) -> None:
        print(line, flush=True)

    def ready() -> None:
        doc = window.doc
        if doc is not None and doc.info is not None and doc.analysis is not None and window.last_frame is not None:
            poll.stop()
            window.activateWindow()
            say("ready")

    poll = QTimer()
    poll.timeout.connect(ready)
    poll.start(200)

    def finished(running: bool) -> None:
        if not running:
            QTimer.singleShot(300, lambda: say("captioned"))

    window.session.jobs.runningChanged.connect(finished)

    def command() -> None:
        line = sys.stdin.readline().strip()
        if line == "step":
            window.slider.setFocus()
            QTest.keyClick(window.slider, Qt.Key.Key_PageDown)
            QTimer.singleShot(300, lambda: say("stepped"))
        elif line == "caption":
            QTest.keyClick(window, Qt.Key.Key_R, Qt.KeyboardModifier.ControlModifier)
        elif line in ("quit", ""):
            window.close()
            app.quit()

    notifier = QSocketNotifier(sys.stdin.fileno(), QSocketNotifier.Type.Read)
    notifier.activated.connect(command)
    code = app.exec()
    window.shutdown()
    return code


if __name__ == "__main__":
    sys.exit(main())
