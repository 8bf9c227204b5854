"""Every check fires on a track built to break it and stays quiet on a clean one."""

from __future__ import annotations

import pytest

from captioner_app.core.analysis.analyze import Analysis
from captioner_app.core.errors import UsageError
from captioner_app.core.speech import VoiceOptions, spoken_ms
from captioner_app.core.timing.budget import budget_words, detail_for_budget, fits
from captioner_app.core.timing.spans import Span
from captioner_app.core.tracks.checks import RULES, CheckOptions, check_track
from captioner_app.core.tracks.track import Cue, Track
from captioner_app.core.vocab import Detail

# speech at 0-2 s, 5-6 s, 6.8-9 s, 14-20 s; pauses 2-5 s, 6-6.8 s (short), 9-14 s
ANALYSIS = Analysis(
    duration_ms=20_000,
    speech=(Span(0, 2000), Span(5000, 6000), Span(6800, 9000), Span(14_000, 20_000)),
    gaps=(Span(2150, 4850), Span(9150, 13_850)),
)

CLEAN = Track(
    [
        Cue(2200, 4800, "A woman opens the red door."),  # 6 words, 7 fit in 2.6 s
        Cue(9200, 13_800, "She crosses the hall and picks up a letter from the table."),  # 12 words, 13 fit
    ]
)


def rules(track: Track, analysis: Analysis | None = ANALYSIS, **options) -> list[tuple[int, str]]:
    return [(f.cue_index, f.rule) for f in check_track(track, analysis, CheckOptions(**options))]


def test_clean_track_has_no_findings():
    assert rules(CLEAN) == []
    assert rules(CLEAN, analysis=None) == []
    assert rules(CLEAN, kind="caption", max_cps=25) == []


@pytest.mark.parametrize(
    ("cue", "rule"),
    [
        (
            Cue(2200, 4800, "A woman opens the red door, looks back at the hall and smiles at her brother."),
            "over-budget",
        ),
        (Cue(9200, 13_800, "She crosses the hall and then we see a letter."), "we-see"),
        (Cue(9200, 13_800, "We hear the clock; she looks at it."), "we-see"),
        (Cue(9200, 13_800, "The camera pans across the empty hall."), "we-see"),
        (Cue(9200, 13_800, "She was standing by the window."), "not-present-tense"),
        (Cue(9200, 13_800, "He walked to the window and looks out."), "not-present-tense"),
        (Cue(9200, 13_800, "She will open the letter."), "not-present-tense"),
        (Cue(9200, 13_800, ""), "empty-text"),
        (Cue(1500, 4000, "A woman opens the door."), "overlaps-speech"),
        (Cue(6050, 6750, "A cat."), "short-gap"),
    ],
)
def test_each_rule_fires_on_the_cue_built_to_break_it(cue: Cue, rule: str):
    found = check_track(Track([cue]), ANALYSIS)
    assert rule in {f.rule for f in found}
    finding = next(f for f in found if f.rule == rule)
    assert finding.cue_index == 0
    assert finding.message and finding.advice
    assert (finding.start_ms, finding.end_ms) == (cue.start_ms, cue.end_ms)
    assert rule in finding.line() and "\n" not in finding.line()


def test_cues_overlapping_each_other():
    track = Track([Cue(9200, 12_000, "A man sits."), Cue(11_000, 13_800, "He reads a letter.")])
    assert rules(track) == [(1, "cue-overlap")]


def test_short_cue_without_a_video():
    assert rules(Track([Cue(9200, 10_000, "A cat.")]), analysis=None) == [(0, "short-gap")]


def test_chars_per_second_only_for_caption_tracks():
    track = Track([Cue(9200, 10_600, "Refrigerator.")])  # 13 chars in 1.4 s = 9.3 cps
    dense = Track([Cue(9200, 12_500, "She crosses the hall and picks up a long letter from the table.")])
    assert rules(dense, kind="caption") == [(0, "chars-per-second")]  # 63 chars in 3.3 s: 19 cps
    assert rules(dense) == [(0, "over-budget")]  # a description track is held to words, not characters
    assert rules(track, kind="caption") == []


