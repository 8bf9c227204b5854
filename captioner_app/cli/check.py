"""``captioner check``: timing and style checks on a description track."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from typing import Any

from captioner_app.cli.analyze import add_gap_options
from captioner_app.cli.common import positive_float
from captioner_app.core.analysis.analyze import AnalysisOptions, analyze
from captioner_app.core.media.video import probe
from captioner_app.core.timing.budget import DEFAULT_WPM
from captioner_app.core.tracks import formats
from captioner_app.core.tracks.checks import DEFAULT_MAX_CPS, ERROR, KINDS, CheckOptions, iter_findings

_BATCH = 4096  # findings written at once


def register(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "check",
        help="check a track: narration budget, speech overlap, short gaps, overlaps, wording",
        description="Check a track (SRT, WebVTT or JSON). With --video, cues are also checked "
        "against the video's speech. Each finding names the cue, the rule and what to do. "
        "The exit code is 0 whether or not there are findings.",
    )
    p.add_argument("track", metavar="TRACK", help="track file (.srt, .vtt or .json)")
    p.add_argument("--video", metavar="V", help="the video the track describes (enables the speech checks)")
    p.add_argument("--json", action="store_true", help="print the findings as JSON")
    p.add_argument(
        "--wpm",
        type=positive_float,
        default=DEFAULT_WPM,
        help=f"narration rate for the word budget (default {DEFAULT_WPM:g})",
    )
    p.add_argument(
        "--kind",
        choices=KINDS,
        default="description",
        help="description (default) or caption: a caption track is also held to --max-cps",
    )
    p.add_argument(
        "--max-cps",
        type=positive_float,
        default=DEFAULT_MAX_CPS,
        help=f"caption tracks: most characters per second (default {DEFAULT_MAX_CPS:g})",
    )
    add_gap_options(p)
    p.add_argument(
        "--voice",
        default=None,
        metavar="V",
        help="narration voice that times each cue (default: the track's language); `captioner voices` lists them",
    )
    p.add_argument(
        "--no-narration",
        action="store_true",
        help="skip the narration-too-long check (which speaks every cue with the voice)",
    )
    p.set_defaults(handler=run_check)


def _narration_measure(args: argparse.Namespace, language: str) -> Callable[[str], int] | None:
    """The voice's spoken length of a text, or None (with a warning) where no voice can be loaded."""
    if args.no_narration or args.kind != "description":
        return None
    from captioner_app.core.speech.voice import (
        MAX_WPM,
        MIN_WPM,
        VoiceError,
        VoiceOptions,
        find_voice,
        spoken_ms,
        voice_for_language,
    )

    try:
        voice = find_voice(args.voice).id if args.voice else voice_for_language(language)
    except VoiceError as err:
        print(f"captioner: warning: narration not timed: {err}", file=sys.stderr)
        return None
    return spoken_ms(VoiceOptions(voice, min(MAX_WPM, max(MIN_WPM, int(round(args.wpm))))))


def run_check(args: argparse.Namespace) -> int:
    options = CheckOptions(
        wpm=args.wpm, min_gap_ms=int(round(args.min_gap * 1000)), max_cps=args.max_cps, kind=args.kind
    )
    options.validate()
    analysis = None
    if args.video:
        info = probe(args.video)  # a bad video fails before the track is read
    result = formats.read(args.track)
    for problem in result.problems:
        print(f"captioner: warning: {problem}", file=sys.stderr)
    if args.video:
        analysis = analyze(
            info, AnalysisOptions(min_gap_ms=options.min_gap_ms, pad_ms=int(round(args.pad * 1000)), shots=False)
        )
    # findings are written as they are found: a million-cue track's report is never held whole
    measure = _narration_measure(args, result.track.language)
    findings = iter_findings(result.track, analysis, options, measure)
    out = sys.stdout
    errors = total = 0
    batch: list[str] = []  # written a few thousand findings at a time; one at a time while the voice speaks
    size = 1 if measure is not None else _BATCH
    if args.json:
        head = json.dumps(
            {"track": args.track, "video": args.video, "cues": len(result.track)}, ensure_ascii=False, indent=2
        )
        out.write(head[:-2] + ',\n  "findings": [')
        for finding in findings:
            errors += finding.severity == ERROR
            batch.append(finding.json_text(indent=4))
            if len(batch) == size:
                out.write(("\n    " if total == 0 else ",\n    ") + ",\n    ".join(batch))
                total += len(batch)
                batch.clear()
        if batch:
            out.write(("\n    " if total == 0 else ",\n    ") + ",\n    ".join(batch))
            total += len(batch)
        warnings = total - errors
        out.write(("\n  ]" if total else "]") + f',\n  "errors": {errors},\n  "warnings": {warnings}\n}}\n')
        return 0
    for finding in findings:
        errors += finding.severity == ERROR
        batch.append(finding.line())
        if len(batch) == size:
            out.write("\n".join(batch) + "\n")
            total += len(batch)
            batch.clear()
    if batch:
        out.write("\n".join(batch) + "\n")
        total += len(batch)
    warnings = total - errors
    cues = len(result.track)
    print(
        f"{args.track}: {cues} cue{'s' if cues != 1 else ''}, {errors} error{'s' if errors != 1 else ''}, "
        f"{warnings} warning{'s' if warnings != 1 else ''}"
        + ("" if args.video else " (no --video: speech not checked)")
    )
    return 0
