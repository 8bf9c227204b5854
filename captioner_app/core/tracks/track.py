"""Cues and tracks. Times are integer milliseconds; every cue remembers where it came from."""

from __future__ import annotations

import contextlib
import gc
import itertools
import operator
import re
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from typing import Any

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u200b\u2028\u2029\ufeff]")


def clean_text(text: str) -> str:
    """Canonical cue text: LF line ends, no control characters, no blank or padded lines.

    Subtitle formats use blank lines to separate cues, so a cue's text can never hold one;
    cleaning on the way in keeps every export and import loss-free.
    """
    if not text or (  # already clean (the common case, and a million-cue import's hot path)
        text.isascii()
        and text.replace("\n", "").isprintable()
        and text[0] not in " \n"
        and text[-1] not in " \n"
        and "  " not in text
        and "\n\n" not in text
        and " \n" not in text
        and "\n " not in text
    ):
        return text
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\t", " ")
    text = _CONTROL.sub("", text)
    text = unicodedata.normalize("NFC", text)
    lines = [" ".join(line.split()) for line in text.split("\n")]
    return "\n".join(line for line in lines if line)


@dataclass(frozen=True)
class Provenance:
    """How a cue was made: the window, the frames the model saw, the settings and the model."""

    window_index: int | None = None
    window_start_ms: int | None = None
    window_end_ms: int | None = None
    frame_times_ms: tuple[int, ...] = ()
    detail: str | None = None
    model: str | None = None
    revision: str | None = None
    placement: str | None = None
    source: str = "model"  # "model", "import" or "manual"
    engine: str | None = None  # the model server(s) that wrote it (--engine); None: a local model

    def to_dict(self) -> dict[str, Any]:
        return {
            "window_index": self.window_index,
            "window_start_ms": self.window_start_ms,
            "window_end_ms": self.window_end_ms,
            "frame_times_ms": list(self.frame_times_ms),
            "detail": self.detail,
            "model": self.model,
            "revision": self.revision,
            "placement": self.placement,
            "source": self.source,
            **({"engine": self.engine} if self.engine else {}),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Provenance:
        def opt_int(key: str) -> int | None:
            value = data.get(key)
            return None if value is None else int(value)

        def opt_str(key: str) -> str | None:
            value = data.get(key)
            return None if value is None else str(value)

        return cls(
            window_index=opt_int("window_index"),
            window_start_ms=opt_int("window_start_ms"),
            window_end_ms=opt_int("window_end_ms"),
            frame_times_ms=tuple(int(t) for t in data.get("frame_times_ms") or ()),
            detail=opt_str("detail"),
            model=opt_str("model"),
            revision=opt_str("revision"),
            placement=opt_str("placement"),
            source=str(data.get("source") or "model"),
            engine=data.get("engine") or None,
        )


@dataclass(frozen=True, slots=True)
class Cue:
    start_ms: int
    end_ms: int
    text: str
    provenance: Provenance = field(default_factory=lambda: Provenance(source="manual"))
    extended: bool = False  # extended AD: the player pauses while it is spoken

    def __post_init__(self) -> None:
        if type(self.start_ms) is not int:
            object.__setattr__(self, "start_ms", int(self.start_ms))
        if type(self.end_ms) is not int:
            object.__setattr__(self, "end_ms", int(self.end_ms))
        text = clean_text(self.text)
        if text is not self.text:
            object.__setattr__(self, "text", text)
        if self.start_ms < 0:
            raise ValueError(f"cue start {self.start_ms} ms is negative")
        if self.end_ms < self.start_ms:
            raise ValueError(f"cue ends ({self.end_ms} ms) before it starts ({self.start_ms} ms)")

    @property
    def duration_ms(self) -> int:
        return self.end_ms - self.start_ms

    @property
    def words(self) -> int:
        return len(self.text.split())

    @property
    def words_per_second(self) -> float:
        return self.words / (self.duration_ms / 1000.0) if self.duration_ms else float("inf")

    @property
    def chars_per_second(self) -> float:
        chars = len(self.text.replace("\n", ""))
        return chars / (self.duration_ms / 1000.0) if self.duration_ms else float("inf")

    def with_(self, **changes: Any) -> Cue:
        return replace(self, **changes)


_new_cue = object.__new__
_slots = vars(Cue)  # the slots' own setters: a frozen cue is filled once, before anyone sees it
_set_start = _slots["start_ms"].__set__
_set_end = _slots["end_ms"].__set__
_set_text = _slots["text"].__set__
_set_provenance = _slots["provenance"].__set__
_set_extended = _slots["extended"].__set__
# for a reader that builds a million cues inline: ``checked_cue``'s setters, in its arguments' order
CUE_SETTERS = (_set_start, _set_end, _set_text, _set_provenance, _set_extended)


@contextlib.contextmanager
def many_objects() -> Iterator[None]:
    """No cyclic garbage collection inside: for code that makes a great many objects holding no cycles
    (a million cues, their findings), which the collector would otherwise walk again and again as
    they pile up (about a quarter of reading a large track). Left as it was if already off."""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def checked_cue(start_ms: int, end_ms: int, text: str, provenance: Provenance, extended: bool = False) -> Cue:
    """A :class:`Cue` from values the caller has already checked: ints with ``0 <= start_ms <= end_ms``
    and ``text`` that :func:`clean_text` leaves unchanged (a reader that checked a whole file's text
    at once). The same cue as ``Cue(...)``, built without repeating the checks (a million-cue import)."""
    cue = _new_cue(Cue)
    _set_start(cue, start_ms)
    _set_end(cue, end_ms)
    _set_text(cue, text)
    _set_provenance(cue, provenance)
    _set_extended(cue, extended)
    return cue


_PRINTABLE_ASCII_AND_LF = bytes(range(0x20, 0x7F)) + b"\n"


def text_is_clean(text: str) -> bool:
    """Whether every cue text cut from ``text`` at line ends (whole lines, not starting or ending with
    an empty one) is clean (what :func:`clean_text` leaves unchanged): printable ASCII and line ends,
    no run of spaces, no space at a line's start or end. One pass over a file instead of one per cue
    (the printable test on the text's bytes: what is left once those characters are deleted)."""
    return (
        text.isascii()
        and text[:1] != " "
        and text[-1:] != " "
        and " \n" not in text
        and "\n " not in text
        and "  " not in text
        and not text.encode("ascii").translate(None, _PRINTABLE_ASCII_AND_LF)
    )


_start_of = operator.attrgetter("start_ms")
_key_of = operator.attrgetter("start_ms", "end_ms")


@dataclass
class Track:
    """An ordered list of cues plus what they describe. Edit operations keep cues sorted by start."""

    cues: list[Cue] = field(default_factory=list)
    video: str | None = None
    duration_ms: int | None = None
    language: str = "en"

    def __post_init__(self) -> None:
        self.sort()

    def __len__(self) -> int:
        return len(self.cues)

    def __iter__(self) -> Iterator[Cue]:
        return iter(self.cues)

    def __getitem__(self, index: int) -> Cue:
        return self.cues[index]

    def sort(self) -> None:
        cues = self.cues
        starts = list(map(_start_of, cues))
        if all(map(operator.lt, starts, itertools.islice(starts, 1, None))):  # in order (the usual case)
            return
        del starts
        keys = list(map(_key_of, cues))
        if all(map(operator.le, keys, itertools.islice(keys, 1, None))):  # in order, some starting together
            return
        cues.sort(key=_key_of)

    def add(self, cue: Cue) -> int:
        """Insert in time order; return the index it landed at."""
        index = 0
        while index < len(self.cues) and (self.cues[index].start_ms, self.cues[index].end_ms) <= (
            cue.start_ms,
            cue.end_ms,
        ):
            index += 1
        self.cues.insert(index, cue)
        return index

    def extend(self, cues: Iterable[Cue]) -> None:
        self.cues.extend(cues)
        self.sort()

    def remove(self, index: int) -> Cue:
        return self.cues.pop(index)

    def replace(self, index: int, cue: Cue) -> int:
        self.cues.pop(index)
        return self.add(cue)

    def split(self, index: int, at_ms: int | None = None) -> tuple[int, int]:
        """Split a cue in two at ``at_ms`` (default: its middle); the text is divided by words."""
        cue = self.cues[index]
        at = (cue.start_ms + cue.end_ms) // 2 if at_ms is None else int(at_ms)
        if not cue.start_ms < at < cue.end_ms:
            raise ValueError(f"split point {at} ms is not inside the cue ({cue.start_ms}-{cue.end_ms} ms)")
        words = cue.text.split()
        share = round(len(words) * (at - cue.start_ms) / cue.duration_ms)
        if len(words) >= 2:
            share = min(max(share, 1), len(words) - 1)
        first = cue.with_(end_ms=at, text=" ".join(words[:share]))
        second = cue.with_(start_ms=at, text=" ".join(words[share:]))
        self.cues[index] = first
        self.cues.insert(index + 1, second)
        return index, index + 1

    def merge(self, index: int, count: int = 2) -> int:
        """Merge ``count`` neighbouring cues starting at ``index`` into one."""
        if count < 2 or index + count > len(self.cues):
            raise ValueError("merge needs at least two neighbouring cues")
        group = self.cues[index : index + count]
        merged = group[0].with_(
            start_ms=min(c.start_ms for c in group),
            end_ms=max(c.end_ms for c in group),
            text=" ".join(c.text for c in group if c.text),
            extended=any(c.extended for c in group),
        )
        self.cues[index : index + count] = [merged]
        return index

    def find(self, needle: str, start: int = 0) -> int | None:
        """Index of the next cue (from ``start``, wrapping) whose text contains ``needle``, ignoring case."""
        if not self.cues or not needle:
            return None
        low = needle.casefold()
        n = len(self.cues)
        for k in range(n):
            i = (start + k) % n
            if low in self.cues[i].text.casefold():
                return i
        return None

    def copy(self) -> Track:
        return Track(list(self.cues), self.video, self.duration_ms, self.language)
