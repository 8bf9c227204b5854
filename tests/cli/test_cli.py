from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from captioner_app.cli.main import main
from captioner_app.core.tracks import formats
from captioner_app.testing.cli import run_cli as run_child
from captioner_app.testing.media import BAD_INPUTS, make_video

ENV = {**os.environ, "HF_HUB_OFFLINE": "1", "PYTHONWARNINGS": "ignore"}


def run_cli(*args: str, timeout: float = 180) -> subprocess.CompletedProcess[str]:
    return run_child(*args, env=ENV, timeout=timeout)


def test_caption_writes_srt_and_vtt_one_cue_per_window(tiny_model_dir: Path, video_30s: Path, tmp_path: Path):
    srt = tmp_path / "out.srt"
    done = run_cli("caption", str(video_30s), "--model", str(tiny_model_dir), "--detail", "low", "-o", str(srt))
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    assert (
        main(
            [
                "caption",
                str(video_30s),
                "--model",
                str(tiny_model_dir),
                "--detail",
                "low",
                "--quiet",
                "--output-dir",
                str(tmp_path),
                "--format",
                "vtt",
            ]
        )
        == 0
    )
    vtt = tmp_path / f"{video_30s.stem}.vtt"
    assert vtt.read_text(encoding="utf-8").startswith("WEBVTT")
    for path in (srt, vtt):
        result = formats.read(path)
        assert result.problems == []
        cues = list(result.track)
        assert [(c.start_ms, c.end_ms) for c in cues] == [(0, 10_000), (10_000, 20_000), (20_000, 30_000)]
        assert all(c.text for c in cues)
    assert [c.text for c in formats.read(srt).track] == [c.text for c in formats.read(vtt).track]


def test_ffmpeg_reads_our_srt(tiny_model_dir: Path, video_30s: Path, tmp_path: Path):
    ffmpeg = shutil.which("ffmpeg")
    assert ffmpeg, "ffmpeg is needed for this check (.ci/run installs it)"
    srt = tmp_path / "t.srt"
    assert (
        main(["caption", str(video_30s), "--model", str(tiny_model_dir), "--detail", "low", "-q", "-o", str(srt)]) == 0
    )
    out = tmp_path / "copy.srt"
    done = subprocess.run([ffmpeg, "-v", "error", "-i", str(srt), str(out)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    ours = formats.read(srt).track
    theirs = formats.read(out).track
    assert [(c.start_ms, c.end_ms) for c in theirs] == [(c.start_ms, c.end_ms) for c in ours]


@pytest.mark.parametrize("fmt", ["json", "txt"])
def test_other_formats(tiny_model_dir: Path, video_short: Path, tmp_path: Path, fmt: str):
    target = tmp_path / f"t.{fmt}"
    assert (
        main(["caption", str(video_short), "--model", str(tiny_model_dir), "--detail", "low", "-q", "-o", str(target)])
        == 0
    )
    text = target.read_text(encoding="utf-8")
    if fmt == "json":
        cue = formats.read(target).track[0]
        assert cue.provenance.frame_times_ms == (0, 500, 1000, 1500, 2000, 2500, 3000, 3500)
        assert cue.provenance.model == str(tiny_model_dir)
    else:
        assert text.startswith("[0:00:00.0 - 0:00:04.0]\n")


def test_describe_prints_text(tiny_model_dir: Path, video_short: Path):
    done = run_cli("describe", str(video_short), "--model", str(tiny_model_dir), "--detail", "low")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip()


def test_batch_with_one_bad_input_does_the_rest(
    tiny_model_dir: Path, video_short: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
):
    bad = tmp_path / "bad.mp4"
    bad.write_bytes(b"\x00" * 1000)
    good = tmp_path / "good.mp4"
    shutil.copy(video_short, good)
    code = main(["caption", str(bad), str(good), "--model", str(tiny_model_dir), "--detail", "low", "-q"])
    assert code == 3
    assert (tmp_path / "good.srt").is_file()
    assert not (tmp_path / "bad.srt").exists()
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [f"captioner: error: {bad}: not a recognisable video (wrong format, truncated or damaged)"]


@pytest.mark.parametrize("name", list(BAD_INPUTS))
def test_bad_inputs_exit_non_zero_with_one_line_and_touch_nothing(name: str, tmp_path: Path):
    make, reason = BAD_INPUTS[name]
    src = tmp_path / "src"
    src.mkdir()
    path = make(src)
    out = tmp_path / "existing.srt"
    out.write_text("1\n00:00:00,000 --> 00:00:01,000\nkeep me\n")
    before = sorted(p.name for p in src.iterdir())
    started = time.monotonic()
    done = run_cli("caption", str(path), "-o", str(out), "--model", "allenai/Molmo2-4B", timeout=60)
    assert time.monotonic() - started < 30
    assert done.returncode == 3
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert str(path) in lines[0] and reason in lines[0]
    assert "Traceback" not in done.stderr
    assert out.read_text() == "1\n00:00:00,000 --> 00:00:01,000\nkeep me\n"
    assert sorted(p.name for p in src.iterdir()) == before


def test_debug_shows_the_traceback(tmp_path: Path):
    done = run_cli("--debug", "caption", str(tmp_path / "missing.mp4"))
    assert done.returncode != 0 and "Traceback" in done.stderr


def test_missing_model_is_one_line_with_the_way_out(video_short: Path, tmp_path: Path):
    env_cache = tmp_path / "empty-cache"
    done = subprocess.run(
        [sys.executable, "-m", "captioner_app.cli.main", "caption", str(video_short), "-o", str(tmp_path / "x.srt")],
        capture_output=True,
        text=True,
        env={**ENV, "HF_HUB_CACHE": str(env_cache), "CAPTIONER_MODEL": ""},
        timeout=120,
    )
    assert done.returncode == 4
    assert done.stderr.strip().splitlines() == [
        "captioner: error: model allenai/Molmo2-4B is not on this machine; run 'captioner download "
        "allenai/Molmo2-4B' on a machine with internet access (then copy the cache), or pass --model with a "
        "local folder"
    ]
    assert not (tmp_path / "x.srt").exists()


def test_model_from_environment(
    tiny_model_dir: Path, video_short: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setenv("CAPTIONER_MODEL", str(tiny_model_dir))
    assert main(["caption", str(video_short), "--detail", "low", "-q", "-o", str(tmp_path / "e.json")]) == 0
    assert formats.read(tmp_path / "e.json").track[0].provenance.model == str(tiny_model_dir)


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["caption", "v.mp4", "--window", "0"], "must be a positive number"),
        (["caption", "v.mp4", "--fps", "abc"], "is not a number"),
        (["caption", "a.mp4", "b.mp4", "-o", "x.srt"], "-o/--output takes one input"),
        (["caption", "v.mp4", "--format", "docx"], "invalid choice"),
        (["caption", "v.mp4", "--output-dir", "/no/such/folder"], "no such folder"),
        (["caption", "v.mp4", "--fps", "60"], "--fps must be"),
        (["caption"], "required"),
    ],
)
def test_wrong_options_exit_2(args: list[str], words: str, capsys: pytest.CaptureFixture[str]):
    with pytest.raises(SystemExit) as exit_info:
        code = main(args)
        raise SystemExit(code)
    assert exit_info.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and words in err[0]


