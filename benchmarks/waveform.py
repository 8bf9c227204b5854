"""Waveform envelope of a long file: time until the part on screen can be drawn, and in total.

    python benchmarks/waveform.py [--hours 2] [--video existing.mp4] [--at-min 60]

Builds a 2-hour video with stereo 48 kHz AAC (pink noise; a 10-minute piece encoded once and joined
12 times without re-encoding) unless --video is given. Then, in a worker thread as the app would:
  * the envelope with a one-minute view at --at-min minutes decoded first: seconds until that part
    arrives (target <= 2 s) and until the whole file is done
  * the same from the start of the file with no view given: seconds to the first partial envelope
  * reading it back from the on-disk cache
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def make_long(ffmpeg: str, folder: Path, hours: float) -> Path:
    piece = folder / "piece.mkv"
    subprocess.run(
        [
            ffmpeg,
            "-v",
            "error",
            "-f",
            "lavfi",
            "-i",
            "testsrc=size=320x180:rate=10",
            "-f",
            "lavfi",
            "-i",
            "anoisesrc=color=pink:amplitude=0.3:sample_rate=48000",
            "-t",
            "600",
            "-ac",
            "2",
            "-c:v",
            "libx264",
            "-preset",
            "ultrafast",
            "-c:a",
            "aac",
            "-b:a",
            "128k",
            "-shortest",
            str(piece),
        ],
        check=True,
    )
    count = max(1, round(hours * 6))
    listing = folder / "list.txt"
    listing.write_text("".join(f"file '{piece}'\n" for _ in range(count)))
    out = folder / "long.mkv"
    subprocess.run(
        [ffmpeg, "-v", "error", "-f", "concat", "-safe", "0", "-i", str(listing), "-c", "copy", str(out)], check=True
    )
    piece.unlink()
    return out


def timed(path: Path, first: tuple[int, int] | None, cache: Path) -> tuple[float | None, float, object]:
    from captioner_app.core.analysis.waveform_cache import save_cached
    from captioner_app.core.media.waveform import compute_envelope

    first_at: list[float] = []
    started = time.perf_counter()
    result: list[object] = []

    def work() -> None:
        env = compute_envelope(path, first=first, on_partial=lambda e: first_at.append(time.perf_counter() - started))
        save_cached(env, path, cache) if env is not None else None
        result.append(env)

    worker = threading.Thread(target=work, name="waveform")
    worker.start()
    worker.join()
    return (first_at[0] if first_at else None), time.perf_counter() - started, result[0]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--hours", type=float, default=2.0, help="length of the generated video")
    parser.add_argument("--video", help="use this video instead of generating one")
    parser.add_argument("--at-min", type=float, default=60.0, help="where the one-minute view is (minutes)")
    parser.add_argument("--keep", metavar="FILE", help="save the generated video here (reuse it with --video)")
    args = parser.parse_args()

    import av  # noqa: F401  (imported at start-up in the app; not part of the waveform's time)
    import numpy  # noqa: F401

    from captioner_app.core.analysis.waveform_cache import load_cached

    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        if args.video:
            path = Path(args.video)
        else:
            ffmpeg = shutil.which("ffmpeg")
            if not ffmpeg:
                print("ffmpeg not found: it makes the test video (apt-get install ffmpeg)")
                return 1
            started = time.perf_counter()
            path = make_long(ffmpeg, tmp, args.hours)
            if args.keep:
                shutil.copyfile(path, args.keep)
            print(
                f"generated {args.hours:g} h video with stereo 48 kHz AAC in {time.perf_counter() - started:.0f} s "
                f"({path.stat().st_size / 1e6:.0f} MB)"
            )
        at = int(args.at_min * 60_000)
        view = (at, at + 60_000)
        first, total, env = timed(path, view, tmp / "cache1")
        first_start, total_start, _ = timed(path, None, tmp / "cache2")
        started = time.perf_counter()
        cached = load_cached(path, folder=tmp / "cache1")
        t_cache = time.perf_counter() - started
        assert cached is not None and env is not None
        duration = getattr(env, "duration_ms", 0) / 1000
        print(
            f"audio: {duration / 3600:.2f} h; cores: {os.cpu_count()}; levels: "
            f"{', '.join(f'{lv.bin_ms} ms' for lv in cached.levels)}"
        )
        print(f"\n{'what':62s} {'seconds':>8s}")
        print(
            f"{f'view at {args.at_min:g} min: first draw of the visible minute (target <= 2 s)':62s} "
            f"{first if first is not None else float('nan'):8.2f}"
        )
        print(f"{'view at that minute: whole envelope':62s} {total:8.2f}")
        print(
            f"{'from the start, no view: first partial envelope':62s} "
            f"{first_start if first_start is not None else float('nan'):8.2f}"
        )
        print(f"{'from the start: whole envelope':62s} {total_start:8.2f}")
        print(f"{'reading the cached envelope back':62s} {t_cache:8.3f}")
        print(f"\nwhole file at {duration / total_start:.0f}x real time")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
