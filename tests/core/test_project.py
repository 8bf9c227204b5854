"""Project files and autosave recovery (Qt-free)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from captioner_app.core.tracks.project import (
    Autosaver,
    Project,
    ProjectError,
    discard_recovery,
    find_recoveries,
    load_project,
    save_project,
)
from captioner_app.core.tracks.track import Cue, Provenance, Track


@pytest.fixture(autouse=True)
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("CAPTIONER_DATA_DIR", str(tmp_path / "data"))
    return tmp_path / "data"


def sample() -> Project:
    cues = [
        Cue(0, 1500, "A door opens.", Provenance(window_index=0, detail="low", model="m", source="model")),
        Cue(2000, 3000, "Ça va.\nOui.", extended=True),
    ]
    return Project(
        video="/videos/a.mp4",
        track=Track(cues, "/videos/a.mp4", 5000),
        caption={"detail": "low", "window_s": 5.0, "stride_s": None, "fps": 2.0},
        model="m",
        device="cpu",
    )


def test_round_trip(tmp_path: Path):
    path = tmp_path / "p.adproj"
    save_project(sample(), path)
    back = load_project(path)
    assert back.video == "/videos/a.mp4" and back.model == "m" and back.device == "cpu"
    assert back.caption == sample().caption
    assert back.track.cues == sample().track.cues
    assert back.path == str(path)
    assert json.loads(path.read_text())["version"] == 1


@pytest.mark.parametrize(
    "content, words",
    [
        ("{", "damaged"),
        ('{"schema": "other"}', "not a captioner project"),
        ('{"schema": "captioner-project", "version": 99, "track": {"cues": []}}', "newer version"),
        ('{"schema": "captioner-project", "version": 1, "track": 5}', "no 'cues' list"),
    ],
)
def test_bad_files_give_one_line(tmp_path: Path, content: str, words: str):
    path = tmp_path / "bad.adproj"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(ProjectError) as info:
        load_project(path)
    assert words in str(info.value) and "\n" not in str(info.value) and "bad.adproj" in str(info.value)


def test_missing_file_and_failed_save_leave_old_file(tmp_path: Path):
    with pytest.raises(ProjectError, match="no such file"):
        load_project(tmp_path / "none.adproj")
    with pytest.raises(ProjectError, match="does not exist"):
        save_project(sample(), tmp_path / "no" / "x.adproj")
    folder = tmp_path / "taken.adproj"
    folder.mkdir()
    with pytest.raises(ProjectError, match="it is a folder"):
        save_project(sample(), folder)
    assert folder.is_dir() and list(folder.iterdir()) == []


def test_autosave_of_a_dead_process_is_recovered(data_dir: Path):
    saver = Autosaver()
    saver.write("doc1", saver.payload(sample()))
    assert find_recoveries() == ([], [])  # this session is still open
    # a file written by a process that has exited
    proc = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    dead_pid = int(proc.stdout)
    data = json.loads(saver.path_for("doc1").read_text())
    data["autosave"]["pid"] = dead_pid
    (data_dir / "autosave" / "dead--doc1.json").write_text(json.dumps(data))
    (data_dir / "autosave" / "junk.json").write_text("{")
    found, problems = find_recoveries()
    assert [r.project.track.cues for r in found] == [sample().track.cues]
    assert "a.mp4" in found[0].label and "2 cues" in found[0].label
    assert len(problems) == 1 and "junk.json" in problems[0]
    discard_recovery(found[0])
    assert find_recoveries()[0] == []
    saver.close()
    assert len(find_recoveries()[0]) == 1  # a closed session's leftover work is offered too
    saver.remove_all()
    assert find_recoveries()[0] == []
