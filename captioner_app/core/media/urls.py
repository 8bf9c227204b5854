"""Fetch a video from an http(s) URL, safely: shared by the CLI, the app and the local server.

Rules: http and https only; every host is resolved and (unless ``allow_private``) refused when any
of its addresses is private, loopback, link-local or otherwise not public, and the connection goes
to the address that was checked (no second lookup an attacker could answer differently); at most
``max_redirects`` redirects, each checked the same way; connect and read timeouts plus an overall
deadline; a size cap counted on the bytes received (not on what the server claims); the file is
named by us, never by the server; and :func:`fetch_video` probes the result as a video.
"""

from __future__ import annotations

import atexit
import contextlib
import ipaddress
import os
import re
import shutil
import socket
import ssl
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urljoin, urlsplit

from captioner_app.core.errors import CancelledError, VideoError, one_line

if TYPE_CHECKING:
    import http.client

    from captioner_app.core.media.video import VideoInfo

DEFAULT_MAX_BYTES = 2 * 1024**3
DEFAULT_CONNECT_TIMEOUT_S = 10.0
DEFAULT_READ_TIMEOUT_S = 30.0
DEFAULT_DEADLINE_S = 3600.0
DEFAULT_MAX_REDIRECTS = 5
SCHEMES = ("http", "https")
_CHUNK = 1 << 20
_SCHEME_RE = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")
_REDIRECTS = (301, 302, 303, 307, 308)


class UrlError(VideoError):
    """A URL that cannot be fetched. ``reason`` is one of: ``scheme``, ``address`` (refused
    private/loopback host), ``too_large``, ``redirects``, ``timeout``, ``network``, ``http``,
    ``not_video``, ``invalid``."""

    def __init__(self, message: str, reason: str) -> None:
        super().__init__(message)
        self.reason = reason


def is_url(text: str) -> bool:
    """True when ``text`` looks like a URL (``scheme://...``) rather than a file path.

    Any scheme counts, so that ``file://`` or ``ftp://`` inputs are refused by :func:`check_url`
    with a clear message instead of being looked up as odd file names. Windows drive paths
    (``C:\\video.mp4``) are not URLs.
    """
    text = text.strip()
    return bool(_SCHEME_RE.match(text)) and "://" in text[:40] and not re.match(r"^[A-Za-z]:[\\/]", text)


def short(url: str, limit: int = 120) -> str:
    """The URL for messages: no user:password part, at most ``limit`` characters."""
    try:
        parts = urlsplit(url)
        if parts.username or parts.password:
            url = url.replace(parts.netloc, parts.netloc.rsplit("@", 1)[1], 1)
    except ValueError:
        pass
    url = "".join(ch if ch.isprintable() else "?" for ch in url)
    return url if len(url) <= limit else url[: limit - 3] + "..."


@dataclass(frozen=True)
class _Target:
    scheme: str
    host: str
    port: int
    path: str  # path and query, as sent in the request line


def check_url(url: str) -> _Target:
    """Parse ``url`` and check its form (scheme, host, port); raises :class:`UrlError`."""
    if not isinstance(url, str) or not url.strip():
        raise UrlError("the URL is empty", "invalid")
    url = url.strip()
    if any(ord(ch) < 33 or ord(ch) == 127 for ch in url):
        raise UrlError(f"{short(url)}: the URL contains spaces or control characters", "invalid")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as err:
        raise UrlError(f"{short(url)}: not a valid URL ({err})", "invalid") from None
    scheme = parts.scheme.lower()
    if scheme not in SCHEMES:
        shown = f"{scheme}://" if scheme else "no scheme"
        raise UrlError(f"{short(url)}: {shown} URLs are not accepted; use http:// or https://", "scheme")
    host = parts.hostname or ""
    if not host:
        raise UrlError(f"{short(url)}: the URL has no host name", "invalid")
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    return _Target(scheme, host, port or (443 if scheme == "https" else 80), path)


_NAT64_WELL_KNOWN = ipaddress.ip_network("64:ff9b::/96")
_NAT64_LOCAL = ipaddress.ip_network("64:ff9b:1::/48")  # RFC 8215: local use, never global
_SIX_TO_FOUR = ipaddress.ip_network("2002::/16")
_TEREDO = ipaddress.ip_network("2001::/32")
_COMPATIBLE = ipaddress.ip_network("::/96")  # deprecated IPv4-compatible ::a.b.c.d
_TRANSLATED = ipaddress.ip_network("::ffff:0:0:0/96")  # RFC 2765 IPv4-translated


