"""``captioner analyze``: speech, usable gaps and shots of each video."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from captioner_app.cli.common import each_input, positive_float
from captioner_app.core.analysis import cache
from captioner_app.core.analysis.analyze import Analysis, AnalysisOptions, analyze
from captioner_app.core.analysis.shots import DEFAULT_THRESHOLD
from captioner_app.core.analysis.speech import DEFAULT_MIN_GAP_MS, DEFAULT_PAD_MS
from captioner_app.core.media.video import probe
from captioner_app.core.timecode import seconds_to_ms


def non_negative_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not 0 <= value < float("inf"):
        raise argparse.ArgumentTypeError(f"{text!r} must be zero or a positive number")
    return value


def add_gap_options(p: argparse.ArgumentParser) -> None:
    for flag, default_ms, what in (
        ("--min-gap", DEFAULT_MIN_GAP_MS, "shortest pause worth describing into"),
        ("--pad", DEFAULT_PAD_MS, "distance kept from speech on each side"),
    ):
        p.add_argument(
            flag,
            type=non_negative_float,
            default=default_ms / 1000,
            metavar="S",
            help=f"{what}, seconds (default {default_ms / 1000:g})",
        )


def register(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "analyze",
        help="find speech, the gaps between speech, and the shot changes of each video",
        description="Find speech (silero-vad), the usable gaps between speech, and shot changes "
        "(PySceneDetect) in each video. A video without audio is all gap.",
    )
    p.add_argument("videos", nargs="+", metavar="VIDEO", help="video files")
    p.add_argument(
        "--json",
        action="store_true",
        help='one JSON object per video and line: {"duration", "shots", "speech", "gaps"}, times in seconds',
    )
    add_gap_options(p)
    p.add_argument(
        "--speech-threshold",
        type=positive_float,
        default=0.5,
        metavar="P",
        help="speech probability above which audio counts as speech (default 0.5)",
    )
    p.add_argument(
        "--shot-threshold",
        type=positive_float,
        default=DEFAULT_THRESHOLD,
        metavar="R",
        help="how far a frame's change must stand out from its neighbours' to make a cut "
        f"(PySceneDetect's adaptive ratio, default {DEFAULT_THRESHOLD:g}; lower finds more cuts)",
    )
    p.add_argument(
        "--no-cache",
        action="store_true",
        help="analyse again even when the app or an earlier run cached this file's analysis",
    )
    p.set_defaults(handler=run_analyze)


def _seconds(ms: int) -> str:
    return f"{ms / 1000:.2f}"


def summary(video: str, a: Analysis) -> str:
    def spans(items: Any) -> str:
        return ", ".join(f"{_seconds(s.start_ms)}-{_seconds(s.end_ms)}" for s in items) or "none"

    speech_s = sum(s.duration_ms for s in a.speech) / 1000
    gap_s = sum(s.duration_ms for s in a.gaps) / 1000
    audio = "" if a.has_audio else " (no audio: all gap)"
    lines = [
        f"{video}: {a.duration_ms / 1000:.2f} s{audio}",
        f"  shots  {len(a.shots):3d}  cuts at: {', '.join(_seconds(c) for c in a.cuts_ms) or 'none'}",
        f"  speech {len(a.speech):3d}  {speech_s:.1f} s: {spans(a.speech)}",
        f"  gaps   {len(a.gaps):3d}  {gap_s:.1f} s (at least {a.min_gap_ms / 1000:g} s, "
        f"{a.pad_ms / 1000:g} s from speech): {spans(a.gaps)}",
    ]
    return "\n".join(lines)


def run_analyze(args: argparse.Namespace) -> int:
    options = AnalysisOptions(
        min_gap_ms=seconds_to_ms(args.min_gap),
        pad_ms=seconds_to_ms(args.pad),
        vad_threshold=args.speech_threshold,
        shot_threshold=args.shot_threshold,
    )
    options.validate()

    def one(video: str) -> Analysis:
        info = probe(video)
        cached = None if args.no_cache else cache.load(info.path, options)
        if cached is not None:
            return cached
        result = analyze(info, options)
        if not args.no_cache:
            cache.save(result, options)  # the app opens this file at once later
        return result

    results, code = each_input(args.videos, one, args.debug)
    for video, analysis in results:
        if args.json:
            print(json.dumps({**analysis.to_json(), "video": video}))
        else:
            print(summary(video, analysis))
        sys.stdout.flush()
    return code
