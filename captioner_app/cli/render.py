"""``captioner render``: the described video or described-audio mix; ``captioner voices``: the voices."""

from __future__ import annotations

import argparse
import json
import sys
import threading
from pathlib import Path
from typing import Any

from captioner_app.cli.common import positive_int
from captioner_app.core.speech.mix import DEFAULT_DUCK_DB
from captioner_app.core.speech.voice import DEFAULT_WPM, MAX_WPM, MIN_WPM
from captioner_app.core.tracks import formats


def duck_db(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of decibels") from None
    if value > 0:
        value = -value  # "--duck 12" means 12 dB down
    if not -60 <= value <= 0:
        raise argparse.ArgumentTypeError(f"{text!r} dB is outside 0 to -60 dB")
    return value


def wpm(text: str) -> int:
    value = positive_int(text)
    if not MIN_WPM <= value <= MAX_WPM:
        raise argparse.ArgumentTypeError(f"{text!r} words per minute is outside {MIN_WPM}-{MAX_WPM}")
    return value


def add_voice_options(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--voice",
        default=None,
        metavar="V",
        help="narration voice: a language code such as en, en-us, fr (default: the track's "
        "language; `captioner voices` lists them)",
    )
    p.add_argument(
        "--wpm", type=wpm, default=DEFAULT_WPM, help=f"narration rate in words per minute (default {DEFAULT_WPM})"
    )


def register(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "render",
        help="render the described video (an extra audio-description stream) or the described-audio mix",
        description="Speak each cue with the offline narration voice and mix it over the video's audio, "
        "which is lowered under the narration. OUT.mp4/.mkv: the original streams copied untouched plus "
        "an 'Audio description' stream (visual_impaired); OUT.wav/.flac/.m4a: the mix alone. Extended "
        "cues freeze the picture while they are spoken. A cue whose narration does not fit stops the "
        "render (exit 5) unless --allow-overrun.",
    )
    p.add_argument("video", metavar="VIDEO", help="the video the track describes")
    p.add_argument("track", metavar="TRACK", help="track file (.srt, .vtt or .json)")
    p.add_argument(
        "-o",
        "--output",
        required=True,
        metavar="OUT",
        help="output file: .mp4, .mkv, .mov (video + AD stream) or .wav, .flac, .m4a (audio)",
    )
    add_voice_options(p)
    p.add_argument(
        "--duck",
        type=duck_db,
        default=DEFAULT_DUCK_DB,
        metavar="DB",
        help=f"programme level under narration in dB (default {DEFAULT_DUCK_DB:g}; 0: no ducking)",
    )
    p.add_argument(
        "--stem",
        action="store_true",
        help="write the narration alone (silent elsewhere), for a mixing engineer (audio outputs)",
    )
    p.add_argument(
        "--allow-overrun", action="store_true", help="render even when a cue's narration is longer than the cue"
    )
    p.add_argument(
        "--language",
        metavar="CODE",
        default=None,
        help="language tag of the AD stream (default: the track's, en for SRT/WebVTT)",
    )
    p.add_argument(
        "--json",
        action="store_true",
        help="print where each cue is spoken and where extended cues freeze the picture, as JSON",
    )
    p.add_argument("--quiet", "-q", action="store_true", help="no progress bar")
    p.set_defaults(handler=run_render)

    v = subparsers.add_parser(
        "voices",
        help="list the offline narration voices",
        description="List the narration voices (eSpeak NG, offline) that --voice takes.",
    )
    v.add_argument("--json", action="store_true", help="print the voices as JSON")
    v.set_defaults(handler=run_voices)


def run_render(args: argparse.Namespace) -> int:
    from captioner_app.core.speech.render import NarrationOverrunError, RenderOptions, output_kind, render

    options = RenderOptions(
        voice=args.voice,
        wpm=args.wpm,
        duck_db=args.duck,
        stem=args.stem,
        allow_overrun=args.allow_overrun,
        language=args.language,
    )
    options.validate()
    output_kind(args.output, args.stem)  # a wrong extension fails before any work
    result = formats.read(args.track)
    for problem in result.problems:
        print(f"captioner: warning: {problem}", file=sys.stderr)
    from tqdm import tqdm

    bar = tqdm(
        total=100,
        unit="%",
        desc=Path(args.output).name,
        disable=args.quiet or None,
        file=sys.stderr,
        bar_format="{desc}: {percentage:3.0f}%|{bar}| {elapsed}<{remaining}",
    )
    done = [0]

    def progress(fraction: float) -> None:
        step = int(fraction * 100) - done[0]
        if step > 0:
            done[0] += step
            bar.update(step)

    try:
        rendered = render(
            args.video,
            result.track,
            args.output,
            options,
            track_name=args.track,
            cancel=threading.Event(),
            progress=progress,
        )
    except NarrationOverrunError as err:
        bar.close()
        for placement in err.overruns:
            print(f"captioner: {placement.line()}", file=sys.stderr)
        raise
    finally:
        bar.close()
    plan = rendered.plan
    if args.json:
        print(
            json.dumps({"video": args.video, "track": args.track, **rendered.to_dict()}, ensure_ascii=False, indent=2)
        )
        return 0
    for placement in plan.overruns:
        print(f"captioner: warning: {placement.line()}", file=sys.stderr)
    grown = plan.output_ms - plan.programme_ms
    print(
        f"{rendered.output}: {len(plan.placements)} cues spoken by {rendered.voice} at {rendered.wpm} wpm"
        + (f", {len(plan.pauses)} extended (+{grown / 1000:.1f} s)" if plan.pauses else "")
    )
    return 0


def run_voices(args: argparse.Namespace) -> int:
    from captioner_app.core.speech.voice import list_voices

    voices = list_voices()
    if args.json:
        print(
            json.dumps(
                [
                    {"id": v.id, "name": v.name, "language": v.language, "gender": v.gender, "aliases": list(v.aliases)}
                    for v in voices
                ],
                ensure_ascii=False,
                indent=2,
            )
        )
        return 0
    width = max(len(v.id) for v in voices)
    for v in voices:
        print(f"{v.id:<{width}}  {v.name}")
    return 0