def embedded_ipv4(ip: ipaddress.IPv6Address) -> list[ipaddress.IPv4Address]:
    """The IPv4 addresses an IPv6 address carries inside it, in every form a network may route to
    them: IPv4-mapped, IPv4-compatible, IPv4-translated, NAT64 (64:ff9b::/96; for the local-use
    64:ff9b:1::/48 every RFC 6052 position), 6to4 (2002::/16), Teredo (server and client) and
    ISATAP interface identifiers."""
    value = int(ip)
    found: list[ipaddress.IPv4Address] = []

    def v4(number: int) -> None:
        found.append(ipaddress.IPv4Address(number & 0xFFFFFFFF))

    if ip.ipv4_mapped is not None:
        found.append(ip.ipv4_mapped)
    if ip in _COMPATIBLE and value > 1:  # not :: or ::1
        v4(value)
    if ip in _TRANSLATED or ip in _NAT64_WELL_KNOWN:
        v4(value)
    if ip in _NAT64_LOCAL:
        # RFC 6052 prefixes /48, /56, /64, /96: bits 64-71 (the "u" octet) are skipped
        by = value.to_bytes(16, "big")
        for octets in (by[6:8] + by[9:11], by[7:8] + by[9:12], by[9:13], by[12:16]):
            found.append(ipaddress.IPv4Address(octets))
    if ip in _SIX_TO_FOUR and ip.sixtofour is not None:
        found.append(ip.sixtofour)
    if ip in _TEREDO and ip.teredo is not None:
        found.extend(ip.teredo)
    if (value >> 32) & 0xFDFFFFFF == 0x00005EFE:  # ISATAP: ...:0000:5efe:a.b.c.d or 0200:5efe
        v4(value)
    return found


def _public(address: str) -> bool:
    """Whether an address is globally routable, judging IPv4 addresses carried inside IPv6 forms
    too (a NAT64 or 6to4 network delivers ``64:ff9b::7f00:1`` to 127.0.0.1)."""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address):
        inner = embedded_ipv4(ip)
        if ip in _NAT64_LOCAL:
            return False
        if ip.ipv4_mapped is None and not (ip.is_global and not ip.is_multicast):
            return False
        return all(v.is_global and not v.is_multicast for v in inner)
    return ip.is_global and not ip.is_multicast


def _explain(address: str) -> str:
    """``address``, plus the private IPv4 address it carries when it is an IPv6 embedding."""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return address
    if isinstance(ip, ipaddress.IPv6Address):
        inner = [str(v) for v in embedded_ipv4(ip) if not (v.is_global and not v.is_multicast)]
        if inner:
            return f"{address}, which carries {inner[0]}"
    return address


def resolve(host: str, port: int, *, allow_private: bool, url: str = "") -> list[str]:
    """The host's addresses; refuses (``reason='address'``) when any is not public and
    ``allow_private`` is false. Checking every address means a name cannot mix a public and a
    private address to slip through."""
    shown = short(url) if url else host
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as err:
        raise UrlError(f"{shown}: the host {host} cannot be found ({err})", "network") from None
    addresses: list[str] = []
    for info in infos:
        address = str(info[4][0])
        if address not in addresses:
            addresses.append(address)
    if not addresses:
        raise UrlError(f"{shown}: the host {host} has no address", "network")
    if not allow_private:
        bad = [a for a in addresses if not _public(a)]
        if bad:
            raise UrlError(
                f"{shown}: the host {host} is a private, loopback or local address ({_explain(bad[0])}); "
                "the server refuses these unless started with --allow-private-urls",
                "address",
            )
    return addresses


def check_address(url: str, *, allow_private: bool) -> None:
    """Check the form and (without fetching) the address of ``url``: for early refusals."""
    target = check_url(url)
    resolve(target.host, target.port, allow_private=allow_private, url=url)


def _connection(target: _Target, address: str, connect_timeout: float) -> http.client.HTTPConnection:
    import http.client

    class Pinned(http.client.HTTPConnection):
        def connect(self) -> None:
            self.sock = socket.create_connection((address, target.port), timeout=connect_timeout)

    class PinnedTLS(http.client.HTTPSConnection):
        def connect(self) -> None:
            raw = socket.create_connection((address, target.port), timeout=connect_timeout)
            try:
                self.sock = ssl.create_default_context().wrap_socket(raw, server_hostname=target.host)
            except BaseException:
                raw.close()
                raise

    cls = PinnedTLS if target.scheme == "https" else Pinned
    return cls(target.host, target.port, timeout=connect_timeout)


