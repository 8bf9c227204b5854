"""Issue 14, item 11: the fast paths of reading, checking and writing large tracks give exactly what
the plain ways give (the block-by-block SRT reader, ``stamp``, ``json.dumps``, ``format_ms``)."""

from __future__ import annotations

import json
import random
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from captioner_app.core.timecode import format_ms
from captioner_app.core.tracks import formats
from captioner_app.core.tracks.checks import ERROR, Finding, check_track
from captioner_app.core.tracks.formats import json_format, vtt
from captioner_app.core.tracks.formats._blocks import (
    _srt_block,
    _vtt_lines,
    blocks,
    parse_srt,
    parse_vtt,
    stamp,
    stamp_tables,
)
from captioner_app.core.tracks.track import Cue, Provenance, Track, checked_cue, clean_text, text_is_clean

LINES = [
    "1",
    "12",
    "x",
    "",
    " ",
    "  ",
    "\t",
    "00:00:01,000 --> 00:00:02,000",
    "00:00:02,000 --> 00:00:01,000",
    "00:00:01.500 --> 00:00:03,000 ",
    "0:0:1,5 --> 0:0:2,0",
    "99999:00:00,000 --> 99999:00:01,000",
    "9999:59:59,999 --> 9999:59:59,999",
    "00:60:00,000 --> 00:60:01,000",
    "hello world",
    " lead",
    "trail ",
    "a  b",
    "café",
    "\u00a0",
    "-->",
    "00:00:01,000 --> 00:00:02,000 X1:40",
    "\u0661:00:00,000 --> 00:00:01,000",
    "\x1c",
    "ok\x0btab",
]


def block_by_block(text: str) -> tuple[list[Cue], list[str]]:
    """The plain reader: every block on its own (what parse_srt's one-pattern scan must equal)."""
    cues: list[Cue] = []
    problems: list[str] = []
    provenance = Provenance(source="import")
    for block in blocks(text):
        _srt_block(block, "t.srt", provenance, cues.append, problems)
    return cues, problems


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(LINES), max_size=16), st.booleans())
def test_the_srt_scan_reads_what_the_block_reader_reads(lines: list[str], final_newline: bool) -> None:
    text = "\n".join(lines) + ("\n" if final_newline else "")
    assert parse_srt(text, "t.srt") == block_by_block(text)


def test_the_srt_scan_on_a_long_mixed_file() -> None:
    rng = random.Random(14)
    text = "\n".join(rng.choice(LINES) for _ in range(20_000))
    cues, problems = parse_srt(text, "t.srt")
    assert (cues, problems) == block_by_block(text)
    assert cues and problems  # the file mixes both


VTT_LINES = [
    "WEBVTT",
    "WEBVTT - x",
    "1",
    "extended-3",
    "",
    " ",
    "  ",
    "NOTE hi",
    "STYLE",
    "00:00:01.000 --> 00:00:02.000",
    "00:01.000 --> 00:02.000",
    "00:00:02.000 --> 00:00:01.000",
    "00:00:01.000 --> 00:00:02.000 align:start",
    "00:00:01.000 --> 00:00:02.000\tline:0",
    "0:0:1.5 --> 0:0:2.0",
    "00:00:01,000 --> 00:00:02,000",
    "99999:00:00.000 --> 99999:00:01.000",
    "60:00.000 --> 61:00.000",
    "00:00:01.000 --> 00:00:02.000\vx",
    "hello world",
    "trail ",
    "a  b",
    "café",
    "<i>hi</i> &amp; x",
    "a\x00b",
    "x --> y",
    "\u0661\u0661:00.000 --> 00:01.000",
]


def line_by_line_vtt(text: str) -> tuple[list[Cue], list[str], bool]:
    """The plain WebVTT reader: the header, then every line through the line-by-line reader."""
    lines = text.replace("\x00", "\ufffd").split("\n")
    lines[0] = lines[0].removeprefix("\ufeff")
    has_header = lines[0] == "WEBVTT" or lines[0].startswith(("WEBVTT ", "WEBVTT\t"))
    i = 0
    if has_header:
        i = 1
        while i < len(lines) and lines[i] and "-->" not in lines[i]:
            i += 1
    cues: list[Cue] = []
    problems: list[str] = []
    lenient = [False]
    make = vtt_maker()
    _vtt_lines(lines[i:], i + 1, "t.vtt", lambda *a: make(*a[:4], False), cues.append, problems, lenient)
    if lenient[0]:
        problems.append(
            "t.vtt: non-standard WebVTT times with one-digit fields (as Microsoft Teams writes them) "
            "were read leniently"
        )
    return cues, problems, has_header


