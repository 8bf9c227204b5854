"""Benchmark ``captioner analyze``: speech and cut accuracy on synthesized media, and speed on a long 1080p video.

    .venv/bin/python benchmarks/analysis.py                  # accuracy, then speed on 10 min of 1080p
    .venv/bin/python benchmarks/analysis.py --minutes 2      # a shorter speed run
    .venv/bin/python benchmarks/analysis.py --skip-speed     # accuracy only

Accuracy: espeak-ng speech mixed at random times into 30 s videos (with and without background hiss),
and scenes cut at random times at 24, 25 and 30 fps. Figures printed: recall of speech time (share
of the spoken time detected as speech; target >= 0.9), false speech (seconds detected outside
speech per 30 s; target <= 0.3), cut errors in frames (target: every cut within one frame, none
missed, none extra).

Speed: a 1080p, 30 fps H.264 + AAC video (ffmpeg's testsrc2 with film grain, a scene change every
20-40 s, speech in the audio) is made once and cached in --workdir; ``analyze`` is timed on it
(target <= 60 s for 10 minutes on a 2-core machine), next to ``ffmpeg -f null`` decoding the same file.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
import wave
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from captioner_app.core.analysis.analyze import AnalysisOptions, analyze  # noqa: E402
from captioner_app.core.analysis.shots import detect_cuts  # noqa: E402
from captioner_app.core.media.video import probe  # noqa: E402
from captioner_app.core.timing.spans import Span  # noqa: E402
from captioner_app.testing.media import make_video  # noqa: E402
from captioner_app.testing.speech import PHRASES, first_frame_at_or_after, speech_track  # noqa: E402


def _overlap(a: tuple[int, int], spans: tuple[Span, ...]) -> int:
    return sum(max(0, min(a[1], s.end_ms) - max(a[0], s.start_ms)) for s in spans)


def speech_accuracy(workdir: Path, runs: int, seed: int) -> None:
    rng = random.Random(seed)
    total_true = total_found = total_detected = 0
    total_duration = 0.0
    print("speech (silero-vad on espeak-ng speech, 30 s videos)")
    print(f"  {'video':<10} {'hiss':>6} {'utterances':>10} {'recall':>7} {'false s':>8}")
    for run in range(runs):
        duration = 30.0
        noise = (0.0, 0.005, 0.02)[run % 3]
        placements: list[tuple[float, str]] = []
        t = rng.uniform(0.3, 2.0)
        while t < duration - 4.5:
            placements.append((t, rng.choice(PHRASES)))
            t += rng.uniform(4.5, 7.5)  # utterances last about 3-4 s: pauses of 1-4 s between them
        audio, truth = speech_track(duration, placements, noise_level=noise, seed=run)
        path = make_video(workdir / f"speech{run}.mp4", duration, size=(160, 90), audio=audio)
        analysis = analyze(probe(path), AnalysisOptions(shots=False))
        true_ms = sum(b - a for a, b in truth)
        found_ms = sum(_overlap(t, analysis.speech) for t in truth)
        detected_ms = sum(s.duration_ms for s in analysis.speech)
        total_true += true_ms
        total_found += found_ms
        total_detected += detected_ms
        total_duration += duration
        print(
            f"  {path.name:<10} {noise:>6.3f} {len(truth):>10} {found_ms / true_ms:>7.3f} "
            f"{(detected_ms - found_ms) / 1000:>8.2f}"
        )
    false_per_30 = (total_detected - total_found) / 1000 / (total_duration / 30)
    print(
        f"  overall: recall of speech time {total_found / total_true:.3f} (target >= 0.9), "
        f"false speech {false_per_30:.2f} s per 30 s (target <= 0.3)"
    )


def cut_accuracy(workdir: Path, runs: int, seed: int) -> None:
    rng = random.Random(seed)
    print("cuts (PySceneDetect adaptive detector, 12 s videos)")
    worst = 0.0
    missed = extra = total = 0
    for run in range(runs):
        fps = (24, 25, 30)[run % 3]
        cuts: list[float] = []
        t = rng.uniform(0.6, 1.5)
        while t < 11.0:
            cuts.append(round(t, 3))
            t += rng.uniform(0.7, 2.5)
        path = make_video(workdir / f"cuts{run}.mp4", 12.0, fps=fps, size=(256, 144), scene_cuts_s=cuts)
        found = detect_cuts(probe(path))
        expected = [first_frame_at_or_after(c, fps) for c in cuts]
        frame_ms = 1000 / fps
        errors = []
        unmatched = list(found)
        for want in expected:
            near = [f for f in unmatched if abs(f - want) <= 2 * frame_ms]
            if not near:
                missed += 1
                continue
            got = min(near, key=lambda f: abs(f - want))
            unmatched.remove(got)
            errors.append(abs(got - want) / frame_ms)
        extra += len(unmatched)
        total += len(expected)
        worst = max([worst, *errors])
        print(
            f"  {path.name:<9} {fps} fps: {len(expected)} cuts, found {len(found)}, "
            f"largest error {max(errors, default=0):.2f} frames"
        )
    print(
        f"  overall: {total} cuts, {missed} missed, {extra} extra, largest error {worst:.2f} frames "
        "(target: all within 1 frame)"
    )


def _write_wav(path: Path, samples: np.ndarray, rate: int) -> None:
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes((np.clip(samples, -1, 1) * 32767).astype("<i2").tobytes())


def make_long_video(workdir: Path, minutes: float, seed: int) -> Path:
    """1080p30 H.264 (veryfast, CRF 23: about 5 Mbit/s) + AAC speech; testsrc2 scenes with light grain."""
    ffmpeg = shutil.which("ffmpeg")
    if not ffmpeg:
        raise SystemExit("the speed benchmark needs ffmpeg (.ci/run installs it)")
    duration = minutes * 60.0
    path = workdir / f"long-{minutes:g}min-1080p.mp4"
    if path.exists():
        return path
    rng = random.Random(seed)
    placements: list[tuple[float, str]] = []
    t = 1.0
    while t < duration - 5:
        placements.append((t, rng.choice(PHRASES)))
        t += rng.uniform(4.5, 9.0)
    audio, _ = speech_track(duration, placements, noise_level=0.003)
    wav = workdir / "long.wav"
    _write_wav(wav, audio, 16000)
    scenes: list[float] = []
    t = 0.0
    while t < duration:
        length = min(rng.uniform(20, 40), duration - t)
        scenes.append(length)
        t += length
    inputs: list[str] = []
    chains: list[str] = []
    for i, length in enumerate(scenes):
        inputs += ["-f", "lavfi", "-i", f"testsrc2=size=1920x1080:rate=30:duration={length:.3f}"]
        chains.append(f"[{i}:v]hue=h={(i * 97) % 360},noise=alls=3:allf=t,format=yuv420p[v{i}]")
    concat = "".join(f"[v{i}]" for i in range(len(scenes))) + f"concat=n={len(scenes)}:v=1:a=0[v]"
    tmp = path.with_suffix(".part.mp4")
    cmd = [
        ffmpeg,
        "-v",
        "error",
        "-y",
        *inputs,
        "-i",
        str(wav),
        "-filter_complex",
        ";".join([*chains, concat]),
        "-map",
        "[v]",
        "-map",
        f"{len(scenes)}:a",
        "-c:v",
        "libx264",
        "-preset",
        "veryfast",
        "-crf",
        "23",
        "-g",
        "60",
        "-c:a",
        "aac",
        "-b:a",
        "96k",
        "-shortest",
        str(tmp),
    ]
    print(f"making {path.name} ({len(scenes)} scenes; this takes a few minutes, once)...", flush=True)
    subprocess.run(cmd, check=True)
    tmp.rename(path)
    return path


def speed(workdir: Path, minutes: float, seed: int) -> None:
    path = make_long_video(workdir, minutes, seed)
    info = probe(path)
    print(
        f"speed: {path.name}, {info.width}x{info.height} {info.fps:g} fps, {info.duration_s:.0f} s, "
        f"{info.size_bytes / info.duration_s * 8 / 1e6:.1f} Mbit/s, {os.cpu_count()} cores"
    )
    ffmpeg = shutil.which("ffmpeg")
    if ffmpeg:
        started = time.perf_counter()
        subprocess.run([ffmpeg, "-v", "error", "-i", str(path), "-f", "null", "-"], check=True)
        print(f"  ffmpeg decoding video and audio (reference): {time.perf_counter() - started:.1f} s")
    started = time.perf_counter()
    analysis = analyze(info)
    elapsed = time.perf_counter() - started
    target = 60.0 * minutes / 10.0
    print(
        f"  analyze: {elapsed:.1f} s for {info.duration_s / 60:.1f} min (target <= {target:.0f} s); "
        f"{len(analysis.shots)} shots, {len(analysis.speech)} speech regions, {len(analysis.gaps)} gaps"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workdir", type=Path, default=Path(tempfile.gettempdir()) / "captioner-bench-analysis")
    parser.add_argument("--speech-runs", type=int, default=9)
    parser.add_argument("--cut-runs", type=int, default=6)
    parser.add_argument("--minutes", type=float, default=10.0, help="length of the speed video")
    parser.add_argument("--skip-speed", action="store_true")
    parser.add_argument("--seed", type=int, default=4)
    args = parser.parse_args()
    args.workdir.mkdir(parents=True, exist_ok=True)
    if args.speech_runs > 0:
        speech_accuracy(args.workdir, args.speech_runs, args.seed)
    if args.cut_runs > 0:
        cut_accuracy(args.workdir, args.cut_runs, args.seed)
    if not args.skip_speed:
        speed(args.workdir, args.minutes, args.seed)


if __name__ == "__main__":
    main()