def fetch_url(
    url: str,
    dest_dir: str | Path,
    *,
    allow_private: bool = False,
    max_bytes: int = DEFAULT_MAX_BYTES,
    connect_timeout: float = DEFAULT_CONNECT_TIMEOUT_S,
    read_timeout: float = DEFAULT_READ_TIMEOUT_S,
    deadline_s: float = DEFAULT_DEADLINE_S,
    max_redirects: int = DEFAULT_MAX_REDIRECTS,
    min_rate_bps: float = 0.0,
    rate_window_s: float = 30.0,
    cancel: threading.Event | None = None,
) -> Path:
    """Download ``url`` into a new file in ``dest_dir`` (named by us) and return its path.

    Raises :class:`UrlError` (a :class:`VideoError`) naming the URL and the reason; a partial
    file is removed. With ``min_rate_bps``, a download that receives less than that many bytes a
    second over any ``rate_window_s`` stretch is dropped (a drip-feeding server cannot hold a
    worker until the deadline); ``cancel`` stops it between chunks.
    """
    folder = Path(dest_dir)
    if not folder.is_dir():
        raise VideoError(f"{folder}: cannot download into it, no such folder")
    started = time.monotonic()
    current = url.strip() if isinstance(url, str) else url
    for _hop in range(max_redirects + 1):
        target = check_url(current)
        addresses = resolve(target.host, target.port, allow_private=allow_private, url=current)
        response, conn = _open(current, target, addresses, connect_timeout, read_timeout, started, deadline_s)
        try:
            if response.status in _REDIRECTS:
                location = response.getheader("Location")
                if not location:
                    raise UrlError(f"{short(current)}: redirect without a Location", "http")
                current = urljoin(current, location.strip())
                continue
            if response.status != 200:
                reason = " ".join((response.reason or "").split())[:60]
                raise UrlError(
                    f"{short(current)}: the server answered HTTP {response.status} {reason}".rstrip(), "http"
                )
            return _save(
                url,
                response,
                conn,
                folder,
                max_bytes,
                read_timeout,
                started,
                deadline_s,
                _Rate(min_rate_bps, rate_window_s),
                cancel,
            )
        finally:
            conn.close()
    raise UrlError(f"{short(url)}: more than {max_redirects} redirects", "redirects")


def _open(
    url: str,
    target: _Target,
    addresses: list[str],
    connect_timeout: float,
    read_timeout: float,
    started: float,
    deadline_s: float,
) -> tuple[Any, http.client.HTTPConnection]:
    last: Exception | None = None
    for address in addresses:
        remaining = deadline_s - (time.monotonic() - started)
        if remaining <= 0:
            break
        conn = _connection(target, address, min(connect_timeout, remaining))
        try:
            conn.connect()
            if conn.sock is not None:
                conn.sock.settimeout(min(read_timeout, remaining))
            conn.putrequest("GET", target.path, skip_accept_encoding=True)
            conn.putheader("Accept-Encoding", "identity")
            conn.putheader("User-Agent", "captioner")
            conn.endheaders()
            return conn.getresponse(), conn
        except ssl.SSLError as err:
            conn.close()
            raise UrlError(f"{short(url)}: the secure connection failed ({one_line(err, 120)})", "network") from None
        except TimeoutError:
            conn.close()
            last = TimeoutError("timed out")
        except OSError as err:
            conn.close()
            last = err
        except Exception as err:  # http.client's protocol errors
            conn.close()
            raise UrlError(
                f"{short(url)}: the server's answer is not valid HTTP ({one_line(err, 120)})", "network"
            ) from None
    if isinstance(last, TimeoutError) or last is None:
        raise UrlError(f"{short(url)}: the server did not answer in time", "timeout")
    raise UrlError(f"{short(url)}: cannot connect ({one_line(last, 120)})", "network")


