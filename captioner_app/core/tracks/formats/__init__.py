"""Track formats: SRT, WebVTT, JSON (cues plus provenance) and plain text.

Every writer goes through :func:`captioner_app.core.fileio.atomic_write_bytes`; every reader takes
bytes of unknown encoding and returns the cues it could read plus a list of the ones it could not.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from captioner_app.core.errors import TrackError, UsageError
from captioner_app.core.fileio import atomic_write_bytes, atomic_write_file, read_bytes
from captioner_app.core.tracks.track import Track, many_objects

FORMATS = ("srt", "vtt", "json", "txt")
MAX_TRACK_BYTES = 200 * 1024 * 1024  # larger "tracks" are refused with the reason, never read whole
EXTENSIONS = {"srt": ".srt", "vtt": ".vtt", "json": ".json", "txt": ".txt"}
CHUNK_CUES = 10_000  # a large track is rendered and written this many cues at a time


@dataclass
class ReadResult:
    track: Track
    problems: list[str] = field(default_factory=list)  # one line per cue that could not be read
    encoding: str = "utf-8"


def format_for(path: str | os.PathLike[str], explicit: str | None = None) -> str:
    if explicit:
        fmt = explicit.lower().lstrip(".")
        if fmt == "webvtt":
            fmt = "vtt"
        if fmt not in FORMATS:
            raise UsageError(f"unknown format {explicit!r}: choose one of {', '.join(FORMATS)}")
        return fmt
    suffix = Path(path).suffix.lower().lstrip(".")
    if suffix in FORMATS:
        return suffix
    raise UsageError(f"{path}: cannot tell the format from the extension; use .srt, .vtt, .json or .txt")


def render(track: Track, fmt: str) -> str:
    from captioner_app.core.tracks.formats import json_format, srt, txt, vtt

    renderers = {"srt": srt.render, "vtt": vtt.render, "json": json_format.render, "txt": txt.render}
    return renderers[format_for("", fmt)](track)


def write(track: Track, path: str | os.PathLike[str], fmt: str | None = None) -> Path:
    """Write ``track`` atomically; the format comes from ``fmt`` or the file's extension. SRT, WebVTT
    and JSON are rendered and written a part at a time (a million cues are never held as text whole)."""
    from captioner_app.core.tracks.formats import json_format, srt, vtt

    fmt = format_for(path, fmt)
    if fmt == "txt":
        return atomic_write_bytes(path, render(track, fmt).encode("utf-8"))
    parts = {"srt": srt.chunks, "vtt": vtt.chunks, "json": json_format.chunks}[fmt]

    def fill(tmp: str) -> None:
        with open(tmp, "wb") as out:
            for part in parts(track):
                out.write(part.encode("utf-8"))

    return atomic_write_file(path, fill)


def parse(data: bytes, fmt: str, name: str = "track") -> ReadResult:
    from captioner_app.core.fileio import decode_text
    from captioner_app.core.tracks.formats import json_format, srt, vtt

    text, encoding = decode_text(data, name)
    fmt = format_for(name, fmt)
    if fmt not in ("srt", "vtt", "json"):
        raise UsageError(f"{name}: plain text has no times and cannot be imported; use SRT, WebVTT or JSON")
    with many_objects():
        if fmt == "srt" and text.lstrip("\ufeff").startswith("WEBVTT"):  # a WebVTT saved as .srt
            result = vtt.parse(text, name)
            result.problems.insert(0, f"{name}: line 1: the content is WebVTT; read as WebVTT")
        elif fmt == "srt":
            result = srt.parse(text, name)
        elif fmt == "vtt":
            result = vtt.parse(text, name)
        else:
            result = json_format.parse(text, name)
    result.encoding = encoding
    return result


def read(path: str | os.PathLike[str], fmt: str | None = None) -> ReadResult:
    """Read a track file of any of the supported formats and encodings."""
    p = Path(path)
    data = read_bytes(p, "a track file", max_bytes=MAX_TRACK_BYTES)
    if not data.strip():
        raise TrackError(f"{p}: the file is empty")
    if fmt is None and p.suffix.lower() not in (".srt", ".vtt", ".json"):
        fmt = sniff(data)
    return parse(data, format_for(p, fmt), str(p))


def sniff(data: bytes) -> str:
    head = data[:64].lstrip(b"\xef\xbb\xbf").lstrip()
    if head.startswith(b"WEBVTT"):
        return "vtt"
    if head.startswith(b"{"):
        return "json"
    return "srt"
