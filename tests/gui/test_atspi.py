"""What a screen reader reads: the app's accessible tree over AT-SPI (the interface Orca uses), read with
the system's pyatspi from another process, as Orca would.

Needs an X server (Xvfb: Qt's offscreen platform has no AT-SPI bridge), a session bus (dbus-launch), the
accessibility bus (at-spi2-core) and python3-pyatspi. `.ci/run` installs them; where they are missing the
test is skipped with the reason, except under CI (``$CI`` set), where it fails instead.
"""

from __future__ import annotations

import json
import os
import queue
import re
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

HERE = Path(__file__).parent / "atspi"
SYSTEM_PYTHON = "/usr/bin/python3"
BUS_LAUNCHERS = ("/usr/libexec/at-spi-bus-launcher", "/usr/lib/at-spi2-core/at-spi-bus-launcher")


def _missing() -> str | None:
    for tool in ("Xvfb", "dbus-launch", "dbus-send"):
        if shutil.which(tool) is None:
            return f"{tool} is not installed (apt-get install xvfb dbus-x11)"
    if not any(os.path.exists(p) for p in BUS_LAUNCHERS):
        return "at-spi-bus-launcher is not installed (apt-get install at-spi2-core)"
    if not os.path.exists(SYSTEM_PYTHON):
        return f"{SYSTEM_PYTHON} is missing (pyatspi is the system's: apt-get install python3-pyatspi)"
    probe = subprocess.run([SYSTEM_PYTHON, "-c", "import pyatspi"], capture_output=True, text=True)
    if probe.returncode != 0:
        return f"{SYSTEM_PYTHON} cannot import pyatspi (apt-get install python3-pyatspi)"
    return None


def _unavailable(reason: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"the AT-SPI test must run in CI: {reason}")
    pytest.skip(reason)


