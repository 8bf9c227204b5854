"""SubRip (.srt): read leniently by :mod:`._blocks`, written here (``hh:mm:ss,mmm``)."""

from __future__ import annotations

from collections.abc import Iterator

from captioner_app.core.tracks.formats import CHUNK_CUES, ReadResult
from captioner_app.core.tracks.formats._blocks import parse_srt
from captioner_app.core.tracks.track import Track


def render(track: Track) -> str:
    return "".join(chunks(track))


def chunks(track: Track, size: int = CHUNK_CUES) -> Iterator[str]:
    """The text ``size`` cues at a time (a large track is written without being held whole twice).

    One format per cue, the times worked out inline: the same text as ``stamp(ms, ",")`` (a test holds
    them equal), without two million calls for a million-cue track."""
    template = "%d\n%02d:%02d:%02d,%03d --> %02d:%02d:%02d,%03d\n%s\n\n"
    cues = track.cues
    for first in range(0, len(cues), size):
        yield "".join(
            [
                template
                % (
                    number,
                    cue.start_ms // 3_600_000,
                    cue.start_ms // 60_000 % 60,
                    cue.start_ms // 1000 % 60,
                    cue.start_ms % 1000,
                    cue.end_ms // 3_600_000,
                    cue.end_ms // 60_000 % 60,
                    cue.end_ms // 1000 % 60,
                    cue.end_ms % 1000,
                    cue.text or " ",
                )
                for number, cue in enumerate(cues[first : first + size], start=first + 1)
            ]
        )


def parse(text: str, name: str) -> ReadResult:
    cues, problems = parse_srt(text, name)
    return ReadResult(Track(cues), problems)
