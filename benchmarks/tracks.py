"""Benchmark reading, checking and writing very large tracks (issue 14, item 11).

    .venv/bin/python benchmarks/tracks.py                 # a million cues (about 60 MB of SRT)
    .venv/bin/python benchmarks/tracks.py --cues 200000   # a shorter run

A track of N cues (2.4 s each, 0.6 s apart, 4-14 words, some over budget or too short so the checks
find things) is written once as SRT into a temporary folder. Each step then runs in its own Python
process, so its peak memory (the process's maximum resident set) is its own:

- ``pysrt``: ``pysrt.open`` alone on the same file: the reference, measured in the same run;
- ``read+check+write``: ``formats.read`` (decode, parse, every cue validated), ``check_track``, then
  ``formats.write`` as SRT and as WebVTT;
- ``read WebVTT``, ``write JSON``: the same track read as WebVTT; written as a JSON track (the times
  are the writing's alone, the peak memory the whole process's, reading included);
- ``captioner check``: the command, its text report sent to /dev/null;
- ``captioner check --json``: the same with the JSON report.

The two commands run with ``--no-narration``: the narration check speaks every cue with the voice,
which no track of a million cues can do in seconds; its cost per cue is measured on its own
(``narration per cue``, on 200 cues) and printed with what it would add for a million.

Target: every step of ours <= 15 s and <= 1 GB for a million cues. The figures (wall seconds, CPU
seconds of the process, peak memory) are printed with their ratio to pysrt's; on a busy machine
(shared cores) the CPU seconds and the ratios are the fairer figures.
"""

from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
WORDS = (
    "a",
    "man",
    "walks",
    "slowly",
    "across",
    "the",
    "dark",
    "room",
    "and",
    "opens",
    "the",
    "heavy",
    "wooden",
    "door",
    "to",
    "the",
    "garden",
    "where",
    "rain",
    "falls",
    "on",
    "the",
    "old",
    "stone",
    "path",
    "while",
    "a",
    "dog",
    "waits",
    "under",
    "the",
    "tree",
)

STEPS = {
    "pysrt": "import pysrt\nitems = pysrt.open(PATH, encoding='utf-8')\nresult = len(items)",
    "read+check+write": (
        "from captioner_app.core.tracks import formats\n"
        "from captioner_app.core.tracks.checks import check_track\n"
        "read = formats.read(PATH)\n"
        "findings = check_track(read.track)\n"
        "formats.write(read.track, OUT + '.srt')\n"
        "formats.write(read.track, OUT + '.vtt')\n"
        "result = (len(read.track), len(findings), len(read.problems))"
    ),
    "read WebVTT": (
        "from captioner_app.core.tracks import formats\n"
        "read = formats.read(PATH[:-4] + '.vtt')\n"
        "result = (len(read.track), len(read.problems))"
    ),
    "write JSON": (
        "from captioner_app.core.tracks import formats\n"
        "read = formats.read(PATH)\n"
        "cpu_started = time.process_time(); started = time.perf_counter()  # the writing alone\n"
        "formats.write(read.track, OUT + '.json')\n"
        "result = len(read.track)"
    ),
    "captioner check": (
        "import contextlib, os, sys\n"
        "from captioner_app.cli.main import main\n"
        "with open(os.devnull, 'w') as sink, contextlib.redirect_stdout(sink):\n"
        "    code = main(['check', '--no-narration', PATH])\n"
        "result = code"
    ),
    "captioner check --json": (
        "import contextlib, os, sys\n"
        "from captioner_app.cli.main import main\n"
        "with open(os.devnull, 'w') as sink, contextlib.redirect_stdout(sink):\n"
        "    code = main(['check', '--json', '--no-narration', PATH])\n"
        "result = code"
    ),
}
NARRATION = (
    "from captioner_app.core.tracks import formats\n"
    "from captioner_app.core.tracks.checks import check_track\n"
    "from captioner_app.core.speech.voice import VoiceOptions, spoken_ms, voice_for_language\n"
    "track = formats.read(PATH).track\n"
    "track.cues[200:] = []\n"
    "measure = spoken_ms(VoiceOptions(voice_for_language('en')))\n"
    "cpu_started = time.process_time(); started = time.perf_counter()\n"
    "result = len(check_track(track, narration_ms=measure))"
)

