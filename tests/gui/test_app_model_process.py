"""The app with its model in a child process: a killed model process leaves the app, the cues and the
edits intact and the next run works; Cancel is instant; quitting leaves no child; no torch in the app."""

from __future__ import annotations

import multiprocessing
import os
import signal
import sys
import textwrap
import time
from dataclasses import replace
from pathlib import Path

import pytest

from captioner_app.core.timing.windows import Window
from captioner_app.testing.processes import gone, run_python

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="the model process is killed with SIGKILL")


def long_run(w, count: int = 6, tokens: int = 4000) -> None:
    """Caption ``count`` one-second windows, each forced to ``tokens`` tokens (many seconds of generate)."""
    from captioner_app.core.vocab import Detail

    options = replace(w.caption_options(placement="windows"), detail=Detail.HIGH, min_new_tokens=tokens)
    windows = tuple(Window(i, i * 1000, (i + 1) * 1000) for i in range(count))
    w.session.jobs._start(windows, None, options, w.engine_options(), w.doc)


def test_killed_model_process_keeps_app_cues_and_edits_and_restarts(qtbot, captioning_window):
    w = captioning_window(2)
    # an edit made while the run goes on
    first = w.doc.model.track[0]
    from captioner_app.gui.models.cues import COL_TEXT

    assert w.doc.model.setData(w.table.model().index(0, COL_TEXT), "A hand-written description.")
    pid = w.pool.model.process.pid
    assert pid is not None
    os.kill(pid, signal.SIGKILL)
    qtbot.waitUntil(lambda: not w.captioning, timeout=60000)
    received = len(w.doc.model.track)
    assert 2 <= received < 12
    assert w.isVisible()  # the app is up
    message = w.messages[-1]
    assert message.startswith("the model process was killed (by the system's out-of-memory killer")
    assert f"The {received} cues received and all edits are kept" in message
    assert "Restart Model" in message and "\n" not in message
    assert w.doc.model.track[0].text == "A hand-written description."
    assert w.doc.model.track[0].start_ms == first.start_ms
    assert gone(pid)

    # restart from the menu, then caption the rest: the run works
    action = next(a for a in w.all_actions if a.text().replace("&", "") == "Restart Model")
    action.trigger()
    qtbot.waitUntil(lambda: w.pool.model.process.is_loaded(), timeout=120000)
    assert w.pool.model.process.pid not in (None, pid)
    rest = tuple(Window(i, i * 1000, (i + 1) * 1000) for i in range(received, min(received + 2, 12)))
    w.session.jobs._start(rest, None, w.caption_options(placement="windows"), w.engine_options(), w.doc)
    qtbot.waitUntil(lambda: not w.captioning, timeout=120000)
    assert w.messages[-1] == message  # no new problem
    assert len(w.doc.model.track) == received + len(rest)
    assert all(c.text for c in w.doc.model.track) and w.doc.model.track[0].text == "A hand-written description."


def test_cancel_mid_generate_returns_within_half_a_second(qtbot, captioning_window):
    w = captioning_window(1)  # the model is loaded and has written a first cue: the next run is all generate
    w.cancel_caption()
    qtbot.waitUntil(lambda: not w.captioning, timeout=60000)
    long_run(w)
    qtbot.wait(2500)  # the frames are sampled and generate is writing its 4000 tokens
    assert w.captioning
    started = time.monotonic()
    w.cancel_button.click()
    qtbot.waitUntil(lambda: not w.captioning, timeout=5000)
    took = time.monotonic() - started
    assert took <= 0.5, f"Cancel took {took:.2f} s"
    assert "Cancelled" in w.progress_label.text()
    assert w.caption_button.isEnabled()


def test_quitting_leaves_no_child_process(qtbot, make_window, small_video: Path, wait_opened):
    w = make_window(own_processes=True)
    w.open_paths([str(small_video)])
    wait_opened(w)
    w.caption_video()
    qtbot.waitUntil(lambda: not w.captioning, timeout=180000)
    assert len(w.doc.model.track) == 3
    qtbot.waitUntil(lambda: w.pool.analysis.process.pid is not None or w.doc.analysis is not None, timeout=60000)
    pids = [p for p in (w.pool.model.process.pid, w.pool.analysis.process.pid) if p is not None]
    assert pids and all(p in {c.pid for c in multiprocessing.active_children()} for p in pids)
    w.shutdown()
    left = [p for p in pids if not gone(p, 10)]
    assert not left, f"child processes left after quitting: {left}"
    assert not set(pids) & {c.pid for c in multiprocessing.active_children()}


def test_the_app_process_never_imports_torch(tiny_model_dir: Path, small_video: Path, tmp_path: Path):
    script = textwrap.dedent(f"""
        import os, sys, time
        os.environ["QT_QPA_PLATFORM"] = "offscreen"
        os.environ["CAPTIONER_DATA_DIR"] = {str(tmp_path / "data")!r}
        from PySide6.QtWidgets import QApplication
        from captioner_app.gui.preferences import Settings
        from captioner_app.gui.main_window import MainWindow

        app = QApplication([])
        w = MainWindow(Settings(window_s=2.0, autosave_s=600.0), model={str(tiny_model_dir)!r}, device="cpu",
                       check_recovery=False)
        w.show()
        w.open_paths([{str(small_video)!r}])

        def wait(cond, timeout):
            deadline = time.monotonic() + timeout
            while not cond():
                if time.monotonic() > deadline:
                    raise SystemExit("timed out: " + repr(w.messages))
                app.processEvents()
                time.sleep(0.005)

        wait(lambda: w.doc is not None and w.doc.info is not None and w.last_frame is not None, 60)
        wait(lambda: w.doc.analysis is not None, 120)  # speech and shots (silero-vad needs torch)
        w.caption_video()
        wait(lambda: not w.captioning, 300)
        cues = len(w.doc.model.track)
        w.shutdown()
        heavy = sorted(m for m in ("torch", "transformers", "silero_vad") if m in sys.modules)
        print(cues, heavy, w.messages)
    """)
    out = run_python(script)
    assert out.returncode == 0, out.stdout[-2000:] + out.stderr[-2000:]
    assert out.stdout.split("\n")[0] == "3 [] []", out.stdout
