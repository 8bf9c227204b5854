"""Regenerate docs/screenshot.png: the main window after captioning a generated clip with the tiny model.

The clip has synthesized speech (espeak-ng) and scene changes, so the timeline shows speech regions
and shot marks; the cues are placed in the gaps between speech (placement "auto" chooses them, detail "auto").

Run under a real X server so fonts and styles are the desktop's, e.g.:

    xvfb-run -s "-screen 0 1400x900x24" .venv/bin/python tools/screenshot.py [--out docs/screenshot.png]

The tiny test Molmo2 has random weights, so its cue text is gibberish; the real model writes prose.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default="docs/screenshot.png")
    ap.add_argument("--model", help="model folder (default: build the tiny test model)")
    args = ap.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    work = Path(tempfile.mkdtemp(prefix="screenshot-"))
    os.environ["CAPTIONER_DATA_DIR"] = str(work / "data")
    from captioner_app.testing.media import make_video
    from captioner_app.testing.speech import PHRASES, make_speech_video

    model = args.model
    if model is None:
        from captioner_app.testing.tiny_molmo import build_tiny_model

        model = str(build_tiny_model(work / "tiny-molmo2"))
    video, _ = make_speech_video(
        work / "street-scene.mp4",
        24.0,
        ((1.0, PHRASES[0]), (9.5, PHRASES[4]), (17.0, PHRASES[2])),
        (6.0, 12.0, 18.0),
        size=(640, 360),
    )
    other = make_video(work / "interview.mp4", 5.0, size=(320, 180))

    from PySide6.QtWidgets import QApplication

    from captioner_app.gui.main_window import MainWindow
    from captioner_app.gui.preferences import Settings

    app = QApplication.instance() or QApplication(sys.argv[:1])
    window = MainWindow(
        Settings(window_s=4.0, detail="low", autosave_s=600), model=model, device="cpu", check_recovery=False
    )
    window.resize(1360, 860)
    window.show()
    window.open_paths([str(video), str(other)])

    def pump(cond, timeout_s: float = 300.0) -> None:
        deadline = time.monotonic() + timeout_s
        while not cond() and time.monotonic() < deadline:
            app.processEvents()
            time.sleep(0.01)

    pump(lambda: window.last_frame is not None)
    pump(lambda: window.doc is not None and window.doc.analysis is not None)
    pump(lambda: window.timeline.envelope is not None and window.timeline.envelope.complete, 120.0)
    window.placement_combo.setCurrentText("auto")  # the default: the gaps between speech, as the clip talks
    window.detail_combo.setCurrentText("auto")
    window.caption_video()
    pump(lambda: not window.captioning)
    window.select_row(1)
    window.seek(7000)
    pump(lambda: window.last_frame is not None and window.last_frame.requested_ms == 7000)
    for _ in range(20):
        app.processEvents()
        time.sleep(0.02)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    window.grab().save(str(out))
    timeline = out.with_name(out.stem + "-timeline.png")
    window.timeline.grab().save(str(timeline))
    print(f"wrote {out} ({len(window.doc.model.track)} cues) and {timeline}")
    window.shutdown()
    window.close()
    shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
