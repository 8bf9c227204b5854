"""Guard against a Qt binding that corrupts reference counts (PySide6 6.12.0 did, in processEvents)."""

from __future__ import annotations

import sys

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QApplication


class _Emitter(QObject):
    sent = Signal(object)


def test_process_events_and_signals_keep_refcounts(qapp: QApplication):
    before = sys.getrefcount(None)
    for _ in range(2000):
        qapp.processEvents()
    emitter, got = _Emitter(), []
    emitter.sent.connect(got.append)
    for _ in range(500):
        emitter.sent.emit(None)
    assert len(got) == 500
    got.clear()
    # a few references may come and go; a leak or over-release of one per call would show thousands
    assert abs(sys.getrefcount(None) - before) < 200
