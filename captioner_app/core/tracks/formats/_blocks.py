"""Read SRT and WebVTT text into cues, reporting every block that cannot be one.

Both readers are written here (no third-party parser on the way in) so that every path through
them either yields a cue or a problem naming the line and the reason: nothing is dropped silently.

- SRT is read leniently, as players do: optional index line, ``,`` or ``.`` before the fraction,
  one- or two-digit fields, a fraction of any length read as a decimal (``00:00:01,5`` is 1.5 s).
- WebVTT follows the WebVTT parsing rules (https://w3c.github.io/webvtt/#file-parsing): exactly
  two-digit minutes and seconds, exactly three fraction digits after a ``.``, only space, tab and
  form feed around ``-->``, a ``-->`` line inside cue text starts a new block, NOTE/STYLE/REGION
  blocks are skipped. One documented leniency: Microsoft Teams-style stamps with one-digit fields
  (``0:0:0.570``) are read, with one warning.
- Either way, times beyond 9999 hours, minutes or seconds over 59, and cues that end before they
  start are reported, not imported.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

from captioner_app.core.timecode import two_digits
from captioner_app.core.tracks.track import CUE_SETTERS, Cue, Provenance, text_is_clean

MAX_HOURS = 9999


@dataclass
class Block:
    line: int  # 1-based line number of the block's first line
    lines: list[str]


def stamp(ms: int, decimal: str) -> str:
    """``hh:mm:ss<decimal>mmm``: SRT separates milliseconds with a comma, WebVTT with a dot.

    The same text as ``timecode.format_ms(ms, sep=decimal, hours=2)`` (a test holds them equal),
    without its options: writing a million-cue track calls it two million times."""
    hours, rest = divmod(ms, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    seconds, millis = divmod(rest, 1000)
    return f"{hours:02d}:{minutes:02d}:{seconds:02d}{decimal}{millis:03d}"


# the parts of ``stamp``'s text, looked up rather than formatted (writing a million-cue track)
_MMSS = tuple(f"{m:02d}:{s:02d}" for m in range(60) for s in range(60))  # second of the hour -> "mm:ss"
_THREE = tuple(f"{n:03d}" for n in range(1000))  # millisecond -> "mmm"


def stamp_tables(last_ms: int) -> tuple[Sequence[str], tuple[str, ...], tuple[str, ...]]:
    """``(hours, mmss, millis)`` with ``stamp(ms, d) == f"{hours[ms // 3_600_000]}:{mmss[ms % 3_600_000 //
    1000]}{d}{millis[ms % 1000]}"`` for every ``0 <= ms <= last_ms`` (a test holds them equal)."""
    return two_digits(last_ms // 3_600_000), _MMSS, _THREE


class StampError(ValueError):
    pass


def _ms(hours: int, minutes: int, seconds: int, fraction: str, text: str) -> int:
    if hours > MAX_HOURS:
        raise StampError(f"the time {text!r} is beyond {MAX_HOURS} hours")
    if minutes > 59:
        raise StampError(f"the time {text!r} has minute {minutes} (0-59 allowed)")
    if seconds > 59:
        raise StampError(f"the time {text!r} has second {seconds} (0-59 allowed)")
    millis = int((fraction + "00")[:3]) if fraction else 0
    return ((hours * 60 + minutes) * 60 + seconds) * 1000 + millis


_SRT_STAMP = re.compile(r"(?:(\d+):)?(\d{1,2}):(\d{1,2})(?:[,.](\d+))?")


def srt_stamp(text: str) -> int:
    m = _SRT_STAMP.fullmatch(text)
    if m is None:
        raise StampError(f"{text!r} is not a time (hh:mm:ss,mmm)")
    h, mi, s, frac = m.groups()
    return _ms(int(h or 0), int(mi), int(s), frac or "", text)


_VTT_STRICT = re.compile(r"(?:(\d+):(\d{2})|(\d{2})):(\d{2})\.(\d{3})")
_VTT_TEAMS = re.compile(r"(\d{1,2}):(\d{1,2}):(\d{1,2})\.(\d{1,3})")


def vtt_stamp(text: str, lenient: list[bool]) -> int:
    """A WebVTT timestamp by the parsing rules; Teams-style stamps set ``lenient[0]``."""
    m = _VTT_STRICT.fullmatch(text)
    if m is not None:
        hours, minutes2, minutes, seconds, frac = m.groups()
        if hours is None:  # mm:ss.ttt: the rules read a first number over 59 as hours, then fail
            if int(minutes) > 59:
                raise StampError(f"the time {text!r} has minute {int(minutes)} (0-59 allowed)")
            return _ms(0, int(minutes), int(seconds), frac, text)
        return _ms(int(hours), int(minutes2), int(seconds), frac, text)
    m = _VTT_TEAMS.fullmatch(text)
    if m is not None and any(len(part) == 1 for part in m.groups()[:3]):
        lenient[0] = True
        h, mi, s, frac = m.groups()
        return _ms(int(h), int(mi), int(s), frac, text)
    if "," in text:
        raise StampError(f"the time {text!r} has a comma; WebVTT needs a dot before the milliseconds")
    raise StampError(f"{text!r} is not a WebVTT time (mm:ss.ttt or hh:mm:ss.ttt, three-digit milliseconds)")


# "start --> end": the stamps are whatever non-space runs stand there; each is then judged
_SRT_TIMING = re.compile(r"\s*(\S+?)\s*-->\s*(\S+)(.*)")
_VTT_TIMING = re.compile(r"[ \t\f]*([^ \t\f]+?)[ \t\f]*-->[ \t\f]*([^ \t\f]*?)(?:[ \t\f].*)?")


_BLANK_LINE = re.compile(r"(?m)^\s*$")


def blocks(text: str, line: int = 1) -> Iterator[Block]:
    """Blocks of lines separated by blank (empty or whitespace-only) lines, one at a time (``line``:
    the number of ``text``'s first line)."""
    for chunk in text.split("\n\n"):
        if _BLANK_LINE.search(chunk) is None:  # the usual case: no blank line inside
            yield Block(line, chunk.split("\n"))
        else:
            current: list[str] = []
            start = line
            for number, part in enumerate(chunk.split("\n"), start=line):
                if part.strip():
                    if not current:
                        start = number
                    current.append(part)
                elif current:
                    yield Block(start, current)
                    current = []
            if current:
                yield Block(start, current)
        line += chunk.count("\n") + 2


# the usual SRT block, read without function calls (a million-cue file's hot path): blank lines, an
# optional index line, ``hh:mm:ss,mmm --> hh:mm:ss,mmm`` with ASCII digits, text lines (the group
# holds them without the last line end; None when there are none), a blank line. Each stamp is taken
# as two groups, ``hh:mm`` and ``ss,mmm``, each turned into milliseconds by a lookup.
_SRT_FAST = re.compile(
    r"\n*(?:[0-9]+[ \t]*\n)?"
    r"([0-9]{1,4}:[0-5][0-9]):([0-5][0-9][,.][0-9]{3}) --> ([0-9]{1,4}:[0-5][0-9]):([0-5][0-9][,.][0-9]{3})"
    r"[ \t]*\n(?:([^\n]+(?:\n[^\n]+)*)\n)?(?:\n|\Z)"
)
_WHITE_LINE = re.compile(r"(?m)^[^\S\n]+$")  # a line of spaces only: a block separator too


class _ClockMs(dict[str, int]):
    """``"hh:mm"`` or ``"mm"`` (ASCII digits) -> milliseconds, each worked out once per file read."""

    def __missing__(self, key: str) -> int:
        hours, _, minutes = key.rpartition(":")
        value = self[key] = (int(hours or 0) * 60 + int(minutes)) * 60_000
        return value


class _SecondsMs(dict[str, int]):
    """``"ss,mmm"`` or ``"ss.mmm"`` (ASCII digits) -> milliseconds, each worked out once per file read."""

    def __missing__(self, key: str) -> int:
        value = self[key] = int(key[:2]) * 1000 + int(key[3:])
        return value


def _scan(pattern: re.Pattern[str], text: str, pos: int) -> Callable[[], re.Match[str] | None]:
    """The matches of ``pattern`` one after another from ``pos``, each where the last ended (None at
    the first place it does not match): the scanner ``re.Scanner`` is built on (in CPython since 2.x)."""
    return pattern.scanner(text, pos).match  # type: ignore[attr-defined]


def parse_srt(text: str, name: str) -> tuple[list[Cue], list[str]]:
    """SRT blocks into cues; each unreadable block is a problem naming its line.

    Usual blocks are matched one after another over the whole text by one pattern; a block the
    pattern does not take (odd times, an index line that is not a number, a line of spaces) is read
    by the block-by-block reader below, which names the line of every block it cannot import."""
    provenance = Provenance(source="import")
    cues: list[Cue] = []
    append = cues.append
    problems: list[str] = []
    clean = text_is_clean(text)
    # a line of spaces only separates blocks; a clean text has none (no space starts or ends a line)
    white = [] if clean else [m.start() for m in _WHITE_LINE.finditer(text)]
    clock, seconds = _ClockMs(), _SecondsMs()
    new, (set_start, set_end, set_text, set_provenance, set_extended) = object.__new__, CUE_SETTERS
    size = len(text)
    pos = 0
    line_pos, line_no = 0, 1  # the line number at line_pos, counted on only when a slow block needs it
    while pos < size:
        m = None
        for m in iter(_scan(_SRT_FAST, text, pos), None):
            hm1, sf1, hm2, sf2, body = m.groups()
            start = clock[hm1] + seconds[sf1]
            end = clock[hm2] + seconds[sf2]
            if end < start or (white and _white_inside(white, m.start(), m.end())):
                pos = m.start()  # read below, block by block
                break
            if clean:  # checked_cue(start, end, body or "", provenance), inlined
                cue = new(Cue)
                set_start(cue, start)
                set_end(cue, end)
                set_text(cue, body or "")
                set_provenance(cue, provenance)
                set_extended(cue, False)
                append(cue)
            else:
                append(Cue(start, end, body or "", provenance))
        else:
            if m is not None:
                pos = m.end()
        while pos < size and text[pos] == "\n":
            pos += 1
        if pos >= size:
            break
        stop = text.find("\n\n", pos)
        stop = size if stop < 0 else stop
        line_no += text.count("\n", line_pos, pos)
        line_pos = pos
        for block in blocks(text[pos:stop], line_no):
            _srt_block(block, name, provenance, append, problems)
        pos = stop
    return cues, problems


def _white_inside(white: list[int], start: int, end: int) -> bool:
    i = bisect.bisect_left(white, start)
    return i < len(white) and white[i] < end


def _srt_block(
    block: Block, name: str, provenance: Provenance, append: Callable[[Cue], None], problems: list[str]
) -> None:
    lines = block.lines
    index = 0 if "-->" in lines[0] else 1 if len(lines) > 1 and "-->" in lines[1] else -1
    if index < 0:
        problems.append(f"{name}: line {block.line}: no 'start --> end' time line; the block was not imported")
        return
    rest = len(lines) - index - 1
    body = lines[index + 1] if rest == 1 else "\n".join(lines[index + 1 :]) if rest else ""
    m = _SRT_TIMING.fullmatch(lines[index])
    try:
        if m is None:
            raise StampError(f"{lines[index].strip()[:60]!r} is not a 'start --> end' time line")
        start, end = srt_stamp(m.group(1)), srt_stamp(m.group(2))
        if end < start:
            raise StampError("the cue ends before it starts")
        append(Cue(start, end, body, provenance))
    except ValueError as err:
        problems.append(f"{name}: line {block.line + index}: {err}; the cue was not imported")


def _skippable(head: str) -> bool:
    return any(head == word or head.startswith((word + " ", word + "\t")) for word in ("NOTE", "STYLE", "REGION"))


# the usual WebVTT block, as _SRT_FAST: blank lines, an optional identifier line, a time line with
# ASCII digits (hours optional) and optional cue settings, text lines (without the last line end), a
# blank line; each stamp as two groups, ``hh:mm`` (or ``mm``) and ``ss.mmm``
_VTT_FAST = re.compile(
    r"\n*(?:([^\n]+)\n)?"
    r"((?:[0-9]{1,4}:)?[0-5][0-9]):([0-5][0-9]\.[0-9]{3}) --> "
    r"((?:[0-9]{1,4}:)?[0-5][0-9]):([0-5][0-9]\.[0-9]{3})(?:[ \t\f][^\n]*)?\n(?:([^\n]+(?:\n[^\n]+)*)\n)?(?:\n|\Z)"
)

VttMaker = Callable[[int, int, str, str, bool], Cue]


def parse_vtt(text: str, name: str, make: VttMaker) -> tuple[list[Cue], list[str], bool]:
    """WebVTT by the parsing rules. Returns (cues, problems, has_header); ``make(start, end, text,
    identifier, clean)`` builds each cue (``clean``: the text is known to be what :func:`clean_text`
    leaves unchanged). Without a WEBVTT header the whole text is read as cue blocks.

    As :func:`parse_srt`: usual blocks are matched one after another by one pattern, and the stretch
    up to the next empty line around any other goes through the line-by-line reader."""
    text = text.replace("\x00", "\ufffd")
    if text.startswith("\ufeff"):
        text = text[1:]
    size = len(text)
    eol = text.find("\n")
    first = text if eol < 0 else text[:eol]
    has_header = first == "WEBVTT" or first.startswith(("WEBVTT ", "WEBVTT\t"))
    pos = 0
    if has_header:  # the header block runs to the first empty line, or a line with "-->"
        pos = size if eol < 0 else eol + 1
        while pos < size:
            eol = text.find("\n", pos)
            line = text[pos:] if eol < 0 else text[pos:eol]
            if not line or "-->" in line:
                break
            pos = size if eol < 0 else eol + 1
    cues: list[Cue] = []
    append = cues.append
    problems: list[str] = []
    lenient = [False]
    clean = text_is_clean(text)
    clock, seconds = _ClockMs(), _SecondsMs()
    line_pos, line_no = 0, 1
    while pos < size:
        m = None
        for m in iter(_scan(_VTT_FAST, text, pos), None):
            ident, hm1, sf1, hm2, sf2, body = m.groups()
            start = clock[hm1] + seconds[sf1]
            end = clock[hm2] + seconds[sf2]
            body = body or ""
            if end < start or "-->" in body or (ident is not None and "-->" in ident):
                pos = m.start()  # read below, line by line
                break
            append(make(start, end, body, ident or "", clean))
        else:
            if m is not None:
                pos = m.end()
        while pos < size and text[pos] == "\n":
            pos += 1
        if pos >= size:
            break
        stop = text.find("\n\n", pos)
        stop = size if stop < 0 else stop
        line_no += text.count("\n", line_pos, pos)
        line_pos = pos
        _vtt_lines(text[pos:stop].split("\n"), line_no, name, make, append, problems, lenient)
        pos = stop
    if lenient[0]:
        problems.append(
            f"{name}: non-standard WebVTT times with one-digit fields (as Microsoft Teams writes them) "
            "were read leniently"
        )
    return cues, problems, has_header


def _vtt_lines(
    lines: list[str],
    first_line: int,
    name: str,
    make: VttMaker,
    append: Callable[[Cue], None],
    problems: list[str],
    lenient: list[bool],
) -> None:
    """The line-by-line reader: ``lines`` (numbered from ``first_line``) into cues and problems."""
    n = len(lines)
    timing = _VTT_TIMING.fullmatch
    i = 0
    while i < n:
        if not lines[i]:
            i += 1
            continue
        start_line = first_line + i
        block: list[str] = []
        timing_at = -1
        while i < n and lines[i]:
            line = lines[i]
            if "-->" in line:
                if timing_at < 0 and len(block) <= 1:
                    timing_at = len(block)
                else:
                    break  # the rules: a "-->" line after the timing starts a new block
            block.append(line)
            i += 1
        if timing_at < 0:
            if not _skippable(block[0]):
                problems.append(f"{name}: line {start_line}: no 'start --> end' time line; the block was ignored")
            continue
        line_no = start_line + timing_at
        m = timing(block[timing_at])
        try:
            if m is None:
                raise StampError(f"{block[timing_at][:60]!r} is not a WebVTT time line")
            start, end = vtt_stamp(m.group(1), lenient), vtt_stamp(m.group(2), lenient)
            if end < start:
                raise StampError("the cue ends before it starts")
            append(make(start, end, "\n".join(block[timing_at + 1 :]), block[0] if timing_at else "", False))
        except ValueError as err:
            extra = " (a vertical tab is not a space in WebVTT)" if "\v" in block[timing_at] else ""
            problems.append(f"{name}: line {line_no}: {err}{extra}; the cue was ignored")


def looks_like_srt(text: str) -> bool:
    """Whether headerless subtitle text is SRT: its first block has an index line and a time line
    with a comma, or a time line with a comma."""
    for _, block in zip(range(3), blocks(text[:4000]), strict=False):
        lines = block.lines
        for line in lines[:2]:
            m = _SRT_TIMING.fullmatch(line)
            if m and ("," in m.group(1) or (lines[0].strip().isdigit() and len(lines) > 1 and line is lines[1])):
                return True
    return False
