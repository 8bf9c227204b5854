"""Issue 14, item 11: the checks' one loop over a track (chunks, hints looked for in the joined texts,
wording kept per cue length, no collector passes) finds exactly what the previous cue-by-cue checks
found; the previous version is kept here as the reference."""

from __future__ import annotations

import gc
import random
from collections.abc import Callable

from hypothesis import given, settings
from hypothesis import strategies as st

from captioner_app.core.analysis.analyze import Analysis
from captioner_app.core.timing.spans import Span
from captioner_app.core.tracks import checks
from captioner_app.core.tracks.checks import (
    ERROR,
    WARNING,
    CheckOptions,
    Finding,
    _hinted,
    _tense_problem,
    _we_see,
    check_cue,
    check_track,
    iter_findings,
)
from captioner_app.core.tracks.track import Cue, Track, many_objects


def reference(track: list[Cue], analysis: Analysis | None, options: CheckOptions, narration_ms=None) -> list[Finding]:  # type: ignore[no-untyped-def]
    check = reference_checker(analysis, options, narration_ms)
    found: list[Finding] = []
    previous_end = None
    for index, cue in enumerate(track):
        found.extend(check(cue, index, previous_end))
        previous_end = cue.end_ms
    return found


def reference_checker(
    analysis: Analysis | None, options: CheckOptions, narration_ms: Callable[[str], int] | None
) -> Callable[[Cue, int, int | None], list[Finding]]:
    """The checks as they were before the one-loop version (checks.py at 70309ef), cue by cue."""
    description = options.kind == "description"
    caption = options.kind == "caption"
    wpm, max_wpm, min_gap_ms, max_cps = options.wpm, options.max_wpm, options.min_gap_ms, options.max_cps
    min_speech_overlap_ms = options.min_speech_overlap_ms
    wpm_text, gap_text, cps_text = f"{wpm:g}", f"{min_gap_ms / 1000:g}", f"{max_cps:g}"
    budget_advice = "lengthen the cue, or mark it extended"

    def check(cue: Cue, index: int, previous_end: int | None) -> list[Finding]:
        out: list[Finding] = []
        start, end, text, extended = cue.start_ms, cue.end_ms, cue.text, cue.extended
        duration = end - start
        seconds = duration / 1000.0
        if description and not extended and text:
            words = len(text.split())
            budget = int(duration / 60_000.0 * wpm + 1e-9)  # budget_words(duration, wpm), inlined
            if words > budget:
                rate = words / seconds * 60 if seconds > 0 else float("inf")
                out.append(
                    Finding(
                        index,
                        "over-budget",
                        ERROR if rate > max_wpm else WARNING,
                        f"{words} words in {seconds:.1f} s, {budget} fit at {wpm_text} wpm",
                        f"cut it to {budget} words, {budget_advice}",
                        start,
                        end,
                    )
                )

        if analysis is not None:
            if extended:
                if analysis.speech_overlap_ms(start, start + 1):
                    out.append(
                        Finding(
                            index,
                            "overlaps-speech",
                            ERROR,
                            f"extended cue starts during speech at {start / 1000:.1f} s",
                            "move its start into a pause so the player does not pause mid-sentence",
                            start,
                            end,
                        )
                    )
            else:
                overlap = analysis.speech_overlap_ms(start, end)
                if overlap >= min_speech_overlap_ms:
                    out.append(
                        Finding(
                            index,
                            "overlaps-speech",
                            ERROR,
                            f"plays over {overlap / 1000:.1f} s of speech",
                            "move or shorten it into a gap, or mark it extended",
                            start,
                            end,
                        )
                    )
            pause = analysis.pause_around((start + end) // 2)
            if pause is not None and pause.duration_ms < min_gap_ms:
                out.append(
                    Finding(
                        index,
                        "short-gap",
                        WARNING,
                        f"sits in a {pause.duration_ms / 1000:.1f} s pause, shorter than {gap_text} s",
                        "move it to a longer pause, or mark it extended",
                        start,
                        end,
                    )
                )
        elif duration < min_gap_ms:
            out.append(
                Finding(
                    index,
                    "short-gap",
                    WARNING,
                    f"lasts {seconds:.1f} s, shorter than the {gap_text} s minimum gap",
                    "lengthen it, merge it with a neighbour, or mark it extended",
                    start,
                    end,
                )
            )

        if previous_end is not None and start < previous_end:
            out.append(
                Finding(
                    index,
                    "cue-overlap",
                    ERROR,
                    f"starts {(previous_end - start) / 1000:.1f} s before cue {index} ends",
                    f"move its start to {previous_end / 1000:.1f} s or shorten cue {index}",
                    start,
                    end,
                )
            )

        has_text = bool(text.strip())
        if not has_text:
            out.append(
                Finding(
                    index, "empty-text", ERROR, "has no text", "write the description or delete the cue", start, end
                )
            )
        else:
            low = text.lower()
            match = _we_see(text, low)
            if match:
                out.append(
                    Finding(
                        index,
                        "we-see",
                        WARNING,
                        f"says '{match.group(0)}'",
                        'describe what is there directly ("A man runs", not "we see a man running")',
                        start,
                        end,
                    )
                )
            tense = _tense_problem(text, low)
            if tense:
                out.append(
                    Finding(
                        index,
                        "not-present-tense",
                        WARNING,
                        f"{tense} is not present tense",
                        'rewrite in the present tense ("she opens the door")',
                        start,
                        end,
                    )
                )

        if narration_ms is not None and description and not extended and has_text:
            spoken = narration_ms(text)
            if spoken > duration:
                out.append(
                    Finding(
                        index,
                        "narration-too-long",
                        ERROR,
                        f"takes {spoken / 1000:.1f} s to speak, the cue lasts {seconds:.1f} s",
                        "shorten it, lengthen the cue, or mark it extended",
                        start,
                        end,
                    )
                )

        if caption and has_text:
            cps = cue.chars_per_second
            if cps > max_cps:
                out.append(
                    Finding(
                        index,
                        "chars-per-second",
                        WARNING,
                        f"{cps:.1f} characters per second, above {cps_text}",
                        "shorten the text or lengthen the cue",
                        start,
                        end,
                    )
                )
        return out

    return check


WORDS = [
    "we", "see", "We see", "you", "notice", "the camera pans", "The Camera slowly zooms", "camera",
    "was", "WERE", "had", "will", "took", "walked", "he walked", "she quickly opened", "red", "he red",
    "the man led", "opens", "door", "ed", "seed", "İ", "dİd", "ſee", "we ſee", "ΑΣ", "café", "wed",
    "observes", "hear", "watch", "x", "a", "garden", "came", "got", "saw", "Kelvin",
]  # fmt: skip
texts = st.lists(st.sampled_from(WORDS), max_size=9).map(" ".join)
cue_items = st.builds(
    lambda start, length, text, extended: Cue(start, start + length, text, extended=extended),
    st.integers(0, 60_000),
    st.sampled_from([0, 1, 100, 900, 1199, 1200, 2400, 3000, 7000]) | st.integers(0, 20_000),
    texts,
    st.booleans(),
)
analyses = st.none() | st.builds(
    lambda spans, duration: Analysis(duration_ms=duration, speech=tuple(sorted(spans, key=lambda s: s.start_ms))),
    st.lists(st.builds(lambda s, d: Span(s, s + d), st.integers(0, 60_000), st.integers(1, 5000)), max_size=5),
    st.integers(60_000, 90_000),
)
option_sets = st.builds(
    CheckOptions,
    wpm=st.sampled_from([60.0, 150.0, 180.0, 200.0]),
    max_wpm=st.sampled_from([180.0, 200.0, 400.0]),
    min_gap_ms=st.sampled_from([0, 1200, 3000]),
    max_cps=st.sampled_from([5.0, 17.0]),
    kind=st.sampled_from(["description", "caption"]),
)


def spoken(text: str) -> int:
    return len(text) * 55


@settings(max_examples=300, deadline=None)
@given(st.lists(cue_items, max_size=12), analyses, option_sets, st.booleans())
def test_the_one_loop_finds_what_the_cue_by_cue_checks_found(
    items: list[Cue], analysis: Analysis | None, options: CheckOptions, narrate: bool
) -> None:
    track = Track(items)
    narration: Callable[[str], int] | None = spoken if narrate else None
    expected = reference(track.cues, analysis, options, narration)
    assert check_track(track, analysis, options, narration) == expected
    assert list(iter_findings(track.cues, analysis, options, narration)) == expected
    for index, cue in enumerate(track):  # one cue at a time, as the editor checks one
        previous = track[index - 1] if index else None
        assert check_cue(cue, index, analysis, options, previous, narration) == [
            f for f in expected if f.cue_index == index
        ]


def test_a_long_track_is_checked_in_chunks_with_the_same_findings() -> None:
    rng = random.Random(11)
    items, t = [], 0
    for _ in range(3 * checks._CHUNK + 17):  # several chunks, and more lengths than the wording kept
        length = rng.choice([900, 2400, rng.randint(0, 9000)])
        items.append(Cue(t, t + length, " ".join(rng.choice(WORDS) for _ in range(rng.randint(0, 14)))))
        t += length + rng.randint(-500, 900) if t > 500 else length
    track = Track(items)
    for options, rule in ((CheckOptions(), "over-budget"), (CheckOptions(kind="caption"), "chars-per-second")):
        found = check_track(track, None, options)
        assert found == reference(track.cues, None, options)
        assert {rule, "short-gap", "cue-overlap", "we-see", "not-present-tense"} <= {f.rule for f in found}


@given(st.lists(texts | st.text(max_size=12), max_size=20))
def test_the_hints_are_found_in_every_text_that_holds_one(items: list[str]) -> None:
    hinted = _hinted(items)
    for i, text in enumerate(items):
        low = text.lower()
        if _we_see(text, low) or _tense_problem(text, low):
            assert i in hinted
        assert (i in hinted) == any(hint in low for hint in checks._WORDING_HINTS)


def test_the_collector_is_left_as_it_was() -> None:
    assert gc.isenabled()
    track = Track([Cue(0, 1500, "we see it")] * 3)
    assert [f.rule for f in check_track(track)][:2] == ["we-see", "cue-overlap"]
    assert gc.isenabled()
    gc.disable()
    try:
        with many_objects():
            assert not gc.isenabled()
        assert not gc.isenabled()  # off before: still off
    finally:
        gc.enable()


def test_the_collector_stays_on_while_the_voice_times_each_cue() -> None:
    seen: list[bool] = []

    def measure(text: str) -> int:  # stands in for the voice, whose objects are not the checks' to judge
        seen.append(gc.isenabled())
        return 10_000

    found = check_track(Track([Cue(0, 3000, "A door opens."), Cue(4000, 7000, "Rain falls.")]), narration_ms=measure)
    assert seen == [True, True]
    assert [f.rule for f in found] == ["narration-too-long", "narration-too-long"]
