"""Plain text: one paragraph per cue with its time range, for reading or a script."""

from __future__ import annotations

from captioner_app.core.timecode import format_ms
from captioner_app.core.tracks.track import Track


def _clock(ms: int) -> str:
    return format_ms(ms, decimals=1)


def render(track: Track) -> str:
    parts = [f"[{_clock(c.start_ms)} - {_clock(c.end_ms)}]\n{c.text}" for c in track]
    return "\n\n".join(parts) + ("\n" if parts else "")
