"""How the app's worker threads share the interpreter with the GUI thread.

The GUI thread takes the interpreter lock for every Python call Qt makes (slots, paint events, event
filters). While a worker thread runs Python (decoding preview frames, building the waveform's envelope),
getting the lock back waits until that thread is told to let go, after ``sys.getswitchinterval()``:
5 ms by default, and a burst of Qt calls waits that long for each one. The app makes it 1 ms; more
switches cost the workers little. Work that is both long and native runs in the app's child processes
instead (the model, the analysis, the narration measures), at a lower CPU priority.
"""

from __future__ import annotations

import sys

SWITCH_INTERVAL_S = 0.001


def favour_gui_thread() -> None:
    """Shorten the interpreter's switch interval (process-wide; never lengthens it)."""
    sys.setswitchinterval(min(sys.getswitchinterval(), SWITCH_INTERVAL_S))
