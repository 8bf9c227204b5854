"""Issue 14, track import items 7-12: no cue lost silently, real-world oddities read, hostile files
refused in one line (exit 5), and WebVTT read by its parsing rules. Every input is made here."""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from captioner_app.cli.main import main
from captioner_app.core.errors import TrackError
from captioner_app.core.tracks import formats


def cues_of(result: formats.ReadResult) -> list[tuple[int, int, str]]:
    return [(c.start_ms, c.end_ms, c.text) for c in result.track]


def check_cli(path: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(["check", str(path)])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


# item 7: nothing lost silently


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        ("00:00:01,000 --> 00:00:02,000", "comma"),
        ("00:60:00.000 --> 00:60:01.000", "minute 60"),
        ("60:00.000 --> 60:01.000", "minute 60"),
        ("00:00:60.000 --> 00:00:61.000", "second 60"),
        ("12345678901234567890:00:00.000 --> 12345678901234567890:00:01.000", "beyond 9999 hours"),
    ],
)
def test_unreadable_webvtt_cues_are_reported_with_their_line(
    tmp_path: Path, line: str, reason: str, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "t.vtt"
    path.write_text(f"WEBVTT\n\n00:00:05.000 --> 00:00:06.000\nkept\n\n{line}\nlost?\n")
    result = formats.read(path)
    assert cues_of(result) == [(5000, 6000, "kept")]
    assert len(result.problems) == 1 and "line 6" in result.problems[0] and reason in result.problems[0]
    code, out, err = check_cli(path, capsys)
    assert code == 0 and "1 cue," in out
    assert "captioner: warning:" in err and "line 6" in err


def test_srt_saved_as_vtt_is_read_as_srt(tmp_path: Path) -> None:
    path = tmp_path / "really.vtt"
    path.write_text("1\n00:00:01,000 --> 00:00:02,000\nHello\n\n2\n00:00:03,000 --> 00:00:04,500\nWorld\n")
    result = formats.read(path)
    assert cues_of(result) == [(1000, 2000, "Hello"), (3000, 4500, "World")]
    assert result.problems == [f"{path}: line 1: no WEBVTT header and the content is SRT; read as SRT"]


def test_webvtt_saved_as_srt_is_read_as_webvtt(tmp_path: Path) -> None:
    path = tmp_path / "really.srt"
    path.write_text("WEBVTT\n\n00:01.000 --> 00:02.000\n<i>Hello</i>\n")
    result = formats.read(path)
    assert cues_of(result) == [(1000, 2000, "Hello")]
    assert "read as WebVTT" in result.problems[0]


_GOOD = st.tuples(st.integers(0, 5000), st.integers(0, 4000), st.integers(0, 999))


@st.composite
def block(draw: st.DrawFn, fmt: str) -> tuple[str, bool]:
    """One block of subtitle text and whether it should import as a cue."""
    start_s, length, millis = draw(_GOOD)
    end_s = start_s + length // 1000
    sep = "," if fmt == "srt" else "."

    def stamp(seconds: int, ms: int) -> str:
        return f"{seconds // 3600:02d}:{seconds // 60 % 60:02d}:{seconds % 60:02d}{sep}{ms:03d}"

    kind = draw(st.sampled_from(["good", "good", "no-time", "reversed", "garbage-time", "minute-60", "huge-hours"]))
    text = draw(
        st.lists(
            st.text(
                st.characters(codec="utf-8", exclude_categories=("Cs", "Cc", "Zl", "Zp")), min_size=1, max_size=20
            ).filter(lambda t: t.strip() and "-->" not in t),
            min_size=1,
            max_size=3,
        )
    )
    ident = draw(st.sampled_from(["", "7", "cue-a"]))
    lines = [ident] if ident and not (fmt == "srt" and not ident.isdigit()) else []
    if kind == "good":
        lines.append(f"{stamp(start_s, millis)} --> {stamp(end_s, 999)}")
    elif kind == "no-time":
        lines.append("just words")
    elif kind == "reversed":
        lines.append(f"{stamp(end_s + 1, 0)} --> {stamp(start_s, 0)}")
    elif kind == "garbage-time":
        lines.append(f"{stamp(start_s, 0)} --> soon")
    elif kind == "minute-60":
        lines.append(f"00:60:00{sep}000 --> 00:60:01{sep}000")
    else:
        lines.append(f"123456:00:00{sep}000 --> 123456:00:01{sep}000")
    lines += [t.replace("\n", " ").strip() for t in text]
    return "\n".join(lines), kind == "good"


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data(), fmt=st.sampled_from(["srt", "vtt"]))
def test_every_block_is_a_cue_or_a_reported_problem(data: st.DataObject, fmt: str) -> None:
    made = data.draw(st.lists(block(fmt), min_size=1, max_size=12))
    text = ("WEBVTT\n\n" if fmt == "vtt" else "") + "\n\n".join(b for b, _ in made) + "\n"
    result = formats.parse(text.encode("utf-8"), fmt, f"t.{fmt}")
    good = sum(1 for _, ok in made if ok)
    assert len(result.track) == good
    assert len(result.problems) == len(made) - good, result.problems
    assert all(" line " in p for p in result.problems)


