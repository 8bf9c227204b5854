"""A small on-disk cache of video analyses (speech, gaps, shots), so reopening a video is instant.

Entries live in the app's data folder under ``analysis/``, one JSON file per video and analysis
settings, keyed by the video's absolute path, size and modification time: a changed file is
analysed again. Reading and writing happen in the analysis worker thread, never on the GUI thread.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import asdict
from pathlib import Path
from typing import Any

from captioner_app.core.analysis.analyze import Analysis, AnalysisOptions
from captioner_app.core.fileio import atomic_write_text
from captioner_app.core.settings import data_dir
from captioner_app.core.timing.spans import Span

VERSION = 1


def cache_path(video: str, options: AnalysisOptions, folder: Path | None = None) -> Path | None:
    """Where the analysis of ``video`` with ``options`` is cached; ``None`` if the file cannot be read."""
    try:
        st = os.stat(video)
    except OSError:
        return None
    key = json.dumps([VERSION, os.path.abspath(video), st.st_size, st.st_mtime_ns, asdict(options)])
    digest = hashlib.sha256(key.encode()).hexdigest()[:32]
    return (folder or data_dir() / "analysis") / f"{digest}.json"


def _spans(items: Any) -> tuple[Span, ...]:
    return tuple(Span(int(a), int(b)) for a, b in items)


def load(video: str, options: AnalysisOptions, folder: Path | None = None) -> Analysis | None:
    """The cached analysis, or ``None`` when there is none or it cannot be read (it is then redone)."""
    path = cache_path(video, options, folder)
    if path is None or not path.is_file():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return Analysis(
            duration_ms=int(data["duration_ms"]),
            speech=_spans(data["speech"]),
            gaps=_spans(data["gaps"]),
            shots=_spans(data["shots"]),
            has_audio=bool(data["has_audio"]),
            min_gap_ms=int(data["min_gap_ms"]),
            pad_ms=int(data["pad_ms"]),
            video=video,
        )
    except (OSError, ValueError, KeyError, TypeError):
        return None


def save(analysis: Analysis, options: AnalysisOptions, folder: Path | None = None) -> Path | None:
    """Write ``analysis`` to the cache; a failure only costs a later re-analysis (returns ``None``)."""
    if analysis.video is None:
        return None
    path = cache_path(analysis.video, options, folder)
    if path is None:
        return None
    data = {
        "version": VERSION,
        "duration_ms": analysis.duration_ms,
        "speech": [[s.start_ms, s.end_ms] for s in analysis.speech],
        "gaps": [[s.start_ms, s.end_ms] for s in analysis.gaps],
        "shots": [[s.start_ms, s.end_ms] for s in analysis.shots],
        "has_audio": analysis.has_audio,
        "min_gap_ms": analysis.min_gap_ms,
        "pad_ms": analysis.pad_ms,
    }
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_text(path, json.dumps(data))
    except Exception:
        return None
    return path
