"""``captioner caption --placement gaps|shots`` with the tiny Molmo2: cues land in gaps, one per shot."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from captioner_app.cli.main import main
from captioner_app.core.analysis.analyze import AnalysisOptions, analyze
from captioner_app.core.errors import UsageError
from captioner_app.core.media.video import probe
from captioner_app.core.pipeline import CaptionOptions, plan
from captioner_app.core.timing.budget import budget_words
from captioner_app.testing.speech import make_speech_video


@pytest.fixture(scope="module")
def speech_video(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_speech_video(tmp_path_factory.mktemp("placement") / "talk.mp4")[0]


def _caption(model: Path, video: Path, out: Path, *extra: str) -> list[dict]:
    assert (
        main(
            [
                "caption",
                str(video),
                "--model",
                str(model),
                "--device",
                "cpu",
                "-q",
                "-o",
                str(out),
                "--fps",
                "1",
                *extra,
            ]
        )
        == 0
    )
    return json.loads(out.read_text(encoding="utf-8"))["cues"]


def test_gaps_placement_keeps_cues_off_speech(
    tiny_model_dir: Path, speech_video: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
):
    cues = _caption(tiny_model_dir, speech_video, tmp_path / "gaps.json", "--placement", "gaps")
    analysis = analyze(probe(speech_video), AnalysisOptions(shots=False))
    assert len(cues) == len(analysis.gaps) == 3  # one description per usable gap
    for cue, gap in zip(cues, analysis.gaps, strict=True):
        assert (cue["start_ms"], cue["end_ms"]) == (gap.start_ms, gap.end_ms)
        assert analysis.speech_overlap_ms(cue["start_ms"], cue["end_ms"]) == 0
        frames = cue["provenance"]["frame_times_ms"]
        assert min(frames) < cue["start_ms"]  # the model also saw what leads into the gap
        assert max(frames) < cue["end_ms"]
        assert cue["provenance"]["placement"] == "gaps"
        # the narration budget is reported, and a cue over it is flagged, never cut
        assert cue["budget_words"] == budget_words(cue["end_ms"] - cue["start_ms"])
        assert cue["fits"] == (len(cue["text"].split()) <= cue["budget_words"])
    # the checker agrees: no cue overlaps speech, and exactly the cues that do not fit are over budget
    assert main(["check", str(tmp_path / "gaps.json"), "--video", str(speech_video), "--json"]) == 0
    findings = json.loads(capsys.readouterr().out)["findings"]
    assert not [f for f in findings if f["rule"] == "overlaps-speech"]
    over = {f["cue"] for f in findings if f["rule"] == "over-budget"}
    assert over == {n for n, c in enumerate(cues, start=1) if not c["fits"]}


def test_shots_placement_and_detail_auto(tiny_model_dir: Path, speech_video: Path, tmp_path: Path):
    cues = _caption(
        tiny_model_dir,
        speech_video,
        tmp_path / "shots.json",
        "--placement",
        "shots",
        "--detail",
        "auto",
        "--window",
        "4",
    )
    spans = [(c["start_ms"], c["end_ms"]) for c in cues]
    # shots: 0-3, 3-9, 9-15.5, 15.5-20 s; the 6.5 s shot is longer than 1.5 windows of 4 s: halved
    assert spans == [(0, 3000), (3000, 9000), (9000, 12_250), (12_250, 15_500), (15_500, 20_000)]
    # auto: every cue allows 9-18 words at 180 wpm, so the low level (about 12 words) is picked
    assert {c["provenance"]["detail"] for c in cues} == {"low"}
    assert all(c["provenance"]["placement"] == "shots" for c in cues)


def test_detail_auto_follows_the_budget(tiny_model_dir: Path, speech_video: Path, tmp_path: Path):
    cues = _caption(tiny_model_dir, speech_video, tmp_path / "auto.json", "--detail", "auto", "--window", "10")
    assert [c["provenance"]["detail"] for c in cues] == ["medium", "medium"]  # 10 s: 30 words
    info = probe(speech_video)
    windows = plan(info, CaptionOptions(detail="auto", window_ms=20_000))
    assert [(w.start_ms, w.end_ms) for w in windows] == [(0, 20_000)]
    with pytest.raises(UsageError, match="no pause"):
        plan(info, CaptionOptions(placement="gaps", min_gap_ms=3500))


def test_gaps_placement_without_usable_gaps_is_a_usage_error(
    tiny_model_dir: Path, speech_video: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
):
    out = tmp_path / "none.srt"
    code = main(
        [
            "caption",
            str(speech_video),
            "--model",
            str(tiny_model_dir),
            "--device",
            "cpu",
            "-q",
            "-o",
            str(out),
            "--placement",
            "gaps",
            "--min-gap",
            "3.5",
        ]
    )
    err = capsys.readouterr().err
    assert code == 2 and "no pause of at least 3.5 s" in err and err.count("\n") == 1
    assert not out.exists()


def test_auto_placement_uses_the_pauses_when_there_is_speech_else_windows(
    tiny_model_dir: Path, speech_video: Path, video_short: Path, tmp_path: Path
):
    talking = _caption(tiny_model_dir, speech_video, tmp_path / "talk.json", "--placement", "auto")
    analysis = analyze(probe(speech_video), AnalysisOptions(shots=False))
    assert analysis.automatic_placement()[0].value == "gaps"
    assert [(c["start_ms"], c["end_ms"]) for c in talking] == [(g.start_ms, g.end_ms) for g in analysis.gaps]
    assert all(analysis.speech_overlap_ms(c["start_ms"], c["end_ms"]) == 0 for c in talking)
    assert {c["provenance"]["placement"] for c in talking} == {"gaps"}  # what auto chose is recorded

    silent = _caption(tiny_model_dir, video_short, tmp_path / "silent.json", "--placement", "auto")
    windows = plan(probe(video_short), CaptionOptions())
    assert [(c["start_ms"], c["end_ms"]) for c in silent] == [(w.start_ms, w.end_ms) for w in windows]
    assert {c["provenance"]["placement"] for c in silent} == {"windows"}