# item 8: real files that imported as nothing


def test_teams_style_timestamps(tmp_path: Path) -> None:
    path = tmp_path / "teams.vtt"
    path.write_text("WEBVTT\n\n0:0:0.0 --> 0:0:0.570\nGood morning.\n\n0:0:1.5 --> 0:0:12.25\nWelcome.\n")
    result = formats.read(path)
    assert cues_of(result) == [(0, 570, "Good morning."), (1500, 12250, "Welcome.")]
    assert len(result.problems) == 1 and "Teams" in result.problems[0]


@pytest.mark.parametrize("codec", ["utf-32", "utf-32-be-bom"])
def test_utf32_with_a_byte_order_mark(tmp_path: Path, codec: str) -> None:
    text = "1\n00:00:01,000 --> 00:00:02,000\nÉté\n"
    data = text.encode("utf-32") if codec == "utf-32" else b"\x00\x00\xfe\xff" + text.encode("utf-32-be")
    path = tmp_path / "wide.srt"
    path.write_bytes(data)
    result = formats.read(path)
    assert cues_of(result) == [(1000, 2000, "Été")] and result.encoding == "utf-32" and not result.problems


# item 9: no internal errors


def test_srt_short_fraction_is_a_decimal_not_an_internal_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "short.srt"
    path.write_text("1\n00:00:01,000 --> 00:00:01,5\nHalf a second.\n")
    assert cues_of(formats.read(path)) == [(1000, 1500, "Half a second.")]
    code, out, _ = check_cli(path, capsys)
    assert code == 0 and "1 cue," in out


