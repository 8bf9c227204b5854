"""Child processes in tests: waiting for one to be gone, running Python code in one."""

from __future__ import annotations

import os
import subprocess
import sys
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


def child_env() -> dict[str, str]:
    """This process's environment, with its ``sys.path`` as the child's ``PYTHONPATH``: a child Python
    imports the same code (this checkout) as the test that starts it."""
    return {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}


def run_python(script: str, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    """Run ``script`` in a child Python (:func:`child_env`); its output captured as text."""
    return subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=timeout, env=child_env()
    )
