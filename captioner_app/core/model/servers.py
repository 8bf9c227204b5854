"""Model-server URLs and how their answers read: parsing ``--engine``, telling loopback hosts, and one-line
reasons for a failed connection or an OpenAI-style error body (used by the remote engine and the app)."""

from __future__ import annotations

import ipaddress
import json
import socket
from urllib.parse import urlsplit

from captioner_app.core.errors import UsageError, one_line


def parse_engine_urls(text: str) -> list[str]:
    """The base URLs in ``text`` (comma-separated ``http(s)://host:port/v1``), without trailing slashes."""
    urls: list[str] = []
    for part in text.split(","):
        url = part.strip().rstrip("/")
        if not url:
            continue
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise UsageError(f"--engine {url}: not a server URL; give the API's base, like http://host:8000/v1")
        if parts.query or parts.fragment:
            raise UsageError(f"--engine {url}: the URL must not have a query or fragment")
        try:
            parts.port  # noqa: B018 - validates the port
        except ValueError:
            raise UsageError(f"--engine {url}: bad port") from None
        if url not in urls:
            urls.append(url)
    if not urls:
        raise UsageError("--engine needs at least one server URL, like http://host:8000/v1")
    return urls


def is_loopback_host(host: str) -> bool:
    if host.lower() in ("localhost", "localhost.localdomain"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def connect_reason(err: BaseException, connect_timeout_s: float) -> str:
    if isinstance(err, ConnectionRefusedError):
        return "refused the connection (is it running?)"
    if isinstance(err, socket.gaierror):
        return f"cannot be found ({one_line(err)})"
    if isinstance(err, TimeoutError):
        return f"did not answer within {connect_timeout_s:g} s"
    return f"cannot be reached ({one_line(err)})"


def error_text(body: str) -> str:
    """The message in an OpenAI-style error body (``{"error": {"message": ...}}``, ``{"detail": ...}``)."""
    try:
        data = json.loads(body)
    except ValueError:
        return short(body) or "no reason given"
    if isinstance(data, dict):
        for key in ("error", "detail", "message"):
            value = data.get(key)
            if isinstance(value, dict):
                value = value.get("message") or value.get("detail")
            if value:
                return short(str(value))
    return short(body)


def short(text: str, limit: int = 200) -> str:
    return " ".join(text.split())[:limit]
