"""Spell check of cue text: which words a dictionary does not know, suggestions, the user's own words.

The dictionaries are pyspellchecker's (imported lazily, on the first check): its wheel ships word-frequency
lists for English, Spanish, French, Italian, Portuguese, German, Russian, Arabic, Latvian, Basque, Dutch
and Persian, so spell checking works offline once the app is installed, with no system library (Hunspell
and Enchant need one, and their dictionaries are separate packages on every platform). The language
follows the track's (``en-GB`` uses ``en``); a track in a language without a dictionary is not checked,
and the app says so.

The user dictionary is ``dictionary.txt`` in the data folder, one word per line (UTF-8), shared by every
language; Add to Dictionary appends to it (written atomically). Skip All ignores a word until the app
closes. Creates no widgets: the cue text editor (:mod:`captioner_app.gui.widgets.spell_edit`) and
Edit > Spell Check (:mod:`captioner_app.gui.dialogs.spell_check`) use it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QObject, Signal

from captioner_app.core.errors import CaptionerError
from captioner_app.core.fileio import atomic_write_text
from captioner_app.core.settings import data_dir
from captioner_app.core.tracks.track import Cue

USER_DICTIONARY = "dictionary.txt"
# a word: letters, with inner apostrophes ("woman's", "l'homme"); digits and underscores split words
WORD = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)*")
MAX_SUGGESTIONS = 8


def _key(word: str) -> str:
    return word.replace("’", "'").casefold()


def words(text: str) -> Iterator[tuple[int, int, str]]:
    """(start, end, word) for every word of ``text``."""
    for m in WORD.finditer(text):
        yield m.start(), m.end(), m.group(0)


def available_languages() -> list[str]:
    """The languages pyspellchecker has a dictionary for ([] when it is not installed)."""
    try:
        from spellchecker import SpellChecker
    except ImportError:
        return []
    return list(SpellChecker.languages())


def dictionary_language(language: str) -> str | None:
    """The dictionary for a track language ("en-GB" → "en"), or None when there is none."""
    base = re.split(r"[-_]", (language or "").strip().lower())[0]
    return base if base in available_languages() else None


def match_case(word: str, like: str) -> str:
    """``word`` written with the capitals of ``like`` (all capitals, or a capital first letter)."""
    if like.isupper() and len(like) > 1:
        return word.upper()
    if like[:1].isupper():
        return word[:1].upper() + word[1:]
    return word


class Speller:
    """One language's dictionary plus the user's words and the words skipped for this session."""

    def __init__(self, language: str, user_words: set[str], ignored: set[str]) -> None:
        from spellchecker import SpellChecker

        self.language = language
        self.checker = SpellChecker(language=language)
        self.user_words = user_words  # shared with Spelling (keys: casefolded, straight apostrophes)
        self.ignored = ignored

    def known(self, word: str) -> bool:
        key = _key(word)
        if len(key) <= 1 or key in self.user_words or key in self.ignored:
            return True
        return key in self.checker or key.replace("'", "") in self.checker

    def misspelt(self, text: str) -> list[tuple[int, int, str]]:
        """(start, end, word) for every word of ``text`` the dictionary does not know."""
        return [(s, e, w) for s, e, w in words(text) if not self.known(w)]

    def suggestions(self, word: str, limit: int = MAX_SUGGESTIONS) -> list[str]:
        """Likely corrections, most common first, written with the word's capitals."""
        key = _key(word)
        found = self.checker.candidates(key) or set()
        ranked = sorted((c for c in found if c != key), key=lambda c: (-self.checker[c], c))
        return [match_case(c, word) for c in ranked[:limit]]


@dataclass(frozen=True)
class Misspelling:
    row: int
    start: int
    end: int
    word: str


class Spelling(QObject):
    """The spell checkers by language (loaded on first use), the user dictionary and skipped words."""

    changed = Signal()  # a word was added or skipped: underlines must be drawn again

    def __init__(self, folder: Path | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._folder = folder
        self._spellers: dict[str, Speller] = {}
        self.ignored: set[str] = set()
        self._user_words: set[str] | None = None
        self.problem = ""  # why the user dictionary could not be read, once

    @property
    def path(self) -> Path:
        return (self._folder or data_dir()) / USER_DICTIONARY

    @property
    def user_words(self) -> set[str]:
        if self._user_words is None:
            self._user_words = set()
            try:
                text = self.path.read_text(encoding="utf-8")
            except FileNotFoundError:
                text = ""
            except (OSError, UnicodeDecodeError) as err:
                self.problem = f"{self.path}: user dictionary not read ({err})"
                text = ""
            self._user_words.update(_key(line.strip()) for line in text.splitlines() if line.strip())
        return self._user_words

    def reason(self, language: str) -> str:
        """Why a track in ``language`` is not spell checked ("" when it is)."""
        if not available_languages():
            return "spell check needs the pyspellchecker package (pip install pyspellchecker)"
        if dictionary_language(language) is None:
            return f"no spelling dictionary for the track's language “{language}”"
        return ""

    def speller(self, language: str) -> Speller | None:
        """The spell checker for a track language (None when there is no dictionary for it)."""
        lang = dictionary_language(language)
        if lang is None:
            return None
        if lang not in self._spellers:
            self._spellers[lang] = Speller(lang, self.user_words, self.ignored)
        return self._spellers[lang]

    def add_word(self, word: str) -> None:
        """Add to the user dictionary (kept in the data folder); raises CaptionerError when it cannot be saved."""
        key = _key(word.strip())
        if not key or key in self.user_words:
            return
        self.user_words.add(key)
        lines = sorted(self.user_words)
        try:
            atomic_write_text(self.path, "\n".join(lines) + "\n")
        except CaptionerError:
            self.user_words.discard(key)
            raise
        self.changed.emit()

    def ignore(self, word: str) -> None:
        """Skip this word everywhere until the app closes."""
        self.ignored.add(_key(word))
        self.changed.emit()


def next_misspelling(
    cues: Sequence[Cue], speller: Speller, row: int, offset: int = 0, skip: frozenset[str] = frozenset()
) -> Misspelling | None:
    """The first unknown word at or after (``row``, ``offset``), reading on to the end of the track."""
    for r in range(max(0, row), len(cues)):
        for start, end, word in speller.misspelt(cues[r].text):
            if (r > row or start >= offset) and _key(word) not in skip:
                return Misspelling(r, start, end, word)
    return None


def change_all(cues: Sequence[Cue], word: str, replacement: str) -> tuple[list[Cue], int]:
    """Every whole-word occurrence of ``word`` (any capitals) changed to ``replacement`` written with the
    capitals of each occurrence: (the new cues, how many were changed). A replacement whose capitals
    only follow ``word``'s ("The" offered for "Teh") is written in small letters where the word is."""
    if replacement == match_case(replacement.lower(), word):
        replacement = replacement.lower()
    pattern = re.compile(rf"(?<![\w'’]){re.escape(word)}(?![\w'’])", re.IGNORECASE)
    total = 0

    def sub(m: re.Match[str]) -> str:
        nonlocal total
        total += 1
        return match_case(replacement, m.group(0))

    out = []
    for cue in cues:
        text = pattern.sub(sub, cue.text)
        out.append(cue.with_(text=text) if text != cue.text else cue)
    return out, total
