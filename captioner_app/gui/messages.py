"""What the app's worker threads and the window send each other: frozen dataclasses, one per message."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from PySide6.QtGui import QImage

from captioner_app.core.analysis.analyze import Analysis, AnalysisOptions
from captioner_app.core.media.video import VideoInfo
from captioner_app.core.model.engine import EngineOptions
from captioner_app.core.pipeline import CaptionOptions, Progress
from captioner_app.core.timing.windows import Window
from captioner_app.core.tracks.track import Cue


@dataclass(frozen=True)
class FrameReady:
    request: int
    video: str
    time_ms: int  # the picture's own time
    requested_ms: int
    image: QImage
    decode_s: float
    exact: bool = True  # False: the keyframe shown while the exact picture is still being decoded


@dataclass(frozen=True)
class Failure:
    what: str  # what was being done: "open", "preview", "caption", "load model", ...
    subject: str  # the file or model concerned
    message: str  # one line
    model_missing: bool = False


@dataclass(frozen=True)
class CaptionJob:
    job: int
    info: VideoInfo
    engine: EngineOptions
    options: CaptionOptions
    windows: tuple[Window, ...] | None = None  # None: the whole video
    replace: Cue | None = None  # re-caption: the cue the result replaces
    analysis: Analysis | None = None  # for gaps/shots placement (None: plan() analyses the video)


@dataclass(frozen=True)
class CaptionUpdate:
    job: int
    cue: Cue
    progress: Progress
    replace: Cue | None = None


@dataclass(frozen=True)
class CaptionDone:
    job: int
    done: int
    total: int
    cancelled: bool
    error: str | None = None
    model_missing: bool = False
    crashed: bool = False  # the model process died (killed, crashed, out of memory)


@dataclass(frozen=True)
class AnalysisJob:
    job: int
    info: VideoInfo
    options: AnalysisOptions
    use_cache: bool = True


@dataclass(frozen=True)
class AnalysisProgress:
    job: int
    fraction: float


@dataclass(frozen=True)
class AnalysisDone:
    job: int
    video: str
    analysis: Analysis | None
    cancelled: bool = False
    error: str | None = None
    cached: bool = False
    seconds: float = 0.0


@dataclass(frozen=True)
class Probed:
    path: str
    info: VideoInfo | None
    error: str | None = None


@dataclass(frozen=True)
class DownloadProgress:
    done_bytes: int
    total_bytes: int


@dataclass(frozen=True)
class TaskDone:
    task: int
    result: Any = None
    error: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)
