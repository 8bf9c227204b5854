"""JSON: cues with their provenance, the canonical loss-free export."""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from typing import Any

from captioner_app.core.errors import TrackError, one_line
from captioner_app.core.timing.budget import budget_words, word_count
from captioner_app.core.tracks.formats import CHUNK_CUES, ReadResult
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


_CUE = (
    '\n    {\n      "start_ms": %d,\n      "end_ms": %d,\n      "start": %s,\n      "end": %s,\n      "text": %s,'
    '\n      "extended": %s,\n      "budget_words": %d,\n      "fits": %s,\n      "provenance": %s\n    }'
)


def render(track: Track) -> str:
    return "".join(chunks(track))


def chunks(track: Track, size: int = CHUNK_CUES) -> Iterator[str]:
    """``json.dumps(track_to_dict(track), ensure_ascii=False, indent=2)``, the same text (a test holds
    them equal) made cue by cue with a template, ``size`` cues at a time: the standard library's
    encoder is pure Python when indenting, about 50 times slower, and holds every cue's dictionary."""
    head = {key: value for key, value in track_to_dict(Track([])).items() if key != "cues"}
    head.update(video=track.video, duration_ms=track.duration_ms, language=track.language)
    opening = json.dumps(head, ensure_ascii=False, indent=2)[:-2] + ',\n  "cues": ['
    if not track.cues:
        yield opening + "]\n}\n"
        return
    string = json.encoder.encode_basestring  # what ensure_ascii=False writes a str with (in C)
    number = float.__repr__  # what json writes a float with
    provenances: dict[int, tuple[Provenance, str]] = {}  # imported cues share one provenance
    parts: list[str] = []
    append = parts.append
    for count, cue in enumerate(track.cues, start=1):
        provenance = cue.provenance
        known = provenances.get(id(provenance))
        if known is None or known[0] is not provenance:
            text = json.dumps(provenance.to_dict(), ensure_ascii=False, indent=2).replace("\n", "\n      ")
            known = provenances[id(provenance)] = (provenance, text)
        duration = cue.end_ms - cue.start_ms
        budget = budget_words(duration)
        extended = cue.extended
        append(
            _CUE
            % (
                cue.start_ms,
                cue.end_ms,
                number(cue.start_ms / 1000.0),
                number(cue.end_ms / 1000.0),
                string(cue.text),
                "true" if extended is True else "false" if extended is False else json.dumps(extended),
                budget,
                "true" if word_count(cue.text) <= budget else "false",
                known[1],
            )
        )
        if count % size == 0:
            yield opening + ",".join(parts)
            opening = ","
            parts.clear()
    yield (opening + ",".join(parts) if parts else "") + "\n  ]\n}\n"


MAX_MS = 9999 * 3_600_000  # as for SRT and WebVTT: beyond 9999 hours is an error, not a time


def _ms(value: Any, key: str) -> int:
    """A time in milliseconds: a whole number (or a float holding one) from 0 to 9999 hours."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(f"{key} is {type(value).__name__}, not a number")
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError(f"{key} is {value}")
    if not 0 <= value <= MAX_MS:
        shown = f"{value:.3g}" if isinstance(value, float) or abs(value) > 10**15 else str(value)
        raise ValueError(f"{key} {shown} is outside 0 to {MAX_MS:,} ms (9999 hours)")
    return int(value)


def _cue(item: Any) -> Cue:
    if not isinstance(item, dict):
        raise ValueError(f"a cue must be an object, not {type(item).__name__}")
    provenance = item.get("provenance") or {}
    if not isinstance(provenance, dict):
        raise ValueError(f"provenance is {type(provenance).__name__}, not an object")
    if "start_ms" not in item or "end_ms" not in item:
        raise ValueError("it has no start_ms or end_ms")
    start, end = _ms(item["start_ms"], "start_ms"), _ms(item["end_ms"], "end_ms")
    if end < start:
        raise ValueError("the cue ends before it starts")
    text = item.get("text", "")
    if not isinstance(text, str):
        raise ValueError(f"text is {type(text).__name__}, not a string")
    return Cue(start, end, text, Provenance.from_dict(provenance), bool(item.get("extended", False)))


def track_from_dict(data: Any, name: str) -> ReadResult:
    if not isinstance(data, dict) or not isinstance(data.get("cues"), list):
        raise TrackError(f"{name}: not a captioner track (no 'cues' list)")
    version = data.get("version", VERSION)
    if isinstance(version, bool) or not isinstance(version, int):
        raise TrackError(f"{name}: the track format version {str(version)[:40]!r} is not a whole number")
    if version > VERSION:
        raise TrackError(f"{name}: written by a newer version (track format {version})")
    cues: list[Cue] = []
    problems: list[str] = []
    for number, item in enumerate(data["cues"], start=1):
        try:
            cues.append(_cue(item))
        except (KeyError, TypeError, ValueError, OverflowError, AttributeError) as err:
            # our own loss-free format: a damaged cue means a damaged file, refused whole with the reason
            raise TrackError(
                f"{name}: cue {number} is unreadable ({one_line(err, 160)}); the file was not imported"
            ) from None
    video, duration, language = data.get("video"), data.get("duration_ms"), data.get("language")
    if video is not None and not isinstance(video, str):
        problems.append(f"{name}: 'video' is {type(video).__name__}, not a file name; ignored")
        video = None
    if duration is not None:
        try:
            duration = _ms(duration, "duration_ms")
        except ValueError as err:
            problems.append(f"{name}: {err}; ignored")
            duration = None
    if not isinstance(language, str) or not language:
        language = "en"
    return ReadResult(Track(cues, video, duration, language), problems)


def parse(text: str, name: str) -> ReadResult:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as err:
        raise TrackError(f"{name}: not valid JSON (line {err.lineno}: {err.msg})") from None
    except RecursionError:
        raise TrackError(f"{name}: not a captioner track (nested too deeply to read)") from None
    except ValueError as err:  # e.g. an integer over Python's digit limit
        raise TrackError(f"{name}: not a captioner track ({one_line(err, 120)})") from None
    try:
        return track_from_dict(data, name)
    except RecursionError:
        raise TrackError(f"{name}: not a captioner track (nested too deeply to read)") from None
