"""Overlap of decoding and the model: max(decode alone, engine alone) / pipeline wall time.

    python benchmarks/overlap.py [--video clip.mp4] [--duration 90] [--window 3] [--batch 2]

A stand-in engine sleeps a fixed time per batch (as a GPU would: the CPU is free meanwhile). The
time per batch is set so that the engine alone takes as long as decoding alone (balanced load), then
the pipeline runs both. Perfect overlap gives 1.0, fully serial 0.5 (target >= 0.87 on 2 cores).
Without --video a 1080p H.264 clip with x264's usual B-frames is generated (slow on a busy machine).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


class SleepingEngine:
    """The CaptionEngine protocol with a fixed cost per batch and no CPU use."""

    model_id = "stand-in"
    revision = None
    device = "stand-in"

    def __init__(self, batch_size: int, seconds_per_batch: float) -> None:
        self.batch_size = batch_size
        self.seconds_per_batch = seconds_per_batch
        self.batches = 0

    def caption(self, requests: Sequence[object], cancel: threading.Event | None = None) -> list[str]:
        time.sleep(self.seconds_per_batch)
        self.batches += 1
        return ["a stand-in description"] * len(requests)

    def close(self) -> None:
        pass


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--video", help="use this video instead of generating one")
    parser.add_argument("--duration", type=float, default=90.0, help="seconds of generated video")
    parser.add_argument("--window", type=float, default=3.0, help="window length in seconds")
    parser.add_argument("--batch", type=int, default=2, help="windows per engine call")
    parser.add_argument("--fps", type=float, default=2.0)
    args = parser.parse_args()

    from captioner_app.core.media import video
    from captioner_app.core.pipeline import CaptionOptions, caption_windows, decoded_frames, plan, sample_times
    from captioner_app.testing.media import make_video

    tmp = tempfile.TemporaryDirectory()
    if args.video:
        path = Path(args.video)
    else:
        path = Path(tmp.name) / "clip1080.mp4"
        started = time.perf_counter()
        make_video(path, args.duration, size=(1920, 1080), texture=True, gop=60, preset="veryfast")
        print(f"generated {args.duration:g} s 1080p clip in {time.perf_counter() - started:.1f} s")
    info = video.probe(path)
    options = CaptionOptions(window_ms=int(args.window * 1000), fps=args.fps)
    windows = plan(info, options)
    batches = -(-len(windows) // args.batch)
    times = sorted({t for w in windows for t in sample_times(w.start_ms, min(w.end_ms, info.duration_ms), args.fps)})
    print(
        f"video: {info.width}x{info.height} {info.fps:g} fps {info.duration_s:.1f} s; {len(windows)} windows "
        f"of {args.window:g} s in {batches} batches of {args.batch}; cores: {os.cpu_count()}; "
        f"load: {os.getloadavg()[0]:.1f}"
    )

    started = time.perf_counter()
    count = sum(1 for _ in decoded_frames(info, times, options))  # what the pipeline decodes, alone
    decode_s = time.perf_counter() - started
    per_batch = decode_s / batches
    print(f"decode alone:  {decode_s:6.1f} s ({count} frames)")
    print(f"engine alone:  {per_batch * batches:6.1f} s ({batches} batches x {per_batch:.2f} s, sleeping)")

    engine = SleepingEngine(args.batch, per_batch)
    stats: dict[str, float] = {}
    started = time.perf_counter()
    results = sum(1 for _ in caption_windows(info, engine, options, stats=stats))
    wall = time.perf_counter() - started
    assert results == len(windows) and engine.batches == batches
    print(
        f"pipeline wall: {wall:6.1f} s (producer decoding {stats['decode']:.1f} s; the model waited "
        f"{stats['wait']:.1f} s for batches)"
    )
    print(
        f"overlap max(decode, engine) / wall = {max(decode_s, per_batch * batches) / wall:.2f} "
        f"(1.0 perfect, 0.5 serial; target >= 0.87); load now {os.getloadavg()[0]:.1f}"
    )
    tmp.cleanup()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