def test_over_budget_severity_and_extended_cues():
    over = Cue(9200, 13_800, " ".join(["word"] * 14))  # 13 fit at 180 wpm; 14 is 183 wpm
    far_over = Cue(9200, 13_800, " ".join(["word"] * 30))
    (warning,) = check_track(Track([over]), ANALYSIS)
    (error,) = check_track(Track([far_over]), ANALYSIS)
    assert (warning.rule, warning.severity) == ("over-budget", "warning")
    assert (error.rule, error.severity) == ("over-budget", "error")
    assert "13" in warning.message and "extended" in warning.advice
    # an extended cue may run long: the player pauses for it
    assert rules(Track([far_over.with_(extended=True)])) == []
    # ... but it must start in a pause, not mid-sentence
    assert rules(Track([far_over.with_(start_ms=8500, extended=True)]))[0] == (0, "overlaps-speech")


def test_every_rule_is_exercised_by_one_broken_track():
    broken = Track(
        [
            Cue(1500, 4000, "We see a woman who was opening the door and smiling at everyone in the room."),
            Cue(3000, 4500, ""),
            Cue(6050, 6750, "The camera shows a cat."),
        ]
    )
    found = {
        f.rule
        for kind in ("description", "caption")
        for f in check_track(broken, ANALYSIS, CheckOptions(kind=kind), narration_ms=spoken_ms())
    }
    assert found == set(RULES)


def test_narration_too_long_uses_the_voice():
    text = "A white block slides across a green wall and stops at the edge."  # 13 words, about 3.6 s
    measure = spoken_ms(VoiceOptions("en", 180))
    fits_by_words = Cue(0, 4400, text)  # 13 words fit 4.4 s at 180 wpm by the word budget
    tight = Cue(0, 3000, text)
    assert [f.rule for f in check_track(Track([fits_by_words]), narration_ms=measure)] == []
    findings = check_track(Track([tight]), narration_ms=measure)
    too_long = [f for f in findings if f.rule == "narration-too-long"]
    assert len(too_long) == 1 and too_long[0].severity == "error"
    assert too_long[0].message.startswith("takes 3.") and "the cue lasts 3.0 s" in too_long[0].message
    slow = spoken_ms(VoiceOptions("en", 120))  # slower voice: the roomy cue no longer fits
    assert "narration-too-long" in {f.rule for f in check_track(Track([fits_by_words]), narration_ms=slow)}
    assert check_track(Track([tight.with_(extended=True)]), narration_ms=measure) == []  # the player pauses
    assert "narration-too-long" not in {f.rule for f in check_track(Track([tight]))}  # no voice: not checked


def test_budget():
    assert budget_words(10_000) == 30
    assert budget_words(1_200) == 3
    assert budget_words(10_000, wpm=120) == 20
    assert fits("one two three", 1_000) and not fits("one two three four", 1_000)
    assert detail_for_budget(5) is Detail.LOW
    assert detail_for_budget(30) is Detail.MEDIUM
    assert detail_for_budget(90) is Detail.HIGH


def test_bad_check_options():
    with pytest.raises(UsageError):
        check_track(CLEAN, options=CheckOptions(kind="subtitles"))
    with pytest.raises(UsageError):
        check_track(CLEAN, options=CheckOptions(wpm=0))


def test_json_export_flags_cues_over_budget():
    from captioner_app.core.tracks import formats
    from captioner_app.core.tracks.formats import json_format

    short = Cue(0, 2000, "A man in a long grey coat crosses the busy street.")  # 11 words, 6 fit
    ok = Cue(3000, 5000, "He waves.", extended=True)
    data = json_format.track_to_dict(Track([short, ok]))
    assert [(c["budget_words"], c["fits"], c["extended"]) for c in data["cues"]] == [(6, False, False), (6, True, True)]
    back = formats.parse(json_format.render(Track([short, ok])).encode(), "json", "t.json").track
    assert [c.text for c in back] == [short.text, ok.text]  # flagged, never cut
    assert [c.extended for c in back] == [False, True]
