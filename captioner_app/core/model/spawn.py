"""Starting a child process without re-running the parent's main script, and one line on how it ended."""

from __future__ import annotations

import signal
import sys
import threading
from typing import Any

_SPAWN_LOCK = threading.Lock()

_SIGNAL_WHY = {
    "SIGKILL": "was killed (by the system's out-of-memory killer or by another program)",
    "SIGSEGV": "crashed (segmentation fault in a native library)",
    "SIGBUS": "crashed (bus error in a native library)",
    "SIGABRT": "aborted (a native library gave up)",
    "SIGFPE": "crashed (arithmetic fault in a native library)",
    "SIGILL": "crashed (illegal instruction in a native library)",
    "SIGTERM": "was terminated (SIGTERM from another program)",
}


def describe_exit(label: str, exitcode: int | None) -> str:
    """One line saying how the child ended, from its exit code (negative: the signal that ended it)."""
    if exitcode is None:
        return f"the {label} stopped answering"
    if exitcode < 0:
        try:
            name = signal.Signals(-exitcode).name
        except ValueError:
            name = f"signal {-exitcode}"
        return f"the {label} {_SIGNAL_WHY.get(name, f'was ended by {name}')}"
    if exitcode == 0:
        return f"the {label} ended unexpectedly"
    return f"the {label} exited unexpectedly with code {exitcode}"


def start_quietly(process: Any) -> None:
    """Start ``process`` without the parent's ``__main__`` being run again in it.

    "spawn" imports the parent's main script in the child unless told otherwise; for the app,
    pytest or a benchmark that costs time and may import what the child must not need.
    """
    with _SPAWN_LOCK:  # two supervisors may start children at the same moment (model and analysis)
        main = sys.modules.get("__main__")
        saved = getattr(main, "__file__", None) if main is not None else None
        spec = getattr(main, "__spec__", None) if main is not None else None
        try:
            if main is not None and saved is not None and not getattr(sys, "frozen", False):
                del main.__file__
                main.__spec__ = None
            process.start()
        finally:
            if main is not None and saved is not None and not hasattr(main, "__file__"):
                main.__file__ = saved
                main.__spec__ = spec
