"""Where cues go: sliding windows, one per usable gap between speech, or one per shot.

A gap or shot much longer than a window (a silent film is one long gap) is cut into equal pieces no
longer than ``max_ms``, so each description still covers a span the model can see in detail.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from captioner_app.core.timing.spans import Span
from captioner_app.core.timing.windows import Window, windows_from_spans


def split_long(spans: Sequence[Span], max_ms: int) -> list[Span]:
    """Each span, cut into equal consecutive pieces when it is longer than ``max_ms``."""
    out: list[Span] = []
    for span in spans:
        pieces = max(1, math.ceil(span.duration_ms / max_ms)) if max_ms > 0 else 1
        edges = [span.start_ms + round(span.duration_ms * k / pieces) for k in range(pieces + 1)]
        out.extend(Span(a, b) for a, b in zip(edges[:-1], edges[1:], strict=True) if b > a)
    return out


def windows_in(spans: Sequence[Span], max_ms: int) -> list[Window]:
    """One window per span (pauses between speech, or shots), long spans cut into pieces of at most ``max_ms``."""
    return windows_from_spans((s.start_ms, s.end_ms) for s in split_long(spans, max_ms))
