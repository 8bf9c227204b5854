"""Checks on a description (or caption) track: each finding names the cue, the rule and what to do.

=====================  ==========================================================================
rule                   fires when
=====================  ==========================================================================
``over-budget``        more words than the cue's length allows at the narration rate (180 wpm);
                       an error above 200 wpm, a warning between; extended cues are exempt
``overlaps-speech``    the cue plays over detected speech (needs the video); an extended cue is
                       checked at its start only, since the player pauses there
``short-gap``          the pause the cue sits in is shorter than the minimum gap (1.2 s); without
                       the video, the cue itself is shorter than that
``cue-overlap``        the cue starts before the previous cue ends
``empty-text``         the cue has no text
``we-see``             "we see", "we hear", "the camera shows" and the like
``not-present-tense``  past- or future-tense wording (a heuristic: was/were/had/will, "he walked")
``chars-per-second``   caption tracks only: more than 17 characters per second
``narration-too-long`` the narration voice takes longer to speak the cue than the cue lasts (when
                       a ``narration_ms`` measure is given; extended cues are exempt)
=====================  ==========================================================================
"""

from __future__ import annotations

import bisect
import contextlib
import itertools
import json
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass

from captioner_app.core.analysis.analyze import Analysis
from captioner_app.core.analysis.speech import DEFAULT_MIN_GAP_MS
from captioner_app.core.errors import UsageError
from captioner_app.core.timecode import format_ms, two_digits
from captioner_app.core.timing.budget import DEFAULT_WPM, MAX_WPM
from captioner_app.core.tracks.track import Cue, Track, many_objects

RULES = (
    "over-budget",
    "overlaps-speech",
    "short-gap",
    "cue-overlap",
    "empty-text",
    "we-see",
    "not-present-tense",
    "chars-per-second",
    "narration-too-long",
)
KINDS = ("description", "caption")
DEFAULT_MAX_CPS = 17.0  # Netflix English adult template

ERROR = "error"
WARNING = "warning"


@dataclass(frozen=True)
class CheckOptions:
    wpm: float = DEFAULT_WPM
    max_wpm: float = MAX_WPM
    min_gap_ms: int = DEFAULT_MIN_GAP_MS
    max_cps: float = DEFAULT_MAX_CPS
    kind: str = "description"  # "caption": also check characters per second
    min_speech_overlap_ms: int = 50  # shorter overlaps are detection jitter, not a finding

    def validate(self) -> None:
        if self.wpm <= 0 or self.max_wpm <= 0:
            raise UsageError(f"--wpm must be positive, got {self.wpm:g}")
        if self.min_gap_ms < 0:
            raise UsageError(f"--min-gap must not be negative, got {self.min_gap_ms / 1000:g} s")
        if self.max_cps <= 0:
            raise UsageError(f"--max-cps must be positive, got {self.max_cps:g}")
        if self.kind not in KINDS:
            raise UsageError(f"unknown track kind {self.kind!r}: choose {' or '.join(KINDS)}")


