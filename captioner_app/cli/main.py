"""``captioner``: caption videos, describe them, render the described video, fetch the model.

Exit codes
  0    every input succeeded
  1    an unexpected internal error (a bug: rerun with --debug and report it)
  2    wrong options (usage)
  3    an input video is missing, unreadable, not a video, broken or truncated
  4    the model (or the narration voice) cannot be found, fetched or loaded, or the device ran out of memory
  5    a track file cannot be read or written (full disk, no permission, bad format); render: an output
       cannot be written, or a cue's narration does not fit
  130  cancelled (Ctrl-C or SIGTERM)
  141  the program reading the output stopped early (e.g. `| head`)
With several inputs, every input is tried; the exit code is that of the first failure.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import logging
import os
import signal
import sys
import threading
from collections.abc import Iterator, Sequence
from typing import Any, NoReturn

from captioner_app import __version__
from captioner_app.core.errors import CaptionerError

# Each module has register(subparsers) and sets a handler through set_defaults(handler=...).
COMMAND_MODULES = [
    "captioner_app.cli.caption",
    "captioner_app.cli.download",
    "captioner_app.cli.serve",
    "captioner_app.cli.analyze",
    "captioner_app.cli.check",
    "captioner_app.cli.render",
]


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:  # one line, exit code 2
        self.exit(2, f"captioner: error: {message} (see --help)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="captioner",
        description="Write audio-description tracks for videos with the Molmo2 vision-language model, offline.",
        epilog=__doc__.split("\n", 2)[2] if __doc__ else None,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"captioner {__version__}")
    parser.add_argument("--debug", action="store_true", help="show tracebacks and library logs")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(subparsers)
    return parser


def _quiet_libraries(debug: bool) -> None:
    if debug:
        logging.basicConfig(level=logging.DEBUG, format="%(levelname)s %(name)s: %(message)s")
        return
    logging.basicConfig(level=logging.WARNING, format="captioner: %(message)s")
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
    os.environ.setdefault("TRANSFORMERS_NO_ADVISORY_WARNINGS", "1")
    os.environ.setdefault("HF_HUB_VERBOSITY", "error")  # huggingface_hub resets its logger level on import
    for name in ("transformers", "huggingface_hub", "torch", "libav"):
        logging.getLogger(name).setLevel(logging.ERROR)
    # PyAV's default ignores FFmpeg's logs without calling into Python. Never install its Python log
    # callback (av.logging.set_level(<int>)): FFmpeg's decoder threads would then need the GIL to log,
    # and closing a decoder while holding the GIL deadlocks.


@contextlib.contextmanager
def _terminate_like_interrupt() -> Iterator[None]:
    """SIGTERM (kill, a service manager, a closing terminal session) stops a command as Ctrl-C does:
    the work done so far is kept (NAME.partial.EXT), downloads and temporaries are removed, exit 130.
    The handler before the command is put back after it (``main`` may be called in a longer process)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def interrupt(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    before: Any = None
    with contextlib.suppress(ValueError, OSError, AttributeError):
        before = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        if before is not None:
            with contextlib.suppress(ValueError, OSError, AttributeError):
                signal.signal(signal.SIGTERM, before)


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "handler", None):
        parser.print_help()
        return 0
    _quiet_libraries(args.debug)
    try:
        with _terminate_like_interrupt():
            return int(args.handler(args) or 0)
    except CaptionerError as err:
        if args.debug:
            raise
        print(f"captioner: error: {err}", file=sys.stderr)
        return err.exit_code
    except KeyboardInterrupt:
        print("captioner: cancelled", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # the reader (| head, | less) closed the pipe: stop quietly, as other command-line tools do,
        # and keep Python from complaining while it flushes stdout at exit
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141
    except Exception as err:  # a bug: one line unless --debug
        if args.debug:
            raise
        print(f"captioner: internal error: {type(err).__name__}: {err} (rerun with --debug)", file=sys.stderr)
        return 1


if __name__ == "__main__":
    raise SystemExit(main())
