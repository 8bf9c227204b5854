"""Measure the main window's layout on a screen of a given size (run in its own process, since the
platform's screen and ``QT_SCALE_FACTOR`` are fixed when Qt starts). Used by tests/gui/test_app_layout.py.

    QT_QPA_PLATFORM=offscreen:configfile=SCREEN.json [QT_SCALE_FACTOR=1.5] python layout_probe.py

Prints one JSON object: the screen's available geometry, the window's frame geometry, how many cue
rows the table shows whole, whether the preview moved when the checks summary grew, and the geometry a
saved geometry larger than the screen was shrunk to.
"""

from __future__ import annotations

import json
import sys

from PySide6.QtCore import QRect
from PySide6.QtWidgets import QApplication

from captioner_app.core.tracks.track import Cue, Track
from captioner_app.gui.document import Document
from captioner_app.gui.main_window import MainWindow
from captioner_app.gui.preferences import Settings


def rect(r: QRect) -> list[int]:
    return [r.x(), r.y(), r.width(), r.height()]


def settle(app: QApplication) -> None:
    for _ in range(5):
        app.processEvents()


def main() -> int:
    app = QApplication(sys.argv[:1])
    window = MainWindow(Settings(auto_analyze=False), model="unused", device="cpu", check_recovery=False)  # type: ignore[arg-type]
    window._ask_about_unsaved = lambda dirty: "quit"  # type: ignore[method-assign]
    window.showMaximized()
    doc = window.session.add_document(Document(None, window.session))
    doc.probing = False
    doc.model.load(Track([Cue(i * 3000, i * 3000 + 2500, f"Cue number {i + 1}.") for i in range(30)]))
    window.session.activate(doc)
    settle(app)
    table = window.table
    viewport = table.viewport().rect()
    rows = sum(
        1
        for row in range(doc.model.rowCount())
        if viewport.contains(table.visualRect(doc.model.index(row, 0)).adjusted(0, 0, -1, -1))
        and table.visualRect(doc.model.index(row, 0)).isValid()
    )
    preview_before = window.preview.mapTo(window, window.preview.rect().topLeft()), window.preview.size()
    window.checks.summary.setText(
        "12 errors, 30 warnings; speech not checked (no analysis): Caption > Analyze Video (Ctrl+Shift+A) "
        "finds the speech, and then every cue is also checked against it for overlapping dialogue"
    )
    settle(app)
    preview_after = window.preview.mapTo(window, window.preview.rect().topLeft()), window.preview.size()
    screen = window.screen().availableGeometry()
    scroll = window.caption_panel.parentWidget().parentWidget()  # the scroll area around it
    out = {
        "screen": rect(screen),
        "frame": rect(window.frameGeometry()),
        "rows": rows,
        "preview_moved": preview_before != preview_after,
        "preview": [preview_after[0].x(), preview_after[0].y(), preview_after[1].width(), preview_after[1].height()],
        "table": rect(QRect(table.mapTo(window, table.rect().topLeft()), table.size())),
        "caption_panel": rect(QRect(scroll.mapTo(window, scroll.rect().topLeft()), scroll.size())),
        "row_height": table.rowHeight(0),
        "viewport_height": viewport.height(),
        "minimum": [window.minimumSizeHint().width(), window.minimumSizeHint().height()],
    }
    # a geometry saved on a bigger screen
    window.showNormal()
    window.setGeometry(0, 0, screen.width() * 3, screen.height() * 3)
    saved = bytes(window.saveGeometry().toBase64().data()).decode()
    window.shutdown()
    settings = Settings(auto_analyze=False, window_geometry=saved)
    big = MainWindow(settings, model="unused", device="cpu", check_recovery=False)  # type: ignore[arg-type]
    big.show()
    settle(app)
    out["restored"] = rect(big.frameGeometry())
    big.shutdown()
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