@dataclass(frozen=True, slots=True)
class Finding:
    """One problem with one cue. ``cue_index`` is the cue's position in the (sorted) track."""

    cue_index: int
    rule: str
    severity: str  # "error" or "warning"
    message: str  # what is wrong
    advice: str  # what to do
    start_ms: int
    end_ms: int

    def to_dict(self) -> dict[str, object]:
        return {
            "cue": self.cue_index + 1,
            "cue_index": self.cue_index,
            "start": self.start_ms / 1000.0,
            "end": self.end_ms / 1000.0,
            "rule": self.rule,
            "severity": self.severity,
            "message": self.message,
            "advice": self.advice,
        }

    def line(self) -> str:
        """One line for a terminal: ``cue 3 (00:12.4-00:15.0) over-budget: ... -> advice``."""
        start, end = self.start_ms, self.end_ms  # _clock(ms) inlined: one line per finding of a million cues
        two = two_digits(max(start, end) // 60_000)  # "%02d" looked up
        return (
            f"cue {self.cue_index + 1} ({two[start // 60_000]}:{two[start // 1000 % 60]}.{start % 1000 // 100}-"
            f"{two[end // 60_000]}:{two[end // 1000 % 60]}.{end % 1000 // 100}) "
            f"{self.severity} {self.rule}: {self.message}; {self.advice}"
        )

    def json_text(self, indent: int = 0) -> str:
        """``json.dumps(self.to_dict(), ensure_ascii=False, indent=2)`` with every line after the first
        indented ``indent`` more spaces: the same text (a test holds them equal), without the standard
        library's pure-Python indenting encoder (a report of a million findings): one template per
        indent, the strings' JSON kept (findings repeat their rules, advice and most messages)."""
        template = _JSON_TEMPLATES.get(indent) or _json_template(indent)
        known = _JSON_STRINGS
        return template % (
            self.cue_index + 1,
            self.cue_index,
            float.__repr__(self.start_ms / 1000.0),
            float.__repr__(self.end_ms / 1000.0),
            known.get(self.rule) or _json_string(self.rule),
            known.get(self.severity) or _json_string(self.severity),
            known.get(self.message) or _json_string(self.message),
            known.get(self.advice) or _json_string(self.advice),
        )


_JSON_TEMPLATES: dict[int, str] = {}
_JSON_STRINGS: dict[str, str] = {}  # text -> its JSON (never empty: at least the quotes)


def _json_template(indent: int) -> str:
    pad = " " * indent
    fields = ("cue", "cue_index", "start", "end", "rule", "severity", "message", "advice")
    body = ",".join(f'\n{pad}  "{name}": %s' for name in fields)
    template = _JSON_TEMPLATES[indent] = f"{{{body}\n{pad}}}"
    return template


def _json_string(text: str) -> str:
    if len(_JSON_STRINGS) >= 4096:
        _JSON_STRINGS.clear()
    encoded = _JSON_STRINGS[text] = json.encoder.encode_basestring(text)
    return encoded


_FINDING_FIELDS = ("cue_index", "rule", "severity", "message", "advice", "start_ms", "end_ms")
_FINDING_SETTERS = tuple(vars(Finding)[name].__set__ for name in _FINDING_FIELDS)


def _clock(ms: int) -> str:
    return format_ms(ms, decimals=1, hours=None)


_WE_SEE = re.compile(
    r"\b(?:we|you)\s+(?:can\s+|now\s+|then\s+)?(?:see|hear|watch|notice|observe)s?\b"
    r"|\bthe\s+camera\s+(?:slowly\s+|then\s+|now\s+)?(?:shows|pans|moves|zooms|cuts|follows|focuses|"
    r"tilts|tracks|reveals|lingers|turns|stays|is)\b",
    re.IGNORECASE,
)
_PAST_AUX = re.compile(r"\b(?:was|were|had|did|will|would|went|came|saw|took|got)\b", re.IGNORECASE)
_SUBJECT_PAST = re.compile(
    r"\b(?:he|she|they|it|i|we|someone|everyone|nobody|man|woman|person|people|boy|girl|child|dog|cat)"
    r"\s+(?:then\s+|slowly\s+|quickly\s+|suddenly\s+)?([a-z]+ed)\b",
    re.IGNORECASE,
)
# "-ed" words that are usually adjectives after a subject ("she seemed tired" is caught by "seemed")
_NOT_PAST = {
    "red",
    "bed",
    "shed",
    "need",
    "feed",
    "seed",
    "speed",
    "weed",
    "breed",
    "bleed",
    "proceed",
    "succeed",
    "exceed",
    "embed",
    "shred",
    "sled",
    "wed",
    "bred",
    "fled",
    "led",
}


# Text without which the patterns above cannot match, looked for first with plain substring
# tests, so that a million cues are not each searched with three case-insensitive patterns (the
# findings are the same: each pattern runs whenever its words could be there).
_SENSES = ("see", "hear", "watch", "notice", "observe")
_AUX = ("was", "were", "had", "did", "will", "would", "went", "came", "saw", "took", "got")


_SENSE_WORDS = re.compile("|".join(_SENSES))  # on lower-cased text: any of them as a substring
_AUX_WORDS = re.compile("|".join(_AUX))


def _we_see(text: str, low: str | None = None) -> re.Match[str] | None:
    low = text.lower() if low is None else low
    if "camera" not in low and not (("we" in low or "you" in low) and _SENSE_WORDS.search(low)):
        return None
    return _WE_SEE.search(text)


def _tense_problem(text: str, low: str | None = None) -> str | None:
    low = text.lower() if low is None else low
    if _AUX_WORDS.search(low):
        match = _PAST_AUX.search(text)
        if match:
            return f"'{match.group(0)}'"
    if "ed" not in low:
        return None
    match = _SUBJECT_PAST.search(text)
    if match and match.group(1).lower() not in _NOT_PAST:
        return f"'{match.group(0)}'"
    return None


def check_track(
    track: Track | Sequence[Cue],
    analysis: Analysis | None = None,
    options: CheckOptions | None = None,
    narration_ms: Callable[[str], int] | None = None,
) -> list[Finding]:
    """Every finding for ``track``, ordered by cue then rule. ``analysis`` enables the speech checks;
    ``narration_ms`` (a text's spoken length, e.g. ``core.speech.spoken_ms(VoiceOptions(...))``) enables
    ``narration-too-long``."""
    return list(iter_findings(track, analysis, options, narration_ms))


def iter_findings(
    track: Track | Sequence[Cue],
    analysis: Analysis | None = None,
    options: CheckOptions | None = None,
    narration_ms: Callable[[str], int] | None = None,
) -> Iterator[Finding]:
    """:func:`check_track`'s findings one at a time (a million-cue track's report is never held whole)."""
    options = options or CheckOptions()
    options.validate()
    return _findings(track, 0, None, analysis, options, narration_ms)


def check_cue(
    cue: Cue,
    index: int,
    analysis: Analysis | None = None,
    options: CheckOptions | None = None,
    previous: Cue | None = None,
    narration_ms: Callable[[str], int] | None = None,
) -> list[Finding]:
    """The findings for one cue (``previous``: the cue before it, for the overlap check)."""
    previous_end = None if previous is None else previous.end_ms
    return list(_findings((cue,), index, previous_end, analysis, options or CheckOptions(), narration_ms))


# Any of these in a cue's lower-cased text, or neither wording check can fire: _we_see needs "camera",
# or "we" or "you" (with a sense); _tense_problem one of _AUX ("were" and "went" hold "we") or "ed". A cue
# without one is not searched with their patterns.
_WORDING_HINTS = ("camera", "we", "you", *(word for word in _AUX if "we" not in word), "ed")
_CHUNK = 8192  # cues looked through for the hints at once


def _hinted(texts: list[str]) -> set[int]:
    """The positions in ``texts`` of the texts whose lower-cased form holds one of the hints: each
    hint is looked for once in all the texts joined (NUL, never in a cue's text, between them; the
    lower-casing of each text is the same alone or joined, since NUL is not a cased letter)."""
    low = "\x00".join(texts).lower()
    if len(low) != sum(map(len, texts)) + len(texts) - 1:  # lower-casing changed a length ("İ"): one by one
        return {i for i, text in enumerate(texts) if any(hint in text.lower() for hint in _WORDING_HINTS)}
    found: set[int] = set()
    ends: list[int] = []  # where each text's successor starts, worked out at the first hint found
    for hint in _WORDING_HINTS:
        at = low.find(hint)
        if at >= 0 and not ends:
            ends = list(itertools.accumulate(len(text) + 1 for text in texts))
        while at >= 0:
            i = bisect.bisect_right(ends, at)
            found.add(i)
            at = low.find(hint, ends[i])
    return found


_CACHED = 4096  # wordings kept per rule (a track's cues mostly repeat a few lengths)


def _findings(
    cues: Iterable[Cue],
    first_index: int,
    previous_end: int | None,
    analysis: Analysis | None,
    options: CheckOptions,
    narration_ms: Callable[[str], int] | None,
) -> Iterator[Finding]:
    """The checks of ``cues`` (the first at index ``first_index``, after a cue ending at
    ``previous_end``), in one loop: the checks run once per cue of a track that may hold a million,
    so the options' values and wording are worked out once, findings are filled through their slots'
    setters, and the wording of the timing findings is kept per cue length rather than formatted anew."""
    description = options.kind == "description"
    caption = options.kind == "caption"
    wpm, max_wpm, min_gap_ms, max_cps = options.wpm, options.max_wpm, options.min_gap_ms, options.max_cps
    min_speech_overlap_ms = options.min_speech_overlap_ms
    wpm_text, gap_text, cps_text = f"{wpm:g}", f"{min_gap_ms / 1000:g}", f"{max_cps:g}"
    budget_advice = "lengthen the cue, or mark it extended"
    new = object.__new__
    set_index, set_rule, set_severity, set_message, set_advice, set_start, set_end = _FINDING_SETTERS
    over_budget: dict[tuple[int, int], tuple[str, ...]] = {}  # (words, duration) -> finding's wording or ()
    short: dict[int, str] = {}  # duration -> short-gap message
    # the collector is left on while the voice speaks each cue (its own objects are not ours to judge)
    collector_off = many_objects if narration_ms is None else contextlib.nullcontext
    index = first_index - 1
    it = iter(cues)
    for chunk in iter(lambda: list(itertools.islice(it, _CHUNK)), []):
        made: list[Finding] = []
        with collector_off():  # the findings hold no cycles: no collector passes over them
            hinted = _hinted([cue.text for cue in chunk])
            for offset, cue in enumerate(chunk):
                index += 1
                start, end, text, extended = cue.start_ms, cue.end_ms, cue.text, cue.extended
                duration = end - start
                found: list[tuple[str, ...]] = []  # (rule, severity, message, advice)
                if description and not extended and text:
                    words = len(text.split())
                    key = (words, duration)
                    wording = over_budget.get(key)
                    if wording is None:
                        wording = ()  # no finding
                        budget = int(duration / 60_000.0 * wpm + 1e-9)  # budget_words(duration, wpm), inlined
                        if words > budget:
                            seconds = duration / 1000.0
                            rate = words / seconds * 60 if seconds > 0 else float("inf")
                            wording = (
                                "over-budget",
                                ERROR if rate > max_wpm else WARNING,
                                f"{words} words in {seconds:.1f} s, {budget} fit at {wpm_text} wpm",
                                f"cut it to {budget} words, {budget_advice}",
                            )
                        if len(over_budget) >= _CACHED:
                            over_budget.clear()
                        over_budget[key] = wording
                    if wording:
                        found.append(wording)

                if analysis is not None:
                    if extended:
                        if analysis.speech_overlap_ms(start, start + 1):
                            found.append(
                                (
                                    "overlaps-speech",
                                    ERROR,
                                    f"extended cue starts during speech at {start / 1000:.1f} s",
                                    "move its start into a pause so the player does not pause mid-sentence",
                                )
                            )
                    else:
                        overlap = analysis.speech_overlap_ms(start, end)
                        if overlap >= min_speech_overlap_ms:
                            found.append(
                                (
                                    "overlaps-speech",
                                    ERROR,
                                    f"plays over {overlap / 1000:.1f} s of speech",
                                    "move or shorten it into a gap, or mark it extended",
                                )
                            )
                    pause = analysis.pause_around((start + end) // 2)
                    if pause is not None and pause.duration_ms < min_gap_ms:
                        found.append(
                            (
                                "short-gap",
                                WARNING,
                                f"sits in a {pause.duration_ms / 1000:.1f} s pause, shorter than {gap_text} s",
                                "move it to a longer pause, or mark it extended",
                            )
                        )
                elif duration < min_gap_ms:
                    message = short.get(duration)
                    if message is None:
                        if len(short) >= _CACHED:
                            short.clear()
                        message = short[duration] = (
                            f"lasts {duration / 1000.0:.1f} s, shorter than the {gap_text} s minimum gap"
                        )
                    found.append(
                        ("short-gap", WARNING, message, "lengthen it, merge it with a neighbour, or mark it extended")
                    )

                if previous_end is not None and start < previous_end:
                    found.append(
                        (
                            "cue-overlap",
                            ERROR,
                            f"starts {(previous_end - start) / 1000:.1f} s before cue {index} ends",
                            f"move its start to {previous_end / 1000:.1f} s or shorten cue {index}",
                        )
                    )
                previous_end = end

                has_text = bool(text.strip())
                if not has_text:
                    found.append(("empty-text", ERROR, "has no text", "write the description or delete the cue"))
                else:
                    if offset in hinted:
                        low = text.lower()
                        match = _we_see(text, low)
                        if match:
                            found.append(
                                (
                                    "we-see",
                                    WARNING,
                                    f"says '{match.group(0)}'",
                                    'describe what is there directly ("A man runs", not "we see a man running")',
                                )
                            )
                        tense = _tense_problem(text, low)
                        if tense:
                            found.append(
                                (
                                    "not-present-tense",
                                    WARNING,
                                    f"{tense} is not present tense",
                                    'rewrite in the present tense ("she opens the door")',
                                )
                            )

                if narration_ms is not None and description and not extended and has_text:
                    spoken = narration_ms(text)
                    if spoken > duration:
                        found.append(
                            (
                                "narration-too-long",
                                ERROR,
                                f"takes {spoken / 1000:.1f} s to speak, the cue lasts {duration / 1000.0:.1f} s",
                                "shorten it, lengthen the cue, or mark it extended",
                            )
                        )

                if caption and has_text:
                    cps = cue.chars_per_second
                    if cps > max_cps:
                        found.append(
                            (
                                "chars-per-second",
                                WARNING,
                                f"{cps:.1f} characters per second, above {cps_text}",
                                "shorten the text or lengthen the cue",
                            )
                        )

                for rule, severity, message, advice in found:
                    finding = new(Finding)  # Finding(...) filled through its slots' setters: about twice as fast
                    set_index(finding, index)
                    set_rule(finding, rule)
                    set_severity(finding, severity)
                    set_message(finding, message)
                    set_advice(finding, advice)
                    set_start(finding, start)
                    set_end(finding, end)
                    made.append(finding)
        yield from made
