"""``python -m captioner_app``: the desktop app when it is installed, else the command line."""

from __future__ import annotations

import sys


def main() -> int:
    try:
        from captioner_app.gui.app import main as gui_main
    except ImportError:
        from captioner_app.cli.main import main as cli_main

        return cli_main(sys.argv[1:] or ["--help"])
    return gui_main(sys.argv[1:])


if __name__ == "__main__":
    raise SystemExit(main())
