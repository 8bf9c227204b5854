"""The timeline's waveform while it is computed: GUI thread stall, time to first draw and total time.

Generates a video with a long tone track, then runs the app's waveform worker (``gui.audio.Waveforms``,
the core's envelope API, no cache) while a 5 ms timer on the GUI thread records its gaps and a timeline
repaints each partial envelope as it arrives (offscreen Qt). A second run reads the cache.

    QT_QPA_PLATFORM=offscreen .venv/bin/python benchmarks/waveform_stall.py [--minutes 10]
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
    ap.add_argument("--minutes", type=float, default=10.0)
    args = ap.parse_args()
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    work = Path(tempfile.mkdtemp(prefix="waveform-bench-"))
    os.environ["CAPTIONER_DATA_DIR"] = str(work / "data")
    import numpy as np

    from captioner_app.testing.media import make_video

    seconds = args.minutes * 60
    rate = 16000
    t = np.arange(int(seconds * rate)) / rate
    audio = (0.4 * np.sin(2 * np.pi * 220 * t) * (0.5 + 0.5 * np.sin(2 * np.pi * t / 7))).astype(np.float32)
    started = time.perf_counter()
    video = make_video(work / "long.mp4", seconds, fps=2, size=(64, 36), audio=audio, sample_rate=rate)
    print(f"generated a {args.minutes:g}-minute video with a tone in {time.perf_counter() - started:.1f} s")

    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from captioner_app.gui.audio import Waveforms, WaveformUpdate
    from captioner_app.gui.widgets.timeline import Timeline

    app = QApplication.instance() or QApplication(sys.argv[:1])
    for label in ("computed", "from the cache"):
        timeline = Timeline()
        timeline.resize(1200, 120)
        timeline.set_duration(int(seconds * 1000))
        timeline.show()
        waveforms = Waveforms()
        ticks: list[float] = []
        first: list[float] = []
        done: list[float] = []

        def show(
            update: WaveformUpdate, timeline: Timeline = timeline, first: list[float] = first, done: list[float] = done
        ) -> None:
            if update.envelope is not None:
                timeline.set_envelope(update.envelope)
                timeline.repaint()
                if not first:
                    first.append(time.perf_counter())
            if update.complete:
                done.append(time.perf_counter())

        waveforms.updated.connect(show)
        timer = QTimer()
        timer.setInterval(5)
        timer.timeout.connect(lambda ticks=ticks: ticks.append(time.perf_counter()))
        timer.start()
        start = time.perf_counter()
        waveforms.load(str(video), first=(0, 60_000))
        while not done and time.perf_counter() - start < 600:
            app.processEvents()
            time.sleep(0.001)
        timer.stop()
        waveforms.shutdown()
        gaps = np.diff(np.array([start] + ticks)) * 1000 if ticks else np.array([0.0])
        print(
            f"{label}: first draw after {(first[0] - start) if first else float('nan'):.2f} s, "
            f"complete after {(done[0] - start) if done else float('nan'):.2f} s; GUI timer (5 ms): "
            f"{len(ticks)} ticks, largest gap {gaps.max():.1f} ms, p99 {np.percentile(gaps, 99):.1f} ms"
        )
        timeline.close()
    print("targets: largest gap <= 50 ms; first draw of the visible part <= 2 s")
    shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
