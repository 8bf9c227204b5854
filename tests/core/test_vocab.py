"""One vocabulary: the enums every face derives its lists from, one time formatter and parser."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from captioner_app.core.errors import UsageError
from captioner_app.core.timecode import format_ms, parse_ms, seconds_to_ms
from captioner_app.core.vocab import Detail, Device, DType, Placement, parse_device


def test_enums_parse_text_and_members():
    assert Detail.parse(" HIGH ") is Detail.HIGH and Detail.parse(Detail.AUTO) is Detail.AUTO
    assert Placement.parse("gaps") is Placement.GAPS
    assert Device.choices() == ("auto", "cpu", "cuda", "mps")
    assert DType.parse("bfloat16") is DType.BFLOAT16
    assert Detail.levels() == (Detail.LOW, Detail.MEDIUM, Detail.HIGH)
    assert Detail.choices() == ("low", "medium", "high", "auto")
    # a str enum is its text: JSON, f-strings and comparisons see the plain value
    assert Placement.WINDOWS == "windows" and f"{Detail.LOW}" == "low"


def test_enum_errors_name_the_choices():
    with pytest.raises(UsageError, match=r"unknown detail level 'extreme': choose low, medium, high or auto"):
        Detail.parse("extreme")
    with pytest.raises(UsageError, match=r"unknown placement 'x': choose windows, gaps, shots or auto"):
        Placement.parse("x")
    with pytest.raises(UsageError, match="'auto' needs a narration budget"):
        Detail.parse_level("auto")


def test_devices():
    assert parse_device("CUDA:1") == "cuda:1" and parse_device("mps") == "mps"
    with pytest.raises(UsageError, match="unknown device 'tpu'.*cuda:N"):
        parse_device("tpu")


def test_every_face_lists_the_same_values():
    """The CLI's choices, the server's detail levels and the settings file's check come from the enums."""
    from captioner_app.cli.main import build_parser
    from captioner_app.gui.preferences import Settings
    from captioner_app.server import app as server_app

    parser = build_parser()
    sub = next(a for a in parser._actions if a.__class__.__name__ == "_SubParsersAction")
    caption = sub.choices["caption"]  # type: ignore[union-attr]
    options = {a.dest: a for a in caption._actions}
    assert tuple(options["detail"].choices) == Detail.choices()
    assert tuple(options["placement"].choices) == Placement.choices()
    assert tuple(options["dtype"].choices) == DType.choices()
    assert Detail.level_choices() == server_app.DETAILS
    assert server_app.placements() == Placement.choices()
    assert Settings.from_dict({"detail": "auto", "placement": "shots"}).placement == "shots"
    assert Settings.from_dict({"detail": "enormous"}).detail == Detail.MEDIUM.value


@pytest.mark.parametrize(
    ("ms", "kwargs", "text"),
    [
        (3_723_456, {}, "1:02:03.456"),
        (3_723_456, {"sep": ",", "hours": 2}, "01:02:03,456"),  # SRT
        (83_456, {"decimals": 1, "hours": None}, "01:23.4"),  # checks
        (83_999, {"decimals": 1, "hours": None, "minute_digits": 1}, "1:23.9"),  # cut, never rounded up
        (3_723_456, {"decimals": 0, "hours": None, "minute_digits": 1}, "62:03"),  # timeline ruler
        (-5, {}, "0:00:00.000"),
    ],
)
def test_one_formatter(ms, kwargs, text):
    assert format_ms(ms, **kwargs) == text


def test_one_parser():
    assert parse_ms("1:02:03.456") == 3_723_456
    assert parse_ms("00:00:01,5") == 1500
    assert parse_ms("83.25") == 83_250
    assert parse_ms(" 2:03 ") == 123_000
    assert parse_ms("0:00:00.0005") == 1  # a fourth digit rounds
    for bad in ("", "1:60", "1:60:00", "abc", "1::2", "-1"):
        with pytest.raises(ValueError):
            parse_ms(bad)
    assert seconds_to_ms(1.2345) == 1234 and seconds_to_ms(10) == 10_000


@given(st.integers(min_value=0, max_value=99 * 3_600_000))
def test_format_then_parse_gives_the_time_back(ms):
    assert parse_ms(format_ms(ms)) == ms
    assert parse_ms(format_ms(ms, sep=",", hours=2)) == ms
