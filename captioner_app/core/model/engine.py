"""The caption engine interface (load one with :func:`captioner_app.core.model.load_engine`): the local
Molmo2 (``molmo.py``) or OpenAI-compatible model servers (``remote.py``)."""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from captioner_app.core.model.hub import hub_offline
from captioner_app.core.model.prompts import PromptSpec

if TYPE_CHECKING:
    from captioner_app.core.media.video import Frame

__all__ = ["CaptionEngine", "ClipRequest", "EngineOptions", "default_model", "hub_offline"]

DEFAULT_MODEL = "allenai/Molmo2-4B"
MODEL_ENV = "CAPTIONER_MODEL"
ENGINE_ENV = "CAPTIONER_ENGINE"  # model server URLs (remote.py)
ENGINE_KEY_ENV = "CAPTIONER_ENGINE_KEY"


def default_model() -> str:
    """``CAPTIONER_MODEL`` when set, else ``allenai/Molmo2-4B``."""
    return os.environ.get(MODEL_ENV, "").strip() or DEFAULT_MODEL


def default_engine() -> str:
    """``CAPTIONER_ENGINE`` when set (model server URLs), else empty: the local model."""
    return os.environ.get(ENGINE_ENV, "").strip()


def default_engine_key() -> str | None:
    return os.environ.get(ENGINE_KEY_ENV, "").strip() or None


@dataclass(frozen=True)
class EngineOptions:
    model: str = field(default_factory=default_model)
    revision: str | None = None
    device: str = "auto"
    dtype: str = "auto"
    local_files_only: bool = False
    batch_size: int | None = None  # None: chosen from the device (CPU 1, MPS 2, CUDA 16)
    cache_dir: str | None = None
    # a model server pool instead of a local model (remote.py): comma-separated base URLs
    engine: str | None = None
    api_key: str | None = None
    engine_timeout_s: float | None = None


@dataclass(frozen=True)
class ClipRequest:
    """Frames of one clip (in time order) with what to ask about them."""

    frames: Sequence[Frame]
    prompt: PromptSpec
    native_fps: float  # the video's frame rate: turns frame times into the indices the model sees
    video_duration_ms: int
    min_new_tokens: int = 0  # benchmarks force the output length so timings are honest

    def video_metadata(self) -> dict[str, Any]:
        """How the model is told the frames' times: Molmo2's processor writes ``index / fps`` before each
        frame, so the indices are the frames' positions in the whole video at its own rate (the real
        times). The local engine and vLLM (remote.py) both pass exactly this."""
        fps = self.native_fps if self.native_fps > 0 else 1000.0
        h, w = self.frames[0].image.shape[:2] if self.frames else (0, 0)
        return {
            "total_num_frames": max(1, int(round(self.video_duration_ms / 1000.0 * fps))),
            "fps": fps,
            "duration": self.video_duration_ms / 1000.0,
            "frames_indices": [int(round(f.time_ms / 1000.0 * fps)) for f in self.frames],
            "height": h,
            "width": w,
        }


class CaptionEngine(Protocol):
    model_id: str
    revision: str | None
    device: str
    batch_size: int

    def caption(self, requests: Sequence[ClipRequest], cancel: threading.Event | None = None) -> list[str]:
        """One text per request, in order. Raises CancelledError if ``cancel`` is set meanwhile.

        Optional hook: an engine may also have ``prepare(requests)`` (CPU work that can run ahead of the
        model, e.g. the processor's); the pipeline then calls it in its producer thread and later calls
        ``caption`` with the same request objects, which uses that work. Engines without it need nothing."""
        ...

    def close(self) -> None: ...
