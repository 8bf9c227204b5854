"""SubRip (.srt): read leniently by :mod:`._blocks`, written here (``hh:mm:ss,mmm``)."""

from __future__ import annotations

from captioner_app.core.tracks.formats import ReadResult
from captioner_app.core.tracks.formats._blocks import parse_srt
from captioner_app.core.tracks.track import Track


def render(track: Track) -> str:
    # one format per cue, the times worked out inline: the same text as ``stamp(ms, ",")`` (a test holds
    # them equal), two million times faster than two million calls for a million-cue track
    template = "%d\n%02d:%02d:%02d,%03d --> %02d:%02d:%02d,%03d\n%s\n\n"
    return "".join(
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
            for number, cue in enumerate(track.cues, start=1)
        ]
    )


def parse(text: str, name: str) -> ReadResult:
    cues, problems = parse_srt(text, name)
    return ReadResult(Track(cues), problems)
