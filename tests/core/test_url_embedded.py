"""Issue 14, item 1: private IPv4 addresses hidden in IPv6 forms are refused before any connection.

No test here connects anywhere but loopback: ``socket.create_connection`` and ``socket.connect``
are replaced by a tripwire, so a refusal that comes too late fails the test instead of reaching out.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from captioner_app.core.media import urls
from captioner_app.core.media.urls import UrlError, check_address, fetch_url
from captioner_app.testing.loopback import QuietHandler, serve

PRIVATE_V4 = [
    ipaddress.ip_network(n)
    for n in (
        "0.0.0.0/8",
        "10.0.0.0/8",
        "100.64.0.0/10",
        "127.0.0.0/8",
        "169.254.0.0/16",
        "172.16.0.0/12",
        "192.0.0.0/29",
        "192.0.2.0/24",
        "192.168.0.0/16",
        "198.18.0.0/15",
        "198.51.100.0/24",
        "203.0.113.0/24",
        "224.0.0.0/4",
        "240.0.0.0/4",
    )
]


class Tripwire(AssertionError):
    pass


@pytest.fixture
def no_connections(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """Any outgoing connection fails the test (and is recorded)."""
    attempts: list[Any] = []

    def create_connection(address: Any, *args: Any, **kwargs: Any) -> Any:
        attempts.append(address)
        raise Tripwire(f"connected to {address}")

    def connect(self: socket.socket, address: Any) -> None:
        attempts.append(address)
        raise Tripwire(f"connected to {address}")

    monkeypatch.setattr(socket, "create_connection", create_connection)
    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(socket.socket, "connect_ex", connect)
    return attempts


@st.composite
def private_v4(draw: st.DrawFn) -> ipaddress.IPv4Address:
    net = draw(st.sampled_from(PRIVATE_V4))
    offset = draw(st.integers(0, net.num_addresses - 1))
    return ipaddress.IPv4Address(int(net.network_address) + offset)


def _bits(draw: st.DrawFn, n: int) -> int:
    return draw(st.integers(0, (1 << n) - 1))


@st.composite
def embedded(draw: st.DrawFn) -> tuple[str, ipaddress.IPv6Address, ipaddress.IPv4Address]:
    """(form, IPv6 address, the private IPv4 inside it)."""
    v4 = draw(private_v4())
    n = int(v4)
    form = draw(
        st.sampled_from(
            [
                "mapped",
                "compatible",
                "translated",
                "nat64",
                "nat64-local",
                "6to4",
                "teredo-client",
                "teredo-server",
                "isatap",
            ]
        )
    )
    if form == "mapped":
        value = 0xFFFF << 32 | n
    elif form == "compatible":
        value = n if n > 1 else n | 0x100  # :: and ::1 are not embeddings (and are refused anyway)
        v4 = ipaddress.IPv4Address(value)
    elif form == "translated":
        value = 0xFFFF << 48 | n
    elif form == "nat64":
        value = 0x64FF9B << 96 | n
    elif form == "nat64-local":  # RFC 6052 with a /48, /56, /64 or /96 prefix inside 64:ff9b:1::/48
        plen = draw(st.sampled_from([48, 56, 64, 96]))
        by = bytearray((0x0064FF9B0001 << 80).to_bytes(16, "big"))
        four = n.to_bytes(4, "big")
        slots = {48: [6, 7, 9, 10], 56: [7, 9, 10, 11], 64: [9, 10, 11, 12], 96: [12, 13, 14, 15]}[plen]
        for slot, octet in zip(slots, four, strict=True):
            by[slot] = octet
        value = int.from_bytes(by, "big")
    elif form == "6to4":
        value = 0x2002 << 112 | n << 80 | _bits(draw, 80)
    elif form == "teredo-client":  # the client address is stored inverted
        server = _bits(draw, 32)
        value = 0x20010000 << 96 | server << 64 | _bits(draw, 32) << 32 | (n ^ 0xFFFFFFFF)
    elif form == "teredo-server":
        value = 0x20010000 << 96 | n << 64 | _bits(draw, 64)
    else:  # ISATAP interface identifier under a public-looking prefix
        prefix = draw(st.sampled_from([0x2606_4700_0000_0000, 0x2A00_1450_4001_0800]))
        value = prefix << 64 | draw(st.sampled_from([0x00005EFE, 0x02005EFE])) << 32 | n
    return form, ipaddress.IPv6Address(value), v4


def _spellings(ip: ipaddress.IPv6Address) -> list[str]:
    out = [ip.compressed, ip.exploded, ip.compressed.upper()]
    low = int(ip) & 0xFFFFFFFF
    head = ipaddress.IPv6Address(int(ip) & ~0xFFFFFFFF).exploded.rsplit(":", 2)[0]
    out.append(f"{head}:{ipaddress.IPv4Address(low)}")  # dotted-quad tail: ::7f00:1 as ::127.0.0.1
    return out


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(case=embedded(), spelling=st.integers(0, 3), port=st.integers(1, 65535))
def test_private_ipv4_inside_any_ipv6_form_is_refused_before_connecting(
    case: tuple[str, ipaddress.IPv6Address, ipaddress.IPv4Address],
    spelling: int,
    port: int,
    no_connections: list[Any],
    tmp_path: Path,
) -> None:
    form, ip, inner = case
    assert not urls._public(ip.compressed), (form, ip, inner)
    assert ipaddress.IPv4Address(inner) in urls.embedded_ipv4(ip) or form in ("compatible",)
    literal = _spellings(ip)[spelling]
    with pytest.raises(UrlError) as info:
        fetch_url(f"http://[{literal}]:{port}/v.mp4", tmp_path)
    assert info.value.reason == "address", (form, literal, str(info.value))
    assert no_connections == []
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    "literal",
    [
        "::127.0.0.1",
        "64:ff9b::7f00:1",
        "2002:7f00:1::",
        "64:ff9b:1::7f00:1",
        "2001:0:4136:e378:8000:63bf:3fff:fdd2",
        "::ffff:0:7f00:1",
    ],
)
def test_the_reported_forms_are_refused(literal: str, no_connections: list[Any], tmp_path: Path) -> None:
    with pytest.raises(UrlError) as info:
        fetch_url(f"http://[{literal}]:8080/v.mp4", tmp_path)
    assert info.value.reason == "address"
    assert no_connections == []


def test_public_addresses_inside_ipv6_forms_still_pass() -> None:
    assert urls._public("64:ff9b::8.8.8.8")  # NAT64 of a public address
    assert urls._public("2002:808:808::1")  # 6to4 of a public address
    assert urls._public("::ffff:8.8.8.8")
    assert urls._public("2606:4700:4700::1111")


class _Redirect(QuietHandler):
    target = ""

    def do_GET(self) -> None:  # noqa: N802
        self.send_response(302)
        self.send_header("Location", self.target)
        self.send_header("Content-Length", "0")
        self.end_headers()


@pytest.fixture
def redirector() -> Iterator[str]:
    with serve(_Redirect) as url:
        yield url


@pytest.mark.parametrize(
    "hop",
    [
        "http://[64:ff9b::7f00:1]:9/x",
        "http://[2002:a00:1::]/x",
        "http://[::10.0.0.1]/x",
        "http://[2001:0:4136:e378:8000:63bf:3fff:fdd2]/x",
    ],
)
def test_a_redirect_to_an_embedded_private_address_is_refused_before_connecting(
    hop: str, redirector: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # the test's own loopback server stands in for a public one; nothing else may be connected to
    real_public, real_connect = urls._public, socket.create_connection
    monkeypatch.setattr(urls, "_public", lambda a: a == "127.0.0.1" or real_public(a))
    connected: list[Any] = []

    def guarded(address: Any, *args: Any, **kwargs: Any) -> Any:
        connected.append(address[0])
        if address[0] != "127.0.0.1":
            raise Tripwire(f"connected to {address}")
        return real_connect(address, *args, **kwargs)

    monkeypatch.setattr(socket, "create_connection", guarded)
    _Redirect.target = hop
    with pytest.raises(UrlError) as info:
        fetch_url(f"{redirector}/start", tmp_path)
    assert info.value.reason == "address", str(info.value)
    assert connected == ["127.0.0.1"]


def test_check_address_refuses_the_embedded_forms_too(no_connections: list[Any]) -> None:
    with pytest.raises(UrlError) as info:
        check_address("http://[64:ff9b::a9fe:a9fe]/latest/meta-data", allow_private=False)
    assert info.value.reason == "address"
    assert "which carries 169.254.169.254" in str(info.value)
    assert no_connections == []
