"""Frame sampling speed: our timestamp sampler against ffmpeg's fps filter, timed in the same run.

    python benchmarks/frame_sampling.py [--duration 120] [--fps 2] [--video existing.mp4]

Generates a 1080p H.264 clip (30 fps, textured, 2 s GOP like camera footage, x264 veryfast: its usual
B-frames with a B-pyramid) unless --video is given, then decodes it at --fps with
  * ffmpeg -i X -vf fps=F -f null -      (reference; needs the ffmpeg program)
  * captioner's sampler: exact (every frame decoded) and decode-less (non-reference frames skipped
    within half a sampling interval, hardware decoding where present), one stream (frame threads,
    what the pipeline uses), one stream with one thread (to show the scaling with cores) and
    parallel segments,
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
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--duration", type=float, default=120.0, help="seconds of generated video")
    parser.add_argument("--fps", type=float, default=2.0)
    parser.add_argument("--video", help="use this video instead of generating one")
    parser.add_argument("--repeat", type=int, default=2, help="runs per method; the best is reported")
    args = parser.parse_args()

    from captioner_app.core.media import video
    from captioner_app.testing.media import make_video

    tmp = tempfile.TemporaryDirectory()
    if args.video:
        path = Path(args.video)
    else:
        path = Path(tmp.name) / "clip1080.mp4"
        started = time.perf_counter()
        make_video(path, args.duration, size=(1920, 1080), texture=True, gop=60, preset="veryfast")
        print(
            f"generated {args.duration:g} s 1080p H.264 clip in {time.perf_counter() - started:.1f} s "
            f"({path.stat().st_size / 1e6:.1f} MB)"
        )
    info = video.probe(path)
    print(
        f"video: {info.width}x{info.height} {info.fps:g} fps {info.duration_s:.1f} s, cores: {os.cpu_count()}, "
        f"load: {os.getloadavg()[0]:.1f}"
    )

    def cpu_seconds() -> float:
        own = resource.getrusage(resource.RUSAGE_SELF)
        children = resource.getrusage(resource.RUSAGE_CHILDREN)
        return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime

    def best(fn) -> tuple[float, int, float]:
        times, cpus, count = [], [], 0
        for _ in range(args.repeat):
            started, cpu_started = time.perf_counter(), cpu_seconds()
            count = fn()
            times.append(time.perf_counter() - started)
            cpus.append(cpu_seconds() - cpu_started)
        return min(times), count, min(cpus)

    results: dict[str, tuple[float, int, float]] = {}
    ffmpeg = shutil.which("ffmpeg")
    if ffmpeg:

        def run_ffmpeg() -> int:
            subprocess.run(
                [ffmpeg, "-v", "error", "-i", str(path), "-vf", f"fps={args.fps:g}", "-f", "null", "-"], check=True
            )
            return int(info.duration_s * args.fps)

        results["ffmpeg -vf fps (reference)"] = best(run_ffmpeg)
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

    results["captioner exact, 1 stream, full-size RGB frames"] = best(ours(1, None))
    results["captioner exact, parallel segments, full-size RGB"] = best(ours(None, None))
    results["captioner decode-less, 1 stream 1 thread, 768 px"] = best(ours(1, 768, False, 1))
    results["captioner decode-less, parallel segments, 768 px"] = best(ours(None, 768, False))
    results["captioner decode-less, 1 stream, 768 px (pipeline)"] = best(ours(1, 768, False))

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
    print(f"\nreal-time factor of the pipeline sampler: {info.duration_s / results[list(results)[-1]][0]:.0f}x")
    tmp.cleanup()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
