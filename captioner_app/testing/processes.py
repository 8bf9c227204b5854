"""Waiting for a child process to be gone (tests of the model and analysis processes)."""

from __future__ import annotations

import os
import time


def gone(pid: int, timeout_s: float = 10.0) -> bool:
    """True once no process ``pid`` exists (reaped) or it is a zombie nobody will reap; False if it
    is still running after ``timeout_s`` seconds."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        try:
            with open(f"/proc/{pid}/stat") as f:
                if f.read().split(") ", 1)[1].startswith("Z"):
                    return True
        except OSError:
            return True
        time.sleep(0.05)
    return False
