"""GUI thread stall while captioning: the largest gap between ticks of a 5 ms timer on the GUI thread.

Builds the tiny test Molmo2 (in a subprocess, so this process stays free of torch), opens a generated
video in the app (offscreen Qt), and captions it while a timer on the GUI thread records when it fires;
a stall shows up as a long gap. Scrub requests are sent during the run too, as an editor would. Two
figures, target <= 50 ms each: the largest gap at start-up (window, video, analysis and the model
process starting) and the largest gap from Caption to done. The model and the analysis run in child
processes; ``--in-process`` measures the old arrangement for reference (the model in a thread of the
app, torch and transformers imported there at start-up).

Each largest gap is printed with the GUI thread's own CPU time inside it: a gap the GUI thread spent
computing is the app's work on that thread; one it spent waiting (for the CPU on a loaded machine, or for
the interpreter lock held by another thread) shows little. ``--trace FILE`` finds the culprits: a watchdog
(faulthandler's, a C thread that needs no interpreter lock) writes every thread's Python stack to FILE each
20 ms that the GUI thread goes without a tick, after a ``#tick`` line with the time of the last one.

    QT_QPA_PLATFORM=offscreen .venv/bin/python benchmarks/gui_stall.py [--model DIR] [--duration 20] [--in-process]
        [--trace FILE]
"""

from __future__ import annotations

