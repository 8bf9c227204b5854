"""Where the app, the CLI and the server keep their data: ``$CAPTIONER_DATA_DIR`` when set (tests point it
at a temporary folder), else the platform's user data folder (``platformdirs``)."""

from __future__ import annotations

import os
from pathlib import Path

DATA_DIR_ENV = "CAPTIONER_DATA_DIR"
APP_NAME = "captioner"


def data_dir() -> Path:
    """The app's data folder (created on first use)."""
    override = os.environ.get(DATA_DIR_ENV, "").strip()
    if override:
        folder = Path(override).expanduser()
    else:
        import platformdirs

        folder = Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))
    folder.mkdir(parents=True, exist_ok=True)
    return folder
