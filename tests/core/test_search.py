"""Find and replace in cue text (core.tracks.search): options, order, wrapping, one and all replacements."""

from __future__ import annotations

import pytest

from captioner_app.core.tracks.search import Match, Query, matches, next_match, replace_all, replace_one
from captioner_app.core.tracks.track import Cue

CUES = [Cue(0, 1000, "The cat sat. Cats nap."), Cue(1000, 2000, "A dog."), Cue(2000, 3000, "the CAT, the cat")]


def spans(query: Query) -> list[tuple[int, int, int]]:
    return [(m.row, m.start, m.end) for m in matches(CUES, query.pattern())]


def test_options_change_what_matches():
    assert spans(Query("cat")) == [(0, 4, 7), (0, 13, 16), (2, 4, 7), (2, 13, 16)]
    assert spans(Query("cat", match_case=True)) == [(0, 4, 7), (2, 13, 16)]
    assert spans(Query("cat", whole_word=True)) == [(0, 4, 7), (2, 4, 7), (2, 13, 16)]
    assert spans(Query(r"\bc\w+", regex=True, match_case=True)) == [(0, 4, 7), (2, 13, 16)]
    assert spans(Query("cat.", regex=False)) == []  # not a pattern: the dot is a dot
    with pytest.raises(ValueError, match="bad regular expression"):
        Query("(", regex=True).pattern()
    with pytest.raises(ValueError, match="nothing to find"):
        Query("").pattern()


def test_next_and_previous_wrap_around():
    found = matches(CUES, Query("cat").pattern())
    assert next_match(found, 0, 5) == (Match(0, 13, 16), False)
    assert next_match(found, 2, 14) == (Match(0, 4, 7), True)
    assert next_match(found, 2, 13, backward=True) == (Match(2, 4, 7), False)
    assert next_match(found, 0, 4, backward=True) == (Match(2, 13, 16), True)
    assert next_match([], 0, 0) is None


def test_replace_one_and_all():
    pattern = Query("cat", whole_word=True).pattern()
    one = replace_one(CUES[2], Match(2, 4, 7), pattern, "dog")
    assert one.text == "the dog, the cat" and one.start_ms == 2000
    with pytest.raises(ValueError, match="changed since"):
        replace_one(CUES[1], Match(1, 0, 3), pattern, "dog")
    new, total, changed = replace_all(CUES, pattern, "dog")
    assert [c.text for c in new] == ["The dog sat. Cats nap.", "A dog.", "the dog, the dog"]
    assert (total, changed) == (3, 2) and new[1] is CUES[1]  # an untouched cue stays the same object
    regex = Query(r"(\w+) (cat)", regex=True).pattern()
    new, total, _ = replace_all(CUES, regex, r"\2 \1", regex=True)
    assert new[0].text == "cat The sat. Cats nap." and total == 3
    with pytest.raises(ValueError, match="bad replacement"):
        replace_all(CUES, regex, r"\3", regex=True)
    # an empty pattern match replaces nothing and counts nothing
    assert replace_all(CUES, Query("x*", regex=True).pattern(), "y")[1:] == (0, 0)
