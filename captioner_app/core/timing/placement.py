"""Where cues go: sliding windows, one per usable gap between speech, or one per shot.

A gap or shot much longer than a window (a silent film is one long gap) is cut into equal pieces no
longer than ``max_ms``, so each description still covers a span the model can see in detail. A span
shorter than ``min_ms`` is too short to say anything: it is merged with a neighbour it touches (the
shorter one; shots always touch), or left out when it touches none and others remain (a short gap between speech cannot
grow without covering the speech), and no cut makes a piece shorter than ``min_ms``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from captioner_app.core.timing.spans import Span
from captioner_app.core.timing.windows import Window, windows_from_spans

MIN_CUE_MS = 1000  # about three words at 180 words per minute: anything shorter cannot say anything


def merge_short(spans: Sequence[Span], min_ms: int = MIN_CUE_MS) -> list[Span]:
    """``spans`` (in time order) with every span shorter than ``min_ms`` merged into a neighbour that
    touches it (the shorter of the two when both do), or dropped when none touches it."""
    out = sorted(spans, key=lambda s: (s.start_ms, s.end_ms))
    while True:
        short = next((i for i, s in enumerate(out) if s.duration_ms < min_ms), None)
        if short is None:
            return out
        span = out[short]
        touching = [
            j
            for j in (short - 1, short + 1)
            if 0 <= j < len(out) and (out[j].end_ms == span.start_ms or out[j].start_ms == span.end_ms)
        ]
        if not touching:
            if len(out) == 1:  # the whole video is that short: one cue rather than none
                return out
            del out[short]
            continue
        j = min(touching, key=lambda k: out[k].duration_ms)
        merged = Span(min(span.start_ms, out[j].start_ms), max(span.end_ms, out[j].end_ms))
        lo = min(short, j)
        out[lo : lo + 2] = [merged]


def split_long(spans: Sequence[Span], max_ms: int, min_ms: int = 0) -> list[Span]:
    """Each span, cut into equal consecutive pieces when it is longer than ``max_ms`` (never into pieces
    shorter than ``min_ms``)."""
    out: list[Span] = []
    for span in spans:
        pieces = max(1, math.ceil(span.duration_ms / max_ms)) if max_ms > 0 else 1
        if min_ms > 0:
            pieces = max(1, min(pieces, span.duration_ms // min_ms))
        edges = [span.start_ms + round(span.duration_ms * k / pieces) for k in range(pieces + 1)]
        out.extend(Span(a, b) for a, b in zip(edges[:-1], edges[1:], strict=True) if b > a)
    return out


def windows_in(spans: Sequence[Span], max_ms: int, min_ms: int = MIN_CUE_MS) -> list[Window]:
    """One window per span (pauses between speech, or shots), long spans cut into pieces of at most
    ``max_ms``, spans shorter than ``min_ms`` merged with a touching neighbour (see :func:`merge_short`)."""
    kept = merge_short(spans, min_ms)
    return windows_from_spans((s.start_ms, s.end_ms) for s in split_long(kept, max_ms, min_ms))