RUNNER = """
import json, resource, sys, time
sys.path.insert(0, {root!r})
PATH, OUT = {path!r}, {out!r}
started, cpu_started = time.perf_counter(), time.process_time()
{body}
elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu_started
peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({{"seconds": elapsed, "cpu": cpu, "peak_mib": peak_kib / 1024, "result": str(result)}}))
"""


def make_track(path: Path, cues: int, seed: int = 14) -> int:
    """``path`` (SRT) and the same cues as WebVTT beside it (``.vtt``); returns the SRT's size."""
    rng = random.Random(seed)
    t = 0
    with (
        open(path, "w", encoding="utf-8", newline="\n") as out,
        open(path.with_suffix(".vtt"), "w", encoding="utf-8", newline="\n") as vtt,
    ):
        vtt.write("WEBVTT\n\n")
        for number in range(1, cues + 1):
            length = 2400 if number % 50 else 900  # every 50th is shorter than the minimum gap
            words = " ".join(rng.choice(WORDS) for _ in range(rng.randint(4, 14)))
            if number % 7 == 0:
                words = words.replace(" ", "\n", 1)
            start, end = t, t + length
            out.write(f"{number}\n{_stamp(start)} --> {_stamp(end)}\n{words}\n\n")
            vtt.write(f"{_stamp(start).replace(',', '.')} --> {_stamp(end).replace(',', '.')}\n{words}\n\n")
            t = end + 600
    return path.stat().st_size


def _stamp(ms: int) -> str:
    hours, rest = divmod(ms, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    seconds, millis = divmod(rest, 1000)
    return f"{hours:02d}:{minutes:02d}:{seconds:02d},{millis:03d}"


def run_step(name: str, path: Path, out: Path) -> dict[str, float | str]:
    code = RUNNER.format(root=str(ROOT), path=str(path), out=str(out), body=STEPS.get(name, NARRATION))
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"{name} failed:\n{done.stderr[-3000:]}")
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cues", type=int, default=1_000_000)
    parser.add_argument(
        "--steps", default=",".join(STEPS), help="comma-separated steps to run (pysrt, the reference, always runs)"
    )
    parser.add_argument("--no-narration", action="store_true", help="skip the narration-per-cue measure")
    args = parser.parse_args()
    chosen = ["pysrt", *(name for name in args.steps.split(",") if name in STEPS and name != "pysrt")]
    with tempfile.TemporaryDirectory(prefix="captioner-bench-tracks-") as folder:
        path = Path(folder) / "big.srt"
        started = time.perf_counter()
        size = make_track(path, args.cues)
        print(f"track: {args.cues:,} cues, {size / 1e6:.1f} MB of SRT (made in {time.perf_counter() - started:.1f} s)")
        results = {name: run_step(name, path, Path(folder) / "out") for name in chosen}
        narration = None if args.no_narration else run_step("narration", path, Path(folder) / "out")
    ref = results["pysrt"]
    print(f"{'step':<26}{'seconds':>9}{'x pysrt':>9}{'CPU s':>9}{'x pysrt':>9}{'peak MiB':>10}{'x pysrt':>9}  result")
    for name, r in results.items():
        seconds, cpu, peak = float(r["seconds"]), float(r["cpu"]), float(r["peak_mib"])
        print(
            f"{name:<26}{seconds:9.2f}{seconds / float(ref['seconds']):9.2f}{cpu:9.2f}{cpu / float(ref['cpu']):9.2f}"
            f"{peak:10.0f}{peak / float(ref['peak_mib']):9.2f}  {r['result']}"
        )
    if narration is not None:
        per_cue = float(narration["cpu"]) / min(200, args.cues)
        print(
            f"narration per cue (check_track with the voice, {min(200, args.cues)} cues): "
            f"{float(narration['seconds']) / min(200, args.cues) * 1000:.1f} ms wall, {per_cue * 1000:.1f} ms CPU; "
            f"a million cues would add about {per_cue * 1e6 / 3600:.1f} CPU hours (the commands above ran without it)"
        )
    scale = 1_000_000 / args.cues
    ours = [r for name, r in results.items() if name != "pysrt"]
    worst_s = max(float(r["seconds"]) for r in ours)
    worst_mib = max(float(r["peak_mib"]) for r in ours)
    print(
        f"target for a million cues: <= 15 s and <= 1024 MiB; worst step here: {worst_s:.1f} s, "
        f"{worst_mib:.0f} MiB" + (f" (times scale by about {scale:g}x for a million)" if scale != 1 else "")
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
