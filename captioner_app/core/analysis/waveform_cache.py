"""Waveform envelopes on disk, beside the analysis cache (the data folder's ``waveform/``), so reopening
a video draws its waveform at once.

One ``.npz`` per video, keyed by its absolute path, size and modification time (a changed file is
computed again) and the finest bin width. Only the finest level is stored, as int16; the coarser levels
are rebuilt on loading (milliseconds). Read and write in a worker thread, never on the GUI thread.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import threading
from collections.abc import Callable
from pathlib import Path

from captioner_app.core.fileio import atomic_write_bytes
from captioner_app.core.media.waveform import BASE_MS, Envelope, build_levels, compute_envelope
from captioner_app.core.settings import data_dir

CACHE_VERSION = 1
_SCALE = 32767.0  # stored as int16


def cache_path(video: str | os.PathLike[str], base_ms: int = BASE_MS, folder: Path | None = None) -> Path | None:
    """Where ``video``'s envelope is cached; ``None`` if the file cannot be read."""
    name = os.fspath(video)
    try:
        st = os.stat(name)
    except OSError:
        return None
    key = json.dumps([CACHE_VERSION, os.path.abspath(name), st.st_size, st.st_mtime_ns, base_ms])
    digest = hashlib.sha256(key.encode()).hexdigest()[:32]
    return (folder or data_dir() / "waveform") / f"{digest}.npz"


def load_cached(video: str | os.PathLike[str], base_ms: int = BASE_MS, folder: Path | None = None) -> Envelope | None:
    """The cached envelope, or ``None`` (none, unreadable or damaged: it is then computed again)."""
    import numpy as np

    path = cache_path(video, base_ms, folder)
    if path is None or not path.is_file():
        return None
    try:
        with np.load(path, allow_pickle=False) as data:
            meta = json.loads(str(data["meta"]))
            mins = data["mins"].astype(np.float32) / _SCALE
            maxs = data["maxs"].astype(np.float32) / _SCALE
        if int(meta["version"]) != CACHE_VERSION or len(mins) != len(maxs):
            return None
        duration = int(meta["duration_ms"])
        return Envelope(
            duration,
            int(meta["sample_rate"]),
            int(meta["channels"]),
            build_levels(mins, maxs, int(meta["base_ms"])),
            ((0, duration),),
            True,
        )
    except (OSError, ValueError, KeyError, TypeError, EOFError):
        return None


def save_cached(envelope: Envelope, video: str | os.PathLike[str], folder: Path | None = None) -> Path | None:
    """Store a complete envelope; a failure only costs a later recomputation (returns ``None``)."""
    import numpy as np

    if not envelope.complete:
        return None
    base = envelope.levels[0]
    path = cache_path(video, base.bin_ms, folder)
    if path is None:
        return None
    meta = {
        "version": CACHE_VERSION,
        "duration_ms": envelope.duration_ms,
        "sample_rate": envelope.sample_rate,
        "channels": envelope.channels,
        "base_ms": base.bin_ms,
    }
    buffer = io.BytesIO()
    np.savez(
        buffer,
        meta=np.array(json.dumps(meta)),
        mins=np.round(np.clip(base.mins, -1, 1) * _SCALE).astype(np.int16),
        maxs=np.round(np.clip(base.maxs, -1, 1) * _SCALE).astype(np.int16),
    )
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_bytes(path, buffer.getvalue())
    except Exception:
        return None
    return path


def envelope_for(
    video: str | os.PathLike[str],
    *,
    first: tuple[int, int] | None = None,
    cancel: threading.Event | None = None,
    progress: Callable[[float], None] | None = None,
    on_partial: Callable[[Envelope], None] | None = None,
    folder: Path | None = None,
) -> Envelope | None:
    """The cached envelope of ``video``, else computed (see ``media.waveform.compute_envelope``) and
    cached. ``None`` when the video has no audio. Call it from a worker thread."""
    cached = load_cached(video, BASE_MS, folder)
    if cached is not None:
        return cached
    envelope = compute_envelope(video, first=first, cancel=cancel, progress=progress, on_partial=on_partial)
    if envelope is not None:
        save_cached(envelope, video, folder)
    return envelope
