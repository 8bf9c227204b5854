"""Find and replace in cue text: the pattern (match case, whole word, regular expression), every match in a
track in reading order, the next or previous match from a place, and replacing one match or all of them.

Qt-free, so the app's Find and Replace bar and any other face share one meaning of "a match". Replacing
returns new cues (cues are frozen); the caller records them as one edit.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from captioner_app.core.tracks.track import Cue


@dataclass(frozen=True)
class Query:
    text: str
    match_case: bool = False
    whole_word: bool = False
    regex: bool = False

    def pattern(self) -> re.Pattern[str]:
        """The compiled pattern; raises ValueError with a one-line reason for a bad regular expression."""
        if not self.text:
            raise ValueError("nothing to find")
        body = self.text if self.regex else re.escape(self.text)
        if self.whole_word:
            body = rf"(?<!\w)(?:{body})(?!\w)"
        try:
            return re.compile(body, 0 if self.match_case else re.IGNORECASE)
        except re.error as err:
            raise ValueError(f"bad regular expression “{self.text}”: {err}") from None

    def describe(self) -> str:
        flags = (("match case", self.match_case), ("whole word", self.whole_word), ("regex", self.regex))
        extras = [name for name, on in flags if on]
        return f"“{self.text}”" + (f" ({', '.join(extras)})" if extras else "")


@dataclass(frozen=True)
class Match:
    row: int  # the cue's index
    start: int  # character offsets in the cue's text
    end: int

    def __lt__(self, other: Match) -> bool:
        return (self.row, self.start) < (other.row, other.start)


def matches(cues: Sequence[Cue], pattern: re.Pattern[str]) -> list[Match]:
    """Every non-empty match in reading order (cue by cue, left to right)."""
    return [
        Match(row, m.start(), m.end())
        for row, cue in enumerate(cues)
        for m in pattern.finditer(cue.text)
        if m.end() > m.start()
    ]


def next_match(found: Sequence[Match], row: int, offset: int, backward: bool = False) -> tuple[Match, bool] | None:
    """The first match at or after (``row``, ``offset``), or the last one before it when ``backward``;
    wraps around the track. Returns the match and whether the search wrapped, or None when there is none."""
    if not found:
        return None
    if backward:
        before = [m for m in found if (m.row, m.start) < (row, offset)]
        return (before[-1], False) if before else (found[-1], True)
    after = [m for m in found if (m.row, m.start) >= (row, offset)]
    return (after[0], False) if after else (found[0], True)


def _expand(match: re.Match[str], replacement: str, regex: bool) -> str:
    return match.expand(replacement) if regex else replacement


def replace_one(cue: Cue, match: Match, pattern: re.Pattern[str], replacement: str, regex: bool = False) -> Cue:
    """``cue`` with the one match at ``match`` replaced (``\\1`` and ``\\g<name>`` expand in regex mode).

    Raises ValueError when the cue's text no longer matches there (it was edited meanwhile) or when the
    replacement names a group the pattern does not have."""
    m = pattern.match(cue.text, match.start)
    if m is None or m.end() != match.end:
        raise ValueError("the cue changed since it was found; find again")
    try:
        new = _expand(m, replacement, regex)
    except (re.error, IndexError) as err:
        raise ValueError(f"bad replacement “{replacement}”: {err}") from None
    return cue.with_(text=cue.text[: m.start()] + new + cue.text[m.end() :])


def replace_all(
    cues: Sequence[Cue], pattern: re.Pattern[str], replacement: str, regex: bool = False
) -> tuple[list[Cue], int, int]:
    """Every match in every cue replaced: (the new cues, how many matches, in how many cues).

    A cue without a match is returned as the same object, so an edit built from the result touches only
    the cues that changed. Raises ValueError for a replacement naming a group the pattern lacks."""
    out: list[Cue] = []
    total = changed = 0
    for cue in cues:
        count = 0

        def substitute(m: re.Match[str]) -> str:
            nonlocal count
            if m.end() == m.start():
                return m.group(0)  # an empty match (``x*``) replaces nothing
            count += 1
            return _expand(m, replacement, regex)

        try:
            text = pattern.sub(substitute, cue.text)
        except (re.error, IndexError) as err:
            raise ValueError(f"bad replacement “{replacement}”: {err}") from None
        if count and text != cue.text:
            out.append(cue.with_(text=text))
            total += count
            changed += 1
        else:
            out.append(cue)
    return out, total, changed
