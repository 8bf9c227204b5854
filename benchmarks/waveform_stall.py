"""The timeline's waveform while a long file's is computed: GUI thread stall, time to first draw and total.

Generates a 2-hour video (stereo 48 kHz AAC pink noise, as ``benchmarks/waveform.py`` makes it; ``--hours``
for another length, ``--video`` to reuse a file), then runs the app's waveform worker (``gui.audio.Waveforms``,
the core's envelope API, no cache) while a 5 ms timer on the GUI thread records its gaps and a timeline
repaints each partial envelope as it arrives (offscreen Qt). A second run reads the cache. First, the same
timer on an idle GUI thread gives the machine's own floor. Target (issue 9): largest gap <= 50 ms.

    QT_QPA_PLATFORM=offscreen .venv/bin/python benchmarks/waveform_stall.py [--hours 2] [--video FILE]
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
    ap.add_argument("--hours", type=float, default=2.0, help="length of the generated video")
    ap.add_argument("--video", help="use this video instead of generating one")
    args = ap.parse_args()
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    work = Path(tempfile.mkdtemp(prefix="waveform-bench-"))
    os.environ["CAPTIONER_DATA_DIR"] = str(work / "data")
    import numpy as np

    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from waveform import make_long  # the same generated file as benchmarks/waveform.py

    if args.video:
        video = Path(args.video)
    else:
        ffmpeg = shutil.which("ffmpeg")
        if not ffmpeg:
            print("ffmpeg not found: it makes the test video (apt-get install ffmpeg)")
            return 1
        started = time.perf_counter()
        video = make_long(ffmpeg, work, args.hours)
        print(f"generated a {args.hours:g}-hour video (stereo 48 kHz AAC) in {time.perf_counter() - started:.0f} s")
    import av

    with av.open(str(video)) as container:
        seconds = float(container.duration or 0) / av.time_base
    print(f"video: {seconds / 3600:.2f} h; {os.cpu_count()} CPU cores")

    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from captioner_app.gui.audio import Waveforms, WaveformUpdate
    from captioner_app.gui.widgets.timeline import Timeline

    app = QApplication.instance() or QApplication(sys.argv[:1])
    # the floor: the same timer on an idle GUI thread shows what the machine alone costs
    idle: list[float] = []
    idle_timer = QTimer()
    idle_timer.setInterval(5)
    idle_timer.timeout.connect(lambda: idle.append(time.perf_counter()))
    idle_timer.start()
    until = time.perf_counter() + 5.0
    while time.perf_counter() < until:
        app.processEvents()
        time.sleep(0.001)
    idle_timer.stop()
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(
        f"reference: the same timer on an idle GUI thread for 5 s: largest gap "
        f"{float(np.diff(np.array(idle)).max() * 1000):.1f} ms (load average {load:.1f} on {os.cpu_count()} cores)"
    )
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
