"""One video being described: its probe result, its cues (with undo history) and where it is saved."""

from __future__ import annotations

import itertools
from pathlib import Path

from PySide6.QtCore import QObject

from captioner_app.core.analysis.analyze import Analysis
from captioner_app.core.media.video import VideoInfo
from captioner_app.core.tracks.project import Project
from captioner_app.core.tracks.track import Track
from captioner_app.gui.models.cues import CueTableModel

_keys = itertools.count(1)


class Document(QObject):
    def __init__(self, video: str | None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.key = f"doc{next(_keys)}"
        self.video = video
        self.info: VideoInfo | None = None
        self.error: str | None = None  # why the video cannot be shown
        self.probing = video is not None
        self.model = CueTableModel(Track(video=video), self)
        self.project_path: str | None = None
        self.saved_generation = self.model.generation
        self.autosaved_generation = self.model.generation
        self.position_ms = 0
        self.caption: dict[str, object] = {}
        # the caption panel's line and progress for this document's last run (windows done, in all)
        self.caption_status = ""
        self.caption_progress = (0, 0)
        # speech, gaps and shots, found in the analysis worker (None until then; cached on disk)
        self.analysis: Analysis | None = None
        self.analysis_job: int | None = None  # the analysis running for this document
        self.analysis_progress = 0.0
        self.analysis_status = ""  # one line for the caption panel: progress, result or why it failed

    @property
    def title(self) -> str:
        if self.video:
            return Path(self.video).name
        if self.project_path:
            return Path(self.project_path).name
        return "Untitled"

    @property
    def dirty(self) -> bool:
        return self.model.generation != self.saved_generation

    def mark_saved(self) -> None:
        self.saved_generation = self.model.generation

    def to_project(self, model: str | None = None, device: str | None = None) -> Project:
        track = self.model.track.copy()
        track.video = self.video
        if self.info is not None:
            track.duration_ms = self.info.duration_ms
        return Project(
            video=self.video,
            track=track,
            caption=dict(self.caption),
            model=model,
            device=device,
            path=self.project_path,
        )
