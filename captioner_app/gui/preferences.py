"""The desktop app's preferences: a plain dataclass stored as JSON in the data folder (core.settings).

Unknown keys in the file are ignored and bad values fall back to their defaults, so an old or hand-edited
file never stops the app from starting. The narration rate is in words per minute (a file written before
that, with ``narration_wps``, is read in words per second and converted).
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

from captioner_app.core.fileio import atomic_write_text
from captioner_app.core.settings import data_dir
from captioner_app.core.timing.budget import DEFAULT_WPM
from captioner_app.core.vocab import Detail, Placement

SETTINGS_FILE = "settings.json"
MAX_RECENT = 10


@dataclass
class Settings:
    model: str = ""  # empty: $CAPTIONER_MODEL or allenai/Molmo2-4B
    engine: str = ""  # model server URLs, comma-separated ($CAPTIONER_ENGINE wins); empty: this computer
    device: str = "auto"
    detail: str = "medium"  # low, medium, high or auto (from each cue's narration budget)
    placement: str = "auto"  # a core.vocab.Placement; auto: gaps when the video has speech, else windows
    auto_analyze: bool = True  # the app finds speech and shot changes when a video opens
    window_s: float = 10.0
    stride_s: float | None = None
    fps: float = 2.0
    autosave_s: float = 10.0
    narration_wpm: float = DEFAULT_WPM  # words per minute a cue's narration is budgeted at
    narration_voice: str = ""  # core.speech voice id (en, en-us, fr...); empty: the track's language
    recent_files: list[str] = field(default_factory=list)
    last_folder: str = ""
    window_geometry: str = ""  # base64 of QMainWindow.saveGeometry(); opaque to the core

    def add_recent(self, path: str) -> None:
        path = os.path.abspath(path)
        self.recent_files = [path] + [p for p in self.recent_files if p != path]
        del self.recent_files[MAX_RECENT:]

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Any) -> Settings:
        settings = cls()
        if not isinstance(data, dict):
            return settings
        old_wps = data.get("narration_wps")
        if "narration_wpm" not in data and isinstance(old_wps, (int, float)) and not isinstance(old_wps, bool):
            data = {**data, "narration_wpm": old_wps * 60}
        for f in fields(cls):
            if f.name not in data:
                continue
            value = data[f.name]
            default = getattr(settings, f.name)
            if f.name == "stride_s":
                if value is None or (isinstance(value, (int, float)) and not isinstance(value, bool) and value > 0):
                    settings.stride_s = None if value is None else float(value)
            elif f.name == "recent_files":
                if isinstance(value, list):
                    settings.recent_files = [str(v) for v in value if isinstance(v, str)][:MAX_RECENT]
            elif isinstance(default, bool):
                if isinstance(value, bool):
                    setattr(settings, f.name, value)
            elif isinstance(default, float):
                if isinstance(value, (int, float)) and not isinstance(value, bool) and value > 0:
                    setattr(settings, f.name, float(value))
            elif isinstance(default, str) and isinstance(value, str):
                setattr(settings, f.name, value)
        if settings.detail not in Detail.choices():
            settings.detail = Detail.MEDIUM.value
        if settings.placement not in Placement.choices():
            settings.placement = "auto"
        return settings


def settings_path() -> Path:
    return data_dir() / SETTINGS_FILE


def load_settings(path: Path | None = None) -> Settings:
    """The saved settings, or the defaults when there are none or the file is unreadable."""
    path = path or settings_path()
    try:
        return Settings.from_dict(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError):
        return Settings()


def save_settings(settings: Settings, path: Path | None = None) -> Path:
    """Write the settings atomically (raises TrackError with a one-line reason on failure)."""
    path = path or settings_path()
    return atomic_write_text(path, json.dumps(settings.to_dict(), indent=2) + "\n")
