"""Decoding less for sampling: skipped frames stay within half a sampling interval, frame times are the
decoded frames' own, the pipeline's producer stops on cancel and errors, hardware decoding falls back."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Sequence
from pathlib import Path

import pytest

from captioner_app.core.errors import CancelledError, VideoError
from captioner_app.core.media import stream as stream_mod
from captioner_app.core.media.stream import VideoStream
from captioner_app.core.media.video import probe, sample_at, sample_times
from captioner_app.core.pipeline import CaptionOptions, caption_windows
from captioner_app.testing.media import make_video


@pytest.fixture(scope="module")
def bframe_video(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """x264 with its usual B-frames (pyramid: some B-frames are references, some not), 2 s GOP."""
    path = tmp_path_factory.mktemp("bframes") / "b.mp4"
    return make_video(
        path, 12.0, fps=30, size=(192, 108), texture=True, gop=60, preset="veryfast", scene_cuts_s=(3.0, 7.5)
    )


def all_frame_times(path: Path) -> list[int]:
    with VideoStream(str(path), threads=None) as vs:
        return [t for t, _ in vs.frames()]


def test_skipping_decodes_fewer_frames(bframe_video: Path):
    with VideoStream(str(bframe_video), skip_frame="NONREF") as vs:
        reference_only = [t for t, _ in vs.frames()]
    every = all_frame_times(bframe_video)
    assert set(reference_only) < set(every)  # the clip has non-reference frames, and they were skipped


@pytest.mark.parametrize("fps", [2.0, 1.0, 4.0])
def test_skipped_frames_never_move_a_sample_by_half_an_interval(bframe_video: Path, fps: float):
    info = probe(bframe_video)
    times = set(all_frame_times(bframe_video))
    targets = sample_times(0, info.duration_ms, fps)
    half = 500.0 / fps
    for workers in (1, 2):
        frames = list(sample_at(info, targets, max_side=64, workers=workers, segment_s=4.0, tolerance_ms=half))
        assert len(frames) == len(targets)
        for target, frame in zip(targets, frames, strict=True):
            assert abs(frame.time_ms - target) < half
            assert frame.time_ms in times  # a real frame's own time, not the target's
        got = [f.time_ms for f in frames]
        assert got == sorted(got)


def test_exact_sampling_is_unchanged(bframe_video: Path):
    info = probe(bframe_video)
    times = sorted(all_frame_times(bframe_video))
    targets = sample_times(0, info.duration_ms, 2.0)
    for target, frame in zip(targets, sample_at(info, targets, max_side=64), strict=True):
        assert frame.time_ms == max(t for t in times if t <= target)  # the frame on screen


def test_too_tight_a_tolerance_decodes_exactly(bframe_video: Path):
    # 40 ms at 30 fps: fewer than two frames between samples, skipping would not pay
    info = probe(bframe_video)
    times = set(all_frame_times(bframe_video))
    targets = [117, 1150, 5017]
    frames = list(sample_at(info, targets, max_side=64, tolerance_ms=40.0))
    assert [f.time_ms for f in frames] == [max(t for t in times if t <= x) for x in targets]


def test_where_reference_frames_are_far_apart_the_rest_is_decoded_in_full(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    import av
    import numpy as np

    from captioner_app.core.media import video as video_mod

    # 12 non-reference B-frames between references: 433 ms apart at 30 fps
    path = tmp_path / "sparse_refs.mp4"
    with av.open(str(path), "w") as out:
        vs = out.add_stream("libx264", rate=30)
        vs.width, vs.height, vs.pix_fmt = 96, 64, "yuv420p"
        vs.options = {"preset": "veryfast", "x264-params": "bframes=12:b-pyramid=none:b-adapt=0:scenecut=0", "g": "300"}
        rng = np.random.default_rng(1)
        base = rng.integers(0, 255, (64, 192, 3), dtype=np.uint8)
        for i in range(150):
            frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(base[:, i % 96 : i % 96 + 96]), format="rgb24")
            out.mux(vs.encode(frame))
        out.mux(vs.encode(None))
    info = probe(path)
    times = set(all_frame_times(path))
    exact_calls = []
    real_exact = video_mod._decode_exact

    def counting(*args, **kwargs):
        exact_calls.append(args[1])
        return real_exact(*args, **kwargs)

    monkeypatch.setattr(video_mod, "_decode_exact", counting)
    targets = sample_times(0, info.duration_ms, 3.0)
    frames = list(sample_at(info, targets, max_side=None, workers=1, tolerance_ms=80.0))
    assert exact_calls  # skipping gave up ...
    assert len(frames) == len(targets)
    for target, frame in zip(targets, frames, strict=True):
        assert frame.time_ms in times and abs(frame.time_ms - target) < 80  # ... and no sample moved further


def test_model_gets_the_decoded_frames_own_times(bframe_video: Path):
    info = probe(bframe_video)
    times = set(all_frame_times(bframe_video))
    seen: list[list[int]] = []

    class Recorder:
        model_id, revision, device, batch_size = "rec", None, "cpu", 2

        def caption(self, requests: Sequence, cancel: threading.Event | None = None) -> list[str]:
            seen.extend([f.time_ms for f in r.frames] for r in requests)
            return ["x"] * len(requests)

        def close(self) -> None:
            pass

    results = list(caption_windows(info, Recorder(), CaptionOptions(window_ms=3000, fps=2.0, max_side=64)))
    assert len(results) == 4 and len(seen) == 4
    for result, frame_times in zip(results, seen, strict=True):
        assert list(result.cue.provenance.frame_times_ms) == frame_times
        assert all(t in times for t in frame_times)
        assert all(
            abs(t - x) < 250
            for t, x in zip(frame_times, sample_times(result.window.start_ms, result.window.end_ms, 2.0), strict=True)
        )


def _producers() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "caption-producer" or t.name.startswith("decode")]


class SlowEngine:
    model_id, revision, device = "slow", None, "cpu"

    def __init__(self, batch_size: int = 1, fail_at: int | None = None, prepare: bool = False) -> None:
        self.batch_size = batch_size
        self.calls = 0
        self.fail_at = fail_at
        self.prepared: list[object] = []
        self.ahead: dict[tuple[int, ...], str] = {}
        if prepare:
            self.prepare = self._prepare

    def _prepare(self, requests: Sequence) -> None:
        self.ahead[tuple(map(id, requests))] = "prepared"

    def caption(self, requests: Sequence, cancel: threading.Event | None = None) -> list[str]:
        self.calls += 1
        self.prepared.append(self.ahead.pop(tuple(map(id, requests)), None))
        if self.fail_at is not None and self.calls >= self.fail_at:
            raise RuntimeError("engine broke")
        time.sleep(0.05)
        return ["x"] * len(requests)

    def close(self) -> None:
        pass


def test_the_prepare_hook_runs_ahead_and_reaches_caption(bframe_video: Path):
    info = probe(bframe_video)
    engine = SlowEngine(batch_size=2, prepare=True)
    results = list(caption_windows(info, engine, CaptionOptions(window_ms=2000, max_side=64)))
    assert len(results) == 6
    assert engine.prepared == ["prepared"] * 3  # prepared ahead, for the very requests then captioned


def test_stopping_early_stops_the_producer(bframe_video: Path):
    info = probe(bframe_video)
    results = caption_windows(info, SlowEngine(), CaptionOptions(window_ms=1000, max_side=64))
    next(results)
    assert _producers()  # decoding runs ahead
    results.close()
    assert not _producers()


def test_cancel_stops_the_producer(bframe_video: Path):
    info = probe(bframe_video)
    cancel = threading.Event()
    got = []
    with pytest.raises(CancelledError):
        for result in caption_windows(info, SlowEngine(), CaptionOptions(window_ms=1000, max_side=64), cancel=cancel):
            got.append(result)
            if len(got) == 2:
                cancel.set()
    assert len(got) == 2
    assert not _producers()


def test_an_engine_error_stops_the_producer(bframe_video: Path):
    info = probe(bframe_video)
    with pytest.raises(RuntimeError, match="engine broke"):
        list(caption_windows(info, SlowEngine(fail_at=2), CaptionOptions(window_ms=1000, max_side=64)))
    assert not _producers()


def test_a_decoding_error_reaches_the_caller_and_stops_the_producer(tmp_path: Path, bframe_video: Path):
    info = probe(bframe_video)
    broken = tmp_path / "gone.mp4"
    broken.write_bytes(bframe_video.read_bytes())
    info = type(info)(**{**info.__dict__, "path": str(broken)})
    broken.write_bytes(b"not a video any more")
    with pytest.raises(VideoError):
        list(caption_windows(info, SlowEngine(), CaptionOptions(window_ms=1000, max_side=64)))
    assert not _producers()


def test_hardware_decoding_failure_falls_back_and_logs_once(
    bframe_video: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
):
    import av

    real_open = av.open
    tried = []

    def no_hardware(*args, **kwargs):
        if kwargs.get("hwaccel") is not None:
            tried.append(kwargs["hwaccel"])
            raise av.error.PermissionError(1, "Operation not permitted")
        return real_open(*args, **kwargs)

    monkeypatch.setattr(av, "open", no_hardware)
    monkeypatch.setattr(stream_mod, "_hw_failed", set())
    info = probe(bframe_video)
    targets = sample_times(0, info.duration_ms, 2.0)
    with caplog.at_level(logging.WARNING, logger=stream_mod.__name__):
        software = list(sample_at(info, targets, max_side=64, workers=1, tolerance_ms=250.0))
        first = list(
            sample_at(info, targets, max_side=64, workers=2, segment_s=3.0, tolerance_ms=250.0, hwaccel="cuda")
        )
        again = list(
            sample_at(info, targets, max_side=64, workers=2, segment_s=3.0, tolerance_ms=250.0, hwaccel="cuda")
        )
    assert tried  # it was tried ...
    lines = [r for r in caplog.records if "hardware video decoding (cuda)" in r.getMessage()]
    assert len(lines) == 1  # ... and said so once, however many streams were opened
    assert [f.time_ms for f in first] == [f.time_ms for f in software] == [f.time_ms for f in again]


def test_lowres_keeps_the_requested_size():
    assert stream_mod.lowres_for("mjpeg", 1920, 1080, 768) == 1
    assert stream_mod.lowres_for("mjpeg", 3840, 2160, 400) == 3
    assert stream_mod.lowres_for("mjpeg", 1920, 1080, 1000) == 0
    assert stream_mod.lowres_for("h264", 3840, 2160, 400) == 0  # H.264 decoders cannot
    assert stream_mod.lowres_for("mjpeg", 1920, 1080, None) == 0


def test_packets_no_sample_needs_are_not_decoded(bframe_video: Path):
    # 2 s GOP sampled at 1 fps: the frames after each GOP's last sample are skipped by restarting at the
    # next keyframe, and every sample stays within half an interval of its target, at a real frame time
    info = probe(bframe_video)
    times = set(all_frame_times(bframe_video))
    with VideoStream(str(bframe_video), skip_frame="NONREF") as vs:
        vs.wanted_ms = 0
        decoded = []
        for t, _frame in vs.frames():
            vs.wanted_ms = (t // 2000 + 1) * 2000  # the next GOP's keyframe
            decoded.append(t)
        assert vs.jumps > 0
    assert set(decoded) < times
    targets = sample_times(0, info.duration_ms, 1.0)
    frames = list(sample_at(info, targets, max_side=32, workers=1, tolerance_ms=500.0))
    assert all(abs(f.time_ms - x) < 500 and f.time_ms in times for f, x in zip(frames, targets, strict=True))
