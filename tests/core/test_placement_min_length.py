"""Shots or gaps placement never makes a cue too short to say anything."""

from __future__ import annotations

from captioner_app.core.timing.placement import MIN_CUE_MS, merge_short, split_long, windows_in
from captioner_app.core.timing.spans import Span


def _pairs(spans):
    return [(s.start_ms, s.end_ms) for s in spans]


def test_a_short_shot_is_merged_with_its_shorter_touching_neighbour():
    shots = [Span(0, 4000), Span(4000, 4300), Span(4300, 6000), Span(6000, 12000)]
    assert _pairs(merge_short(shots, 1000)) == [(0, 4000), (4000, 6000), (6000, 12000)]
    # a short first or last shot goes into the only neighbour it has
    assert _pairs(merge_short([Span(0, 200), Span(200, 5000), Span(5000, 5400)], 1000)) == [(0, 5400)]
    # several short shots in a row become one long enough
    flicker = [Span(i * 300, (i + 1) * 300) for i in range(10)]
    merged = merge_short(flicker, 1000)
    assert all(s.duration_ms >= 1000 for s in merged)
    assert merged[0].start_ms == 0 and merged[-1].end_ms == 3000
    assert all(a.end_ms == b.start_ms for a, b in zip(merged, merged[1:], strict=False))


def test_a_short_gap_between_speech_is_left_out_not_stretched_over_the_speech():
    gaps = [Span(0, 2000), Span(3000, 3500), Span(5000, 8000)]
    assert _pairs(merge_short(gaps, 1000)) == [(0, 2000), (5000, 8000)]
    assert _pairs(merge_short([Span(0, 600)], 1000)) == [(0, 600)]  # a very short video still gets its cue


def test_windows_never_shorter_than_the_minimum_and_long_spans_still_cut():
    shots = [Span(0, 250), Span(250, 9000), Span(9000, 9400), Span(9400, 9500)]
    windows = windows_in(shots, 3000)
    assert all(w.end_ms - w.start_ms >= MIN_CUE_MS for w in windows)
    assert windows[0].start_ms == 0 and windows[-1].end_ms == 9500
    assert max(w.end_ms - w.start_ms for w in windows) <= 3000
    # a cut never makes pieces shorter than the minimum, even with a tiny window
    assert all(s.duration_ms >= 1000 for s in split_long([Span(0, 2500)], 400, 1000))
    assert len(split_long([Span(0, 2500)], 400, 1000)) == 2
