"""Described-audio render speed against ffmpeg doing the same copying and encoding, in the same run.

    python benchmarks/render.py [--duration 600] [--video existing.mp4] [--repeat 2]

Generates a 10-minute 540p H.264 video with stereo 48 kHz AAC (pink noise, so the encoder works as
hard as on real sound) unless --video is given, and a track with a cue every 20 s (every fifth one
extended). Then times, best of --repeat:
  * reference: `ffmpeg -i V -map 0 -c copy` (copy every stream) plus `ffmpeg -i V -map 0:a:0 -c:a aac`
    (re-encode its audio), the two jobs a described-video render does
  * captioner render to .mp4 (copy + the described mix as a new AAC stream), narration included
  * captioner render to .m4a (the described mix alone)
and prints each as a ratio to the reference (target for the .mp4: <= 2x).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--duration", type=float, default=600.0, help="seconds of generated video")
    parser.add_argument("--video", help="use this video instead of generating one")
    parser.add_argument("--repeat", type=int, default=2, help="runs per method; the best is reported")
    args = parser.parse_args()
    ffmpeg = shutil.which("ffmpeg")
    if not ffmpeg:
        print("ffmpeg not found: it makes the test video and the reference timing (apt-get install ffmpeg)")
        return 1

    from captioner_app.core.media.video import probe
    from captioner_app.core.speech.render import RenderOptions, render
    from captioner_app.core.speech.voice import VoiceOptions, speak
    from captioner_app.core.tracks.track import Cue, Track

    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        if args.video:
            path = Path(args.video)
        else:
            path = tmp / "programme.mp4"
            started = time.perf_counter()
            subprocess.run(
                [
                    ffmpeg,
                    "-v",
                    "error",
                    "-f",
                    "lavfi",
                    "-i",
                    "testsrc2=size=960x540:rate=30",
                    "-f",
                    "lavfi",
                    "-i",
                    "anoisesrc=color=pink:amplitude=0.2:sample_rate=48000",
                    "-t",
                    f"{args.duration:g}",
                    "-ac",
                    "2",
                    "-c:v",
                    "libx264",
                    "-preset",
                    "ultrafast",
                    "-g",
                    "60",
                    "-c:a",
                    "aac",
                    "-b:a",
                    "192k",
                    "-shortest",
                    str(path),
                ],
                check=True,
            )
            print(
                f"generated {args.duration:g} s 540p H.264 + stereo AAC in {time.perf_counter() - started:.1f} s "
                f"({path.stat().st_size / 1e6:.0f} MB)"
            )
        info = probe(path)
        texts = [
            "A woman crosses the square and stops at the fountain.",
            "Rain starts to fall.",
            "He opens the red door.",
            "The train pulls away from the platform.",
        ]
        cues = [
            Cue(t, t + 4000, texts[i % len(texts)], extended=(i % 5 == 4))
            for i, t in enumerate(range(5000, info.duration_ms - 5000, 20_000))
        ]
        track = Track(cues)
        print(
            f"video: {info.duration_s:.0f} s, {info.width}x{info.height}; track: {len(cues)} cues "
            f"({sum(c.extended for c in cues)} extended); cores: {os.cpu_count()}"
        )

        def best(fn) -> float:
            times = []
            for _ in range(args.repeat):
                started = time.perf_counter()
                fn()
                times.append(time.perf_counter() - started)
            return min(times)

        def copy() -> None:
            subprocess.run(
                [ffmpeg, "-v", "error", "-y", "-i", str(path), "-map", "0", "-c", "copy", str(tmp / "copy.mp4")],
                check=True,
            )

        def reencode() -> None:
            subprocess.run(
                [ffmpeg, "-v", "error", "-y", "-i", str(path), "-map", "0:a:0", "-c:a", "aac", str(tmp / "audio.m4a")],
                check=True,
            )

        t_copy, t_audio = best(copy), best(reencode)
        reference = t_copy + t_audio
        started = time.perf_counter()
        for cue in cues:
            speak(cue.text, VoiceOptions())
        t_voice = time.perf_counter() - started  # first synthesis; later runs hit the voice's cache

        def ours(name: str) -> float:
            return best(lambda: render(path, track, tmp / name, RenderOptions(allow_overrun=True)))

        t_mp4, t_m4a = ours("described.mp4"), ours("described.m4a")
        rows = [
            ("ffmpeg -map 0 -c copy", t_copy),
            ("ffmpeg audio re-encode (aac)", t_audio),
            ("reference: copy + audio re-encode", reference),
            ("captioner render -> .mp4 (copy + AD stream)", t_mp4 + t_voice),
            ("captioner render -> .m4a (the mix alone)", t_m4a + t_voice),
        ]
        print(f"\n{'what':46s} {'seconds':>8s} {'x realtime':>10s} {'vs reference':>12s}")
        for name, seconds in rows:
            print(f"{name:46s} {seconds:8.2f} {info.duration_s / seconds:10.0f} {seconds / reference:11.2f}x")
        print(f"\nnarration synthesis for {len(cues)} cues: {t_voice:.2f} s (included above)")
        ratio = (t_mp4 + t_voice) / reference
        print(f"described .mp4: {ratio:.2f}x the reference (target <= 2x): {'met' if ratio <= 2 else 'NOT met'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
