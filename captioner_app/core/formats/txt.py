"""Plain text: one paragraph per cue with its time range, for reading or a script."""

from __future__ import annotations

from captioner_app.core.track import Track


def _clock(ms: int) -> str:
    seconds = ms // 1000
    return f"{seconds // 3600:d}:{seconds // 60 % 60:02d}:{seconds % 60:02d}.{ms % 1000 // 100:d}"


def render(track: Track) -> str:
    parts = [f"[{_clock(c.start_ms)} - {_clock(c.end_ms)}]\n{c.text}" for c in track]
    return "\n\n".join(parts) + ("\n" if parts else "")
