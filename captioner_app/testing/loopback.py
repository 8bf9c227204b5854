"""HTTP servers on 127.0.0.1 for tests: a free port, a request handler served in a thread, a folder
served as files, and a response that drips in slowly. Nothing here listens anywhere but loopback."""

from __future__ import annotations

import contextlib
import http.server
import socket
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

_given: set[int] = set()


def free_port() -> int:
    """A loopback port nobody listens on now, and not one this process was given before: a server started
    on an earlier one may still be coming up (``transformers serve`` binds seconds after it starts)."""
    while True:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            s.bind(("127.0.0.1", 0))
            port = int(s.getsockname()[1])
        if port not in _given:
            _given.add(port)
            return port


class QuietHandler(http.server.BaseHTTPRequestHandler):
    """A request handler that does not log each request to stderr."""

    def log_message(self, *args: object) -> None:
        pass


class _QuietServer(http.server.ThreadingHTTPServer):
    def handle_error(self, request: object, client_address: object) -> None:
        pass  # clients that gave up (timeouts, caps) break the pipe on purpose


@contextlib.contextmanager
def serve(handler: Callable[..., http.server.BaseHTTPRequestHandler], *, quiet_errors: bool = False) -> Iterator[str]:
    """Serve ``handler`` on a free loopback port in a thread; yields the base URL (``http://127.0.0.1:PORT``).
    ``quiet_errors``: no traceback for a client that hangs up mid-answer."""
    httpd = (_QuietServer if quiet_errors else http.server.ThreadingHTTPServer)(("127.0.0.1", 0), handler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(5)


class _Files(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args: object) -> None:
        pass


def files(folder: str | Path) -> Callable[..., http.server.BaseHTTPRequestHandler]:
    """A handler (for :func:`serve`) that serves the files of ``folder``."""

    def handler(*args: Any) -> _Files:
        return _Files(*args, directory=str(folder))

    return handler


def drip(handler: http.server.BaseHTTPRequestHandler, length: int, piece: bytes, pieces: int, pause_s: float) -> None:
    """Answer 200 with a ``Content-Length`` of ``length``, then write ``piece`` up to ``pieces`` times,
    ``pause_s`` apart, until the client hangs up: a download far slower than any minimum rate."""
    handler.send_response(200)
    handler.send_header("Content-Length", str(length))
    handler.end_headers()
    for _ in range(pieces):
        try:
            handler.wfile.write(piece)
            handler.wfile.flush()
        except OSError:
            return
        time.sleep(pause_s)


def dripping(length: int, piece: bytes, pieces: int, pause_s: float) -> type[http.server.BaseHTTPRequestHandler]:
    """A handler class whose every GET is a :func:`drip`."""

    class Drip(QuietHandler):
        def do_GET(self) -> None:  # noqa: N802
            drip(self, length, piece, pieces, pause_s)

    return Drip
