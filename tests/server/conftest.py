"""Servers for the API tests: in-process (uvicorn in a thread) on loopback, with the tiny model."""

from __future__ import annotations

import http.server
import socket
import threading
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from captioner_app.server.config import ServerConfig
from captioner_app.server.service import CaptionServer

TOKEN = "test-token-0123456789"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


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


class _Files(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args: object) -> None:
        pass


class _FileServer(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: object, client_address: object) -> None:
        pass


@pytest.fixture
def file_server(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """A local ``http.server`` serving a folder: (base URL, folder)."""
    folder = tmp_path / "served"
    folder.mkdir()

    def handler(*args: Any) -> _Files:
        return _Files(*args, directory=str(folder))

    httpd = _FileServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}", folder
    httpd.shutdown()
    httpd.server_close()
    thread.join(5)


@pytest.fixture
def unused_port() -> int:
    return free_port()
