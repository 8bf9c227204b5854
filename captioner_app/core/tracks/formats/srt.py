"""SubRip (.srt): read leniently by :mod:`._blocks`, written here (``hh:mm:ss,mmm``)."""

from __future__ import annotations

import operator
from collections.abc import Iterator

from captioner_app.core.tracks.formats import CHUNK_CUES, ReadResult
from captioner_app.core.tracks.formats._blocks import parse_srt, stamp_tables
from captioner_app.core.tracks.track import Track

_end_of = operator.attrgetter("end_ms")


def render(track: Track) -> str:
    return "".join(chunks(track))


def chunks(track: Track, size: int = CHUNK_CUES) -> Iterator[str]:
    """The text ``size`` cues at a time (a large track is written without being held whole twice).

    One f-string per cue, the stamps' parts looked up in :func:`stamp_tables`: the same text as
    ``stamp(ms, ",")`` (a test holds them equal), without two million calls for a million-cue track."""
    cues = track.cues
    for first in range(0, len(cues), size):
        part = cues[first : first + size]
        hours, mmss, millis = stamp_tables(max(map(_end_of, part)))
        out: list[str] = []
        append = out.append
        for number, cue in enumerate(part, start=first + 1):
            s, e = cue.start_ms, cue.end_ms
            append(
                f"{number}\n{hours[s // 3_600_000]}:{mmss[s % 3_600_000 // 1000]},{millis[s % 1000]} --> "
                f"{hours[e // 3_600_000]}:{mmss[e % 3_600_000 // 1000]},{millis[e % 1000]}\n{cue.text or ' '}\n\n"
            )
        yield "".join(out)


def parse(text: str, name: str) -> ReadResult:
    cues, problems = parse_srt(text, name)
    return ReadResult(Track(cues), problems)
