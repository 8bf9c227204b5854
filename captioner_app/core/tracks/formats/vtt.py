"""WebVTT: read by the WebVTT parsing rules (:mod:`._blocks`), written here.

Extended audio description (the player pauses while the cue is spoken) is written as a cue
identifier ``extended-N``: identifiers are part of WebVTT, players ignore them, and we read them back.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator

from captioner_app.core.tracks.formats import CHUNK_CUES, ReadResult
from captioner_app.core.tracks.formats._blocks import looks_like_srt, parse_srt, parse_vtt
from captioner_app.core.tracks.track import Cue, Provenance, Track, checked_cue

EXTENDED_PREFIX = "extended-"
_TAG = re.compile(r"<[^>\n]*>")


def escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def render(track: Track) -> str:
    return "".join(chunks(track))


def chunks(track: Track, size: int = CHUNK_CUES) -> Iterator[str]:
    """As :func:`srt.chunks`: ``size`` cues at a time, one format per cue (the same text as ``stamp``)."""
    template = "\n%02d:%02d:%02d.%03d --> %02d:%02d:%02d.%03d\n%s\n"
    parts = ["WEBVTT - audio description\n"]
    append = parts.append
    for number, cue in enumerate(track.cues, start=1):
        text = cue.text
        if "&" in text or "<" in text or ">" in text:
            text = escape(text)
        if cue.extended:
            append(f"\n{EXTENDED_PREFIX}{number}")
        start, end = cue.start_ms, cue.end_ms
        append(
            template
            % (
                start // 3_600_000,
                start // 60_000 % 60,
                start // 1000 % 60,
                start % 1000,
                end // 3_600_000,
                end // 60_000 % 60,
                end // 1000 % 60,
                end % 1000,
                text or " ",
            )
        )
        if number % size == 0:
            yield "".join(parts)
            parts.clear()
    if parts:
        yield "".join(parts)


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
