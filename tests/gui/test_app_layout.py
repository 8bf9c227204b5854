"""Layout that holds (offscreen platform, a screen of a given size, in a process of its own since the
screen and the scale factor are fixed when Qt starts): at 1024x700 and at ``QT_SCALE_FACTOR=1.5`` the window
fits the screen, the cue table shows at least six rows, the preview does not move when the checks pane's
text changes, and a saved geometry larger than the screen is shrunk to fit. Dialog titles are not cut."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from PySide6.QtGui import QFont, QFontMetrics

from captioner_app.gui.screen import TITLE_BAR_EXTRA_PX

PROBE = Path(__file__).parent / "layout_probe.py"


def probe(tmp_path: Path, width: int, height: int, scale: float) -> dict:
    config = tmp_path / "screen.json"
    screen = {"name": "test", "x": 0, "y": 0, "width": width, "height": height, "logicalDpi": 96, "dpr": 1}
    config.write_text(json.dumps({"screens": [screen]}), encoding="utf-8")
    env = dict(os.environ, QT_QPA_PLATFORM=f"offscreen:configfile={config}", QT_SCALE_FACTOR=str(scale))
    env["PYTHONPATH"] = os.pathsep.join([str(Path(__file__).parents[2]), env.get("PYTHONPATH", "")])
    out = subprocess.run(
        [sys.executable, str(PROBE)], env=env, capture_output=True, text=True, timeout=300, check=False
    )
    assert out.returncode == 0, out.stderr[-3000:]
    return json.loads(out.stdout.strip().splitlines()[-1])


def inside(inner: list[int], outer: list[int]) -> bool:
    x, y, w, h = inner
    ox, oy, ow, oh = outer
    return ox <= x and oy <= y and x + w <= ox + ow and y + h <= oy + oh


@pytest.mark.parametrize("scale", [1.0, 1.5])
def test_small_screen_layout(tmp_path: Path, scale: float):
    got = probe(tmp_path, 1024, 700, scale)
    assert got["screen"] == [0, 0, round(1024 / scale), round(700 / scale)], got
    assert inside(got["frame"], got["screen"]), got
    assert got["rows"] >= 6, got
    assert not got["preview_moved"], got
    assert got["preview"][2] > 0 and got["preview"][3] > 0, got
    assert got["caption_panel"][2] >= 160 and got["caption_panel"][3] > 0, got
    # a geometry saved on a bigger screen is shrunk to this one
    assert inside(got["restored"], got["screen"]), got


def test_dialog_titles_are_not_cut(qtbot, make_window, small_video: Path, wait_opened):
    from captioner_app.gui.dialogs.rerun import existing_cues_box

    w = make_window()
    w.show_model_dialog("model folder /nowhere does not exist")
    w.show_about()
    w.show_shortcuts()
    box, _ = existing_cues_box(w, "A video with a rather long file name.mp4", 12)
    w.report("the video cannot be opened", "Cannot open the video because of a problem")
    dialogs = [w.model_dialog, w.about_dialog, w.shortcuts_dialog, box, w.problems.box]
    box.show()
    for dialog in dialogs:
        qtbot.waitUntil(dialog.isVisible)
        font = QFont(dialog.font())
        font.setBold(True)
        font.setPointSizeF(font.pointSizeF() * 1.2)
        title = QFontMetrics(font).horizontalAdvance(dialog.windowTitle())
        assert dialog.width() >= title + TITLE_BAR_EXTRA_PX, (dialog.windowTitle(), dialog.width(), title)
        dialog.close()
