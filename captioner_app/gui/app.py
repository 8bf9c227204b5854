"""``captioner-gui [VIDEO...]`` and ``python -m captioner_app``: start the desktop app."""

from __future__ import annotations

import argparse
import os
import sys

from captioner_app.core.model.engine import MODEL_ENV


def parse_args(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="captioner-gui", description="Write audio-description tracks for videos.")
    p.add_argument("files", nargs="*", metavar="FILE", help="videos, projects (.adproj) to open")
    p.add_argument("--model", default=None,
                   help=f"hub id or local model folder (default: ${MODEL_ENV}, then the saved setting, "
                        "then allenai/Molmo2-4B)")
    p.add_argument("--device", default=None, choices=("auto", "cpu", "cuda", "mps"), help="where the model runs")
    p.add_argument("--autosave", type=float, default=None, metavar="S",
                   help="seconds between autosaves (default: the saved setting, 10)")
    p.add_argument("--no-restore", action="store_true", help="do not look for work left by a crashed session")
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
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
    window.show()
    if args.files:
        window.open_paths([os.fspath(f) for f in args.files])
    code = app.exec()
    window.shutdown()
    return int(code)


if __name__ == "__main__":
    raise SystemExit(main())
