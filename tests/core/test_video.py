from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pytest

from captioner_app.core.errors import VideoError
from captioner_app.core.media import video
from captioner_app.testing.media import BAD_INPUTS, DEFAULT_COLOURS, make_video


def test_probe_reads_the_facts(video_30s: Path):
    info = video.probe(video_30s)
    assert info.duration_ms == 30_000
    assert info.fps == pytest.approx(30.0)
    assert (info.width, info.height) == (160, 90)
    assert info.rotation == 0
    assert info.has_audio is True
    assert info.codec == "h264"


def test_probe_without_audio(video_short: Path):
    assert video.probe(video_short).has_audio is False


@pytest.mark.parametrize("rotation", [90, 180, 270])
def test_rotation_metadata_is_applied(tmp_path: Path, rotation: int):
    path = make_video(tmp_path / f"r{rotation}.mp4", 1.0, size=(64, 32), rotation=rotation)
    info = video.probe(path)
    assert info.rotation == rotation
    frame = video.frame_at(info, 0)
    expected = (32, 64) if rotation == 180 else (64, 32)
    assert frame.image.shape[:2] == expected
    assert (info.height, info.width) == expected


def test_sample_times():
    assert video.sample_times(0, 2_000, 2) == [0, 500, 1000, 1500]
    assert video.sample_times(10_000, 11_000, 3) == [10_000, 10_333, 10_667]
    with pytest.raises(ValueError):
        video.sample_times(0, 1000, 0)


def _colour_of(frame) -> int:
    mean = frame.image[-5:, :, :].reshape(-1, 3).mean(axis=0)
    return int(np.argmin([np.abs(mean - np.array(c)).sum() for c in DEFAULT_COLOURS]))


def test_frames_come_at_their_timestamps(video_30s: Path):
    info = video.probe(video_30s)
    frames = list(video.sample_frames(info, 9_000, 12_000, fps=2))
    assert [f.time_ms for f in frames] == [9_000, 9_500, 10_000, 10_500, 11_000, 11_500]
    # the scene changes at 10 s: colours before and after differ
    assert [_colour_of(f) for f in frames] == [0, 0, 1, 1, 1, 1]


def test_parallel_segments_give_the_same_frames_as_one_pass(video_30s: Path):
    info = video.probe(video_30s)
    one = list(video.sample_frames(info, fps=2, workers=1, max_side=None))
    many = list(video.sample_frames(info, fps=2, workers=3, segment_s=4, max_side=None))
    assert [f.time_ms for f in one] == [f.time_ms for f in many] == video.sample_times(0, 30_000, 2)
    assert all(np.array_equal(a.image, b.image) for a, b in zip(one, many, strict=False))


def test_max_side_shrinks_frames(tmp_path: Path):
    info = video.probe(make_video(tmp_path / "big.mp4", 1.0, size=(640, 360)))
    frame = next(video.sample_frames(info, fps=1, max_side=160))
    assert frame.image.shape == (90, 160, 3)


def test_frame_at_clamps_into_the_video(video_30s: Path):
    info = video.probe(video_30s)
    assert video.frame_at(info, 25_000).time_ms == 25_000
    last = video.frame_at(info, 99_000)
    assert 29_900 <= last.time_ms < 30_000
    assert _colour_of(last) == 2


@pytest.mark.parametrize(("make", "reason"), list(BAD_INPUTS.values()), ids=list(BAD_INPUTS))
def test_bad_inputs_fail_fast_with_one_line(tmp_path: Path, make, reason: str):
    path = make(tmp_path)
    started = time.monotonic()
    with pytest.raises(VideoError) as info:
        video.probe(path)
    assert time.monotonic() - started < 10
    message = str(info.value)
    assert "\n" not in message
    assert str(path) in message
    assert reason in message


def test_broken_symlink_is_reported(tmp_path: Path):
    link = tmp_path / "link.mp4"
    link.symlink_to(tmp_path / "gone.mp4")
    with pytest.raises(VideoError, match="no such file"):
        video.probe(link)


def test_abandoned_sampling_closes_cleanly_after_the_cli_ran(video_30s: Path):
    """Regression: the CLI once installed PyAV's Python log callback; dropping a half-read sampler
    then deadlocked (FFmpeg's decoder threads waited for the GIL the closing thread held)."""
    import av.logging

    from captioner_app.cli.main import _quiet_libraries

    _quiet_libraries(debug=False)
    assert av.logging.get_level() is None
    info = video.probe(video_30s)
    for _ in range(5):
        frames = video.sample_frames(info, fps=2, workers=1)
        next(frames)
        frames.close()
