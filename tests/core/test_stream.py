"""The one PyAV stream class: time 0 is the video stream's start, whatever the container says."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from captioner_app.core.errors import VideoError
from captioner_app.core.media.audio import decode_audio
from captioner_app.core.media.stream import VideoStream
from captioner_app.core.media.video import probe, sample_at
from captioner_app.testing.media import make_video


def _remux_late(src: Path, dst: Path, offset_s: float = 1.5) -> Path:
    """Every packet moved ``offset_s`` later, as broadcast captures (MPEG-TS) often do."""
    import av

    with av.open(str(src)) as inp, av.open(str(dst), "w", format="matroska") as out:
        streams = {s.index: out.add_stream_from_template(s) for s in inp.streams}
        for packet in inp.demux():
            if packet.dts is None:
                continue
            shift = int(offset_s / packet.time_base)
            packet.dts += shift
            if packet.pts is not None:
                packet.pts += shift
            packet.stream = streams[packet.stream.index]
            out.mux(packet)
    return dst


@pytest.fixture(scope="module")
def offset_video(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("ts")
    rate = 16000
    t = np.arange(4 * rate) / rate
    tone = (0.5 * np.sin(2 * np.pi * 440 * t) * (t >= 2.0)).astype(np.float32)  # silent, then a tone at 2 s
    mp4 = make_video(folder / "v.mp4", 4.0, fps=25, audio=tone, sample_rate=rate)
    return _remux_late(mp4, folder / "v.mkv")


def test_time_zero_is_the_video_stream_start(offset_video: Path):
    with VideoStream(str(offset_video)) as vs:
        assert vs.origin_s > 1.4  # the file's clock does not start at 0
        first_ms, _ = next(vs.frames())
        assert first_ms == 0
        vs.seek_ms(2000)
        times = [t for t, _ in vs.frames()]
        assert times[0] <= 2000 and 2000 in times


def test_sampling_preview_and_audio_share_the_clock(offset_video: Path):
    info = probe(offset_video)
    frames = list(sample_at(info, [0, 1000, 3000], max_side=64))
    assert [f.time_ms for f in frames] == [0, 1000, 3000]
    samples = decode_audio(str(offset_video))
    assert samples is not None
    rate = 16000
    before, after = samples[int(1.8 * rate) : int(1.95 * rate)], samples[int(2.05 * rate) : int(2.2 * rate)]
    assert np.abs(before).max() < 0.05 < np.abs(after).max()  # the tone starts at 2 s on the video's clock


def test_to_array_turns_and_shrinks(tmp_path: Path):
    path = make_video(tmp_path / "r.mp4", 1.0, size=(160, 90), rotation=90)
    with VideoStream(str(path), rotation=probe(path).rotation) as vs:
        _, frame = next(vs.frames())
        assert vs.to_array(frame).shape == (160, 90, 3)
        assert vs.to_array(frame, max_side=80).shape == (80, 45, 3)


def test_open_errors_are_one_line(tmp_path: Path):
    junk = tmp_path / "junk.mp4"
    junk.write_bytes(b"\x00\x01not a video" * 100)
    with pytest.raises(VideoError, match=r"junk.mp4: not a recognisable video") as err:
        VideoStream(str(junk))
    assert "\n" not in str(err.value)
