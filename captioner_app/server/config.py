"""The local server's settings."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from captioner_app.core.media.urls import DEFAULT_CONNECT_TIMEOUT_S, DEFAULT_MAX_BYTES, DEFAULT_READ_TIMEOUT_S

MODEL_PATH = "wavespeed-ai/molmo2/video-captioner"
FETCH_DEADLINE_S = 15 * 60.0  # the server's whole-download limit (the command line allows an hour)


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
    url_deadline_s: float = FETCH_DEADLINE_S
    url_min_rate_bps: float = 10 * 1024  # a download slower than this over url_rate_window_s is dropped
    url_rate_window_s: float = 30.0
    max_duration_s: float | None = None  # the hosted service caps at 120 s; none by default
    workers: int | None = None  # captioning threads (default: the engine's batch size, at least 2)
    fetchers: int = 2  # download threads: slow URLs wait here, never in front of captioning
    max_windows: int = 2000  # timed-track windows one job may ask for
    max_attempts: int = 3  # starts of a job the server died under before it fails for good
    max_stored_bytes: int = 20 * 1024**3  # all uploads together
    expire_s: float = 24 * 3600.0  # uploads and finished jobs are deleted after this long
