"""SubRip (.srt) through pysrt."""

from __future__ import annotations

import io

from captioner_app.core.tracks.formats import ReadResult
from captioner_app.core.tracks.formats._blocks import blocks, check, timing_index
from captioner_app.core.tracks.track import Cue, Provenance, Track


def render(track: Track) -> str:
    import pysrt

    items = pysrt.SubRipFile()
    for number, cue in enumerate(track, start=1):
        items.append(
            pysrt.SubRipItem(
                index=number,
                start=pysrt.SubRipTime.from_ordinal(cue.start_ms),
                end=pysrt.SubRipTime.from_ordinal(cue.end_ms),
                text=cue.text or " ",
            )
        )
    buffer = io.StringIO()
    items.write_into(buffer, eol="\n")
    return buffer.getvalue()


def parse(text: str, name: str) -> ReadResult:
    import pysrt

    problems: list[str] = []
    good: list[str] = []
    for block in blocks(text):
        why = check(block, name)
        if why:
            problems.append(why)
            continue
        index = timing_index(block)
        lines = block.lines[index:] if index else block.lines
        good.append("\n".join(["0", *lines]))
    items = pysrt.SubRipFile.from_string("\n\n".join(good) + "\n", error_handling=pysrt.ERROR_RAISE)
    provenance = Provenance(source="import")
    cues = [Cue(item.start.ordinal, item.end.ordinal, item.text, provenance) for item in items]
    return ReadResult(Track(cues), problems)
