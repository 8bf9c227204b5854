"""The main window's first paint is spread over turns of the event loop, and the videos opened with it are
probed once its panels are painted (benchmarks/gui_stall.py measures the start-up gap this keeps short)."""

from __future__ import annotations

import enum
import sys
from pathlib import Path
from types import FrameType
from typing import Any

from PySide6.QtCore import QEventLoop
from PySide6.QtWidgets import QApplication


def test_panels_are_painted_one_stage_per_turn_then_the_video_is_probed(
    make_window, wait_opened, small_video: Path
) -> None:
    w = make_window()  # shown
    staged = w.first_paint
    widgets = [widget for stage in staged.stages for widget in stage]
    assert len(staged.stages) >= 5 and w.caption_panel in widgets and w.table in widgets
    assert not any(widget.updatesEnabled() for widget in widgets)  # the window shows its skeleton first
    w.open_paths([str(small_video)])
    assert w.doc is not None and w.doc.probing
    assert w.pool._held_probes == [str(small_video)]  # not probed while the panels are being painted
    progress = []
    for _ in range(len(staged.stages) + 5):
        QApplication.processEvents()
        progress.append(len(staged.painted))
    assert progress[-1] == len(staged.stages)
    steps = [b - a for a, b in zip([0, *progress], progress, strict=False)]
    assert max(steps) == 1, progress  # never two stages in one turn of the event loop
    assert all(widget.updatesEnabled() for widget in widgets)
    assert w.pool._held_probes is None  # released after the last stage
    wait_opened(w)
    assert w.doc.info is not None and w.last_frame is not None


def test_a_window_never_shown_probes_at_once(qtbot, tiny_model_dir: Path, model_process, small_video: Path) -> None:
    from captioner_app.gui.main_window import MainWindow
    from captioner_app.gui.preferences import Settings
    from captioner_app.gui.workers import WorkerPool

    pool = WorkerPool(None, model_process=model_process[0], analysis_process=model_process[1])
    w = MainWindow(Settings(window_s=2.0, autosave_s=600.0), model=str(tiny_model_dir), device="cpu", pool=pool)
    try:
        w.open_paths([str(small_video)])
        qtbot.waitUntil(lambda: w.doc is not None and not w.doc.probing, timeout=20000)
        assert w.doc.info is not None, w.messages
        assert w.first_paint.painted == []  # nothing was held back from painting
        assert all(widget.updatesEnabled() for stage in w.first_paint.stages for widget in stage)
    finally:
        w.shutdown()


def test_the_first_paint_creates_no_python_classes(make_window, qtbot) -> None:
    """PySide6 makes a wrapped class (and its enums) on first use; the gradient presets' enum, made inside
    the first paint of the timeline, took 8-10 ms of the GUI thread there (see gui.first_paint)."""
    created: list[str] = []

    def watch(frame: FrameType, event: str, arg: Any) -> None:
        code = frame.f_code
        if event == "call" and code.co_name == "_create_" and code.co_filename == enum.__file__:
            created.append(str(frame.f_locals.get("class_name")))

    QEventLoop.ProcessEventsFlag  # noqa: B018  (made here: the waiting below uses it, the app does not)
    w = make_window()
    sys.setprofile(watch)
    try:
        qtbot.waitUntil(lambda: len(w.first_paint.painted) == len(w.first_paint.stages), timeout=10000)
        QApplication.processEvents()
    finally:
        sys.setprofile(None)
    assert created == []
