"""The persistent preview decoder shows exactly the frame that frame_at shows, for any request order."""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import pytest

from captioner_app.core.errors import VideoError
from captioner_app.core.media.preview import PreviewDecoder
from captioner_app.core.media.video import frame_at, probe


@pytest.fixture(scope="module")
def gop_video(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from captioner_app.testing.media import make_video

    return make_video(tmp_path_factory.mktemp("pv") / "gop.mp4", 4.0, size=(96, 64), gop=30, scene_cuts_s=[2.0])


def test_matches_frame_at(gop_video: Path):
    info = probe(gop_video)
    rng = random.Random(3)
    times = [rng.randrange(0, 4000) for _ in range(25)] + list(range(900, 1600, 33)) + list(range(3000, 3100, 7))
    times += [0, 3999, 5000, -20]
    with PreviewDecoder(info, max_side=None) as decoder:
        for t in times:
            got, want = decoder.frame_at(t), frame_at(info, t)
            assert got.time_ms == want.time_ms, t
            assert np.array_equal(got.image, want.image), t


def test_closed_decoder_refuses(gop_video: Path):
    decoder = PreviewDecoder(probe(gop_video), max_side=48)
    assert max(decoder.frame_at(100).image.shape[:2]) == 48
    decoder.close()
    with pytest.raises(VideoError, match="closed"):
        decoder.frame_at(0)


def test_a_far_seek_shows_the_keyframe_first_then_the_exact_picture(gop_video: Path):
    info = probe(gop_video)
    shown = []
    with PreviewDecoder(info, max_side=None) as decoder:
        exact = decoder.frame_at(1900, interim=shown.append)  # GOP of 30 frames: keyframe at 1.0 s
        assert [f.time_ms for f in shown] == [1000]
        assert np.array_equal(shown[0].image, frame_at(info, 1000).image)
        want = frame_at(info, 1900)
        assert exact.time_ms == want.time_ms and np.array_equal(exact.image, want.image)
        shown.clear()
        decoder.frame_at(1950, interim=shown.append)  # decoding on from here: no interim picture
        decoder.frame_at(1033, interim=shown.append)  # 1 frame after its keyframe: not worth one
        assert shown == []


def test_a_newer_request_aborts_the_catch_up_and_the_decoder_stays_usable(gop_video: Path):
    from captioner_app.core.media.preview import PreviewAborted

    info = probe(gop_video)
    asked = []

    def newer_request_waiting() -> bool:
        asked.append(True)
        return len(asked) >= 5

    with PreviewDecoder(info, max_side=None) as decoder:
        with pytest.raises(PreviewAborted):
            decoder.frame_at(1950, abort=newer_request_waiting)
        for t in (1950, 300, 3500):
            got, want = decoder.frame_at(t), frame_at(info, t)
            assert got.time_ms == want.time_ms and np.array_equal(got.image, want.image)
