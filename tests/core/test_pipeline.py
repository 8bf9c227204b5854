from __future__ import annotations

import threading
from pathlib import Path

import pytest

from captioner_app.core.errors import CancelledError, UsageError
from captioner_app.core.media import video
from captioner_app.core.pipeline import CaptionOptions, caption_track, caption_windows, describe_video
from captioner_app.core.timing.windows import Window

LOW = CaptionOptions(detail="low", max_side=128)


def test_yields_each_window_in_order_with_progress(tiny_engine, video_30s: Path):
    info = video.probe(video_30s)
    results = list(caption_windows(info, tiny_engine, LOW))
    assert [(r.window.start_ms, r.window.end_ms) for r in results] == [(0, 10_000), (10_000, 20_000), (20_000, 30_000)]
    assert [(r.progress.done, r.progress.total) for r in results] == [(1, 3), (2, 3), (3, 3)]
    assert results[-1].progress.eta_s == 0
    for r in results:
        cue = r.cue
        assert (cue.start_ms, cue.end_ms) == (r.window.start_ms, r.window.end_ms)
        assert cue.text
        prov = cue.provenance
        assert prov.detail == "low" and prov.model == tiny_engine.model_id and prov.placement == "windows"
        assert prov.frame_times_ms == tuple(range(r.window.start_ms, r.window.end_ms, 500))


def test_results_arrive_before_the_run_ends(tiny_engine, video_30s: Path):
    info = video.probe(video_30s)
    engine_calls: list[int] = []
    real = tiny_engine.caption

    def counting(requests, cancel=None):
        engine_calls.append(len(requests))
        return real(requests, cancel)

    tiny_engine.caption = counting
    try:
        gen = caption_windows(info, tiny_engine, CaptionOptions(detail="low", window_ms=5000, max_side=128))
        first = next(gen)
        # only the first batch (batch size 4) has been captioned when the first cue is yielded
        assert first.window.index == 0 and engine_calls == [4]
        rest = list(gen)
    finally:
        del tiny_engine.caption
    assert len(rest) == 5 and engine_calls == [4, 2]


def test_overlapping_windows_share_one_decode(tiny_engine, video_30s: Path):
    info = video.probe(video_30s)
    options = CaptionOptions(detail="low", window_ms=10_000, stride_ms=5000, max_side=128)
    track = caption_track(info, tiny_engine, options)
    assert [(c.start_ms, c.end_ms) for c in track] == [
        (0, 10_000),
        (5_000, 15_000),
        (10_000, 20_000),
        (15_000, 25_000),
        (20_000, 30_000),
    ]
    assert track[1].provenance.frame_times_ms[0] == 5_000


def test_same_text_on_a_rerun(tiny_engine, video_30s: Path):
    info = video.probe(video_30s)
    first = [c.text for c in caption_track(info, tiny_engine, LOW)]
    assert [c.text for c in caption_track(info, tiny_engine, LOW)] == first


def test_cancel_keeps_what_was_done(tiny_model_dir: Path, video_30s: Path):
    from captioner_app.core.model import load_engine
    from captioner_app.core.model.engine import EngineOptions

    engine = load_engine(EngineOptions(model=str(tiny_model_dir), device="cpu", batch_size=1))
    info = video.probe(video_30s)
    cancel = threading.Event()
    kept = []
    with pytest.raises(CancelledError):
        for result in caption_windows(info, engine, LOW, cancel=cancel):
            kept.append(result.cue)
            cancel.set()
    assert len(kept) == 1 and kept[0].start_ms == 0


def test_explicit_windows_and_prompts(tiny_engine, video_30s: Path):
    from captioner_app.core.model.prompts import window_prompt

    info = video.probe(video_30s)
    wins = [Window(0, 12_000, 14_500)]
    results = list(caption_windows(info, tiny_engine, LOW, windows=wins, prompts=[window_prompt("low", 5)]))
    assert len(results) == 1
    assert results[0].cue.provenance.frame_times_ms == (12_000, 12_500, 13_000, 13_500, 14_000)


def test_describe_whole_video(tiny_engine, video_30s: Path):
    info = video.probe(video_30s)
    text = describe_video(info, tiny_engine, "low", max_frames=8)
    assert isinstance(text, str) and text


@pytest.mark.parametrize(
    "options",
    [
        CaptionOptions(fps=0),
        CaptionOptions(fps=100),
        CaptionOptions(window_ms=-1000),
        CaptionOptions(detail="extreme"),
        CaptionOptions(stride_ms=0),
    ],
)
def test_bad_options(options: CaptionOptions):
    with pytest.raises(UsageError):
        options.validate()
