"""The one time formatter and the one time parser. Times are integer milliseconds everywhere in the core."""

from __future__ import annotations

import re
from collections.abc import Sequence

_TIME = re.compile(r"^\s*(?:(?:(\d+):)?(\d+):)?(\d+)(?:[.,](\d+))?\s*$")
_TWO_DIGITS: list[str] = [f"{n:02d}" for n in range(100)]  # grown on demand by two_digits
_TWO_DIGITS_KEPT = 100_000  # numbers kept written out at most (a 9999-hour track's hours, its minutes to 1666 h)


class _AnyTwoDigits:
    def __getitem__(self, n: int) -> str:
        return f"{n:02d}"


def two_digits(top: int) -> Sequence[str]:
    """A table with ``table[n] == f"{n:02d}"`` for every ``0 <= n <= top``: the fields of a million
    stamps are looked up rather than formatted (beyond the numbers kept, each is formatted)."""
    if top >= _TWO_DIGITS_KEPT:
        return _AnyTwoDigits()  # type: ignore[return-value]
    table = _TWO_DIGITS
    if len(table) <= top:
        table.extend(f"{n:02d}" for n in range(len(table), top + 1))
    return table


def format_ms(ms: int, *, decimals: int = 3, sep: str = ".", hours: int | None = 1, minute_digits: int = 2) -> str:
    """``ms`` as ``h:mm:ss.mmm``.

    ``hours`` is the least number of hour digits (``None``: no hour field; minutes count past 59),
    ``minute_digits`` the least number of minute digits, ``decimals`` (0–3) the digits kept of the
    fraction (cut, never rounded up, so a time never reads later than it is), ``sep`` what separates
    them (SRT uses a comma). Negative times read as 0.
    """
    ms = max(0, int(ms))
    if not 0 <= decimals <= 3:
        raise ValueError("decimals must be 0 to 3")
    minutes_total, rest = divmod(ms, 60_000)
    seconds, millis = divmod(rest, 1000)
    if hours is None:
        head = f"{minutes_total:0{minute_digits}d}"
    else:
        h, m = divmod(minutes_total, 60)
        head = f"{h:0{hours}d}:{m:0{minute_digits}d}"
    text = f"{head}:{seconds:02d}"
    if decimals:
        text += sep + f"{millis:03d}"[:decimals]
    return text


def parse_ms(text: str) -> int:
    """``h:mm:ss.mmm``, ``mm:ss.mmm`` or plain seconds (a comma may stand for the dot) as milliseconds.

    Raises ValueError with a short reason for anything else (minutes or seconds of 60 and more after
    a larger unit, a fraction of more than 3 digits being cut rather than refused).
    """
    m = _TIME.match(text)
    if not m:
        raise ValueError(f"{text!r} is not a time like 0:01:23.450")
    hours, minutes, seconds, fraction = m.group(1), m.group(2), m.group(3), m.group(4) or ""
    if minutes is not None and int(seconds) >= 60:
        raise ValueError(f"{text!r} has {seconds} seconds; a minute has 60")
    if hours is not None and int(minutes) >= 60:
        raise ValueError(f"{text!r} has {minutes} minutes; an hour has 60")
    millis = int((fraction + "000")[:3]) if fraction else 0
    if len(fraction) > 3 and int(fraction[3]) >= 5:
        millis += 1
    return ((int(hours or 0) * 60 + int(minutes or 0)) * 60 + int(seconds)) * 1000 + millis


def seconds_to_ms(seconds: float) -> int:
    """A time typed in seconds (the CLI's and the app's unit) as integer milliseconds."""
    return int(round(float(seconds) * 1000))
