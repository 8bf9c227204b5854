"""``captioner download [MODEL]``."""

from __future__ import annotations

import argparse
from typing import Any

from captioner_app.core.model.engine import default_model


def register(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "download",
        help="fetch a model into the local cache (resumable) and print where it is",
        description="Fetch the model's safetensors weights, processor and tokenizer into the hub cache. "
        "An interrupted download resumes on the next run. Afterwards everything works offline.",
    )
    p.add_argument("model", nargs="?", default=None, help="hub id (default: $CAPTIONER_MODEL or allenai/Molmo2-4B)")
    p.add_argument("--revision", default=None, help="branch, tag or commit")
    p.add_argument("--cache-dir", default=None, help="cache folder (default: the hub cache)")
    p.set_defaults(handler=run_download)


def run_download(args: argparse.Namespace) -> int:
    from captioner_app.core.model.hub import download_model

    path = download_model(args.model or default_model(), args.revision, args.cache_dir)
    print(path)
    return 0
