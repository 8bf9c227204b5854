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


def test_no_module_is_longer_than_600_lines():
    long = {
        str(p.relative_to(ROOT)): n
        for p in (ROOT / "captioner_app").rglob("*.py")
        if (n := len(p.read_text(encoding="utf-8").splitlines())) > 600
    }
    assert long == {}, "split these modules by what changes together"


def test_tests_share_helpers_as_fixtures_not_by_importing_conftest():
    importing = [
        str(p.relative_to(ROOT))
        for p in (ROOT / "tests").rglob("*.py")
        if any(
            line.lstrip().startswith(("from conftest import", "import conftest"))
            for line in p.read_text(encoding="utf-8").splitlines()
        )
    ]
    assert importing == []
