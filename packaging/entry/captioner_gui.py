"""Frozen entry point of ``captioner-gui`` (the desktop app); PyInstaller builds an executable from it."""

import multiprocessing
import sys

from captioner_app.gui.app import main

if __name__ == "__main__":
    multiprocessing.freeze_support()
    sys.exit(main())
