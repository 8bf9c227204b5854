"""``captioner check``: findings against a real video's speech, and on the track alone."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from captioner_app.cli.main import main
from captioner_app.core.tracks import formats
from captioner_app.core.tracks.checks import RULES
from captioner_app.core.tracks.track import Cue, Track
from captioner_app.testing.speech import make_speech_video

# espeak-ng speaks at about 1.0-4.6 s, 7.5-10.9 s and 14.0-17.5 s


@pytest.fixture(scope="module")
def speech_video(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_speech_video(tmp_path_factory.mktemp("check-speech") / "talk.mp4")[0]


CLEAN = Track(
    [
        Cue(5000, 7200, "A woman opens the red door."),
        Cue(11_400, 13_600, "She picks up a letter."),
    ]
)
BROKEN = Track(
    [
        Cue(2000, 4000, "We see a woman who was opening the door and smiling at everyone in the room."),
        Cue(3000, 4500, ""),
        Cue(11_400, 13_600, "The camera shows a long hallway with paintings on both walls and a cat."),
        Cue(14_500, 16_000, "A cat jumps onto the table, knocks over a glass and runs out of the door.", extended=True),
    ]
)


def test_clean_track_is_quiet(speech_video: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    track = formats.write(CLEAN, tmp_path / "clean.srt")
    assert main(["check", str(track), "--video", str(speech_video), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["findings"] == [] and report["errors"] == 0 and report["cues"] == 2


@pytest.mark.parametrize("ext", ["vtt", "json"])
def test_broken_track_fires_every_rule(
    speech_video: Path, tmp_path: Path, ext: str, capsys: pytest.CaptureFixture[str]
):
    track = formats.write(BROKEN, tmp_path / f"broken.{ext}")
    fired: dict[str, set[int]] = {}
    for kind in ("description", "caption"):
        # every pause in the video is 2.5-3.1 s: with a 3.2 s minimum, a cue in one is in too short a gap
        assert (
            main(["check", str(track), "--video", str(speech_video), "--json", "--kind", kind, "--min-gap", "3.2"]) == 0
        )
        for f in json.loads(capsys.readouterr().out)["findings"]:
            fired.setdefault(f["rule"], set()).add(f["cue"])
            assert f["message"] and f["advice"] and f["severity"] in ("error", "warning")
    assert set(fired) == set(RULES)
    assert fired["overlaps-speech"] == {1, 2, 4}  # the extended cue starts mid-sentence
    assert fired["empty-text"] == {2}
    assert fired["cue-overlap"] == {2}
    assert fired["we-see"] == {1, 3}
    assert 3 in fired["short-gap"]
    assert 4 not in fired["over-budget"]  # 16 words in 1.5 s, but extended: allowed to run long
    assert 3 in fired["over-budget"]


def test_readable_output_and_no_video(tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    track = formats.write(BROKEN, tmp_path / "broken.srt")
    assert main(["check", str(track)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert any(line.startswith("cue 1 (00:02.0-00:04.0) error over-budget:") for line in out)
    assert "overlaps-speech" not in "\n".join(out)  # needs the video
    assert out[-1].endswith("(no --video: speech not checked)")


def test_bad_inputs(tmp_path: Path, speech_video: Path, capsys: pytest.CaptureFixture[str]):
    assert main(["check", str(tmp_path / "missing.srt")]) == 5
    assert "missing.srt: no such file" in capsys.readouterr().err
    track = formats.write(CLEAN, tmp_path / "t.srt")
    assert main(["check", str(track), "--video", str(tmp_path / "nope.mp4")]) == 3
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "nope.mp4" in err


def test_a_long_report_is_written_whole_in_parts(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """More findings than one written part holds: the text and JSON reports hold every finding, in order."""
    from captioner_app.core.tracks.checks import ERROR, check_track

    track = Track([Cue(i * 1000, i * 1000 + 700, "We see a man who was running." * (i % 2)) for i in range(2500)])
    path = formats.write(track, tmp_path / "long.srt")
    found = check_track(formats.read(path).track)
    assert len(found) > 4096 + 100
    errors = sum(f.severity == ERROR for f in found)
    assert main(["check", "--no-narration", str(path)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[:-1] == [f.line() for f in found]
    assert lines[-1].endswith(
        f"2500 cues, {errors} errors, {len(found) - errors} warnings (no --video: speech not checked)"
    )
    assert main(["check", "--json", "--no-narration", str(path)]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["findings"] == [f.to_dict() for f in found]
    assert (report["errors"], report["warnings"]) == (errors, len(found) - errors)
