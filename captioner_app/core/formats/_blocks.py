"""Split subtitle text into cue blocks and find the ones a parser cannot read."""

from __future__ import annotations

import re
from dataclasses import dataclass

TIMING = re.compile(
    r"^\s*(?P<start>(?:\d+:)?\d{1,2}:\d{2}[,.]\d{1,3})\s*-->\s*(?P<end>(?:\d+:)?\d{1,2}:\d{2}[,.]\d{1,3})(?P<rest>.*)$"
)


@dataclass
class Block:
    line: int  # 1-based line number of the block's first line
    lines: list[str]


def blocks(text: str) -> list[Block]:
    out: list[Block] = []
    current: list[str] = []
    start = 1
    for number, line in enumerate(text.split("\n"), start=1):
        if line.strip():
            if not current:
                start = number
            current.append(line)
        elif current:
            out.append(Block(start, current))
            current = []
    if current:
        out.append(Block(start, current))
    return out


def stamp(ms: int, decimal: str) -> str:
    """``hh:mm:ss<decimal>mmm``: SRT separates milliseconds with a comma, WebVTT with a dot."""
    hours, rest = divmod(ms, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    seconds, millis = divmod(rest, 1000)
    return f"{hours:02d}:{minutes:02d}:{seconds:02d}{decimal}{millis:03d}"


def to_ms(stamp: str) -> int:
    parts = stamp.replace(",", ".").split(":")
    seconds = float(parts[-1])
    minutes = int(parts[-2]) if len(parts) >= 2 else 0
    hours = int(parts[-3]) if len(parts) >= 3 else 0
    return int(round(((hours * 60 + minutes) * 60 + seconds) * 1000))


def timing_index(block: Block) -> int | None:
    for i, line in enumerate(block.lines[:2]):
        if TIMING.match(line):
            return i
    return None


def check(block: Block, name: str) -> str | None:
    """Why a block cannot be a cue, or None when it can."""
    index = timing_index(block)
    if index is None:
        return f"{name}: line {block.line}: no 'start --> end' time line; the block was not imported"
    m = TIMING.match(block.lines[index])
    assert m is not None
    start, end = to_ms(m["start"]), to_ms(m["end"])
    if end < start:
        return f"{name}: line {block.line + index}: the cue ends before it starts; it was not imported"
    return None
