"""The local server's settings."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from captioner_app.core.media.urls import (
    DEFAULT_CONNECT_TIMEOUT_S,
    DEFAULT_DEADLINE_S,
    DEFAULT_MAX_BYTES,
    DEFAULT_READ_TIMEOUT_S,
)

MODEL_PATH = "wavespeed-ai/molmo2/video-captioner"


@dataclass(frozen=True)
class ServerConfig:
    token: str
    data_dir: Path
    host: str = "127.0.0.1"
    port: int = 8000
    allow_private_urls: bool = False
    max_upload_bytes: int = DEFAULT_MAX_BYTES
    max_body_bytes: int = 1024 * 1024  # JSON requests
    url_max_bytes: int = DEFAULT_MAX_BYTES
    url_connect_timeout_s: float = DEFAULT_CONNECT_TIMEOUT_S
    url_read_timeout_s: float = DEFAULT_READ_TIMEOUT_S
    url_deadline_s: float = DEFAULT_DEADLINE_S
    max_duration_s: float | None = None  # the hosted service caps at 120 s; none by default
    workers: int | None = None  # job threads (default: the engine's batch size, at least 2)
