"""Options and helpers shared by the commands."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable
from typing import TypeVar

from captioner_app.core.errors import CaptionerError, UsageError
from captioner_app.core.model.engine import (
    ENGINE_ENV,
    ENGINE_KEY_ENV,
    MODEL_ENV,
    EngineOptions,
    default_engine,
    default_engine_key,
    default_model,
)
from captioner_app.core.vocab import DType, parse_device

T = TypeVar("T")


def add_model_options(p: argparse.ArgumentParser, batch: bool = True) -> None:
    g = p.add_argument_group("model")
    g.add_argument(
        "--model",
        default=None,
        help=f"hub id or local folder (default: ${MODEL_ENV} or allenai/Molmo2-4B); with --engine, "
        "the served model's name (default: the server's only model)",
    )
    g.add_argument(
        "--engine",
        default=None,
        metavar="URL[,URL...]",
        help="caption through OpenAI-compatible model servers (vLLM, transformers serve) at these "
        f"base URLs, like http://gpu1:8000/v1, instead of a local model (default: ${ENGINE_ENV}; "
        "'local' forces the local model); see docs/remote.md",
    )
    g.add_argument(
        "--api-key", default=None, metavar="KEY", help=f"the model servers' API key (default: ${ENGINE_KEY_ENV})"
    )
    g.add_argument("--revision", default=None, help="hub branch, tag or commit to use")
    g.add_argument("--offline", action="store_true", help="never contact the hub; use the local cache only")
    g.add_argument(
        "--device",
        default="auto",
        type=device_name,
        metavar="{auto,cuda,cuda:N,mps,cpu}",
        help="where to run (default: CUDA, then MPS, then CPU)",
    )
    g.add_argument(
        "--dtype",
        default="auto",
        choices=DType.choices(),
        help="weights dtype (default: bfloat16 on CUDA, float16 on MPS, float32 on CPU)",
    )
    if batch:
        g.add_argument(
            "--batch-size",
            type=positive_int,
            default=None,
            help="windows per generate call (default: 16 on CUDA, 2 on MPS, 1 on CPU); with --engine, "
            "windows in flight at once (default: 4 per server)",
        )


def engine_options(args: argparse.Namespace) -> EngineOptions:
    engine = (args.engine if args.engine is not None else default_engine()).strip()
    if engine and engine.lower() != "local":
        # the served model: --model, else $CAPTIONER_MODEL, else the server's only one
        return EngineOptions(
            model=args.model or os.environ.get(MODEL_ENV, "").strip(),
            engine=engine,
            api_key=args.api_key or default_engine_key(),
            batch_size=getattr(args, "batch_size", None),
        )
    return EngineOptions(
        model=args.model or default_model(),
        revision=args.revision,
        device=args.device,
        dtype=args.dtype,
        local_files_only=args.offline,
        batch_size=getattr(args, "batch_size", None),
    )


def device_name(text: str) -> str:
    try:
        return parse_device(text)
    except UsageError as err:
        raise argparse.ArgumentTypeError(str(err)) from None


def positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not value > 0 or value != value or value == float("inf"):
        raise argparse.ArgumentTypeError(f"{text!r} must be a positive number")
    return value


def positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r} must be at least 1")
    return value


def each_input(items: list[str], work: Callable[[str], T], debug: bool) -> tuple[list[tuple[str, T]], int]:
    """Run ``work`` on every input; print one line per failure; return results and the first failure code."""
    results: list[tuple[str, T]] = []
    code = 0
    for item in items:
        try:
            results.append((item, work(item)))
        except CaptionerError as err:
            if debug:
                raise
            print(f"captioner: error: {err}", file=sys.stderr)
            code = code or err.exit_code
    return results, code