def vtt_maker():  # type: ignore[no-untyped-def]
    """vtt.parse's cue maker, caught on its way into parse_vtt."""
    caught = []

    def catch(text: str, name: str, make):  # type: ignore[no-untyped-def]
        caught.append(make)
        return [], [], True

    original = vtt.parse_vtt
    vtt.parse_vtt = catch  # type: ignore[assignment]
    try:
        vtt.parse("", "t.vtt")
    finally:
        vtt.parse_vtt = original
    return caught[0]


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(VTT_LINES), max_size=16), st.booleans(), st.booleans())
def test_the_webvtt_scan_reads_what_the_line_reader_reads(lines: list[str], header: bool, final_newline: bool) -> None:
    text = ("WEBVTT\n\n" if header else "") + "\n".join(lines) + ("\n" if final_newline else "")
    assert parse_vtt(text, "t.vtt", vtt_maker()) == line_by_line_vtt(text)


@given(st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=40))
def test_a_text_judged_clean_as_a_whole_gives_clean_cue_texts(text: str) -> None:
    if text_is_clean(text):
        lines = text.split("\n")
        for line in lines:
            assert clean_text(line) == line
        body = "\n".join(line for line in lines if line)  # a cue's text: lines, none empty
        assert checked_cue(0, 5, body, Provenance(source="import")) == Cue(0, 5, body, Provenance(source="import"))


def plain_srt(track: Track) -> str:
    return "".join(
        f"{n}\n{stamp(c.start_ms, ',')} --> {stamp(c.end_ms, ',')}\n{c.text or ' '}\n\n" for n, c in enumerate(track, 1)
    )


def plain_vtt(track: Track) -> str:
    out = ["WEBVTT - audio description\n"]
    for n, c in enumerate(track, 1):
        ident = f"\nextended-{n}" if c.extended else ""
        text = c.text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        out.append(f"{ident}\n{stamp(c.start_ms, '.')} --> {stamp(c.end_ms, '.')}\n{text or ' '}\n")
    return "".join(out)


def plain_json(track: Track) -> str:
    return json.dumps(json_format.track_to_dict(track), ensure_ascii=False, indent=2) + "\n"


provenances = st.builds(
    Provenance,
    window_index=st.none() | st.integers(0, 10**6),
    frame_times_ms=st.lists(st.integers(0, 10**9), max_size=3).map(tuple),
    model=st.none() | st.text(max_size=8),
    source=st.sampled_from(["model", "import", "manual"]),
    engine=st.none() | st.just("http://127.0.0.1:1/"),
)
cues = st.builds(
    lambda start, length, text, provenance, extended: Cue(start, start + length, text, provenance, extended),
    st.integers(0, 9999 * 3_600_000),
    st.integers(0, 10**7),
    st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=40),
    provenances,
    st.booleans(),
)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(cues, max_size=8),
    st.none() | st.text(max_size=10),
    st.none() | st.integers(0, 10**9),
    st.sampled_from(["en", "fr", "zh-Hans"]),
)
def test_the_writers_write_what_the_plain_ways_write(
    items: list[Cue], video: str | None, duration: int | None, language: str
) -> None:
    track = Track(items, video, duration, language)
    assert formats.render(track, "srt") == plain_srt(track)
    assert formats.render(track, "vtt") == plain_vtt(track)
    assert formats.render(track, "json") == plain_json(track)


def test_a_shared_provenance_is_written_for_every_cue() -> None:
    shared = Provenance(window_index=3, frame_times_ms=(1, 2), source="model")
    track = Track([Cue(i * 10, i * 10 + 5, f"cue {i}", shared if i % 2 else Provenance()) for i in range(6)])
    assert formats.render(track, "json") == plain_json(track)


