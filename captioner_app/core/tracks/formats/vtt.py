"""WebVTT: read by the WebVTT parsing rules (:mod:`._blocks`), written here.

Extended audio description (the player pauses while the cue is spoken) is written as a cue
identifier ``extended-N``: identifiers are part of WebVTT, players ignore them, and we read them back.
"""

from __future__ import annotations

import html
import operator
import re
from collections.abc import Iterator

from captioner_app.core.tracks.formats import CHUNK_CUES, ReadResult
from captioner_app.core.tracks.formats._blocks import looks_like_srt, parse_srt, parse_vtt, stamp_tables
from captioner_app.core.tracks.track import Cue, Provenance, Track, checked_cue

EXTENDED_PREFIX = "extended-"
_TAG = re.compile(r"<[^>\n]*>")
_end_of = operator.attrgetter("end_ms")


def escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def render(track: Track) -> str:
    return "".join(chunks(track))


def chunks(track: Track, size: int = CHUNK_CUES) -> Iterator[str]:
    """As :func:`srt.chunks`: ``size`` cues at a time, one f-string per cue (the same text as ``stamp``)."""
    cues = track.cues
    for first in range(0, len(cues), size):
        part = cues[first : first + size]
        hours, mmss, millis = stamp_tables(max(map(_end_of, part), default=0))
        out = ["WEBVTT - audio description\n"] if first == 0 else []
        append = out.append
        for number, cue in enumerate(part, start=first + 1):
            text = cue.text
            if "&" in text or "<" in text or ">" in text:
                text = escape(text)
            if cue.extended:
                append(f"\n{EXTENDED_PREFIX}{number}")
            s, e = cue.start_ms, cue.end_ms
            append(
                f"\n{hours[s // 3_600_000]}:{mmss[s % 3_600_000 // 1000]}.{millis[s % 1000]} --> "
                f"{hours[e // 3_600_000]}:{mmss[e % 3_600_000 // 1000]}.{millis[e % 1000]}\n{text or ' '}\n"
            )
        yield "".join(out)
    if not cues:
        yield "WEBVTT - audio description\n"


def parse(text: str, name: str) -> ReadResult:
    provenance = Provenance(source="import")

    def make(start: int, end: int, body: str, identifier: str, clean: bool) -> Cue:
        extended = identifier.startswith(EXTENDED_PREFIX)
        if "<" in body:  # cue text markup (<v Name>, <i>, <c.class>, timestamps): the words only
            body = _TAG.sub("", body)
        elif "&" not in body and clean:  # nothing to change: built without checking again
            return checked_cue(start, end, body, provenance, extended)
        if "&" in body:
            body = html.unescape(body)
        return Cue(start, end, body, provenance, extended)

    cues, problems, has_header = parse_vtt(text, name, make)
    if not has_header:
        if looks_like_srt(text):  # an SRT saved as .vtt is still SRT
            cues, problems = parse_srt(text, name)
            problems.insert(0, f"{name}: line 1: no WEBVTT header and the content is SRT; read as SRT")
        else:
            problems.insert(0, f"{name}: line 1: no WEBVTT header; read as WebVTT anyway")
    return ReadResult(Track(cues), problems)
