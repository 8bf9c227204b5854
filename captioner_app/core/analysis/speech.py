"""Speech in a video's audio track, and the gaps between speech where description can be spoken.

The audio is decoded with PyAV and resampled to 16 kHz mono; silero-vad (its PyPI package ships the
model weights, so nothing is fetched) finds the speech. Gaps are the stretches without speech, kept
``pad_ms`` away from it on each side and dropped when shorter than ``min_gap_ms``.
"""

from __future__ import annotations

import threading
import warnings
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from captioner_app.core.errors import CancelledError, VideoError
from captioner_app.core.media.audio import SAMPLE_RATE
from captioner_app.core.timing.spans import Span, merge_spans

if TYPE_CHECKING:
    import numpy as np

DEFAULT_MIN_GAP_MS = 1200
DEFAULT_PAD_MS = 150


_model_lock = threading.Lock()
_model: Any = None


def _vad_model() -> Any:
    """silero-vad's bundled JIT model, loaded once. Importing it sets torch to one thread: undone."""
    global _model
    if _model is None:
        import torch

        threads = torch.get_num_threads()
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                from silero_vad import load_silero_vad

                _model = load_silero_vad()
        except ImportError:
            raise VideoError("speech detection needs the silero-vad package (pip install silero-vad)") from None
        finally:
            torch.set_num_threads(threads)
    return _model


def detect_speech(
    samples: np.ndarray,
    sample_rate: int = SAMPLE_RATE,
    *,
    threshold: float = 0.5,
    min_speech_ms: int = 250,
    min_silence_ms: int = 100,
    cancel: threading.Event | None = None,
    progress: Callable[[float], None] | None = None,
) -> list[Span]:
    """Speech regions (ms) in mono ``samples`` at ``sample_rate`` (16000 or 8000), in time order."""
    import torch

    if len(samples) < sample_rate // 10:
        return []

    def tick(percent: float) -> None:
        if cancel is not None and cancel.is_set():
            raise CancelledError()
        if progress is not None:
            progress(min(1.0, percent / 100.0))

    with _model_lock:
        model = _vad_model()
        from silero_vad import get_speech_timestamps

        # the model is tiny: one thread is fastest, and many threads on a busy machine are 10-40x slower
        threads = torch.get_num_threads()
        torch.set_num_threads(1)
        try:
            with torch.inference_mode():
                stamps = get_speech_timestamps(
                    torch.from_numpy(samples),
                    model,
                    threshold=threshold,
                    sampling_rate=sample_rate,
                    min_speech_duration_ms=min_speech_ms,
                    min_silence_duration_ms=min_silence_ms,
                    speech_pad_ms=0,  # gaps are padded from speech by pad_ms instead
                    # speech ends when the probability drops below this; silero's default (threshold
                    # - 0.15) holds on to the fading tail of speech about 30 ms longer
                    neg_threshold=max(0.01, threshold - 0.05),
                    progress_tracking_callback=tick,
                )
        finally:
            torch.set_num_threads(threads)
    spans = [
        Span(int(round(s["start"] * 1000 / sample_rate)), int(round(s["end"] * 1000 / sample_rate))) for s in stamps
    ]
    return merge_spans(spans)


def gaps_between(
    speech: Sequence[Span],
    duration_ms: int,
    min_gap_ms: int = DEFAULT_MIN_GAP_MS,
    pad_ms: int = DEFAULT_PAD_MS,
) -> list[Span]:
    """The usable pauses: ``[0, duration_ms)`` minus speech widened by ``pad_ms`` on each side,
    keeping only pieces at least ``min_gap_ms`` long. No speech at all: the whole video is one gap."""
    if min_gap_ms < 0 or pad_ms < 0:
        raise ValueError("gap length and padding cannot be negative")
    blocked = merge_spans([Span(max(0, s.start_ms - pad_ms), min(duration_ms, s.end_ms + pad_ms)) for s in speech])
    gaps: list[Span] = []
    cursor = 0
    for span in blocked:
        if span.start_ms > cursor:
            gaps.append(Span(cursor, span.start_ms))
        cursor = max(cursor, span.end_ms)
    if cursor < duration_ms:
        gaps.append(Span(cursor, duration_ms))
    return [g for g in gaps if g.duration_ms >= max(1, min_gap_ms)]
