"""Speech and gaps: real espeak-ng speech mixed into generated videos at known times."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from captioner_app.core.analysis.analyze import Analysis, AnalysisOptions, analyze
from captioner_app.core.analysis.speech import gaps_between
from captioner_app.core.errors import CancelledError, UsageError, VideoError
from captioner_app.core.media.audio import decode_audio
from captioner_app.core.media.video import probe
from captioner_app.core.timing.spans import Span, merge_spans
from captioner_app.testing.speech import make_speech_video


@pytest.fixture(scope="module")
def speech_video(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[tuple[int, int]]]:
    return make_speech_video(tmp_path_factory.mktemp("speech") / "speech.mp4")


@pytest.fixture(scope="module")
def speech_analysis(speech_video) -> Analysis:
    return analyze(probe(speech_video[0]))


def _overlap(a: tuple[int, int], spans) -> int:
    return sum(max(0, min(a[1], s.end_ms) - max(a[0], s.start_ms)) for s in spans)


def test_speech_is_found_where_it_was_spoken(speech_analysis: Analysis, speech_video):
    _, truth = speech_video
    assert len(truth) == 3
    for span in truth:  # each utterance is found, nearly all of it
        assert _overlap(span, speech_analysis.speech) >= 0.9 * (span[1] - span[0]), (span, speech_analysis.speech)
    detected = sum(s.duration_ms for s in speech_analysis.speech)
    true_positive = sum(_overlap(t, speech_analysis.speech) for t in truth)
    assert detected - true_positive <= 300  # at most 0.3 s of speech where there was none
    assert len(speech_analysis.speech) == 3


def test_gaps_avoid_speech_and_are_long_enough(speech_analysis: Analysis):
    a = speech_analysis
    assert a.gaps, "the video has three long pauses"
    for gap in a.gaps:
        assert gap.duration_ms >= 1200
        for s in a.speech:  # padding of 150 ms kept on both sides
            assert gap.end_ms <= s.start_ms - 150 or gap.start_ms >= s.end_ms + 150
    # the pauses between the utterances (about 4.6-7.5 s, 11-14 s, 17.5-20 s) are gaps
    for middle in (6000, 12500, 19000):
        assert any(g.contains(middle) for g in a.gaps), (middle, a.gaps)
    # the 1 s of silence before the first word is shorter than the minimum once padded: no gap there
    assert not any(g.contains(500) for g in a.gaps)


def test_gap_settings_are_honoured(speech_analysis: Analysis, speech_video):
    wide = speech_analysis.with_gap_settings(min_gap_ms=2000, pad_ms=400)
    assert len(wide.gaps) == 3  # the pauses are 2.5-3 s long
    for gap in wide.gaps:
        assert gap.duration_ms >= 2000
        assert all(gap.end_ms <= s.start_ms - 400 or gap.start_ms >= s.end_ms + 400 for s in wide.speech)
    assert speech_analysis.with_gap_settings(min_gap_ms=3500).gaps == ()
    # the same settings through analyze give the same gaps
    again = analyze(probe(speech_video[0]), AnalysisOptions(min_gap_ms=2000, pad_ms=400, shots=False))
    assert again.gaps == wide.gaps


def test_video_without_audio_is_all_gap(video_short: Path):
    info = probe(video_short)
    a = analyze(info)
    assert not a.has_audio
    assert a.speech == ()
    assert a.gaps == (Span(0, info.duration_ms),)


def test_a_tone_is_not_speech(video_30s: Path):
    a = analyze(probe(video_30s), AnalysisOptions(shots=False))
    assert a.has_audio
    assert sum(s.duration_ms for s in a.speech) <= 300
    assert a.gaps == (Span(0, 30_000),)


def test_decoded_audio_is_aligned_and_mono(speech_video):
    samples = decode_audio(str(speech_video[0]))
    assert samples is not None and samples.ndim == 1
    assert abs(len(samples) - 20 * 16000) < 16000 * 0.2
    quiet = float(abs(samples[: 16000 * 9 // 10]).max())  # speech starts at 1.0 s
    loud = float(abs(samples[16000 * 1 : 16000 * 2]).max())
    assert quiet < 0.05 < loud


def test_analysis_leaves_torch_threads_alone(speech_video):
    import torch

    before = torch.get_num_threads()
    analyze(probe(speech_video[0]), AnalysisOptions(shots=False))
    assert torch.get_num_threads() == before


def test_cancel_stops_analysis(speech_video):
    cancel = threading.Event()
    cancel.set()
    with pytest.raises(CancelledError):
        analyze(probe(speech_video[0]), cancel=cancel)


def test_bad_options_are_usage_errors(speech_video):
    with pytest.raises(UsageError, match="min-gap"):
        analyze(probe(speech_video[0]), AnalysisOptions(min_gap_ms=-1))


def test_undecodable_audio_is_a_video_error(tmp_path: Path, speech_video):
    data = speech_video[0].read_bytes()
    broken = tmp_path / "broken.mp4"
    broken.write_bytes(data[: len(data) // 3])  # cut off: probe must refuse it in one line
    with pytest.raises(VideoError) as err:
        analyze(probe(broken))
    assert "\n" not in str(err.value)


def test_gaps_between_examples():
    speech = [Span(1000, 2000), Span(2100, 3000), Span(6000, 7000)]
    assert gaps_between(speech, 10_000, min_gap_ms=1200, pad_ms=150) == [Span(3150, 5850), Span(7150, 10_000)]
    assert gaps_between(speech, 10_000, min_gap_ms=0, pad_ms=0) == [
        Span(0, 1000),
        Span(2000, 2100),
        Span(3000, 6000),
        Span(7000, 10_000),
    ]
    assert gaps_between([], 5000) == [Span(0, 5000)]
    assert merge_spans([Span(5, 9), Span(0, 5), Span(8, 12)]) == [Span(0, 12)]


spans_strategy = st.lists(
    st.tuples(st.integers(0, 60_000), st.integers(1, 5_000)).map(lambda t: Span(t[0], t[0] + t[1])),
    max_size=20,
)


@settings(max_examples=200, deadline=None)
@given(speech=spans_strategy, min_gap=st.integers(0, 3000), pad=st.integers(0, 500))
def test_gaps_never_touch_padded_speech(speech, min_gap, pad):
    duration = 70_000
    gaps = gaps_between(speech, duration, min_gap, pad)
    for gap in gaps:
        assert 0 <= gap.start_ms < gap.end_ms <= duration
        assert gap.duration_ms >= min_gap
        for s in speech:
            assert gap.end_ms <= s.start_ms - pad or gap.start_ms >= s.end_ms + pad
    assert all(a.end_ms <= b.start_ms for a, b in zip(gaps, gaps[1:], strict=False))
