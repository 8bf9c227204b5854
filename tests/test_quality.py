"""The project's own checks, run with the suite: lint, types, and the Qt-free core contract."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def run(*cmd: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=900)


def test_ruff():
    done = run(str(BIN / "ruff"), "check", "captioner_app", "tests", "benchmarks", "tools")
    assert done.returncode == 0, done.stdout + done.stderr


def test_ruff_format():
    done = run(str(BIN / "ruff"), "format", "--check", "captioner_app", "tests", "benchmarks", "tools")
    assert done.returncode == 0, done.stdout + done.stderr


def test_mypy():
    done = run(str(BIN / "mypy"), "captioner_app")
    assert done.returncode == 0, done.stdout + done.stderr


def test_import_contracts():
    done = run(str(BIN / "lint-imports"))
    assert done.returncode == 0, done.stdout + done.stderr


def test_cli_help_does_not_import_heavy_libraries():
    code = (
        "import sys\n"
        "from captioner_app.cli.main import build_parser\n"
        "build_parser()\n"
        "heavy = [m for m in ('torch', 'transformers', 'cv2', 'av', 'PySide6') if m in sys.modules]\n"
        "print(','.join(heavy))\n"
    )
    done = run(sys.executable, "-c", code)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == ""