class Line:
    """A process's stdout read in a thread, line by line."""

    def __init__(self, proc: subprocess.Popen[str]) -> None:
        self.lines: queue.Queue[str] = queue.Queue()
        self.seen: list[str] = []
        threading.Thread(target=self._read, args=(proc,), daemon=True).start()

    def _read(self, proc: subprocess.Popen[str]) -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            self.lines.put(line.rstrip("\n"))

    def wait_for(self, want: str, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                line = self.lines.get(timeout=0.5)
            except queue.Empty:
                continue
            self.seen.append(line)
            if want in line:
                return
        raise AssertionError(f"no {want!r} within {timeout:.0f} s; saw {self.seen[-20:]}")

    def drain(self) -> list[str]:
        while True:
            try:
                self.seen.append(self.lines.get_nowait())
            except queue.Empty:
                return self.seen


@pytest.fixture(scope="module")
def a11y_env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """An X server, a session bus and the accessibility bus; the environment that reaches them."""
    reason = _missing()
    if reason:
        _unavailable(reason)
    procs: list[subprocess.Popen[Any]] = []
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DBUS_", "AT_SPI"))}
    xvfb = subprocess.Popen(
        ["Xvfb", "-displayfd", "1", "-screen", "0", "1280x1024x24", "-nolisten", "tcp"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    procs.append(xvfb)
    assert xvfb.stdout is not None
    display = xvfb.stdout.readline().strip()
    env["DISPLAY"] = f":{display}"
    xcb = subprocess.run(
        [sys.executable, "-c", "from PySide6.QtGui import QGuiApplication; QGuiApplication([])"],
        env=dict(env, QT_QPA_PLATFORM="xcb"),
        capture_output=True,
        text=True,
    )
    if xcb.returncode != 0:
        xvfb.terminate()
        _unavailable(
            f"Qt's xcb platform does not start (install the libxcb packages .ci/run names): {xcb.stderr[-300:]}"
        )
    bus_pid = None
    try:
        out = subprocess.run(["dbus-launch", "--sh-syntax"], env=env, capture_output=True, text=True, check=True)
        address = re.search(r"DBUS_SESSION_BUS_ADDRESS='([^']+)'", out.stdout)
        pid = re.search(r"DBUS_SESSION_BUS_PID=(\d+)", out.stdout)
        assert address and pid, out.stdout
        env["DBUS_SESSION_BUS_ADDRESS"], bus_pid = address.group(1), int(pid.group(1))
        launcher = next(p for p in BUS_LAUNCHERS if os.path.exists(p))
        procs.append(
            subprocess.Popen([launcher, "--launch-immediately"], env=env, stderr=subprocess.DEVNULL)  # noqa: S603
        )
        ask = ["dbus-send", "--session", "--print-reply", "--dest=org.a11y.Bus", "/org/a11y/bus"]
        for _ in range(50):
            if subprocess.run([*ask, "org.a11y.Bus.GetAddress"], env=env, capture_output=True).returncode == 0:
                break
            time.sleep(0.2)
        else:
            _unavailable("the accessibility bus did not start")
        env["CAPTIONER_DATA_DIR"] = str(tmp_path_factory.mktemp("atspi-data"))
        yield env
    finally:
        for proc in reversed(procs):
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
        if bus_pid is not None:
            try:
                os.kill(bus_pid, 15)
            except ProcessLookupError:
                pass


def read_tree(env: dict[str, str]) -> list[dict[str, Any]]:
    out = subprocess.run(
        [SYSTEM_PYTHON, str(HERE / "walk.py"), "tree", "Captioner"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return json.loads(out.stdout)


def find(tree: list[dict[str, Any]], role: str, name: str) -> dict[str, Any]:
    """The first node with ``role`` whose name starts with ``name``."""
    hits = [n for n in tree if n["role"] == role and n["name"].startswith(name)]
    assert hits, f"no {role} named {name!r}: " + "; ".join(f"{n['role']} {n['name']!r}" for n in tree[:400])
    return hits[0]


def as_text(tree: list[dict[str, Any]], keep: tuple[str, ...]) -> str:
    """The nodes whose role or name mentions one of ``keep``, indented by depth (for the closing note)."""
    lines = []
    for n in tree:
        if n["role"] != "menu item" and any(k in n["name"] or k == n["role"] for k in keep):
            extra = f" value={n['value']:g}/{n['max']:g}" if "value" in n else ""
            lines.append(f"{'  ' * min(n['depth'], 12)}[{n['role']}] {n['name']!r}{extra}")
    return "\n".join(lines)


def test_screen_reader_tree_values_and_announcements(a11y_env, tiny_model_dir: Path, tmp_path: Path):
    from captioner_app.testing.speech import PHRASES, make_speech_video

    video, _ = make_speech_video(tmp_path / "talk.mp4", 8.0, ((0.3, PHRASES[4]), (5.5, PHRASES[1])), (4.0,))
    env = dict(a11y_env)
    listener = subprocess.Popen(
        [SYSTEM_PYTHON, str(HERE / "walk.py"), "listen", "600"], env=env, stdout=subprocess.PIPE, text=True
    )
    events = Line(listener)
    events.wait_for("listening", 60)
    app_env = dict(env, QT_QPA_PLATFORM="xcb", QT_ACCESSIBILITY="1", QT_LINUX_ACCESSIBILITY_ALWAYS_ON="1")
    app_env["PYTHONPATH"] = os.pathsep.join([str(Path(__file__).parents[2]), env.get("PYTHONPATH", "")])
    app = subprocess.Popen(
        [sys.executable, str(HERE / "app_driver.py"), str(tiny_model_dir), str(video)],
        env=app_env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    out = Line(app)
    assert app.stdin is not None
    try:
        out.wait_for("ready", 120)
        before = read_tree(env)
        assert before, "the app is not on the accessibility bus"
        find(before, "frame", "talk.mp4 — Captioner")
        # values are exposed as values: names say what and the value, not a fixed name over the text
        find(before, "label", "Playhead time: 0:00:00.000 / 0:00:08.0")
        find(before, "slider", "Playhead 0:00:00.000 of 0:00:08.0")
        find(before, "label", "Cue count: 0 cues")
        assert "speech region" in find(before, "label", "Analysis status: ")["name"]
        find(before, "label", "Placement chosen: Automatic placement: the pauses between speech")
        find(before, "label", "Checks summary: ")
        find(before, "status bar", "Status")
        items = find(before, "list", "Timeline items")
        below = [n["name"] for n in before if n["path"].startswith(items["path"] + "/")]
        assert any(s.startswith("Speech, ") for s in below) and any(s.startswith("Gap, ") for s in below), below
        assert any(s.startswith("Shot change at 0:00:04.0") for s in below), below
        unknown = [n for n in before if n["role"] == "unknown" and not n["name"]]
        assert unknown == [], unknown[:5]

        app.stdin.write("step\n")
        app.stdin.flush()
        out.wait_for("stepped", 30)
        stepped = read_tree(env)
        slider = find(stepped, "slider", "Playhead 0:00:01.000 of 0:00:08.0")
        assert slider["value"] == 1000 and "focused" in slider["states"]
        find(stepped, "label", "Playhead time: 0:00:01.000 / 0:00:08.0")

        app.stdin.write("caption\n")
        app.stdin.flush()
        out.wait_for("captioned", 300)
        after = read_tree(env)
        count = find(after, "label", "Cue count: ")
        cues = int(count["name"].split(": ")[1].split()[0])
        assert cues >= 1
        done = find(after, "label", "Caption status: Done: ")
        progress = find(after, "progress bar", "Caption progress")
        assert progress["value"] == progress["max"] > 0, progress
        items = find(after, "list", "Timeline items")
        assert any(n["name"].startswith("Cue 1, ") for n in after if n["path"].startswith(items["path"] + "/"))
        # the run's end was announced (AT-SPI object:announcement, what Orca speaks)
        time.sleep(1.0)
        said = [json.loads(line) for line in events.drain() if line.startswith("{")]
        announced = [e["data"] for e in said if e["type"] == "object:announcement"]
        assert any(a.startswith("Analysis of talk.mp4 done") for a in announced), announced
        assert any(a.startswith("Captioning of talk.mp4 finished") and f"{cues} cue" in a for a in announced), said
        keep = ("Playhead", "Cue count", "status", "Status", "Placement", "Checks summary", "progress")
        keep += ("Timeline items", "Speech, ", "Gap, ", "Shot change", "Cue 1, ", "Caption progress", "frame")
        report = (
            "== before captioning ==\n"
            + as_text(before, keep)
            + "\n== after Page Down on the slider ==\n"
            + as_text(stepped, ("Playhead",))
            + "\n== after Ctrl+R (caption run finished) ==\n"
            + as_text(after, keep)
            + "\n== announcements ==\n"
            + "\n".join(announced)
            + "\n"
        )
        dump = os.environ.get("CAPTIONER_ATSPI_DUMP")
        (Path(dump) if dump else tmp_path / "atspi-tree.txt").write_text(report, encoding="utf-8")
        assert done["name"]
    finally:
        if app.poll() is None:
            app.stdin.write("quit\n")
            app.stdin.flush()
            try:
                app.wait(30)
            except subprocess.TimeoutExpired:
                app.kill()
        listener.terminate()
        listener.wait(10)
