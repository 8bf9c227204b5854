"""The one time-range type of the core: a :class:`Span` in integer milliseconds, and joining spans."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Span:
    """A time range in integer milliseconds, ``start_ms`` inclusive, ``end_ms`` exclusive."""

    start_ms: int
    end_ms: int

    @property
    def duration_ms(self) -> int:
        return self.end_ms - self.start_ms

    def overlap_ms(self, start_ms: int, end_ms: int) -> int:
        return max(0, min(self.end_ms, end_ms) - max(self.start_ms, start_ms))

    def contains(self, time_ms: int) -> bool:
        return self.start_ms <= time_ms < self.end_ms

    def to_seconds(self) -> dict[str, float]:
        return {"start": self.start_ms / 1000.0, "end": self.end_ms / 1000.0}


def merge_spans(spans: Sequence[Span]) -> list[Span]:
    """Sort and join overlapping or touching spans."""
    out: list[Span] = []
    for span in sorted(spans, key=lambda s: (s.start_ms, s.end_ms)):
        if span.end_ms <= span.start_ms:
            continue
        if out and span.start_ms <= out[-1].end_ms:
            out[-1] = Span(out[-1].start_ms, max(out[-1].end_ms, span.end_ms))
        else:
            out.append(span)
    return out