class _Rate:
    """The minimum transfer rate, checked over consecutive stretches of ``window_s`` seconds."""

    def __init__(self, min_bps: float, window_s: float) -> None:
        self.min_bps, self.window_s = min_bps, window_s
        self.mark, self.count = time.monotonic(), 0

    def add(self, url: str, n: int) -> None:
        if self.min_bps <= 0:
            return
        self.count += n
        now = time.monotonic()
        if now - self.mark >= self.window_s:
            rate = self.count / (now - self.mark)
            if rate < self.min_bps:
                raise UrlError(
                    f"{short(url)}: the download is too slow ({rate:,.0f} bytes/s over "
                    f"{now - self.mark:.0f} s; at least {self.min_bps:,.0f} are needed)",
                    "timeout",
                )
            self.mark, self.count = now, 0


def _save(
    url: str,
    response: Any,
    conn: http.client.HTTPConnection,
    folder: Path,
    max_bytes: int,
    read_timeout: float,
    started: float,
    deadline_s: float,
    rate: _Rate | None = None,
    cancel: threading.Event | None = None,
) -> Path:
    rate = rate or _Rate(0, 1)
    declared = response.getheader("Content-Length")
    if declared and declared.strip().isdigit() and int(declared) > max_bytes:
        raise UrlError(
            f"{short(url)}: the file is {int(declared):,} bytes, over the {max_bytes:,}-byte limit", "too_large"
        )
    path = folder / f"download-{uuid.uuid4().hex}.video"
    received = 0
    try:
        with os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "wb") as out:
            while True:
                remaining = deadline_s - (time.monotonic() - started)
                if remaining <= 0:
                    raise UrlError(f"{short(url)}: the download took longer than {deadline_s:g} s", "timeout")
                if cancel is not None and cancel.is_set():
                    raise CancelledError()
                if conn.sock is not None:
                    conn.sock.settimeout(min(read_timeout, remaining))
                try:
                    chunk = response.read1(_CHUNK)
                except TimeoutError:
                    raise UrlError(
                        f"{short(url)}: the server stopped sending (no data for {read_timeout:g} s)", "timeout"
                    ) from None
                except OSError as err:
                    raise UrlError(f"{short(url)}: the download broke off ({one_line(err, 120)})", "network") from None
                except Exception as err:  # IncompleteRead and other protocol errors
                    raise UrlError(f"{short(url)}: the download broke off ({one_line(err, 120)})", "network") from None
                if not chunk:
                    break
                received += len(chunk)
                rate.add(url, len(chunk))
                if received > max_bytes:
                    raise UrlError(f"{short(url)}: the file is over the {max_bytes:,}-byte limit", "too_large")
                out.write(chunk)
        if received == 0:
            raise UrlError(f"{short(url)}: the server sent an empty file", "not_video")
        if declared and declared.strip().isdigit() and received < int(declared):
            raise UrlError(f"{short(url)}: the download broke off ({received:,} of {int(declared):,} bytes)", "network")
    except BaseException:
        with contextlib.suppress(OSError):
            path.unlink()
        raise
    return path


def fetch_video(url: str, dest_dir: str | Path, **options: Any) -> VideoInfo:
    """:func:`fetch_url`, then probe the file as a video (removed again when it is not one)."""
    from captioner_app.core.media.video import probe

    path = fetch_url(url, dest_dir, **options)
    try:
        return probe(path)
    except VideoError as err:
        with contextlib.suppress(OSError):
            path.unlink()
        reason = str(err).split(": ", 1)[-1]
        raise UrlError(f"{short(url)}: {reason}", "not_video") from None


def url_stem(url: str) -> str:
    """A safe file stem taken from the URL's last path segment (for naming outputs), or ``video``."""
    try:
        segment = urlsplit(url).path.rstrip("/").rsplit("/", 1)[-1]
    except ValueError:
        segment = ""
    stem = segment.rsplit(".", 1)[0] if "." in segment else segment
    stem = re.sub(r"[^A-Za-z0-9_-]+", "_", stem).strip("_.")[:80]
    return stem or "video"


_temp_dir: Path | None = None


def _session_dir() -> Path:
    global _temp_dir
    if _temp_dir is None:
        _temp_dir = Path(tempfile.mkdtemp(prefix="captioner-url-"))
        atexit.register(shutil.rmtree, _temp_dir, True)
    return _temp_dir


def probe_input(item: str, *, allow_private: bool = True, **options: Any) -> VideoInfo:
    """Probe a file, or fetch and probe a URL into a temporary folder removed at exit.

    For the CLI and the app: the person's own machine, so private addresses are allowed.
    """
    from captioner_app.core.media.video import probe

    if is_url(item):
        return fetch_video(item, _session_dir(), allow_private=allow_private, **options)
    return probe(item)
