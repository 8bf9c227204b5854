"""Parallel segments, as the pipeline decodes: cut at keyframes, the same frames and times as one stream,
in order, memory bounded, and every worker stopped by an early stop, a cancel or an error."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import numpy as np
import pytest

from captioner_app.core.errors import CancelledError, VideoError
from captioner_app.core.media import video
from captioner_app.core.media.stream import VideoStream
from captioner_app.core.pipeline import CaptionOptions, decoded_frames
from captioner_app.testing.media import make_video


@pytest.fixture(scope="module")
def film_video(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Footage x264 codes with its usual B-frames (about half), 1 s picture groups, scene cuts."""
    path = tmp_path_factory.mktemp("segments") / "film.mp4"
    return make_video(path, 16.0, size=(192, 108), film=True, gop=30, preset="veryfast", scene_cuts_s=(5.0, 11.0))


def keyframe_times(path: Path) -> list[int]:
    with VideoStream(str(path), threads=None) as vs:
        base = float(vs.video.time_base)
        return sorted(
            int(round((p.pts * base - vs.origin_s) * 1000))
            for p in vs.container.demux(vs.video)
            if p.is_keyframe and p.pts is not None and p.size
        )


def decode_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith("decode")]


def test_the_clip_has_b_frames(film_video: Path):
    import av
    from av.video.frame import PictureType

    with av.open(str(film_video)) as container:
        kinds = [PictureType(frame.pict_type) for frame in container.decode(video=0)]
    assert kinds.count(PictureType.B) > len(kinds) / 4


def test_keyframe_lookup_reads_where_a_seek_lands(film_video: Path):
    keys = keyframe_times(film_video)
    assert len(keys) >= 16
    with VideoStream(str(film_video), threads=None) as vs:
        for t in (0, 700, 5200, 9999, 15_900):
            assert vs.keyframe_ms(t) == max(k for k in keys if k <= t)


def test_split_cuts_at_keyframes_short_runs_first():
    targets = list(range(0, 120_000, 500))
    keys = list(range(0, 120_000, 2000))

    def keyframe_ms(t: int) -> int:
        return max(k for k in keys if k <= t)

    runs = list(video._split(targets, 30.0, keyframe_ms))
    assert [t for run in runs for t in run] == targets  # every target once, in order
    assert all(run[0] in keys for run in runs)  # each run starts at a keyframe: nothing decoded twice
    lengths = [run[-1] - run[0] + 500 for run in runs]
    assert lengths[:5] == [2000, 4000, 6000, 14_000, 14_000]  # short first (1.9, 3.75, 7.5 s: to a keyframe)
    assert max(len(run) for run in runs) <= video.SEGMENT_FRAMES


def test_split_caps_the_frames_of_a_run_and_grows_past_long_picture_groups():
    dense = list(range(0, 60_000, 125))  # 8 fps
    runs = list(video._split(dense, 30.0, lambda t: t))
    assert max(len(run) for run in runs) == video.SEGMENT_FRAMES  # memory: frames per run are bounded
    assert [t for run in runs for t in run] == dense
    # one keyframe every 20 s: a run reaches the next one instead of starting inside a picture group
    targets = list(range(0, 60_000, 500))
    runs = list(video._split(targets, 30.0, lambda t: t // 20_000 * 20_000))
    assert [run[0] for run in runs] == [0, 20_000, 40_000]
    # no keyframe known (a seek that lands elsewhere): cut at the target, the next run seeks back itself
    runs = list(video._split(targets, 30.0, lambda t: None))
    assert [t for run in runs for t in run] == targets and len(runs) > 2


@pytest.mark.parametrize("tolerance_ms", [None, 250.0])
def test_segments_give_the_same_frames_as_one_stream(film_video: Path, tolerance_ms: float | None):
    info = video.probe(film_video)
    targets = video.sample_times(0, info.duration_ms, 2.0)
    one = list(video.sample_at(info, targets, max_side=64, workers=1, tolerance_ms=tolerance_ms))
    many = list(video.sample_at(info, targets, max_side=64, workers=3, segment_s=4.0, tolerance_ms=tolerance_ms))
    assert [f.time_ms for f in many] == [f.time_ms for f in one]
    assert len(many) == len(targets)
    assert all(np.array_equal(a.image, b.image) for a, b in zip(one, many, strict=True))


def test_the_pipeline_can_decode_in_parallel_segments(film_video: Path, monkeypatch: pytest.MonkeyPatch):
    from captioner_app.core import pipeline

    monkeypatch.setattr(os, "cpu_count", lambda: 4)
    monkeypatch.setattr(pipeline, "DECODE_WORKERS", None)
    info = video.probe(film_video)
    targets = video.sample_times(0, info.duration_ms, 2.0)
    frames = decoded_frames(info, targets, CaptionOptions(max_side=64))
    first = next(frames)
    assert len(decode_threads()) >= 2  # several workers decode ahead
    rest = list(frames)
    times = [first.time_ms, *(f.time_ms for f in rest)]
    assert len(times) == len(targets) and times == sorted(times)
    assert all(abs(t - x) < 250 for t, x in zip(times, targets, strict=True))  # within half an interval
    assert not decode_threads()


def test_stopping_early_stops_every_worker(film_video: Path):
    info = video.probe(film_video)
    targets = video.sample_times(0, info.duration_ms, 4.0)
    frames = video.sample_at(info, targets, max_side=64, workers=3, segment_s=2.0, tolerance_ms=125.0)
    next(frames)
    assert decode_threads()
    frames.close()
    assert not decode_threads()


def test_cancel_stops_every_worker(film_video: Path):
    info = video.probe(film_video)
    targets = video.sample_times(0, info.duration_ms, 4.0)
    cancel = threading.Event()
    got = []
    with pytest.raises(CancelledError):
        for frame in video.sample_at(info, targets, max_side=64, workers=3, segment_s=2.0, cancel=cancel):
            got.append(frame)
            if len(got) == 3:
                cancel.set()
    assert 3 <= len(got) < len(targets)
    assert not decode_threads()


def test_an_error_in_one_segment_stops_every_worker(film_video: Path, monkeypatch: pytest.MonkeyPatch):
    info = video.probe(film_video)
    targets = video.sample_times(0, info.duration_ms, 4.0)
    real = video._decode_segment
    failed_at: list[int] = []

    def failing(info_, seg, *args, **kwargs):
        if seg[0] > 4000:
            failed_at.append(seg[0])
            raise VideoError(f"{info.path}: decoding failed at {seg[0] / 1000:.1f} s (damaged)")
        yield from real(info_, seg, *args, **kwargs)

    monkeypatch.setattr(video, "_decode_segment", failing)
    got = []
    with pytest.raises(VideoError, match="decoding failed"):
        for frame in video.sample_at(info, targets, max_side=64, workers=3, segment_s=2.0):
            got.append(frame.time_ms)
    assert got == sorted(got) and got[0] == 0  # the frames before the damage arrived, in order ...
    assert max(got) < min(failed_at)  # ... and none after it
    assert not decode_threads()