def _track(**changes: object) -> dict[str, object]:
    cue: dict[str, object] = {"start_ms": 0, "end_ms": 1000, "text": "a", "provenance": {"source": "import"}}
    data: dict[str, object] = {"schema": "captioner-track", "version": 1, "cues": [cue]}
    for key, value in changes.items():
        (data if key in data else cue)[key] = value
    return data


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (json.dumps(_track(version="1.x")), "version '1.x' is not a whole number"),
        (json.dumps(_track(version=1.5)), "is not a whole number"),
        (json.dumps(_track()).replace('"start_ms": 0', '"start_ms": 1e400'), "start_ms is inf"),
        (json.dumps(_track(provenance="from a model")), "provenance is str"),
        (json.dumps(_track()).replace('"end_ms": 1000', '"end_ms": ' + "7" * 5000), "digit"),
        (json.dumps(_track(start_ms=-5)), "outside 0"),
        (json.dumps(_track(start_ms=True)), "bool, not a number"),
        (json.dumps(_track(text=["a"])), "text is list"),
        ('{"cues": ' + "[" * 100_000 + "]" * 100_000 + "}", "nested too deeply"),
        ('{"version": ' + "9" * 5000 + ', "cues": []}', "digit"),
    ],
)
def test_hostile_json_tracks_are_one_line_exit_5(
    tmp_path: Path, body: str, reason: str, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "bad.json"
    path.write_text(body)
    with pytest.raises(TrackError) as info:
        formats.read(path)
    assert str(info.value).startswith(f"{path}: ") and reason in str(info.value), str(info.value)
    code, _, err = check_cli(path, capsys)
    assert code == 5
    assert err.count("\n") == 1 and err.startswith(f"captioner: error: {path}: ") and "internal" not in err


# item 10: not regular files, size cap


def test_a_fifo_is_refused_without_waiting(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    fifo = tmp_path / "pipe.srt"
    os.mkfifo(fifo)
    done: list[int] = []
    worker = threading.Thread(target=lambda: done.append(main(["check", str(fifo)])), daemon=True)
    worker.start()
    worker.join(10)
    if worker.is_alive():  # unblock it before failing
        with open(fifo, "wb"):
            pass
        pytest.fail("check waited on a FIFO")
    assert done == [5]
    assert "is a pipe, not a regular file" in capsys.readouterr().err


def test_a_device_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    assert (
        main(
            [
                "check",
                "/dev/zero",
            ]
        )
        == 5
    )
    assert "/dev/zero: is a device, not a regular file" in capsys.readouterr().err


def test_tracks_over_200_mb_are_refused_unread(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "huge.srt"
    with open(path, "wb") as handle:  # sparse: no disk used
        handle.truncate(formats.MAX_TRACK_BYTES + 1)
    assert main(["check", str(path)]) == 5
    err = capsys.readouterr().err
    assert "over the 209,715,200-byte limit for a track file" in err and err.count("\n") == 1


# item 12: the WebVTT parsing rules


@pytest.mark.parametrize(
    ("timing", "reason"),
    [
        ("00:00:00.00 --> 00:00:01.000", "three-digit milliseconds"),  # too short a fraction
        ("00:00:00.0000 --> 00:00:01.000", "three-digit milliseconds"),
        ("00:00:02.000 --> 00:00:01.000", "ends before it starts"),  # negative duration
        ("00:00:00.000\v-->\v00:00:01.000", "vertical tab"),
        ("0:00.000 --> 0:01.000", "not a WebVTT time"),  # one-digit minutes without hours
    ],
)
def test_webvtt_rules_ignore_and_report(tmp_path: Path, timing: str, reason: str) -> None:
    path = tmp_path / "wpt.vtt"
    path.write_text(f"WEBVTT\n\nid\n{timing}\nignored\n\n00:00:03.000 --> 00:00:04.000\nkept\n")
    result = formats.read(path)
    assert cues_of(result) == [(3000, 4000, "kept")]
    assert len(result.problems) == 1 and "line 4" in result.problems[0] and reason in result.problems[0]


def test_webvtt_rules_accept_what_they_allow(tmp_path: Path) -> None:
    text = (
        "\ufeffWEBVTT\tkind: descriptions\nX-Header: 1\n\nNOTE a comment\non two lines\n\n"
        "00:00.000\f-->\f00:01.000\ttext-align:start\nform feed is whitespace\n"
        "00:02.000-->00:03.000\nno blank line before: a new cue\n\n"
        "100:00:00.000 --> 100:00:01.000\nlong hours are fine\n\n"
        "00:00:05.000 --> 00:00:05.000\nzero length is fine\n"
    )
    path = tmp_path / "allowed.vtt"
    path.write_text(text)
    result = formats.read(path)
    assert cues_of(result) == [
        (0, 1000, "form feed is whitespace"),
        (2000, 3000, "no blank line before: a new cue"),
        (5000, 5000, "zero length is fine"),
        (360_000_000, 360_001_000, "long hours are fine"),
    ]
    assert result.problems == []


# our writers replaced pysrt's and webvtt-py's: their readers must agree with what we write


@settings(max_examples=100, deadline=None)
@given(
    spans=st.lists(
        st.tuples(
            st.integers(0, 10**8),
            st.integers(0, 10**6),
            st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc", "Zl", "Zp")), min_size=1, max_size=30),
        ),
        max_size=8,
    )
)
def test_pysrt_and_webvtt_py_read_our_output(spans: list[tuple[int, int, str]]) -> None:
    import io

    import pysrt
    import webvtt

    from captioner_app.core.tracks.track import Cue, Track, clean_text

    cues = [Cue(s, s + d, t) for s, d, t in spans if clean_text(t) and "-->" not in t]
    track = Track(cues)
    srt_items = pysrt.SubRipFile.from_string(formats.render(track, "srt"))
    assert [(i.start.ordinal, i.end.ordinal, i.text) for i in srt_items] == [
        (c.start_ms, c.end_ms, c.text) for c in track
    ]
    vtt = webvtt.from_buffer(io.StringIO(formats.render(track, "vtt")))
    assert [(c.start, c.end) for c in vtt.captions] == [
        (formats._blocks.stamp(c.start_ms, "."), formats._blocks.stamp(c.end_ms, ".")) for c in track
    ]


@given(ms=st.integers(0, 9999 * 3_600_000 + 3_599_999), sep=st.sampled_from([",", "."]))
def test_the_fast_stamp_writes_what_timecode_writes(ms: int, sep: str) -> None:
    from captioner_app.core.timecode import format_ms

    assert formats._blocks.stamp(ms, sep) == format_ms(ms, sep=sep, hours=2)
