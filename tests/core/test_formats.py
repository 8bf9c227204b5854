from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from captioner_app.core.errors import TrackError, UsageError
from captioner_app.core.tracks import formats
from captioner_app.core.tracks.track import Cue, Provenance, Track, clean_text

# text with the characters that break naive writers: arrows, blank lines, CRLF, emoji, markup
TEXT = st.lists(
    st.one_of(
        st.sampled_from(["-->", "\n", "\r\n", "\n\n", "😀", "&", "<b>", "a < b > c", "1", "00:00:01,000", "  "]),
        st.text(st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=12),
    ),
    min_size=1,
    max_size=8,
).map("".join)


@st.composite
def tracks(draw):
    n = draw(st.integers(0, 6))
    cues = []
    t = 0
    for _ in range(n):
        t += draw(st.integers(0, 5_000))
        length = draw(st.integers(1, 20_000))
        text = draw(TEXT)
        if not clean_text(text):
            text = "x"
        cues.append(Cue(t, t + length, text, Provenance(source="import"), draw(st.booleans())))
        t += length
    return Track(cues)


def key(track: Track, with_extended: bool = True):
    return [(c.start_ms, c.end_ms, c.text, c.extended if with_extended else None) for c in track]


@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow])
@given(track=tracks())
@pytest.mark.parametrize("fmt", ["srt", "vtt", "json"])
def test_export_then_import_gives_back_the_same_cues(fmt: str, track: Track):
    result = formats.parse(formats.render(track, fmt).encode("utf-8"), fmt, f"t.{fmt}")
    assert result.problems == []
    # SRT has no place for the extended-AD mark; WebVTT and JSON keep it
    assert key(result.track, fmt != "srt") == key(track, fmt != "srt")


def test_json_keeps_provenance(tmp_path: Path):
    prov = Provenance(
        window_index=3,
        window_start_ms=30_000,
        window_end_ms=40_000,
        frame_times_ms=(30_000, 30_500),
        detail="high",
        model="allenai/Molmo2-4B",
        revision="abc123",
        placement="windows",
    )
    track = Track([Cue(30_000, 40_000, "A man runs.", prov)], video="v.mp4", duration_ms=60_000)
    path = formats.write(track, tmp_path / "t.json")
    back = formats.read(path).track
    assert back[0].provenance == prov
    assert (back.video, back.duration_ms) == ("v.mp4", 60_000)


def test_clean_text_collapses_blank_lines_and_controls():
    assert clean_text("  a\r\n\r\n b\x07 \n\n") == "a\nb"


SRT_WITH_TROUBLE = (
    "1\n00:00:01,000 --> 00:00:02,500\nCafé au lait\n\n"
    "this block has no time line\n\n"
    "3\n00:00:05,000 --> 00:00:04,000\nends before it starts\n\n"
    "4\n00:00:06,000 --> 00:00:07,000\nlast one\n"
)


@pytest.mark.parametrize(
    ("encode", "encoding"),
    [
        (lambda s: s.encode("utf-8"), "utf-8"),
        (lambda s: b"\xef\xbb\xbf" + s.encode("utf-8"), "utf-8"),
        (lambda s: s.replace("\n", "\r\n").encode("utf-8"), "utf-8"),
        (lambda s: s.encode("cp1252"), "cp1252"),
        (lambda s: s.encode("utf-16"), "utf-16"),
        (lambda s: s.encode("utf-16-le"), "utf-16-le"),
    ],
    ids=["utf8", "bom", "crlf", "cp1252", "utf16-bom", "utf16le-no-bom"],
)
def test_import_copes_with_encodings_and_reports_bad_blocks(tmp_path: Path, encode, encoding: str):
    path = tmp_path / "others.srt"
    path.write_bytes(encode(SRT_WITH_TROUBLE))
    result = formats.read(path)
    assert result.encoding == encoding
    assert [(c.start_ms, c.end_ms, c.text) for c in result.track] == [
        (1000, 2500, "Café au lait"),
        (6000, 7000, "last one"),
    ]
    assert len(result.problems) == 2
    assert "line 5" in result.problems[0] and "no 'start --> end'" in result.problems[0]
    assert "ends before it starts" in result.problems[1]


def test_vtt_import_reads_others_files(tmp_path: Path):
    text = (
        "WEBVTT Kind: descriptions\n\nNOTE written elsewhere\n\nSTYLE\n::cue { color: yellow }\n\n"
        "intro\n00:01.000 --> 00:02.000 align:start\n<v Narrator>Rain &amp; <i>wind</i>.</v>\n\n"
        "00:00:03.000 --> 00:00:04.000\nsecond\n\nbroken --> block\n\n"
    )
    path = tmp_path / "others.vtt"
    path.write_text(text, encoding="utf-8")
    result = formats.read(path)
    assert [(c.start_ms, c.text) for c in result.track] == [(1000, "Rain & wind."), (3000, "second")]
    assert len(result.problems) == 1


def test_txt_export(tmp_path: Path):
    track = Track([Cue(61_500, 63_000, "A door opens.")])
    text = formats.render(track, "txt")
    assert text == "[0:01:01.5 - 0:01:03.0]\nA door opens.\n"


def test_unknown_format_and_unreadable_files(tmp_path: Path):
    with pytest.raises(UsageError, match="unknown format"):
        formats.format_for("x.srt", "docx")
    with pytest.raises(UsageError, match="cannot tell the format"):
        formats.write(Track(), tmp_path / "out.docx")
    with pytest.raises(TrackError, match="no such file"):
        formats.read(tmp_path / "none.srt")
    (tmp_path / "empty.srt").write_bytes(b"")
    with pytest.raises(TrackError, match="empty"):
        formats.read(tmp_path / "empty.srt")
    (tmp_path / "bad.json").write_text("{not json")
    with pytest.raises(TrackError, match="not valid JSON"):
        formats.read(tmp_path / "bad.json")


def test_failed_write_leaves_the_old_file_and_no_temporary(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    target = tmp_path / "track.srt"
    target.write_text("old content\n")

    def disk_full(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", disk_full)
    with pytest.raises(TrackError, match="disk is full") as err:
        formats.write(Track([Cue(0, 1000, "new")]), target)
    assert "\n" not in str(err.value)
    assert target.read_text() == "old content\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["track.srt"]


def test_write_into_missing_folder_is_one_line_error(tmp_path: Path):
    with pytest.raises(TrackError, match="does not exist"):
        formats.write(Track(), tmp_path / "nope" / "t.vtt")


def test_track_edit_operations():
    track = Track([Cue(0, 4000, "one two three four"), Cue(5000, 6000, "five")])
    track.split(0, 2000)
    assert key(track, False) == [
        (0, 2000, "one two", None),
        (2000, 4000, "three four", None),
        (5000, 6000, "five", None),
    ]
    track.merge(1, 2)
    assert key(track, False)[1] == (2000, 6000, "three four five", None)
    assert track.find("FIVE") == 1
    assert track.add(Cue(1000, 1500, "inserted")) == 1
    with pytest.raises(ValueError):
        track.split(0, 0)
    with pytest.raises(ValueError):
        Cue(5, 1, "backwards")
