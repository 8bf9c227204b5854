"""JSON: cues with their provenance, the canonical loss-free export."""

from __future__ import annotations

import json
from typing import Any

from captioner_app.core.errors import TrackError
from captioner_app.core.timing.budget import budget_words, word_count
from captioner_app.core.tracks.formats import ReadResult
from captioner_app.core.tracks.track import Cue, Provenance, Track

SCHEMA = "captioner-track"
VERSION = 1


def cue_to_dict(cue: Cue) -> dict[str, Any]:
    return {
        "start_ms": cue.start_ms,
        "end_ms": cue.end_ms,
        "start": cue.start_ms / 1000.0,
        "end": cue.end_ms / 1000.0,
        "text": cue.text,
        "extended": cue.extended,
        # narration budget at 180 wpm; "fits": false flags an over-long cue (never silently cut)
        "budget_words": budget_words(cue.duration_ms),
        "fits": word_count(cue.text) <= budget_words(cue.duration_ms),
        "provenance": cue.provenance.to_dict(),
    }


def track_to_dict(track: Track) -> dict[str, Any]:
    return {
        "schema": SCHEMA,
        "version": VERSION,
        "video": track.video,
        "duration_ms": track.duration_ms,
        "language": track.language,
        "cues": [cue_to_dict(c) for c in track],
    }


def render(track: Track) -> str:
    return json.dumps(track_to_dict(track), ensure_ascii=False, indent=2) + "\n"


def track_from_dict(data: Any, name: str) -> ReadResult:
    if not isinstance(data, dict) or not isinstance(data.get("cues"), list):
        raise TrackError(f"{name}: not a captioner track (no 'cues' list)")
    if int(data.get("version", VERSION)) > VERSION:
        raise TrackError(f"{name}: written by a newer version (track format {data.get('version')})")
    cues: list[Cue] = []
    problems: list[str] = []
    for number, item in enumerate(data["cues"], start=1):
        try:
            cues.append(
                Cue(
                    int(item["start_ms"]),
                    int(item["end_ms"]),
                    str(item.get("text", "")),
                    Provenance.from_dict(item.get("provenance") or {}),
                    bool(item.get("extended", False)),
                )
            )
        except (KeyError, TypeError, ValueError) as err:
            problems.append(f"{name}: cue {number}: unreadable ({type(err).__name__}: {err}); not imported")
    track = Track(cues, data.get("video"), data.get("duration_ms"), str(data.get("language") or "en"))
    return ReadResult(track, problems)


def parse(text: str, name: str) -> ReadResult:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as err:
        raise TrackError(f"{name}: not valid JSON (line {err.lineno}: {err.msg})") from None
    return track_from_dict(data, name)
