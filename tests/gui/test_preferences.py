"""The app's preferences: defaults, round trip, tolerant loading, the data folder override."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from captioner_app.core.settings import data_dir
from captioner_app.gui.preferences import MAX_RECENT, Settings, load_settings, save_settings, settings_path


@pytest.fixture(autouse=True)
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("CAPTIONER_DATA_DIR", str(tmp_path / "d"))
    return tmp_path / "d"


def test_data_dir_override_and_round_trip(folder: Path):
    assert data_dir() == folder and folder.is_dir()
    assert load_settings() == Settings()
    s = Settings(model="/m", device="cpu", detail="high", window_s=6.0, stride_s=3.0, autosave_s=5.0)
    for i in range(MAX_RECENT + 3):
        s.add_recent(f"/v/{i}.mp4")
    s.add_recent("/v/3.mp4")
    save_settings(s)
    assert settings_path().parent == folder
    back = load_settings()
    assert back == s
    assert back.recent_files[0] == "/v/3.mp4" and len(back.recent_files) == MAX_RECENT
    assert back.recent_files.count("/v/3.mp4") == 1


def test_bad_values_fall_back_to_defaults(folder: Path):
    folder.mkdir(parents=True)
    settings_path().write_text(
        json.dumps(
            {
                "detail": "enormous",
                "window_s": -3,
                "autosave_s": "soon",
                "stride_s": 0,
                "recent_files": "x",
                "unknown": 1,
                "device": "cpu",
            }
        )
    )
    s = load_settings()
    assert (s.detail, s.window_s, s.autosave_s, s.stride_s, s.recent_files, s.device) == (
        "medium",
        10.0,
        10.0,
        None,
        [],
        "cpu",
    )
    settings_path().write_text("not json")
    assert load_settings() == Settings()


def test_an_older_file_in_words_per_second_reads_as_words_per_minute(folder: Path):
    folder.mkdir(parents=True)
    settings_path().write_text(json.dumps({"narration_wps": 2.5}))
    assert load_settings().narration_wpm == 150
    settings_path().write_text(json.dumps({"narration_wps": 2.5, "narration_wpm": 170}))
    assert load_settings().narration_wpm == 170
    assert Settings().narration_wpm == 180
