"""Project files (versioned JSON: video, settings, cues with provenance) and autosave/recovery.

A project file is what File > Save Project writes. Autosave files are project files plus who wrote
them (process id, start time): they live in ``<data dir>/autosave``; a clean exit deletes its own,
so any file left whose writer is no longer running is work to offer back after a crash or kill.
"""

from __future__ import annotations

import json
import os
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from captioner_app.core.errors import CaptionerError
from captioner_app.core.fileio import atomic_write_text, read_bytes
from captioner_app.core.settings import data_dir
from captioner_app.core.tracks.formats.json_format import track_from_dict, track_to_dict
from captioner_app.core.tracks.track import Track

SCHEMA = "captioner-project"
VERSION = 1
EXTENSION = ".adproj"
AUTOSAVE_DIR = "autosave"


class ProjectError(CaptionerError):
    """A project or autosave file cannot be read or written."""

    exit_code = 5


@dataclass
class Project:
    """Everything needed to carry on where the editor left off."""

    video: str | None = None
    track: Track = field(default_factory=Track)
    caption: dict[str, Any] = field(default_factory=dict)  # detail, window_s, stride_s, fps
    model: str | None = None
    device: str | None = None
    path: str | None = None  # where it was last saved as a project file (not stored inside)
    problems: list[str] = field(default_factory=list)  # cues that could not be read back

    def to_dict(self) -> dict[str, Any]:
        return {
            "schema": SCHEMA,
            "version": VERSION,
            "saved_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "video": self.video,
            "caption": dict(self.caption),
            "model": self.model,
            "device": self.device,
            "track": track_to_dict(self.track),
        }

    @classmethod
    def from_dict(cls, data: Any, name: str) -> Project:
        if not isinstance(data, dict) or data.get("schema") != SCHEMA:
            raise ProjectError(f"{name}: not a captioner project file")
        try:
            version = int(data.get("version", 0))
        except (TypeError, ValueError):
            raise ProjectError(f"{name}: unreadable project version {data.get('version')!r}") from None
        if version > VERSION:
            raise ProjectError(f"{name}: written by a newer version of the app (project format {version})")
        if version < 1:
            raise ProjectError(f"{name}: unknown project format {version}")
        try:
            result = track_from_dict(data.get("track"), name)
        except CaptionerError as err:
            raise ProjectError(str(err)) from None
        raw_caption = data.get("caption")
        caption: dict[str, Any] = raw_caption if isinstance(raw_caption, dict) else {}
        video = data.get("video")
        return cls(
            video=video if isinstance(video, str) else None,
            track=result.track,
            caption=dict(caption),
            model=data.get("model") if isinstance(data.get("model"), str) else None,
            device=data.get("device") if isinstance(data.get("device"), str) else None,
            problems=list(result.problems),
        )


def dumps(project: Project) -> str:
    return json.dumps(project.to_dict(), ensure_ascii=False, indent=1) + "\n"


def save_project(project: Project, path: str | os.PathLike[str]) -> Path:
    """Write the project atomically: the file on disk is the old one or the new one, never half."""
    try:
        written = atomic_write_text(path, dumps(project))
    except CaptionerError as err:
        raise ProjectError(str(err)) from None
    project.path = str(written)
    return written


def load_project(path: str | os.PathLike[str]) -> Project:
    p = Path(path)
    try:
        text = read_bytes(p, "a project file", ProjectError).decode("utf-8")
    except UnicodeDecodeError:
        raise ProjectError(f"{p}: not a captioner project file (not UTF-8 text)") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as err:
        raise ProjectError(f"{p}: damaged project file (not valid JSON at line {err.lineno})") from None
    project = Project.from_dict(data, str(p))
    project.path = str(p)
    return project


# -- autosave and recovery ----------------------------------------------------------------------


def autosave_dir() -> Path:
    folder = data_dir() / AUTOSAVE_DIR
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _pid_alive(pid: int) -> bool:
    if pid <= 0:
        return False
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    except OSError:
        return False
    return True


@dataclass(frozen=True)
class Recovery:
    """An autosave left behind by a session that did not exit cleanly."""

    path: Path
    project: Project
    saved_at: float  # file modification time (seconds since the epoch)

    @property
    def label(self) -> str:
        name = Path(self.project.video).name if self.project.video else "untitled"
        when = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(self.saved_at))
        return f"{name} ({len(self.project.track)} cues, saved {when})"


_ACTIVE_SESSIONS: set[str] = set()  # sessions of this process still open (their files are not recoverable)


class Autosaver:
    """Writes one autosave file per document for this process and removes them on a clean exit."""

    def __init__(self, session: str | None = None) -> None:
        self.session = session or f"{os.getpid()}-{uuid.uuid4().hex[:8]}"
        _ACTIVE_SESSIONS.add(self.session)

    def close(self) -> None:
        """The session ended: files it leaves behind are offered to the next session."""
        _ACTIVE_SESSIONS.discard(self.session)

    def path_for(self, key: str) -> Path:
        safe = "".join(ch for ch in key if ch.isalnum() or ch in "-_")[:40] or "doc"
        return autosave_dir() / f"{self.session}--{safe}.json"

    def payload(self, project: Project) -> str:
        data = project.to_dict()
        data["autosave"] = {"pid": os.getpid(), "session": self.session, "project_path": project.path}
        return json.dumps(data, ensure_ascii=False) + "\n"

    def write(self, key: str, text: str) -> Path:
        """Write a payload made by :meth:`payload` (may run on a worker thread)."""
        try:
            return atomic_write_text(self.path_for(key), text)
        except CaptionerError as err:
            raise ProjectError(f"autosave failed: {err}") from None

    def remove(self, key: str) -> None:
        try:
            self.path_for(key).unlink()
        except OSError:
            pass

    def remove_all(self) -> None:
        for path in autosave_dir().glob(f"{self.session}--*.json"):
            try:
                path.unlink()
            except OSError:
                pass


def find_recoveries() -> tuple[list[Recovery], list[str]]:
    """Autosaves whose writer is gone, newest first, plus one line per file that cannot be read."""
    found: list[Recovery] = []
    problems: list[str] = []
    for path in autosave_dir().glob("*.json"):
        try:
            text = path.read_text(encoding="utf-8")
            data = json.loads(text)
        except (OSError, ValueError) as err:
            problems.append(f"{path}: damaged autosave ({type(err).__name__}); left in place")
            continue
        info = data.get("autosave") if isinstance(data, dict) else None
        pid = info.get("pid") if isinstance(info, dict) else None
        session = info.get("session") if isinstance(info, dict) else None
        if pid == os.getpid():
            if session in _ACTIVE_SESSIONS:
                continue  # this process's own open session
        elif isinstance(pid, int) and _pid_alive(pid):
            continue  # another running session's work
        try:
            project = Project.from_dict(data, str(path))
        except ProjectError as err:
            problems.append(str(err))
            continue
        if isinstance(info, dict) and isinstance(info.get("project_path"), str):
            project.path = info["project_path"]
        found.append(Recovery(path, project, path.stat().st_mtime))
    found.sort(key=lambda r: r.saved_at, reverse=True)
    return found, problems


def discard_recovery(recovery: Recovery) -> None:
    try:
        recovery.path.unlink()
    except OSError:
        pass
