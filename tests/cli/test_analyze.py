"""``captioner analyze``: speech, gaps and shots where they were put."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from captioner_app.cli.main import main
from captioner_app.testing.speech import SCENE_CUTS_S, first_frame_at_or_after, make_speech_video


@pytest.fixture(scope="module")
def speech_video(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[tuple[int, int]]]:
    return make_speech_video(tmp_path_factory.mktemp("cli-speech") / "talk.mp4")


def test_analyze_json(speech_video, video_short: Path, capsys: pytest.CaptureFixture[str]):
    path, truth = speech_video
    assert main(["analyze", str(path), str(video_short), "--json"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 2
    talk, silent = (json.loads(line) for line in lines)
    assert {"duration", "shots", "speech", "gaps"} <= talk.keys()
    assert talk["duration"] == pytest.approx(20.0, abs=0.05)
    assert all(
        isinstance(x, float) for s in talk["shots"] + talk["speech"] + talk["gaps"] for x in (s["start"], s["end"])
    )
    cuts = [s["start"] for s in talk["shots"][1:]]
    assert cuts == pytest.approx([first_frame_at_or_after(c, 30) / 1000 for c in SCENE_CUTS_S], abs=1 / 30)
    assert len(talk["speech"]) == len(truth)
    for found, (a, b) in zip(talk["speech"], truth, strict=True):
        assert found["start"] == pytest.approx(a / 1000, abs=0.3)
        assert found["end"] == pytest.approx(b / 1000, abs=0.3)
    for gap in talk["gaps"]:
        assert gap["end"] - gap["start"] >= 1.2
        assert all(gap["end"] <= s["start"] or gap["start"] >= s["end"] for s in talk["speech"])
    # no audio: all gap, one shot
    assert silent["speech"] == []
    assert silent["gaps"] == [{"start": 0.0, "end": silent["duration"]}]
    assert silent["shots"] == [{"start": 0.0, "end": silent["duration"]}]


def test_analyze_settings_and_summary(speech_video, capsys: pytest.CaptureFixture[str]):
    path, _ = speech_video
    assert main(["analyze", str(path), "--json", "--min-gap", "2.0", "--pad", "0.4"]) == 0
    result = json.loads(capsys.readouterr().out)
    gaps = result["gaps"]
    assert gaps and all(g["end"] - g["start"] >= 2.0 for g in gaps)
    for s in result["speech"]:
        assert all(g["end"] <= s["start"] - 0.4 + 1e-6 or g["start"] >= s["end"] + 0.4 - 1e-6 for g in gaps)
    assert main(["analyze", str(path), "--json", "--min-gap", "3.5"]) == 0
    assert json.loads(capsys.readouterr().out)["gaps"] == []  # no pause is that long
    assert main(["analyze", str(path)]) == 0
    out = capsys.readouterr().out
    assert "shots    4" in out and "speech   3" in out and "gaps" in out and "cuts at: 3.00, 9.00, 15.50" in out


def test_analyze_bad_inputs(tmp_path: Path, speech_video, capsys: pytest.CaptureFixture[str]):
    junk = tmp_path / "junk.mp4"
    junk.write_bytes(b"not a video at all" * 100)
    assert main(["analyze", str(junk), str(speech_video[0]), "--json"]) == 3
    captured = capsys.readouterr()
    assert captured.err.count("\n") == 1 and "junk.mp4" in captured.err and "Traceback" not in captured.err
    assert len(captured.out.strip().splitlines()) == 1  # the good video is still analysed
    with pytest.raises(SystemExit) as exit_info:
        main(["analyze", str(speech_video[0]), "--min-gap", "-1"])
    assert exit_info.value.code == 2


def test_analyze_uses_the_same_cache_as_the_app(
    video_short: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
):
    from captioner_app.core.analysis import analyze as analysis_module
    from captioner_app.core.analysis import cache
    from captioner_app.core.analysis.analyze import AnalysisOptions

    assert main(["analyze", str(video_short), "--json"]) == 0
    first = json.loads(capsys.readouterr().out)
    assert cache.load(str(video_short.resolve()), AnalysisOptions()) is not None  # what the app reads on open

    def must_not_run(*args, **kwargs):
        raise AssertionError("analysed again although the analysis was cached")

    monkeypatch.setattr(analysis_module, "analyze", must_not_run)
    import captioner_app.cli.analyze as cli_analyze

    monkeypatch.setattr(cli_analyze, "analyze", must_not_run)
    assert main(["analyze", str(video_short), "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == first
    assert main(["analyze", str(video_short), "--json", "--no-cache"]) == 1  # --no-cache really analyses
    assert "analysed again" in capsys.readouterr().err
