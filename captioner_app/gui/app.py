"""``captioner-gui [VIDEO...]`` and ``python -m captioner_app``: start the desktop app."""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from collections.abc import Callable
from typing import Any

from captioner_app.core.model.engine import MODEL_ENV


def parse_args(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="captioner-gui", description="Write audio-description tracks for videos.")
    p.add_argument("files", nargs="*", metavar="FILE", help="videos, projects (.adproj) to open")
    p.add_argument(
        "--model",
        default=None,
        help=f"hub id or local model folder (default: ${MODEL_ENV}, then the saved setting, then allenai/Molmo2-4B)",
    )
    p.add_argument("--device", default=None, choices=("auto", "cpu", "cuda", "mps"), help="where the model runs")
    p.add_argument(
        "--autosave",
        type=float,
        default=None,
        metavar="S",
        help="seconds between autosaves (default: the saved setting, 10)",
    )
    p.add_argument("--no-restore", action="store_true", help="do not look for work left by a crashed session")
    p.add_argument(
        "--verbose",
        action="store_true",
        help="also print the status bar's messages on standard error (for bug reports and scripts)",
    )
    return p.parse_args(argv)


# Only macOS sends FileOpen events. Elsewhere the filter below would only cost: a Python event filter on
# the application runs for every event of every widget, each call taking the interpreter lock on the GUI
# thread (the window's first paint took 61 ms of the GUI thread with it instead of 10 ms, measured).
FILE_OPEN_EVENTS = sys.platform == "darwin"


def _open_files_from_desktop(app: Any, open_paths: Callable[[list[str]], object]) -> Any:
    """macOS hands a double-clicked .adproj or a file dropped on the Dock icon to the running app as a
    FileOpen event, not as a command-line argument: open it like the files given on the command line.
    Returns the application-wide filter that does it, or None where FileOpen events do not come."""
    if not FILE_OPEN_EVENTS:
        return None
    from PySide6.QtCore import QEvent, QObject

    class FileOpenFilter(QObject):
        def eventFilter(self, watched: Any, event: Any) -> bool:
            if event.type() == QEvent.Type.FileOpen and event.file():
                open_paths([event.file()])
                return True
            return False

    opener = FileOpenFilter(app)
    app.installEventFilter(opener)
    return opener


def _quit_on_termination(quit_app: Callable[[], None]) -> Callable[[], None]:
    """SIGTERM (logout, ``kill``) and Ctrl+C in a terminal quit the app as File > Quit does, without the
    unsaved-edits question: edits not saved in a project stay in the autosave folder and are offered at the
    next start. Returns what undoes it (the handlers are process-wide)."""
    import signal
    import socket

    from PySide6.QtCore import QSocketNotifier

    try:
        reader, writer = socket.socketpair()
        reader.setblocking(False)
        writer.setblocking(False)
        old_fd = signal.set_wakeup_fd(writer.fileno())
    except (ValueError, OSError):  # not the main thread, or no socket pair: leave the defaults
        return lambda: None
    wanted = [s for s in (signal.SIGINT, getattr(signal, "SIGTERM", None)) if s is not None]
    old = {s: signal.signal(s, lambda _signum, _frame: quit_app()) for s in wanted}
    # Qt's loop runs in C++: the wake-up byte makes it call back into Python, which then runs the handler
    notifier = QSocketNotifier(reader.fileno(), QSocketNotifier.Type.Read)

    def drain() -> None:
        with contextlib.suppress(OSError):
            reader.recv(512)

    notifier.activated.connect(drain)

    def restore() -> None:
        notifier.setEnabled(False)
        for signum, handler in old.items():
            signal.signal(signum, handler)
        signal.set_wakeup_fd(old_fd)
        reader.close()
        writer.close()

    return restore


def main(argv: list[str] | None = None) -> int:
    import multiprocessing

    multiprocessing.freeze_support()  # a frozen build starts the model process from its own executable
    args = parse_args(sys.argv[1:] if argv is None else argv)
    from PySide6.QtWidgets import QApplication

    from captioner_app.gui.icon import app_icon
    from captioner_app.gui.main_window import MainWindow
    from captioner_app.gui.preferences import load_settings

    existing = QApplication.instance()
    argv0 = sys.argv[0] if sys.argv else "captioner-gui"
    app = existing if isinstance(existing, QApplication) else QApplication([argv0])
    app.setApplicationName("Captioner")
    app.setApplicationDisplayName("Captioner")
    app.setDesktopFileName("captioner-gui")  # resources/linux/captioner-gui.desktop
    app.setWindowIcon(app_icon())  # every window and dialog without its own icon uses it
    settings = load_settings()
    if args.autosave is not None and args.autosave > 0:
        settings.autosave_s = args.autosave
    window = MainWindow(settings, model=args.model, device=args.device, check_recovery=not args.no_restore)
    opener = _open_files_from_desktop(app, window.open_paths)
    if args.verbose:
        window.statusBar().messageChanged.connect(
            lambda text: print(f"captioner-gui: {text}", file=sys.stderr, flush=True) if text else None
        )
    window.show()
    if args.files:
        window.open_paths([os.fspath(f) for f in args.files])

    def quit_keeping_edits() -> None:  # inside the event loop, so the workers stop as on File > Quit
        window.shutdown()
        app.quit()

    restore_signals = _quit_on_termination(quit_keeping_edits)
    try:
        code = app.exec()
    finally:
        restore_signals()
        if opener is not None:
            app.removeEventFilter(opener)
    window.shutdown()
    return int(code)


if __name__ == "__main__":
    raise SystemExit(main())
