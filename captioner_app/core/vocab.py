"""The allowed values of the core, as enums every face (CLI, server, settings, app) derives its lists from.

Each enum's ``parse`` accepts a member or its text (any case, surrounding spaces ignored) and raises a
one-line :class:`UsageError` naming the allowed values; ``choices()`` gives the texts in order.
"""

from __future__ import annotations

import enum
from typing import TypeVar

from captioner_app.core.errors import UsageError

_C = TypeVar("_C", bound="Choice")


class Choice(str, enum.Enum):
    """A closed set of text values."""

    @classmethod
    def label(cls) -> str:
        return cls.__name__.lower()

    @classmethod
    def choices(cls) -> tuple[str, ...]:
        return tuple(m.value for m in cls)

    @classmethod
    def parse(cls: type[_C], value: object) -> _C:
        if isinstance(value, cls):
            return value
        try:
            return cls(str(value).strip().lower())
        except ValueError:
            raise UsageError(f"unknown {cls.label()} {value!r}: choose {or_list(cls.choices())}") from None

    def __str__(self) -> str:
        return str(self.value)


class Detail(Choice):
    """How much a description says. ``AUTO`` picks, per cue, the richest level its narration budget allows."""

    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    AUTO = "auto"

    @classmethod
    def label(cls) -> str:
        return "detail level"

    @classmethod
    def levels(cls) -> tuple[Detail, ...]:
        """The levels the model is prompted with (everything but ``AUTO``)."""
        return (cls.LOW, cls.MEDIUM, cls.HIGH)

    @classmethod
    def parse_level(cls, value: object) -> Detail:
        """A level the model can be prompted with: ``auto`` is refused."""
        level = cls.parse(value)
        if level is cls.AUTO:
            raise UsageError(f"detail level 'auto' needs a narration budget: choose {or_list(cls.level_choices())}")
        return level

    @classmethod
    def level_choices(cls) -> tuple[str, ...]:
        return tuple(m.value for m in cls.levels())


class Placement(Choice):
    """Where cues go: sliding windows, one per pause between speech, or one per shot; ``auto``: the
    pauses when the video has speech, else windows (see ``Analysis.automatic_placement``)."""

    WINDOWS = "windows"
    GAPS = "gaps"
    SHOTS = "shots"
    AUTO = "auto"


class Device(Choice):
    """Where the model runs. ``cuda:N`` picks a GPU by number (see :func:`parse_device`)."""

    AUTO = "auto"
    CPU = "cpu"
    CUDA = "cuda"
    MPS = "mps"


class DType(Choice):
    """The model's number format; ``AUTO`` is bfloat16 on CUDA, float16 on MPS, float32 on the CPU."""

    AUTO = "auto"
    BFLOAT16 = "bfloat16"
    FLOAT16 = "float16"
    FLOAT32 = "float32"

    @classmethod
    def label(cls) -> str:
        return "dtype"


def parse_device(value: object) -> str:
    """A device name: one of :class:`Device` or ``cuda:N``."""
    text = str(value).strip().lower()
    if text.startswith("cuda:") and text[5:].isdigit():
        return text
    try:
        return Device(text).value
    except ValueError:
        raise UsageError(f"unknown device {value!r}: choose {or_list(Device.choices())} or cuda:N") from None


def or_list(values: tuple[str, ...] | list[str]) -> str:
    """``a, b or c``."""
    items = list(values)
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " or " + items[-1]
