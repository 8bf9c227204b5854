"""Spelling without a window: unknown words, suggestions, the user dictionary, Change All's capitals."""

from __future__ import annotations

from pathlib import Path

import pytest

from captioner_app.core.errors import CaptionerError
from captioner_app.core.tracks.track import Cue
from captioner_app.gui.spelling import Spelling, change_all, dictionary_language, next_misspelling


def test_unknown_words_and_suggestions(tmp_path: Path):
    spelling = Spelling(tmp_path)
    speller = spelling.speller("en-GB")
    assert speller is not None and speller.language == "en"
    text = "Teh woman's dog walks into the kitchen, 3 times; Molmo smiles"
    assert [w for _s, _e, w in speller.misspelt(text)] == ["Teh", "Molmo"]
    assert speller.suggestions("Teh")[0] == "The"  # the most common candidate, with the word's capital
    assert speller.suggestions("kitchn") == ["kitchen"]
    assert dictionary_language("fr") == "fr" and dictionary_language("xx") is None
    assert spelling.speller("xx") is None and "no spelling dictionary" in spelling.reason("xx")


def test_the_user_dictionary_is_kept_in_the_data_folder(tmp_path: Path):
    spelling = Spelling(tmp_path)
    spelling.add_word("Molmo")
    assert (tmp_path / "dictionary.txt").read_text(encoding="utf-8") == "molmo\n"
    again = Spelling(tmp_path).speller("en")
    assert again is not None and again.misspelt("Molmo and MOLMO") == []
    spelling.ignore("zzyzx")
    assert spelling.speller("en").known("Zzyzx") and not again.known("zzyzx")  # skipping lasts one session
    (tmp_path / "dictionary.txt").write_bytes(b"\xff\xfe\x00bad")
    broken = Spelling(tmp_path)
    assert broken.speller("en") is not None and "user dictionary not read" in broken.problem
    blocked = Spelling(tmp_path / "missing" / "file.txt")  # a folder that cannot be made: a file is in the way
    (tmp_path / "missing").write_text("a file, not a folder")
    with pytest.raises(CaptionerError):
        blocked.add_word("Molmo")
    assert "molmo" not in blocked.user_words


def test_next_misspelling_and_change_all_keep_capitals(tmp_path: Path):
    speller = Spelling(tmp_path).speller("en")
    cues = [Cue(0, 1000, "A dog."), Cue(1000, 2000, "Teh cat sees teh dog."), Cue(2000, 3000, "TEH END, tehran")]
    first = next_misspelling(cues, speller, 0)
    assert first is not None and (first.row, first.start, first.word) == (1, 0, "Teh")
    second = next_misspelling(cues, speller, 1, first.end)
    assert second is not None and (second.row, second.start) == (1, 13)
    new, count = change_all(cues, "teh", "the")
    assert count == 3 and [c.text for c in new] == ["A dog.", "The cat sees the dog.", "THE END, tehran"]
    assert new[0] is cues[0]
    assert change_all(cues, "Teh", "The")[0] == new  # the capital came from the word, not the user
    assert change_all(cues, "teh", "iPhone")[0][1].text == "IPhone cat sees iPhone dog."
