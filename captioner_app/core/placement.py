"""Where cues go: sliding windows, one per usable gap between speech, or one per shot.

A gap or shot much longer than a window (a silent film is one long gap) is cut into equal pieces no
longer than ``max_ms``, so each description still covers a span the model can see in detail.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from captioner_app.core.analysis import Analysis
from captioner_app.core.audio import Span
from captioner_app.core.errors import UsageError
from captioner_app.core.windows import Window, windows_from_spans


def split_long(spans: Sequence[Span], max_ms: int) -> list[Span]:
    """Each span, cut into equal consecutive pieces when it is longer than ``max_ms``."""
    out: list[Span] = []
    for span in spans:
        pieces = max(1, math.ceil(span.duration_ms / max_ms)) if max_ms > 0 else 1
        edges = [span.start_ms + round(span.duration_ms * k / pieces) for k in range(pieces + 1)]
        out.extend(Span(a, b) for a, b in zip(edges[:-1], edges[1:], strict=True) if b > a)
    return out


def windows_for(placement: str, analysis: Analysis, max_ms: int) -> list[Window]:
    """Cue windows for ``placement`` "gaps" or "shots" from an :class:`Analysis`."""
    if placement == "gaps":
        spans = list(analysis.gaps)
        if not spans:
            raise UsageError(
                f"{analysis.video or 'the video'}: no pause of at least {analysis.min_gap_ms / 1000:g} s "
                "between speech; use --placement windows or a shorter --min-gap"
            )
    elif placement == "shots":
        spans = list(analysis.shots) or [Span(0, analysis.duration_ms)]
    else:
        raise UsageError(f"placement {placement!r} does not come from an analysis")
    return windows_from_spans((s.start_ms, s.end_ms) for s in split_long(spans, max_ms))
