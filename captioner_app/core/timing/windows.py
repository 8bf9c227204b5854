"""Pure functions that cut a video's duration into the windows the model describes."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from captioner_app.core.errors import UsageError


@dataclass(frozen=True)
class Window:
    """A time range described by one cue. Times are integer milliseconds."""

    index: int
    start_ms: int
    end_ms: int

    @property
    def duration_ms(self) -> int:
        return self.end_ms - self.start_ms


def plan_windows(
    duration_ms: int,
    window_ms: int = 10_000,
    stride_ms: int | None = None,
    min_tail_ms: int | None = None,
) -> list[Window]:
    """Sliding windows over ``[0, duration_ms)``.

    Windows start every ``stride_ms`` (default: ``window_ms``, no overlap) and last ``window_ms``;
    the last one is clipped at the end. A tail shorter than ``min_tail_ms`` (default: a quarter of a
    window, at least 1 s) is merged into the window before it, so no cue describes a sliver.
    """
    if duration_ms <= 0:
        raise UsageError(f"the video has no duration to caption ({duration_ms} ms)")
    if window_ms <= 0:
        raise UsageError(f"--window must be positive, got {window_ms / 1000:g} s")
    stride = window_ms if stride_ms is None else stride_ms
    if stride <= 0:
        raise UsageError(f"--stride must be positive, got {stride / 1000:g} s")
    min_tail = max(1000, window_ms // 4) if min_tail_ms is None else min_tail_ms

    spans: list[list[int]] = []
    start = 0
    while start < duration_ms:
        end = min(start + window_ms, duration_ms)
        spans.append([start, end])
        if end >= duration_ms:
            break
        start += stride
    if len(spans) > 1 and spans[-1][1] - spans[-1][0] < min_tail:
        tail = spans.pop()
        spans[-1][1] = max(spans[-1][1], tail[1])
    return [Window(i, s, e) for i, (s, e) in enumerate(spans)]


def windows_from_spans(spans: Iterable[tuple[int, int]]) -> list[Window]:
    """Windows from explicit ``(start_ms, end_ms)`` spans (speech gaps, shots), in time order."""
    ordered = sorted((int(s), int(e)) for s, e in spans if e > s)
    return [Window(i, s, e) for i, (s, e) in enumerate(ordered)]
