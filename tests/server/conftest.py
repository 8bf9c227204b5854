"""Servers for the API tests: in-process (uvicorn in a thread) on loopback, with the tiny model."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from captioner_app.server.config import ServerConfig
from captioner_app.server.service import CaptionServer
from captioner_app.testing.loopback import files, free_port, serve

TOKEN = "test-token-0123456789"


@pytest.fixture
def start_server(tiny_engine: Any, tmp_path: Path) -> Iterator[Callable[..., CaptionServer]]:
    started: list[CaptionServer] = []

    def start(**changes: Any) -> CaptionServer:
        config = ServerConfig(token=TOKEN, data_dir=tmp_path / f"data{len(started)}", port=free_port())
        server = CaptionServer(replace(config, **changes), tiny_engine)
        server.start()
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


@pytest.fixture
def file_server(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """A local ``http.server`` serving a folder: (base URL, folder)."""
    folder = tmp_path / "served"
    folder.mkdir()
    with serve(files(folder), quiet_errors=True) as url:
        yield url, folder


@pytest.fixture
def unused_port() -> int:
    return free_port()
