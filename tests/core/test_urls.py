"""URL input: schemes, address checks, redirects, size cap, timeouts, probing; loopback only."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from captioner_app.core.media import urls
from captioner_app.core.media.urls import UrlError, check_address, fetch_url, fetch_video, is_url
from captioner_app.testing.loopback import QuietHandler, drip, serve


class _Handler(QuietHandler):
    video = b""

    def _send(self, body: bytes, status: int = 200, headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:  # noqa: N802
        path = self.path
        if path == "/video.mp4":
            self._send(self.video, headers={"Content-Disposition": 'attachment; filename="../../evil.sh"'})
        elif path.startswith("/hop/"):
            n = int(path.rsplit("/", 1)[1])
            location = "/video.mp4" if n == 0 else f"/hop/{n - 1}"
            self._send(b"", 302, {"Location": location})
        elif path == "/to-file":
            self._send(b"", 301, {"Location": "file:///etc/passwd"})
        elif path == "/claims-big":
            self.send_response(200)
            self.send_header("Content-Length", str(10**12))
            self.end_headers()
            self.wfile.write(b"x" * 1000)
        elif path == "/chunked-big":  # no length: the cap must count the bytes received
            self.protocol_version = "HTTP/1.1"
            self.send_response(200)
            self.send_header("Transfer-Encoding", "chunked")
            self.send_header("Connection", "close")
            self.end_headers()
            for _ in range(64):
                self.wfile.write(b"4000\r\n" + b"y" * 0x4000 + b"\r\n")
            self.wfile.write(b"0\r\n\r\n")
        elif path == "/slow":
            time.sleep(1.5)
            self._send(b"late")
        elif path == "/drip":
            drip(self, 100, b"z", 100, 0.05)
        elif path == "/text":
            self._send(b"this is not a video at all\n" * 20)
        elif path == "/short":
            self.send_response(200)
            self.send_header("Content-Length", "5000")
            self.end_headers()
            self.wfile.write(b"q" * 100)
        else:
            self._send(b"nope", 404)


@pytest.fixture(scope="module")
def server(video_short: Path) -> Iterator[str]:
    _Handler.video = video_short.read_bytes()
    with serve(_Handler, quiet_errors=True) as url:  # clients that give up (timeouts, caps) break the pipe
        yield url


def test_is_url() -> None:
    assert is_url("http://example.org/a.mp4")
    assert is_url("HTTPS://example.org/a.mp4")
    assert is_url("file:///etc/passwd")
    assert is_url("ftp://example.org/x")
    assert not is_url("/home/me/video.mp4")
    assert not is_url("C:\\videos\\a.mp4")
    assert not is_url("C:/videos/a.mp4")
    assert not is_url("clip.mp4")


@pytest.mark.parametrize(
    "url",
    [
        "file:///etc/passwd",
        "ftp://127.0.0.1/x.mp4",
        "gopher://127.0.0.1/",
        "javascript:alert(1)",
        "data:video/mp4;base64,AAAA",
        "//127.0.0.1/x",
    ],
)
def test_other_schemes_are_refused(url: str, tmp_path: Path) -> None:
    with pytest.raises(UrlError) as info:
        fetch_url(url, tmp_path, allow_private=True)
    assert info.value.reason == "scheme"
    assert "http://" in str(info.value)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:9/x.mp4",
        "http://localhost:9/x.mp4",
        "http://[::1]:9/x",
        "http://10.1.2.3/x.mp4",
        "http://192.168.0.1/x",
        "http://169.254.169.254/",
        "http://2130706433:9/x",
        "http://[::ffff:127.0.0.1]:9/x",
        "http://0.0.0.0:9/x",
    ],
)
def test_private_and_loopback_addresses_are_refused_without_the_flag(url: str) -> None:
    with pytest.raises(UrlError) as info:
        check_address(url, allow_private=False)
    assert info.value.reason == "address"
    assert "--allow-private-urls" in str(info.value)


def test_public_addresses_pass_the_address_rule() -> None:
    assert urls._public("8.8.8.8")
    assert urls._public("2606:4700:4700::1111")
    assert not urls._public("100.64.0.1")  # carrier-grade NAT is not public
    assert not urls._public("224.0.0.1")


def test_refused_server_side_fetch_touches_nothing(server: str, tmp_path: Path) -> None:
    with pytest.raises(UrlError) as info:
        fetch_url(f"{server}/video.mp4", tmp_path)
    assert info.value.reason == "address"
    assert list(tmp_path.iterdir()) == []


def test_fetch_keeps_the_bytes_and_ignores_the_servers_file_name(
    server: str, tmp_path: Path, video_short: Path
) -> None:
    path = fetch_url(f"{server}/video.mp4", tmp_path, allow_private=True)
    assert path.parent == tmp_path
    assert "evil" not in path.name and path.name.startswith("download-")
    assert path.read_bytes() == video_short.read_bytes()
    assert not (tmp_path.parent / "evil.sh").exists()


def test_fetch_video_probes_the_download(server: str, tmp_path: Path) -> None:
    info = fetch_video(f"{server}/video.mp4", tmp_path, allow_private=True)
    assert abs(info.duration_ms - 4000) < 200
    assert Path(info.path).parent == tmp_path


def test_not_a_video_is_refused_and_removed(server: str, tmp_path: Path) -> None:
    with pytest.raises(UrlError) as info:
        fetch_video(f"{server}/text", tmp_path, allow_private=True)
    assert info.value.reason == "not_video"
    assert str(info.value).startswith(f"{server}/text: ")
    assert list(tmp_path.iterdir()) == []


def test_five_redirects_are_followed_six_are_not(server: str, tmp_path: Path) -> None:
    assert fetch_url(f"{server}/hop/4", tmp_path, allow_private=True).stat().st_size > 0
    with pytest.raises(UrlError) as info:
        fetch_url(f"{server}/hop/5", tmp_path, allow_private=True)
    assert info.value.reason == "redirects"


def test_each_redirect_is_checked(server: str, tmp_path: Path) -> None:
    with pytest.raises(UrlError) as info:
        fetch_url(f"{server}/to-file", tmp_path, allow_private=True)
    assert info.value.reason == "scheme"


def test_size_cap_on_the_declared_length(server: str, tmp_path: Path) -> None:
    with pytest.raises(UrlError) as info:
        fetch_url(f"{server}/claims-big", tmp_path, allow_private=True)
    assert info.value.reason == "too_large"


def test_size_cap_counts_the_bytes_received(server: str, tmp_path: Path) -> None:
    with pytest.raises(UrlError) as info:
        fetch_url(f"{server}/chunked-big", tmp_path, allow_private=True, max_bytes=100_000)
    assert info.value.reason == "too_large"
    assert list(tmp_path.iterdir()) == []  # the partial file is gone
    assert fetch_url(f"{server}/chunked-big", tmp_path, allow_private=True).stat().st_size == 64 * 0x4000


def test_read_timeout(server: str, tmp_path: Path) -> None:
    started = time.monotonic()
    with pytest.raises(UrlError) as info:
        fetch_url(f"{server}/slow", tmp_path, allow_private=True, read_timeout=0.3)
    assert info.value.reason == "timeout"
    assert time.monotonic() - started < 1.4


def test_overall_deadline_stops_a_slow_drip(server: str, tmp_path: Path) -> None:
    started = time.monotonic()
    with pytest.raises(UrlError) as info:
        fetch_url(f"{server}/drip", tmp_path, allow_private=True, read_timeout=2.0, deadline_s=0.5)
    assert info.value.reason == "timeout"
    assert time.monotonic() - started < 2.0
    assert list(tmp_path.iterdir()) == []


def test_http_errors_and_truncation(server: str, tmp_path: Path) -> None:
    with pytest.raises(UrlError) as info:
        fetch_url(f"{server}/missing", tmp_path, allow_private=True)
    assert info.value.reason == "http" and "404" in str(info.value)
    with pytest.raises(UrlError) as info:
        fetch_url(f"{server}/short", tmp_path, allow_private=True)
    assert info.value.reason == "network"
    assert list(tmp_path.iterdir()) == []


def test_connection_refused(tmp_path: Path) -> None:
    import socket

    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(UrlError) as info:
        fetch_url(f"http://127.0.0.1:{port}/x.mp4", tmp_path, allow_private=True)
    assert info.value.reason == "network"
    assert "cannot connect" in str(info.value)


def test_credentials_are_not_echoed(tmp_path: Path) -> None:
    with pytest.raises(UrlError) as info:
        fetch_url("http://user:secret@127.0.0.1:9/x", tmp_path)
    assert "secret" not in str(info.value)


def test_url_stem() -> None:
    assert urls.url_stem("https://example.org/media/My%20Clip.final.mp4?x=1") == "My_20Clip_final"
    assert urls.url_stem("https://example.org/") == "video"
    assert urls.url_stem("https://example.org/../../etc/passwd") == "passwd"
