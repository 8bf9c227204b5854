"""Put the pieces together: job store, worker, HTTP app, uvicorn."""

from __future__ import annotations

import contextlib
import signal
import threading
import time
from collections.abc import Iterator
from typing import Any

from captioner_app.core.errors import UsageError
from captioner_app.core.fileio import private_dir
from captioner_app.core.model.engine import CaptionEngine
from captioner_app.server.config import ServerConfig
from captioner_app.server.jobs import JobStore


class CaptionServer:
    """The local server around one loaded engine. :meth:`serve` blocks; :meth:`start` runs it in a
    thread (tests, embedding) until :meth:`stop`."""

    def __init__(self, config: ServerConfig, engine: CaptionEngine) -> None:
        from captioner_app.server.app import create_app
        from captioner_app.server.worker import Worker

        self.config = config
        try:
            private_dir(config.data_dir)
        except OSError as err:
            raise UsageError(f"--data-dir {config.data_dir}: cannot be created ({err.strerror or err})") from None
        self.store = JobStore(config.data_dir / "jobs.sqlite3")
        for partial in (config.data_dir / "uploads").glob("*.part"):  # uploads cut off by a stop
            partial.unlink(missing_ok=True)
        self.worker = Worker(self.store, engine, config)
        self.app = create_app(config, self.store, self.worker, config.data_dir / "uploads")
        self.requeued = 0
        self._server: Any = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host = f"[{self.config.host}]" if ":" in self.config.host else self.config.host
        return f"http://{host}:{self.config.port}"

    def _uvicorn(self) -> Any:
        import uvicorn

        class Server(uvicorn.Server):
            @contextlib.contextmanager
            def capture_signals(self) -> Iterator[None]:
                """Ctrl-C and SIGTERM stop the server without re-raising, so the worker is stopped
                and the job database closed before the process ends."""
                if threading.current_thread() is not threading.main_thread():
                    yield
                    return
                original = {sig: signal.signal(sig, self.handle_exit) for sig in (signal.SIGINT, signal.SIGTERM)}
                try:
                    yield
                finally:
                    for sig, handler in original.items():
                        signal.signal(sig, handler)

        cfg = uvicorn.Config(
            self.app,
            host=self.config.host,
            port=self.config.port,
            log_level="warning",
            access_log=False,
            server_header=False,
            proxy_headers=False,
            lifespan="off",
            timeout_graceful_shutdown=3,
            ws="none",
        )
        return Server(cfg)

    def serve(self) -> None:
        """Run until interrupted (Ctrl-C), then stop the worker; unfinished jobs wait for the next start."""
        self.requeued = self.worker.start()
        self._server = self._uvicorn()
        try:
            self._server.run()
        finally:
            self.worker.stop()
            self.store.close()

    def start(self, timeout_s: float = 30.0) -> None:
        self.requeued = self.worker.start()
        self._server = self._uvicorn()
        self._thread = threading.Thread(target=self._server.run, name="captioner-http")
        self._thread.start()
        deadline = time.monotonic() + timeout_s
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                self.stop()
                raise UsageError(f"the server could not start on {self.url} (is the port in use?)")
            time.sleep(0.02)

    def stop(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=30)
            self._thread = None
        self.worker.stop()
        self.store.close()
