"""Issue 14, video and file items 13-15: a file that declares far more than it holds, leftovers
after kill -9 or SIGTERM, and unwritable destinations found before the work."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest

from captioner_app.cli.main import main
from captioner_app.core.errors import TrackError, VideoError
from captioner_app.core.fileio import atomic_write_bytes, check_writable, remove_stale_temporaries
from captioner_app.core.tracks import formats
from captioner_app.testing.loopback import dripping, serve

ROOT = Path(__file__).resolve().parents[2]


def make_two_frames(path: Path, last_s: int = 36000) -> Path:
    """Two pictures, at 0 s and ``last_s``: the file declares ``last_s + 1`` seconds."""
    import av
    import numpy as np

    with av.open(str(path), mode="w") as container:
        stream = container.add_stream("libx264", rate=1)
        stream.width, stream.height, stream.pix_fmt = 160, 90, "yuv420p"
        stream.options = {"preset": "ultrafast"}
        for i, pts in enumerate([0, last_s]):
            frame = av.VideoFrame.from_ndarray(np.full((90, 160, 3), 60 * i + 40, np.uint8), format="rgb24")
            frame.pts, frame.time_base = pts, Fraction(1, 1)
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return path


# item 13


def test_a_run_whose_windows_find_no_pictures_stops(
    tiny_engine: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from captioner_app.core.media.video import probe
    from captioner_app.core.pipeline import CaptionOptions, caption_windows
    from captioner_app.core.vocab import Detail

    info = probe(make_two_frames(tmp_path / "liar.mkv"))
    assert info.duration_s == pytest.approx(36001, abs=1)
    calls = {"windows": 0}
    real = tiny_engine.caption

    def counting(requests: Any, cancel: Any = None) -> Any:
        calls["windows"] += len(requests)
        return real(requests, cancel)

    monkeypatch.setattr(tiny_engine, "caption", counting)
    results = []
    with pytest.raises(VideoError) as info_err:
        for result in caption_windows(info, tiny_engine, CaptionOptions(detail=Detail.LOW)):
            results.append(result)
    assert "no pictures from 10 s to 70 s of the 36001 s the file declares" in str(info_err.value)
    # windows 0-5 (the last picture held on screen for under a minute is still described); not 3,601
    assert [r.cue.start_ms for r in results] == [0, 10_000, 20_000, 30_000, 40_000, 50_000]
    assert calls["windows"] == 6


def test_caption_keeps_the_cues_of_a_stopped_run(
    tiny_model_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    video = make_two_frames(tmp_path / "liar.mkv")
    out = tmp_path / "liar.srt"
    code = main(["caption", str(video), "--model", str(tiny_model_dir), "--detail", "low", "-q", "-o", str(out)])
    err = capsys.readouterr().err
    assert code == 3 and "the run was stopped" in err
    assert not out.exists()
    partial = formats.read(tmp_path / "liar.partial.srt")
    assert [c.start_ms for c in partial.track] == [0, 10_000, 20_000, 30_000, 40_000, 50_000]


def make_held_frames(path: Path, held_s: int = 36000) -> Path:
    """Two pictures, at 0 s and 1 s, the second held ``held_s`` seconds (its packet's duration): the
    file declares ``held_s + 1`` seconds, its data runs to that end, its pictures end at 2 s."""
    import av
    import numpy as np

    codec = {".webm": "libvpx", ".mp4": "libx264", ".mkv": "libx264"}[path.suffix]
    with av.open(str(path), mode="w") as container:
        stream = container.add_stream(codec, rate=1)
        stream.width, stream.height, stream.pix_fmt = 160, 90, "yuv420p"
        packets = []
        for i in range(2):
            frame = av.VideoFrame.from_ndarray(np.full((90, 160, 3), 60 * i + 40, np.uint8), format="rgb24")
            frame.pts, frame.time_base = i, Fraction(1, 1)
            packets += stream.encode(frame)
        packets += stream.encode()
        last = max(packets, key=lambda p: p.pts)
        last.duration = int(held_s / last.time_base)
        for packet in packets:
            container.mux(packet)
    return path


@pytest.mark.parametrize("suffix", [".mkv", ".webm", ".mp4"])
def test_windows_are_planned_to_where_the_pictures_end(
    suffix: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    from captioner_app.core.media.video import probe
    from captioner_app.core.pipeline import CaptionOptions, plan
    from captioner_app.core.timing.windows import Window

    info = probe(make_held_frames(tmp_path / f"held{suffix}"))
    assert info.duration_s == pytest.approx(36001, abs=1)  # what the file declares, kept (audio, tracks)
    assert info.pictures_end_ms == 2000
    with caplog.at_level("WARNING"):
        windows = plan(info, CaptionOptions())
    assert [(w.start_ms, w.end_ms) for w in windows] == [(0, 2000)]
    assert windows[0] == Window(0, 0, 2000)
    said = [r.getMessage() for r in caplog.records if "pictures end" in r.getMessage()]
    assert said == [
        f"{info.path}: the file declares 36001.0 s but its pictures end at 2.0 s; windows are planned to 2.0 s"
    ]


def test_a_file_whose_pictures_end_early_is_captioned_in_one_window(
    tiny_model_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    video = make_held_frames(tmp_path / "held.mkv")
    out = tmp_path / "held.srt"
    with caplog.at_level("WARNING"):
        code = main(["caption", str(video), "--model", str(tiny_model_dir), "--detail", "low", "-o", str(out)])
    assert code == 0, capsys.readouterr().err
    assert sum("but its pictures end at 2.0 s" in r.getMessage() for r in caplog.records) == 1
    assert [(c.start_ms, c.end_ms) for c in formats.read(out).track] == [(0, 2000)]


def test_a_file_cut_off_is_still_refused_as_truncated(tmp_path: Path) -> None:
    from captioner_app.core.media.video import probe
    from captioner_app.testing.media import make_truncated

    with pytest.raises(VideoError, match=r"truncated \(the header says 20\.0 s but pictures stop at 9\.\d s\)"):
        probe(make_truncated(tmp_path, ".mkv"))


def test_the_end_check_reads_only_the_last_seconds_of_a_long_file(tmp_path: Path) -> None:
    from captioner_app.core.media.stream import VideoStream
    from captioner_app.core.media.video import _pictures_end
    from captioner_app.testing.media import make_video

    video = make_video(tmp_path / "long.mkv", 300.0, fps=2, size=(64, 36), gop=10)  # 600 frames, a keyframe each 5 s
    packets: list[object] = []

    class Counting:
        def __init__(self, container: Any) -> None:
            self.container = container

        def __getattr__(self, name: str) -> Any:
            return getattr(self.container, name)

        def demux(self, *streams: Any) -> Iterator[Any]:
            for packet in self.container.demux(*streams):
                packets.append(packet)
                yield packet

    with VideoStream(str(video), threads=None) as vs:
        vs.container = Counting(vs.container)
        assert _pictures_end(vs, vs.duration_s(), 2.0) is None
    assert 0 < len(packets) <= 20


# item 14


def test_stale_temporaries_of_ours_are_removed_on_the_next_write(tmp_path: Path) -> None:
    target = tmp_path / "t.srt"
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()  # a process id that no longer runs
    dead = tmp_path / f".t.srt.{gone.pid}.abc123.tmp"
    old = tmp_path / ".t.srt.zz9_old.tmp"  # written before temporaries carried a process id
    fresh_unknown = tmp_path / ".t.srt.zz9_new.tmp"
    live = tmp_path / f".t.srt.{os.getppid()}.live01.tmp"  # a writer still running
    other = tmp_path / f".t.srt.bak.{gone.pid}.x.tmp"  # another file's temporary
    for path in (dead, old, fresh_unknown, live, other):
        path.write_bytes(b"half")
    os.utime(old, (time.time() - 3600, time.time() - 3600))
    atomic_write_bytes(target, b"new")
    assert target.read_bytes() == b"new"
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["t.srt", fresh_unknown.name, live.name, other.name])


def test_kill_9_while_writing_leaves_nothing_after_the_next_write(tmp_path: Path) -> None:
    target = tmp_path / "out.vtt"
    target.write_bytes(b"old")
    script = (
        "import os, sys, time\n"
        "from captioner_app.core import fileio\n"
        "def hang(fd):\n"
        "    print('writing', flush=True)\n"
        "    time.sleep(60)\n"
        "os.fsync = hang\n"
        f"fileio.atomic_write_bytes({str(target)!r}, b'x' * 100000)\n"
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", script], stdout=subprocess.PIPE, text=True, env={**os.environ, "PYTHONPATH": str(ROOT)}
    )
    assert proc.stdout is not None and proc.stdout.readline().strip() == "writing"
    proc.kill()
    proc.wait()
    leftovers = [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]
    assert len(leftovers) == 1 and target.read_bytes() == b"old"
    atomic_write_bytes(target, b"next")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.vtt"] and target.read_bytes() == b"next"
    assert remove_stale_temporaries(target) == []


@pytest.fixture
def drip() -> Iterator[str]:
    with serve(dripping(10_000_000, b"z" * 1000, 600, 0.1)) as url:
        yield f"{url}/clip.mp4"


def test_sigterm_during_a_download_removes_it_like_ctrl_c(drip: str, tmp_path: Path) -> None:
    temp = tmp_path / "tmp"
    temp.mkdir()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "captioner_app.cli.main",
            "caption",
            drip,
            "--model",
            str(tmp_path / "no-model"),
            "-q",
            "-o",
            str(tmp_path / "out.srt"),
        ],
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT), "TMPDIR": str(temp)},
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not list(temp.glob("captioner-url-*/download-*")):
        time.sleep(0.1)
    assert list(temp.glob("captioner-url-*/download-*")), "the download never started"
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 130, err
    assert "cancelled" in err and "Traceback" not in err
    assert list(temp.iterdir()) == []  # the download and its folder are gone


# item 15


def _unwritable(tmp_path: Path) -> Path:
    if os.geteuid() == 0:  # root writes anywhere it has permission bits for; /proc refuses new files
        return Path("/proc")
    folder = tmp_path / "locked"
    folder.mkdir()
    folder.chmod(0o500)
    return folder


def test_an_unwritable_destination_is_found_before_any_work(
    video_short: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = _unwritable(tmp_path)
    started = time.monotonic()
    # the model does not exist: reaching it would be exit 4; the destination is checked first
    code = main(["caption", str(video_short), "--model", str(tmp_path / "no-model"), "-q", "--output-dir", str(folder)])
    err = capsys.readouterr().err
    assert code == 5, err
    assert "cannot write the track there" in err and "nothing was started" in err and err.count("\n") == 1
    assert time.monotonic() - started < 10
    with pytest.raises(TrackError):
        check_writable(folder / "x.srt")
    check_writable(tmp_path / "fine.srt")
    assert list(tmp_path.glob(".fine.srt.*")) == []
