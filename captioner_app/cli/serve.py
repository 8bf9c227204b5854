"""``captioner serve``: the hosted video-captioner API, served from this machine (docs/server.md)."""

from __future__ import annotations

import argparse
import os
import secrets
import sys
from pathlib import Path
from typing import Any

from captioner_app.cli.common import add_model_options, engine_options, positive_float, positive_int
from captioner_app.core.errors import UsageError
from captioner_app.server.config import FETCH_DEADLINE_S


def register(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "serve",
        help="serve the hosted captioning API locally (scripts switch by changing one URL)",
        description="Serve the hosted video-captioner REST API from this machine: the model loads once "
        "and stays loaded; jobs queue in a database in the data folder and survive restarts. "
        "See docs/server.md.",
    )
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1: this machine only)")
    p.add_argument("--port", type=port_number, default=8000, help="port (default 8000)")
    p.add_argument(
        "--token",
        default=None,
        help="the API key clients must send; visible to other users in the process list, so "
        f"prefer ${TOKEN_ENV} or --token-file (default: a new random one, printed at start)",
    )
    p.add_argument(
        "--token-file",
        default=None,
        metavar="FILE",
        help="read the API key from the first line of FILE (keep it chmod 600)",
    )
    p.add_argument(
        "--allow-private-urls",
        action="store_true",
        help="let jobs fetch videos from private, loopback and local-network addresses",
    )
    p.add_argument(
        "--max-duration",
        type=positive_float,
        default=None,
        metavar="S",
        help="refuse videos longer than S seconds (the hosted service caps at 120; default: no cap)",
    )
    p.add_argument(
        "--max-upload-mb",
        type=positive_int,
        default=2048,
        metavar="MB",
        help="largest upload or URL download, in MiB (default 2048)",
    )
    p.add_argument(
        "--workers",
        type=positive_int,
        default=None,
        help="jobs decoded and captioned at once (default: the batch size, at least 2)",
    )
    p.add_argument(
        "--fetchers",
        type=positive_int,
        default=2,
        help="URL downloads at once (default 2); they never hold up captioning",
    )
    p.add_argument(
        "--fetch-timeout",
        type=positive_float,
        default=FETCH_DEADLINE_S,
        metavar="S",
        help=f"longest a URL download may take, seconds (default {FETCH_DEADLINE_S:g})",
    )
    p.add_argument(
        "--fetch-min-kbps",
        type=positive_float,
        default=10.0,
        metavar="K",
        help="drop a download slower than K KiB/s over 30 s (default 10)",
    )
    p.add_argument(
        "--max-windows",
        type=positive_int,
        default=2000,
        metavar="N",
        help="most cue windows one timed-track job may ask for (default 2000)",
    )
    p.add_argument(
        "--max-stored-mb",
        type=positive_int,
        default=20480,
        metavar="MB",
        help="all stored uploads together, in MiB (default 20480)",
    )
    p.add_argument(
        "--expire-hours",
        type=positive_float,
        default=24.0,
        metavar="H",
        help="delete uploads and finished results this long after they were made (default 24)",
    )
    p.add_argument(
        "--data-dir",
        default=None,
        metavar="DIR",
        help="where jobs and uploads are kept (default: $CAPTIONER_DATA_DIR or the app's data folder)",
    )
    p.add_argument(
        "--model-process",
        action="store_true",
        help="run the model in a child process: if it crashes (out of memory, a driver fault) the "
        "server stays up, the job goes back to the queue once and the model is loaded again",
    )
    add_model_options(p)
    p.set_defaults(handler=run_serve)


def port_number(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port number") from None
    if not 1 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"{text!r} must be between 1 and 65535")
    return value


def _check_bind(host: str, port: int) -> None:
    import socket

    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror as err:
        raise UsageError(f"--host {host}: not an address of this machine ({err})") from None
    family, kind, proto, _, address = infos[0]
    with socket.socket(family, kind, proto) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(address)
        except OSError as err:
            raise UsageError(f"--host {host} --port {port}: cannot listen there ({err.strerror or err})") from None


TOKEN_ENV = "CAPTIONER_TOKEN"


def _token(args: argparse.Namespace) -> tuple[str, bool]:
    """The API key: --token, else --token-file, else $CAPTIONER_TOKEN, else a new random one (True)."""
    if args.token is not None and args.token_file is not None:
        raise UsageError("give --token or --token-file, not both")
    if args.token is not None:
        return args.token, False
    if args.token_file is not None:
        from captioner_app.core.fileio import read_bytes

        data = read_bytes(args.token_file, "a token file", UsageError)
        lines = data.decode("utf-8", errors="replace").strip().splitlines()
        if not lines:
            raise UsageError(f"--token-file {args.token_file}: the file is empty")
        return lines[0].strip(), False
    from_env = os.environ.get(TOKEN_ENV, "").strip()
    if from_env:
        return from_env, False
    return secrets.token_urlsafe(24), True


def run_serve(args: argparse.Namespace) -> int:
    from captioner_app.server.jobs import data_dir

    try:
        import fastapi  # noqa: F401
        import uvicorn  # noqa: F401
    except ImportError as err:
        raise UsageError(f"the server needs {err.name}: pip install fastapi uvicorn") from None
    from captioner_app.server.config import ServerConfig
    from captioner_app.server.service import CaptionServer

    token, generated = _token(args)
    if len(token) < 8 or any(ch.isspace() for ch in token):
        raise UsageError(
            "the token (--token, --token-file or $CAPTIONER_TOKEN) must be at least 8 characters without spaces"
        )
    cap = args.max_upload_mb * 1024 * 1024
    config = ServerConfig(
        token=token,
        data_dir=Path(args.data_dir).expanduser() if args.data_dir else data_dir(),
        host=args.host,
        port=args.port,
        allow_private_urls=args.allow_private_urls,
        max_upload_bytes=cap,
        url_max_bytes=cap,
        max_duration_s=args.max_duration,
        workers=args.workers,
        fetchers=args.fetchers,
        url_deadline_s=args.fetch_timeout,
        url_min_rate_bps=args.fetch_min_kbps * 1024,
        max_windows=args.max_windows,
        max_stored_bytes=args.max_stored_mb * 1024 * 1024,
        expire_s=args.expire_hours * 3600,
    )
    _check_bind(args.host, args.port)  # before the (slow) model load
    from captioner_app.core.model import CaptionEngine, load_engine

    engine: CaptionEngine
    if args.model_process:
        from captioner_app.core.model.process import ProcessEngine

        engine = ProcessEngine.load(engine_options(args))
    else:
        engine = load_engine(engine_options(args))
    try:
        server = CaptionServer(config, engine)
        through = f" through {pool}" if (pool := getattr(engine, "engine_url", None)) else ""
        print(
            f"captioner: serving {engine.model_id}{through} at {server.url} (data in {config.data_dir})",
            file=sys.stderr,
        )
        if generated:
            print(f"captioner: token: {token}", file=sys.stderr)
        print(
            f'captioner: wavespeed.Client(api_key=TOKEN, base_url="{server.url}"); Ctrl-C stops',
            file=sys.stderr,
            flush=True,
        )
        server.serve()
    finally:
        engine.close()
    return 0
