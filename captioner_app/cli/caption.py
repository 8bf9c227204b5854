"""``captioner caption`` and ``captioner describe``."""

from __future__ import annotations

import argparse
import sys
import threading
from pathlib import Path
from typing import Any

from captioner_app.cli.analyze import add_gap_options
from captioner_app.cli.common import add_model_options, each_input, engine_options, positive_float
from captioner_app.core.errors import CancelledError, TrackError, UsageError, VideoError
from captioner_app.core.fileio import check_writable
from captioner_app.core.media.urls import is_url, probe_input, url_stem
from captioner_app.core.media.video import VideoInfo
from captioner_app.core.pipeline import CaptionOptions, TrackBuilder, caption, describe_video
from captioner_app.core.timecode import seconds_to_ms
from captioner_app.core.timing.budget import DEFAULT_WPM
from captioner_app.core.tracks import formats
from captioner_app.core.tracks.track import Track
from captioner_app.core.vocab import Detail, Placement


def register(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "caption",
        help="write a timed description track (SRT, WebVTT, JSON or text) for each video",
        description="Describe each video window by window and write a timed track beside it "
        "(or to -o/--output-dir). Existing output files are replaced atomically.",
    )
    p.add_argument("videos", nargs="+", metavar="VIDEO", help="video files or http(s) URLs")
    p.add_argument(
        "--detail",
        default="medium",
        choices=Detail.choices(),
        help="how much to say per cue; auto: picked from each cue's narration budget",
    )
    p.add_argument(
        "--placement",
        default="windows",
        choices=Placement.choices(),
        help="windows: every --window seconds (default); gaps: one cue per pause between "
        "speech; shots: one cue per shot; auto: gaps when the video has speech, else windows",
    )
    p.add_argument(
        "--wpm",
        type=positive_float,
        default=DEFAULT_WPM,
        help=f"narration rate: a cue may hold its length x this many words (default {DEFAULT_WPM:g})",
    )
    add_gap_options(p)
    p.add_argument("--window", type=positive_float, default=10.0, metavar="S", help="window length, seconds")
    p.add_argument(
        "--stride",
        type=positive_float,
        default=None,
        metavar="S",
        help="seconds between window starts (default: the window length)",
    )
    p.add_argument("--fps", type=positive_float, default=2.0, help="frames sampled per second (default 2)")
    p.add_argument(
        "--format", choices=formats.FORMATS, default=None, help="output format (default: from -o's extension, else srt)"
    )
    out = p.add_mutually_exclusive_group()
    out.add_argument("-o", "--output", metavar="FILE", help="output file (one input only)")
    out.add_argument("--output-dir", metavar="DIR", help="write NAME.EXT for each input into DIR")
    p.add_argument("--quiet", "-q", action="store_true", help="no progress bar")
    add_model_options(p)
    p.set_defaults(handler=run_caption)

    d = subparsers.add_parser(
        "describe",
        help="print one description of each whole video, as the hosted service does",
        description="Print one description of each whole video (frames spread over its length).",
    )
    d.add_argument("videos", nargs="+", metavar="VIDEO", help="video files or http(s) URLs")
    d.add_argument(
        "--detail",
        default="medium",
        choices=Detail.level_choices(),
        help="low: brief summary; medium: a paragraph; high: scene-by-scene breakdown",
    )
    d.add_argument("--max-frames", type=int, default=64, help="frames shown to the model (default 64)")
    add_model_options(d, batch=False)
    d.set_defaults(handler=run_describe)


def _output_path(args: argparse.Namespace, video: str, fmt: str) -> Path:
    if args.output:
        return Path(args.output)
    ext = formats.EXTENSIONS[fmt]
    if is_url(video):  # a URL's track is named after its last path segment, in the current folder
        video = url_stem(video)
    if args.output_dir:
        return Path(args.output_dir) / (Path(video).stem + ext)
    return Path(video).with_suffix(ext)


