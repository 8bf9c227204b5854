"""Frozen entry point of ``captioner`` (the command line); PyInstaller builds an executable from it."""

import multiprocessing
import sys

from captioner_app.cli.main import main

if __name__ == "__main__":
    multiprocessing.freeze_support()
    sys.exit(main())
