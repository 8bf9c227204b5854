"""Shot changes: concatenated, clearly different synthetic scenes at known times."""

from __future__ import annotations

from pathlib import Path

import pytest

from captioner_app.core.analysis.analyze import Analysis, analyze, snap, snap_points
from captioner_app.core.analysis.shots import detect_cuts, shots_from_cuts
from captioner_app.core.media.video import probe
from captioner_app.core.timing.spans import Span
from captioner_app.testing.media import make_video
from captioner_app.testing.speech import first_frame_at_or_after


@pytest.mark.parametrize(("fps", "cuts_s"), [(30, [1.5, 3.2, 5.0]), (25, [0.9, 2.37, 4.1, 5.55])])
def test_cuts_are_found_within_one_frame(tmp_path: Path, fps: int, cuts_s: list[float]):
    path = make_video(tmp_path / f"cuts{fps}.mp4", 6.5, fps=fps, size=(192, 108), scene_cuts_s=cuts_s)
    info = probe(path)
    found = detect_cuts(info)
    expected = [first_frame_at_or_after(c, fps) for c in cuts_s]
    assert len(found) == len(expected), (found, expected)
    frame_ms = 1000 / fps
    for got, want in zip(found, expected, strict=True):
        assert abs(got - want) <= frame_ms, (found, expected)


def test_motion_without_a_cut_is_one_shot(video_short: Path):
    info = probe(video_short)  # a block moves across one coloured scene
    assert detect_cuts(info) == []
    assert analyze(info).shots == (Span(0, info.duration_ms),)


def test_rotated_video(tmp_path: Path):
    path = make_video(tmp_path / "rot.mp4", 4.0, size=(96, 160), rotation=90, scene_cuts_s=[2.0])
    info = probe(path)
    assert [abs(c - 2000) <= 34 for c in detect_cuts(info)] == [True]


def test_shots_cover_the_video():
    assert shots_from_cuts([3000, 1000, 1000, 0, 9000], 5000) == [Span(0, 1000), Span(1000, 3000), Span(3000, 5000)]
    assert shots_from_cuts([], 5000) == [Span(0, 5000)]


def test_snap_to_cuts_and_gap_edges():
    a = Analysis(
        duration_ms=20_000,
        shots=(Span(0, 4000), Span(4000, 20_000)),
        gaps=(Span(6000, 9000),),
        speech=(Span(1000, 5850), Span(9150, 12_000)),
    )
    assert snap_points(a) == [4000, 6000, 9000]
    assert snap(4080, a, 100) == 4000
    assert snap(5950, a, 100) == 6000
    assert snap(9100, a, 50) == 9100  # too far: unchanged
    assert snap(7000, a, 0) == 7000
    assert snap(7000, None, 500) == 7000
    assert a.cuts_ms == [4000]


def test_thumbnails_from_planes_match_ffmpeg_scaling(video_short: Path):
    import av
    import numpy as np

    from captioner_app.core.analysis.shots import _Thumbnailer

    info = probe(video_short)
    shrink = _Thumbnailer(info)
    rgb = np.zeros((info.height, info.width, 3), np.uint8)
    rgb[:] = (40, 160, 60)
    rgb[:, : info.width // 2] = (200, 40, 40)
    frame = av.VideoFrame.from_ndarray(rgb, format="rgb24")
    direct = shrink(frame)  # rgb24: scaled by FFmpeg
    sampled = shrink(frame.reformat(format="yuv420p"))  # sampled from the planes
    assert direct.shape == (72, 128, 3)  # 160x90 scaled to 128 wide
    assert sampled.shape == (90, 160, 3)  # every pixel (sampling steps are whole pixels)
    for image in (direct, sampled):  # BGR: the left half red, the right half green
        left, right = image[:, 2].astype(int), image[:, -3].astype(int)
        assert (abs(left - (40, 40, 200)) < 25).all() and (abs(right - (60, 160, 40)) < 25).all()