def test_entry_points_and_help():
    done = run_cli("--help")
    assert done.returncode == 0 and "caption" in done.stdout and "Exit codes" in done.stdout
    exe = Path(sys.executable).with_name("captioner")
    assert exe.is_file(), "the 'captioner' console script is installed by pip install -e ."
    done = subprocess.run([str(exe), "--version"], capture_output=True, text=True, env=ENV)
    assert done.returncode == 0 and done.stdout.startswith("captioner ")


def test_output_file_with_spaces_and_unicode(tiny_model_dir: Path, tmp_path: Path):
    folder = tmp_path / "Mes vidéos"
    folder.mkdir()
    clip = make_video(folder / "scène 1.mp4", 2.0)
    assert main(["caption", str(clip), "--model", str(tiny_model_dir), "--detail", "low", "-q"]) == 0
    assert (folder / "scène 1.srt").is_file()


def test_download_offline_is_one_line(tmp_path: Path):
    done = run_cli("download", "allenai/Molmo2-4B", "--cache-dir", str(tmp_path))
    assert done.returncode == 4
    assert done.stderr.strip().splitlines() == [
        "captioner: error: model allenai/Molmo2-4B cannot be downloaded (offline mode is on: HF_HUB_OFFLINE is "
        "set); partial files are kept and the next try resumes"
    ]


def test_download_of_a_local_folder_prints_it(tiny_model_dir: Path):
    done = run_cli("download", str(tiny_model_dir))
    assert done.returncode == 0 and done.stdout.strip() == str(tiny_model_dir)


def test_ctrl_c_keeps_the_cues_done_beside_the_output(
    tiny_model_dir: Path,
    video_30s: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
):
    from captioner_app.core.model.molmo import MolmoEngine

    real = MolmoEngine.caption
    calls: list[int] = []

    def interrupted_on_the_second_batch(self, requests, cancel=None):
        calls.append(len(requests))
        if len(calls) == 2:
            raise KeyboardInterrupt
        return real(self, requests, cancel)

    monkeypatch.setattr(MolmoEngine, "caption", interrupted_on_the_second_batch)
    target = tmp_path / "film.srt"
    code = main(
        [
            "caption",
            str(video_30s),
            "--model",
            str(tiny_model_dir),
            "--detail",
            "low",
            "-q",
            "--batch-size",
            "1",
            "-o",
            str(target),
        ]
    )
    assert code == 130
    assert not target.exists()
    kept = formats.read(tmp_path / "film.partial.srt").track
    assert [(c.start_ms, c.end_ms) for c in kept] == [(0, 10_000)]
    assert capsys.readouterr().err.strip().splitlines()[-1] == (
        f"captioner: cancelled; the 1 cue done is in {tmp_path / 'film.partial.srt'}"
    )


def test_output_piped_into_a_reader_that_stops_early_is_quiet(tmp_path: Path):
    track = tmp_path / "long.srt"
    blocks = [
        f"{i}\n00:00:{i % 60:02d},000 --> 00:00:{i % 60:02d},500\nwe see a cue number {i}\n" for i in range(1, 3000)
    ]
    track.write_text("\n".join(blocks), encoding="utf-8")
    cli = subprocess.Popen(
        [sys.executable, "-m", "captioner_app.cli.main", "check", str(track), "--json"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=ENV,
    )
    assert cli.stdout is not None and cli.stderr is not None
    assert cli.stdout.read(200)  # like `| head -c 200`: read a little, then close the pipe
    cli.stdout.close()
    err = cli.stderr.read().decode()
    assert cli.wait(timeout=120) == 141
    assert "Traceback" not in err and "internal error" not in err and "Broken pipe" not in err


def test_main_puts_the_sigterm_handler_back():
    """SIGTERM stops a command like Ctrl-C only while the command runs: main() called in a longer
    process (the tests, an embedding tool) leaves that process's own handler in place afterwards."""
    import signal

    from captioner_app.cli.main import main

    before = signal.getsignal(signal.SIGTERM)
    assert main(["voices"]) == 0
    assert signal.getsignal(signal.SIGTERM) is before
