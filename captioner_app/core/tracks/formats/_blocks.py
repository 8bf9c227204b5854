"""Split subtitle text into cue blocks and find the ones a parser cannot read."""

from __future__ import annotations

import re
from dataclasses import dataclass

from captioner_app.core.timecode import format_ms, parse_ms

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
    return format_ms(ms, sep=decimal, hours=2)


to_ms = parse_ms  # stamps that matched TIMING always parse


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
