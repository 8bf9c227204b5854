"""Run the ``captioner`` command line in a child process, as a user's shell would (tests)."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Mapping


def run_cli(*args: str, env: Mapping[str, str], timeout: float = 180) -> subprocess.CompletedProcess[str]:
    """``python -m captioner_app.cli.main ARGS`` with ``env``, no standard input; its output captured as text."""
    return subprocess.run(
        [sys.executable, "-m", "captioner_app.cli.main", *args],
        capture_output=True,
        text=True,
        env=dict(env),
        timeout=timeout,
        stdin=subprocess.DEVNULL,
    )