import argparse
import faulthandler
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", help="model folder or hub id (default: build the tiny test model)")
    ap.add_argument("--duration", type=float, default=20.0)
    ap.add_argument("--window", type=float, default=2.0)
    ap.add_argument("--device", default="cpu")
    ap.add_argument(
        "--in-process",
        action="store_true",
        help="reference: the model in a thread of the app's process, as before the model process",
    )
    ap.add_argument("--trace", metavar="FILE", help="write all threads' stacks here during each stall (see above)")
    args = ap.parse_args()
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    work = Path(tempfile.mkdtemp(prefix="stall-bench-"))
    os.environ["CAPTIONER_DATA_DIR"] = str(work / "data")
    from captioner_app.testing.media import make_video

    model = args.model
    if model is None:
        import subprocess

        model = str(work / "tiny-model")
        subprocess.run(
            [
                sys.executable,
                "-c",
                "import sys; from captioner_app.testing.tiny_molmo import "
                "build_tiny_model; build_tiny_model(sys.argv[1])",
                model,
            ],
            check=True,
        )
    video = make_video(work / "clip.mp4", args.duration, size=(640, 360), scene_cuts_s=[args.duration / 2])

    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from captioner_app.gui.main_window import MainWindow
    from captioner_app.gui.preferences import Settings

    app = QApplication.instance() or QApplication(sys.argv[:1])
    trace = open(args.trace, "w") if args.trace else None  # noqa: SIM115  (closed at the end)
    t0 = time.perf_counter()

    def ticker(ticks: list[float], cpu: list[float]) -> QTimer:
        """A 5 ms timer on the GUI thread recording when it fires and the GUI thread's CPU time then."""

        def tick() -> None:
            ticks.append(time.perf_counter())
            cpu.append(time.thread_time())
            if trace is not None:
                faulthandler.cancel_dump_traceback_later()
                trace.write(f"\n#tick {ticks[-1] - t0:.3f} s\n")
                trace.flush()
                faulthandler.dump_traceback_later(0.02, repeat=True, file=trace)

        timer = QTimer()
        timer.setInterval(5)
        timer.timeout.connect(tick)
        return timer

    def largest(ticks: list[float], cpu: list[float]) -> str:
        """The largest gap, with the GUI thread's CPU time inside it."""
        if len(ticks) < 2:
            return "no ticks"
        i = max(range(len(ticks) - 1), key=lambda k: ticks[k + 1] - ticks[k])
        busiest = max(range(len(ticks) - 1), key=lambda k: cpu[k + 1] - cpu[k])
        return (
            f"largest gap {(ticks[i + 1] - ticks[i]) * 1000:.1f} ms (the GUI thread computed "
            f"{(cpu[i + 1] - cpu[i]) * 1000:.1f} ms of it); the most the GUI thread computed between two ticks: "
            f"{(cpu[busiest + 1] - cpu[busiest]) * 1000:.1f} ms (in a gap of "
            f"{(ticks[busiest + 1] - ticks[busiest]) * 1000:.1f} ms)"
        )

    # the floor: the same timer on an idle GUI thread (no window, no work) shows what the machine alone costs
    idle_ticks: list[float] = []
    idle_timer = QTimer()
    idle_timer.setInterval(5)
    idle_timer.timeout.connect(lambda: idle_ticks.append(time.perf_counter()))
    idle_timer.start()
    idle_until = time.perf_counter() + 5.0
    while time.perf_counter() < idle_until:
        app.processEvents()
        time.sleep(0.001)
    idle_timer.stop()
    idle_gap = max(((b - a) * 1000 for a, b in zip(idle_ticks, idle_ticks[1:], strict=False)), default=0.0)
    pool = None
    if args.in_process:
        import threading

        from captioner_app.core.model import load_engine
        from captioner_app.gui.workers import WorkerPool

        pool = WorkerPool(None, loader=load_engine)

        def old_prewarm() -> None:  # what the model thread did at start-up before the model process
            import torch  # noqa: F401
            import transformers.models.molmo2.modeling_molmo2  # noqa: F401

            pool.model.warm.set()

    window = MainWindow(
        Settings(window_s=args.window, autosave_s=1.0), model=model, device=args.device, check_recovery=False, pool=pool
    )
    startup_ticks: list[float] = []
    startup_cpu: list[float] = []
    startup_timer = ticker(startup_ticks, startup_cpu)
    startup_timer.start()
    window.show()
    window.open_paths([str(video)])
    if args.in_process:
        threading.Thread(target=old_prewarm, daemon=True).start()
    # start-up: the window is up, the video opens, its analysis starts and the model worker imports
    # torch/transformers in the background; an editor clicks Caption a few seconds later
    while window.last_frame is None or not window.pool.model.warm.is_set():
        app.processEvents()
        time.sleep(0.001)
    startup_timer.stop()
    startup_gaps = sorted((b - a) * 1000 for a, b in zip(startup_ticks, startup_ticks[1:], strict=False)) or [0.0]
    worst_at = max(
        zip(startup_ticks, startup_ticks[1:], strict=False),
        key=lambda ab: ab[1] - ab[0],
        default=(startup_ticks[0], startup_ticks[0]) if startup_ticks else (0.0, 0.0),
    )
    worst_offset_s = worst_at[0] - (startup_ticks[0] if startup_ticks else 0.0)

    ticks: list[float] = []
    ticks_cpu: list[float] = []
    timer = ticker(ticks, ticks_cpu)
    scrub = QTimer()
    scrub.setInterval(100)
    scrub.timeout.connect(lambda: window.seek((window.position + 700) % max(1, window.doc.info.duration_ms)))
    loaded_at: list[float] = []
    window.pool.model.loaded.connect(lambda *a: loaded_at.append(time.perf_counter()))
    started = time.perf_counter()
    timer.start()
    scrub.start()
    window.caption_video()
    while window.captioning:
        app.processEvents()
        time.sleep(0.0005)
    timer.stop()
    scrub.stop()
    if trace is not None:
        faulthandler.cancel_dump_traceback_later()
        trace.close()
    elapsed = time.perf_counter() - started
    cues = len(window.doc.model.track)
    window.shutdown()
    window.close()
    gaps = sorted((b - a) * 1000 for a, b in zip(ticks, ticks[1:], strict=False))
    p99 = gaps[int(0.99 * (len(gaps) - 1))]
    after = [t for t in ticks if loaded_at and t >= loaded_at[0]]
    run_gaps = sorted((b - a) * 1000 for a, b in zip(after, after[1:], strict=False)) or [0.0]
    load_gaps = sorted(
        (b - a) * 1000 for a, b in zip(ticks, ticks[1:], strict=False) if not loaded_at or b <= loaded_at[0]
    )
    where = "in a thread of the app (--in-process reference)" if args.in_process else "in its own process"
    print(
        f"machine: {os.cpu_count()} CPU cores; model {model if args.model else 'tiny test Molmo2'} on "
        f"{args.device}, {where}; {args.duration:g} s video, {args.window:g} s windows"
    )
    print(
        f"captioned {cues} windows in {elapsed:.1f} s (model load included); autosave every 1 s; scrubbing every 100 ms"
    )
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(
        f"reference: the same timer on an idle GUI thread for 5 s: largest gap {idle_gap:.1f} ms "
        f"(load average {load:.1f} on {os.cpu_count()} cores: gaps above this floor are the app's)"
    )
    print(
        f"start-up, before Caption (window, video, background imports): largest gap {startup_gaps[-1]:.1f} ms "
        f"over {len(startup_ticks)} ticks (it began {worst_offset_s:.2f} s after the window was shown); "
        f"p99 gap {startup_gaps[int(0.99 * (len(startup_gaps) - 1))]:.1f} ms"
    )
    print(f"  {largest(startup_ticks, startup_cpu)}")
    print(
        f"GUI timer (5 ms) from Caption to done: {len(ticks)} ticks, largest gap {gaps[-1]:.1f} ms, "
        f"p99 gap {p99:.1f} ms"
    )
    print(f"  {largest(ticks, ticks_cpu)}")
    if load_gaps:
        print(f"  while the model loads (weights, processor): largest gap {load_gaps[-1]:.1f} ms")
    print(f"  while captioning (model loaded): largest gap {run_gaps[-1]:.1f} ms over {len(after)} ticks")
    print(
        f"target largest gap <= 50 ms: {'met' if startup_gaps[-1] <= 50 else 'NOT met'} at start-up, "
        f"{'met' if gaps[-1] <= 50 else 'NOT met'} from Caption to done"
    )
    heavy = sorted(m for m in ("torch", "transformers") if m in sys.modules)
    print(f"heavy libraries imported by the app's process: {', '.join(heavy) or 'none'}")
    shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
