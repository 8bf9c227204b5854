"""Frame sampling speed: our timestamp sampler against ffmpeg's fps filter, timed in the same run.

    python benchmarks/frame_sampling.py [--duration 120] [--fps 2] [--content film|grain] [--video X.mp4]

Generates a 1080p H.264 clip (30 fps, 2 s GOP like camera footage, x264 veryfast: B-frames in a
B-pyramid where x264 finds them worth it) unless --video is given. --content film (default): a smooth
panning picture with fine grain, which x264 codes about half as B-frames, its usual share on filmed
footage; --content grain: hard-edged scrolling noise, which x264 codes almost all as P-frames (the
worst case for skipping non-reference frames). The clip's frame types are printed (ffprobe). Then it
decodes at --fps with
  * ffmpeg -i X -vf fps=F -f null -      (reference; needs the ffmpeg program)
  * captioner's sampler: exact (every frame decoded) and decode-less (non-reference frames skipped
    within half a sampling interval, hardware decoding where present), in one stream on one core, in
    parallel segments from keyframes (one worker per core), and as the captioning pipeline decodes
    (pipeline.decoded_frames: pipeline.DECODE_WORKERS streams, 1: one stream with frame threads),
and prints frames/s and the ratio against ffmpeg (target for the pipeline's row: >= 1.5), in wall time
and in CPU time (user + system of all threads, or of the ffmpeg child): on a machine shared with other
work the wall figures swing with the load, the CPU figures much less.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

PIPELINE = "captioner pipeline (decoded_frames), 768 px"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--duration", type=float, default=120.0, help="seconds of generated video")
    parser.add_argument("--fps", type=float, default=2.0)
    parser.add_argument("--content", choices=("film", "grain"), default="film", help="what the generated clip shows")
    parser.add_argument("--video", help="use this video instead of generating one")
    parser.add_argument(
        "--repeat", type=int, default=2, help="rounds (each method once per round); the best is reported"
    )
    args = parser.parse_args()

    from captioner_app.core import pipeline
    from captioner_app.core.media import video
    from captioner_app.testing.media import make_video

    tmp = tempfile.TemporaryDirectory()
    if args.video:
        path = Path(args.video)
    else:
        path = Path(tmp.name) / "clip1080.mp4"
        started = time.perf_counter()
        film = args.content == "film"
        make_video(path, args.duration, size=(1920, 1080), texture=not film, film=film, gop=60, preset="veryfast")
        print(
            f"generated {args.duration:g} s 1080p H.264 clip ({args.content}) in {time.perf_counter() - started:.1f} s "
            f"({path.stat().st_size / 1e6:.1f} MB)"
        )
    info = video.probe(path)
    print(
        f"video: {info.width}x{info.height} {info.fps:g} fps {info.duration_s:.1f} s, cores: {os.cpu_count()}, "
        f"load: {os.getloadavg()[0]:.1f}"
    )

    ffprobe = shutil.which("ffprobe")
    if ffprobe:
        kinds = subprocess.run(
            [ffprobe, "-v", "error", "-select_streams", "v:0", "-show_entries", "frame=pict_type", "-of", "csv=p=0"]
            + ["-read_intervals", "%+20", str(path)],
            capture_output=True,
            text=True,
            check=False,
        ).stdout.split()
        shares = ", ".join(f"{k} {kinds.count(k) / len(kinds):.0%}" for k in "IPB" if kinds)
        print(f"frame types in the first 20 s: {shares}")

    def cpu_seconds() -> float:
        own = resource.getrusage(resource.RUSAGE_SELF)
        children = resource.getrusage(resource.RUSAGE_CHILDREN)
        return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime

    def timed(fn: Callable[[], int]) -> tuple[float, int, float]:
        started, cpu_started = time.perf_counter(), cpu_seconds()
        count = fn()
        return time.perf_counter() - started, count, cpu_seconds() - cpu_started

    methods: dict[str, Callable[[], int]] = {}
    ffmpeg = shutil.which("ffmpeg")
    if ffmpeg:

        def run_ffmpeg() -> int:
            subprocess.run(
                [ffmpeg, "-v", "error", "-i", str(path), "-vf", f"fps={args.fps:g}", "-f", "null", "-"], check=True
            )
            return int(info.duration_s * args.fps)

        methods["ffmpeg -vf fps (reference)"] = run_ffmpeg
    else:
        print("ffmpeg not found: no reference timing (apt-get install ffmpeg)")

    def ours(workers: int | None, max_side: int | None, exact: bool = True, threads: int | None = None):
        def run() -> int:
            targets = video.sample_times(0, info.duration_ms, args.fps)
            return sum(
                1
                for _ in video.sample_at(
                    info,
                    targets,
                    workers=workers,
                    max_side=max_side,
                    tolerance_ms=None if exact else 500.0 / args.fps,
                    hwaccel=None if exact else "auto",
                    threads=threads,
                )
            )

        return run

    def the_pipeline() -> int:
        targets = video.sample_times(0, info.duration_ms, args.fps)
        options = pipeline.CaptionOptions(fps=args.fps)
        return sum(1 for _ in pipeline.decoded_frames(info, targets, options))

    methods["captioner exact, 1 stream, full-size RGB frames"] = ours(1, None)
    methods["captioner exact, parallel segments, full-size RGB"] = ours(None, None)
    methods["captioner decode-less, 1 stream 1 thread, 768 px"] = ours(1, 768, False, 1)
    methods["captioner decode-less, parallel segments, 768 px"] = ours(None, 768, False)
    methods[PIPELINE] = the_pipeline

    # round robin (each method once per round, the best round reported): a load that changes during the
    # run touches every method alike
    runs: dict[str, list[tuple[float, int, float]]] = {name: [] for name in methods}
    for _ in range(args.repeat):
        for name, fn in methods.items():
            runs[name].append(timed(fn))
    results = {name: (min(r[0] for r in rs), rs[0][1], min(r[2] for r in rs)) for name, rs in runs.items()}

    reference = results.get("ffmpeg -vf fps (reference)")
    print(
        f"\n{'method':58s} {'seconds':>8s} {'frames':>7s} {'frames/s':>9s} {'vs ffmpeg':>9s}"
        f" {'CPU s':>7s} {'CPU vs ffmpeg':>13s}"
    )
    for name, (seconds, count, cpu) in results.items():
        ratio = f"{reference[0] / seconds:8.2f}x" if reference else "      n/a"
        cpu_ratio = f"{reference[2] / cpu:12.2f}x" if reference and cpu > 0 else "          n/a"
        print(f"{name:58s} {seconds:8.2f} {count:7d} {count / seconds:9.1f} {ratio} {cpu:7.2f} {cpu_ratio}")
    print(f"load at the end: {os.getloadavg()[0]:.1f}")
    print(f"\nreal-time factor of the pipeline sampler: {info.duration_s / results[PIPELINE][0]:.0f}x")
    tmp.cleanup()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