def run_caption(args: argparse.Namespace) -> int:
    if args.output and len(args.videos) > 1:
        raise UsageError("-o/--output takes one input; use --output-dir for several videos")
    fmt = formats.format_for(args.output or "", args.format) if (args.format or args.output) else "srt"
    options = CaptionOptions(
        detail=Detail.parse(args.detail),
        window_ms=seconds_to_ms(args.window),
        stride_ms=None if args.stride is None else seconds_to_ms(args.stride),
        fps=args.fps,
        placement=Placement.parse(args.placement),
        wpm=args.wpm,
        min_gap_ms=seconds_to_ms(args.min_gap),
        pad_ms=seconds_to_ms(args.pad),
    )
    options.validate()
    if args.output_dir and not Path(args.output_dir).is_dir():
        raise UsageError(f"--output-dir {args.output_dir}: no such folder")
    if args.output and not Path(args.output).resolve().parent.is_dir():
        raise UsageError(f"-o {args.output}: the folder {Path(args.output).parent} does not exist")

    for video in args.videos:  # an unwritable destination is found now, not after the captioning
        check_writable(_output_path(args, video, fmt), "the track")

    probed, code = each_input(args.videos, probe_input, args.debug)
    if not probed:
        return code

    from captioner_app.core.model import load_engine

    engine = load_engine(engine_options(args))
    try:
        return _caption_all(args, probed, engine, options, fmt, code)
    finally:
        engine.close()


def _caption_all(
    args: argparse.Namespace,
    probed: list[tuple[str, VideoInfo]],
    engine: Any,
    options: CaptionOptions,
    fmt: str,
    code: int,
) -> int:
    cancel = threading.Event()
    for video, info in probed:
        target = _output_path(args, video, fmt)
        builder = TrackBuilder(info)
        track = builder.track
        try:
            _caption_one(info, engine, options, cancel, builder, quiet=args.quiet)
        except (KeyboardInterrupt, CancelledError):
            cancel.set()
            _keep_partial(track, target, fmt)
            return 130
        except VideoError as err:  # e.g. the windows stopped finding pictures: keep what was done
            print(f"captioner: error: {err}", file=sys.stderr)
            _keep_partial(track, target, fmt, why="stopped")
            code = code or err.exit_code
            continue
        try:
            formats.write(track, target, fmt)
        except TrackError as err:
            print(f"captioner: error: {err}", file=sys.stderr)
            code = code or err.exit_code
            continue
        if not args.quiet:
            print(f"{video}: {len(track)} cue{'s' if len(track) != 1 else ''} -> {target}", file=sys.stderr)
    return code


def _keep_partial(track: Track, target: Path, fmt: str, why: str = "cancelled") -> None:
    """On Ctrl-C (or SIGTERM, or a run stopped for a reason), the cues already made go to
    NAME.partial.EXT (the real output is left alone)."""
    if not len(track):
        print(f"captioner: {why}; nothing was written", file=sys.stderr)
        return
    partial = target.with_name(f"{target.stem}.partial{target.suffix}")
    done = f"{len(track)} cue{'s' if len(track) != 1 else ''} done"
    try:
        formats.write(track, partial, fmt)
    except TrackError as err:
        print(f"captioner: {why}; the {done} could not be kept: {err}", file=sys.stderr)
        return
    print(f"captioner: {why}; the {done} {'are' if len(track) != 1 else 'is'} in {partial}", file=sys.stderr)


def _caption_one(
    info: VideoInfo, engine: Any, options: CaptionOptions, cancel: threading.Event, builder: TrackBuilder, quiet: bool
) -> None:
    """Caption one video into ``builder.track`` (filled as cues arrive, so a cancelled run keeps them)."""
    from tqdm import tqdm

    plan, results = caption(info, engine, options, cancel=cancel)  # gaps, shots: analyses the video first
    bar = tqdm(
        total=len(plan),
        unit="window",
        desc=Path(info.path).name,
        disable=quiet or None,
        file=sys.stderr,
        dynamic_ncols=True,
    )
    try:
        builder.consume(results, lambda _result: bar.update(1))
    finally:
        bar.close()


def run_describe(args: argparse.Namespace) -> int:
    if args.max_frames < 1:
        raise UsageError(f"--max-frames must be at least 1, got {args.max_frames}")
    probed, code = each_input(args.videos, probe_input, args.debug)
    if not probed:
        return code
    from captioner_app.core.model import load_engine

    engine = load_engine(engine_options(args))
    try:
        for video, info in probed:
            text = describe_video(info, engine, args.detail, max_frames=args.max_frames)
            if len(args.videos) > 1:
                print(f"== {video}")
            print(text)
    finally:
        engine.close()
    return code
