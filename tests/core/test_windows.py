from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from captioner_app.core.errors import UsageError
from captioner_app.core.timing.windows import plan_windows, windows_from_spans


def spans(ws):
    return [(w.start_ms, w.end_ms) for w in ws]


def test_exact_multiple_gives_equal_windows():
    assert spans(plan_windows(30_000, 10_000)) == [(0, 10_000), (10_000, 20_000), (20_000, 30_000)]


def test_last_window_is_clipped_at_the_end():
    assert spans(plan_windows(25_000, 10_000)) == [(0, 10_000), (10_000, 20_000), (20_000, 25_000)]


def test_tiny_tail_is_merged_into_the_previous_window():
    # 0.8 s tail < max(1 s, 2.5 s): merged
    assert spans(plan_windows(20_800, 10_000)) == [(0, 10_000), (10_000, 20_800)]


def test_stride_makes_overlapping_windows():
    got = spans(plan_windows(20_000, 10_000, 5_000))
    assert got == [(0, 10_000), (5_000, 15_000), (10_000, 20_000)]


def test_video_shorter_than_a_window_is_one_window():
    assert spans(plan_windows(3_000, 10_000)) == [(0, 3_000)]


@pytest.mark.parametrize("args", [(0, 10_000, None), (10_000, 0, None), (10_000, 5_000, 0), (10_000, -1, None)])
def test_bad_values_are_usage_errors(args):
    with pytest.raises(UsageError):
        plan_windows(*args)


@given(
    duration=st.integers(1, 3_600_000),
    window=st.integers(500, 120_000),
    stride_fraction=st.sampled_from([None, 0.25, 0.5, 1.0]),
)
def test_windows_cover_the_video_in_order(duration, window, stride_fraction):
    stride = None if stride_fraction is None else max(1, int(window * stride_fraction))
    ws = plan_windows(duration, window, stride)
    assert ws[0].start_ms == 0
    assert ws[-1].end_ms == duration
    assert [w.index for w in ws] == list(range(len(ws)))
    for a, b in zip(ws, ws[1:], strict=False):
        assert a.start_ms < b.start_ms
        assert b.start_ms <= a.end_ms  # no holes when stride <= window
    assert all(w.duration_ms > 0 for w in ws)


def test_windows_from_spans_sorts_and_drops_empty():
    ws = windows_from_spans([(5_000, 7_000), (1_000, 2_000), (3_000, 3_000)])
    assert spans(ws) == [(1_000, 2_000), (5_000, 7_000)]
    assert [w.index for w in ws] == [0, 1]