@given(
    st.integers(0, 10**7),
    st.integers(0, 9999 * 3_600_000),
    st.integers(0, 10**7),
    st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=30),
)
def test_a_finding_writes_what_json_and_format_ms_write(index: int, start: int, length: int, text: str) -> None:
    f = Finding(index, "over-budget", ERROR, text, text[::-1], start, start + length)
    clock = [format_ms(ms, decimals=1, hours=None) for ms in (f.start_ms, f.end_ms)]
    assert f.line() == f"cue {index + 1} ({clock[0]}-{clock[1]}) error over-budget: {text}; {text[::-1]}"
    assert f.json_text() == json.dumps(f.to_dict(), ensure_ascii=False, indent=2)
    assert f.json_text(4) == json.dumps(f.to_dict(), ensure_ascii=False, indent=2).replace("\n", "\n    ")


@given(st.lists(st.tuples(st.integers(0, 20), st.integers(0, 5), st.integers(0, 3)), max_size=30))
def test_tracks_sort_by_start_then_end_keeping_ties_in_order(spans: list[tuple[int, int, int]]) -> None:
    items = [Cue(s, s + d, f"n{n}") for s, d, n in spans]
    assert Track(list(items)).cues == sorted(items, key=lambda c: (c.start_ms, c.end_ms))


def test_checks_of_a_track_read_fast_equal_those_of_cues_made_one_by_one() -> None:
    text = "".join(
        f"{n}\n{stamp(n * 3000, ',')} --> {stamp(n * 3000 + (900 if n % 5 else 2400), ',')}\n"
        f"{'we see the camera pans' if n % 3 else 'she walked and was late'} {'word ' * (n % 12)}\n\n"
        for n in range(1, 400)
    )
    fast = formats.parse(text.encode(), "srt", "t.srt").track
    plain = Track([Cue(c.start_ms, c.end_ms, c.text, c.provenance) for c in fast])
    found = check_track(fast)
    assert found == check_track(plain)
    assert {f.rule for f in found} == {"over-budget", "short-gap", "we-see", "not-present-tense"}


def test_tracks_are_written_in_parts_that_join_to_the_whole(tmp_path: Path) -> None:
    from captioner_app.core.tracks.formats import json_format, srt

    track = Track([Cue(i * 1000, i * 1000 + 500, f"cue {i} & <b>", extended=i % 3 == 0) for i in range(25)])
    for fmt, plain in (("srt", plain_srt), ("vtt", plain_vtt), ("json", plain_json)):
        module = {"srt": srt, "vtt": vtt, "json": json_format}[fmt]
        for size in (1, 5, 7, 25, 100):  # parts ending exactly at the last cue, and not
            assert "".join(module.chunks(track, size)) == plain(track)
        path = formats.write(track, tmp_path / f"t.{fmt}")
        assert path.read_text(encoding="utf-8") == plain(track)
        spans = [(c.start_ms, c.end_ms, c.text) for c in track]
        assert [(c.start_ms, c.end_ms, c.text) for c in formats.read(path).track] == spans


@given(st.integers(0, 10**12))
def test_the_stamp_tables_give_what_stamp_gives(ms: int) -> None:
    hours, mmss, millis = stamp_tables(ms)
    for decimal in (",", "."):
        assert f"{hours[ms // 3_600_000]}:{mmss[ms % 3_600_000 // 1000]}{decimal}{millis[ms % 1000]}" == stamp(
            ms, decimal
        )


def test_cues_beyond_ten_thousand_hours_are_written_as_stamp_writes_them() -> None:
    track = Track([Cue(5, 9, "a"), Cue(36_000_000_000, 36_000_000_001, "b"), Cue(10**13, 10**13 + 7, "c")])
    assert formats.render(track, "srt") == plain_srt(track)
    assert formats.render(track, "vtt") == plain_vtt(track)


def test_reading_leaves_the_garbage_collector_as_it_was(tmp_path: Path) -> None:
    import gc

    path = tmp_path / "t.srt"
    path.write_text("1\n00:00:01,000 --> 00:00:02,000\nhi\n\n", encoding="utf-8")
    assert gc.isenabled()
    assert len(formats.read(path).track) == 1
    assert gc.isenabled()
    gc.disable()
    try:
        assert len(formats.read(path).track) == 1
        assert not gc.isenabled()
    finally:
        gc.enable()
