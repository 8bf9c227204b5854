"""How the app's worker threads share the interpreter with the GUI thread.

The GUI thread takes the interpreter lock for every Python call Qt makes (slots, paint events, event
filters). While a worker thread runs Python (decoding preview frames, building the waveform's envelope),
getting the lock back waits until that thread is told to let go, after ``sys.getswitchinterval()``:
5 ms by default, and a burst of Qt calls waits that long for each one. The app makes it 1 ms; more
switches cost the workers little. Work that is both long and native runs in the app's child processes
instead (the model, the analysis, the narration measures), at a lower CPU priority.
"""

from __future__ import annotations

import gc
import sys
from typing import Any

SWITCH_INTERVAL_S = 0.001


def favour_gui_thread() -> None:
    """Shorten the interpreter's switch interval (process-wide; never lengthens it)."""
    sys.setswitchinterval(min(sys.getswitchinterval(), SWITCH_INTERVAL_S))


# -- garbage collection on the GUI thread ----------------------------------------------------------

COLLECT_INTERVAL_MS = 500

_timer: Any = None  # the QTimer that collects, while collection is the GUI thread's
_frozen = False


def collect_garbage_on_gui_thread() -> None:
    """Run Python's cyclic garbage collector only on the GUI thread, from a timer (call it there).

    The collector otherwise runs in whichever thread happens to allocate when a generation fills up: a
    worker decoding frames, a child process's reader thread. A closed window or dialog leaves cycles that
    hold Qt objects (a window's actions, widgets and QThreads), and freeing them in a worker thread
    deletes Qt objects outside the thread they live in, taking Qt's locks while holding the interpreter
    lock; the GUI thread takes them the other way round (connecting a menu action's signal, for one). The
    most likely cause of a hang of the test suite. Automatic collection is turned off and a timer collects
    each generation whose count is over the interpreter's threshold, as the interpreter would, but always
    here. Idempotent.
    """
    global _timer
    if _timer is not None:
        return
    from PySide6.QtCore import QCoreApplication, QTimer

    _timer = QTimer(QCoreApplication.instance())
    _timer.setInterval(COLLECT_INTERVAL_MS)
    _timer.timeout.connect(_collect)
    gc.disable()
    _timer.start()


def _collect() -> None:
    counts, thresholds = gc.get_count(), gc.get_threshold()
    for generation in range(3):
        if counts[generation] <= thresholds[generation]:
            break
        gc.collect(generation)


def freeze_startup_objects() -> None:
    """Once the first window is painted: move every object that exists to the collector's permanent
    generation (``gc.freeze``), once per process. Modules, classes and the window's widgets live as long
    as the app; a full collection then scans only what came after (about 40 ms of the GUI thread's
    time on a busy machine with them, under 1 ms without). Reference counting still frees them."""
    global _frozen
    if _timer is not None and not _frozen:
        _frozen = True
        gc.freeze()


def stop_collecting_on_gui_thread() -> None:
    """Give collection back to the interpreter (tests that leave the GUI behind)."""
    global _timer
    if _timer is not None:
        _timer.stop()
        _timer.deleteLater()
        _timer = None
        gc.enable()
