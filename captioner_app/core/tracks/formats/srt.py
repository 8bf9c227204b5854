"""SubRip (.srt): read leniently by :mod:`._blocks`, written here (``hh:mm:ss,mmm``)."""

from __future__ import annotations

from captioner_app.core.tracks.formats import ReadResult
from captioner_app.core.tracks.formats._blocks import parse_srt, stamp
from captioner_app.core.tracks.track import Track


def render(track: Track) -> str:
    parts = []
    for number, cue in enumerate(track, start=1):
        parts.append(f"{number}\n{stamp(cue.start_ms, ',')} --> {stamp(cue.end_ms, ',')}\n{cue.text or ' '}\n\n")
    return "".join(parts)


def parse(text: str, name: str) -> ReadResult:
    cues, problems = parse_srt(text, name)
    return ReadResult(Track(cues), problems)
