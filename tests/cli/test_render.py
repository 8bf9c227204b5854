"""``captioner render`` and ``captioner voices``: options, exit codes, one-line errors, nothing written
on failure; ``captioner check`` times narration with the voice."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from captioner_app.cli.main import main
from captioner_app.core.tracks import formats
from captioner_app.core.tracks.track import Cue, Track
from captioner_app.testing.speech import make_speech_video

FITS = Track([Cue(4800, 7300, "A red room with a white block."), Cue(11_100, 13_800, "The room turns green.")])
LONG = "A white block slides across a green wall and stops at the edge."  # about 3.6 s at 180 wpm


@pytest.fixture(scope="module")
def talk(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_speech_video(tmp_path_factory.mktemp("cli-render") / "talk.mp4")[0]


def test_render_mkv_with_options_and_json_report(talk: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    track = formats.write(Track(FITS.cues + [Cue(17_700, 18_000, LONG, extended=True)]), tmp_path / "t.json")
    out = tmp_path / "described.mkv"
    assert (
        main(
            [
                "render",
                str(talk),
                str(track),
                "-o",
                str(out),
                "--voice",
                "en-us",
                "--wpm",
                "200",
                "--duck",
                "15",
                "--json",
                "-q",
            ]
        )
        == 0
    )
    report = json.loads(capsys.readouterr().out)
    assert report["voice"] == "en-us" and report["wpm"] == 200 and report["duck_db"] == -15
    assert report["output_ms"] == report["programme_ms"] + report["pauses"][0]["length_ms"]
    assert report["cues"][2]["freeze"]["output_start_ms"] == 17_700
    assert shutil.which("ffprobe")
    tags = subprocess.run(
        [
            "ffprobe",
            "-v",
            "error",
            "-select_streams",
            "a:1",
            "-show_entries",
            "stream_tags=title",
            "-of",
            "csv=p=0",
            str(out),
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert tags == "Audio description"


def test_overrun_exits_5_listing_the_cue_and_writes_nothing(
    talk: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
):
    track = formats.write(Track(FITS.cues + [Cue(17_700, 19_000, LONG)]), tmp_path / "t.srt")
    out = tmp_path / "mix.flac"
    assert main(["render", str(talk), str(track), "-o", str(out), "-q"]) == 5
    err = capsys.readouterr().err
    assert "cue 3 (00:17.7-00:19.0): narration needs 3." in err and "the cue has 1.3 s" in err
    assert err.strip().splitlines()[-1].startswith(f"captioner: error: {track}: 1 cue takes longer to speak")
    assert sorted(os.listdir(tmp_path)) == ["t.srt"]
    assert main(["render", str(talk), str(track), "-o", str(out), "-q", "--allow-overrun"]) == 0
    captured = capsys.readouterr()
    assert "warning: cue 3" in captured.err and out.is_file()
    assert captured.out.startswith(f"{out}: 3 cues spoken by en-gb at 180 wpm")


@pytest.mark.parametrize(
    ("args", "code", "words"),
    [
        (["-o", "OUT/x.avi"], 2, "cannot render to .avi"),
        (["-o", "OUT/x.wav", "--voice", "elvish"], 2, "no narration voice 'elvish'"),
        (["-o", "OUT/x.wav", "--wpm", "20"], 2, "outside 80-450"),
        (["-o", "OUT/x.wav", "--duck", "loud"], 2, "not a number of decibels"),
        (["-o", "OUT/x.mp4", "--stem"], 2, "--stem writes audio only"),
        (["-o", "OUT/none/x.wav"], 5, "does not exist"),
    ],
)
def test_bad_options_are_one_line(
    talk: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], args: list[str], code: int, words: str
):
    track = formats.write(FITS, tmp_path / "t.srt")
    args = [a.replace("OUT", str(tmp_path)) for a in args]
    try:
        result = main(["render", str(talk), str(track), "-q", *args])
    except SystemExit as exit_:  # argparse's own errors
        result = int(exit_.code or 0)
    assert result == code
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and words in err[0], err
    assert sorted(os.listdir(tmp_path)) == ["t.srt"]


def test_bad_inputs(talk: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    track = formats.write(FITS, tmp_path / "t.srt")
    assert main(["render", str(tmp_path / "nope.mp4"), str(track), "-o", str(tmp_path / "x.wav"), "-q"]) == 3
    assert "no such file" in capsys.readouterr().err
    late = formats.write(Track([Cue(30_000, 31_000, "After the end.")]), tmp_path / "late.srt")
    assert main(["render", str(talk), str(late), "-o", str(tmp_path / "x.wav"), "-q"]) == 5
    assert "start after the video ends" in capsys.readouterr().err
    assert sorted(os.listdir(tmp_path)) == ["late.srt", "t.srt"]


def test_voices_are_listed(capsys: pytest.CaptureFixture[str]):
    assert main(["voices"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert any(line.split()[0] == "en-us" and "English (America)" in line for line in lines)
    assert main(["voices", "--json"]) == 0
    voices = json.loads(capsys.readouterr().out)
    assert {
        "id": "fr-fr",
        "name": "French (France)",
        "language": "fr-fr",
        "gender": "male",
        "aliases": ["fr"],
    } in voices


def test_check_times_narration_with_the_voice(tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    track = formats.write(Track([Cue(0, 4400, LONG)]), tmp_path / "t.srt")
    assert main(["check", str(track)]) == 0
    assert "narration-too-long" not in capsys.readouterr().out  # 3.6 s of speech in 4.4 s
    assert main(["check", str(track), "--wpm", "120"]) == 0
    out = capsys.readouterr().out
    assert "cue 1 (00:00.0-00:04.4) error narration-too-long: takes 5." in out
    assert main(["check", str(track), "--wpm", "120", "--no-narration"]) == 0
    assert "narration-too-long" not in capsys.readouterr().out
