"""WebVTT through webvtt-py.

Extended audio description (the player pauses while the cue is spoken) is written as a cue
identifier ``extended-N``: identifiers are part of WebVTT, players ignore them, and we read them back.
"""

from __future__ import annotations

import html
import io

from captioner_app.core.tracks.formats import ReadResult
from captioner_app.core.tracks.formats._blocks import blocks, check, stamp, timing_index, to_ms
from captioner_app.core.tracks.track import Cue, Provenance, Track

EXTENDED_PREFIX = "extended-"


def escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def render(track: Track) -> str:
    import webvtt

    doc = webvtt.WebVTT()
    for number, cue in enumerate(track, start=1):
        caption = webvtt.Caption(stamp(cue.start_ms, "."), stamp(cue.end_ms, "."), escape(cue.text) or " ")
        caption.identifier = f"{EXTENDED_PREFIX}{number}" if cue.extended else None
        doc.captions.append(caption)
    header = "WEBVTT - audio description\n\n"
    body = doc.content
    return header + body.split("\n", 2)[2] if body.startswith("WEBVTT\n\n") else body


def parse(text: str, name: str) -> ReadResult:
    import webvtt

    all_blocks = blocks(text.lstrip("\ufeff"))
    problems: list[str] = []
    if not all_blocks or not all_blocks[0].lines[0].startswith("WEBVTT"):
        problems.append(f"{name}: line 1: no WEBVTT header; read as WebVTT anyway")
    else:
        all_blocks = all_blocks[1:]
    good: list[str] = []
    for block in all_blocks:
        head = block.lines[0].strip()
        if head.startswith(("NOTE", "STYLE", "REGION")) and timing_index(block) is None:
            continue
        why = check(block, name)
        if why:
            problems.append(why)
            continue
        good.append("\n".join(block.lines))
    doc = webvtt.from_buffer(io.StringIO("WEBVTT\n\n" + "\n\n".join(good) + "\n"))
    cues = []
    for caption in doc.captions:
        extended = bool(caption.identifier and caption.identifier.startswith(EXTENDED_PREFIX))
        text = html.unescape(caption.text)
        cues.append(Cue(to_ms(caption.start), to_ms(caption.end), text, Provenance(source="import"), extended))
    return ReadResult(Track(cues), problems)
