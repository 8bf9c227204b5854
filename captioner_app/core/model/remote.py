"""A caption engine that asks OpenAI-compatible model servers (vLLM, ``transformers serve``); docs/remote.md.

Each window's frames go in the chat message's ``video_url`` with the local engine's prompt, token cap
and greedy decoding. vLLM gets them as a JPEG sequence with the frames' indices and the video's frame
rate in ``media_io_kwargs``: its Molmo2 processor then writes the frames' real times into the prompt,
as the local engine does. Other servers get a short MP4 (clips.py), whose decoder numbers the frames
from 0, so the model is told times from 0 in each window (docs/remote.md). A server on a loopback
address fetches the MP4 from this process's loopback server (``transformers serve`` reads no ``data:``
URLs); any other gets a ``data:`` URL (we open no network listener for the user's video).
Windows go to the server with the fewest in flight; refused or dropped connections, timeouts, 429 and
5xx are retried (elsewhere when possible) with backoff. HTTP is ``http.client``, one streamed
connection per request, so that closing the socket cancels the generation on the server.
"""

from __future__ import annotations

import base64
import contextlib
import http.client
import json
import logging
import queue
import socket
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from captioner_app.core.errors import CancelledError, ModelError, UsageError, one_line
from captioner_app.core.model.clips import ClipServer, WindowVideo
from captioner_app.core.model.engine import ENGINE_KEY_ENV, ClipRequest, EngineOptions
from captioner_app.core.model.servers import connect_reason, error_text, is_loopback_host, parse_engine_urls, short

if TYPE_CHECKING:
    pass

log = logging.getLogger(__name__)

IN_FLIGHT_PER_SERVER = 4  # default bound: windows in flight per server
CONNECT_TIMEOUT_S = 10.0
DEFAULT_TIMEOUT_S = 300.0  # longest silence from a server (before its first byte or between two)
MAX_ATTEMPTS = 5  # per window, over all servers
BACKOFF_S = (0.5, 1.0, 2.0, 4.0)


# -- errors -------------------------------------------------------------------------------------


class RemoteError(ModelError):
    """A model server failed in a way the user must fix (or that retries did not get past)."""


class _Retryable(Exception):
    """Worth another try (maybe elsewhere): refused or dropped connection, timeout, 429, 5xx."""

    def __init__(self, message: str, *, server_down: bool = False, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.server_down = server_down
        self.retry_after = retry_after


# -- servers ------------------------------------------------------------------------------------


@dataclass
class _Server:
    url: str
    in_flight: int = 0
    done: int = 0
    failures: int = 0  # consecutive connection failures (sets how long it is left alone)
    down_until: float = 0.0
    last_error: str = ""
    vllm: bool = False  # its /models says "owned_by": "vllm": it takes media_io_kwargs
    times: bool = False  # it is sent the frames with their times (vLLM: a JPEG sequence and its metadata)

    def __post_init__(self) -> None:
        parts = urlsplit(self.url)
        self.https = parts.scheme == "https"
        self.host = parts.hostname or ""
        self.port = parts.port or (443 if self.https else 80)
        self.path = parts.path.rstrip("/")
        self.loopback = is_loopback_host(self.host)

    def up(self, now: float) -> bool:
        return now >= self.down_until


@dataclass(eq=False)
class _Call:
    """One window's request: which connection it is on (so that cancelling can close it)."""

    conn: http.client.HTTPConnection | None = None
    aborted: bool = False
    lock: threading.Lock = field(default_factory=threading.Lock)


class RemoteEngine:
    """Captions through OpenAI-compatible servers; ``batch_size`` windows are in flight at once."""

    device = "remote"

    def __init__(
        self,
        urls: Sequence[str],
        model: str,
        *,
        api_key: str | None = None,
        batch_size: int | None = None,
        timeout_s: float = DEFAULT_TIMEOUT_S,
    ) -> None:
        if not urls:
            raise UsageError("--engine needs at least one server URL")
        self.servers = [_Server(u) for u in urls]
        self.model_id = model
        self.revision: str | None = None
        self.engine_url = ",".join(urls)
        self.api_key = api_key
        self.batch_size = batch_size or IN_FLIGHT_PER_SERVER * len(self.servers)
        self.timeout_s = timeout_s
        self.retries = 0  # attempts after the first, over the engine's life (tests, benchmark)
        self._lock = threading.Lock()
        self._cond = threading.Condition(self._lock)
        self._clip_server: ClipServer | None = None
        self._closed = False

    # -- setup ----------------------------------------------------------------------------------

    @classmethod
    def load(cls, options: EngineOptions) -> RemoteEngine:
        """Check every server (reachable, key accepted, model served, takes a video) and return the engine."""
        if options.batch_size is not None and options.batch_size < 1:
            raise UsageError(f"--batch-size must be at least 1, got {options.batch_size}")
        urls = parse_engine_urls(options.engine or "")
        engine = cls(
            urls,
            options.model,
            api_key=options.api_key,
            batch_size=options.batch_size,
            timeout_s=options.engine_timeout_s or DEFAULT_TIMEOUT_S,
        )
        try:
            engine.check()
        except BaseException:
            engine.close()
            raise
        return engine

    def check(self) -> None:
        """Ask each server for its models and caption a two-frame clip; fail on what a user must fix.

        A server that cannot be reached is left out until it answers (a warning), unless none can be.
        """
        unreachable: list[str] = []
        for server in self.servers:
            try:
                served = self._list_models(server)
            except _Retryable as err:
                self._mark_down(server, str(err))
                unreachable.append(str(err))
                continue
            if not self.model_id:
                if len(served) != 1:
                    listed = ", ".join(served) or "none"
                    raise RemoteError(f"model server {server.url} serves {listed}; pass --model with one of them")
                self.model_id = served[0]
            elif served and self.model_id not in served:
                raise RemoteError(
                    f"model server {server.url} does not serve model {self.model_id!r} (it serves {', '.join(served)})"
                )
            self._probe_video(server)
        if len(unreachable) == len(self.servers):
            raise RemoteError(
                unreachable[0] if len(unreachable) == 1 else f"no model server answered: {'; '.join(unreachable)}"
            )
        for reason in unreachable:
            log.warning("%s; carrying on without it until it answers", reason)

    def _list_models(self, server: _Server) -> list[str]:
        status, body, _ = self._exchange(server, "GET", "/models", None, _Call())
        if status != 200:
            raise self._status_error(server, status, body)
        try:
            data = json.loads(body)
            models = data.get("data", [])
            server.vllm = server.times = any(m.get("owned_by") == "vllm" for m in models)
            return [str(m["id"]) for m in models]
        except (ValueError, TypeError, KeyError, AttributeError):
            raise RemoteError(
                f"model server {server.url} is not an OpenAI-compatible API "
                f"(GET /models answered {one_line(ValueError(body[:80]))!r})"
            ) from None

    def _probe_video(self, server: _Server) -> None:
        """Caption a two- and a three-frame clip: fails when the server cannot take video, and when
        it ignores it (a text-only model: both prompts come out the same length). A server sent the
        frames' times also gets the two frames 1000 s later: a longer time text, a longer prompt."""
        lengths = []
        for count, start_ms in ((2, 0), (3, 0), (2, 1_000_000)):
            if start_ms and not (server.times and None not in lengths):
                break
            try:
                lengths.append(self._prompt_tokens(server, _probe_window(count, start_ms)))
            except _Retryable as err:
                if err.server_down:
                    self._mark_down(server, str(err))
                    return
                raise RemoteError(
                    f"model server {server.url} cannot take a video clip: {err}; "
                    "see docs/remote.md for what the server needs"
                ) from None
            except RemoteError as err:
                if "refused the request (HTTP" in str(err) and server.times:  # a vLLM without JPEG sequences
                    log.warning("%s; sending it MP4 clips: frame times start at 0 in each window", err)
                    server.times = False
                    return self._probe_video(server)
                if "refused the request (HTTP" in str(err):  # neither key nor model: the video, likely
                    raise RemoteError(f"{err}; the server may not take video input (see docs/remote.md)") from None
                raise
        if None not in lengths and lengths[0] == lengths[1]:
            raise RemoteError(
                f"model server {server.url} ignores video input: its model {self.model_id!r} reads text only"
            )
        if server.times and len(lengths) == 3 and lengths[2] == lengths[0]:
            log.warning("model server %s ignores the frames' times (vLLM too old: docs/remote.md)", server.url)
        elif not server.times:
            log.warning("model server %s is told frame times from 0 in each window (docs/remote.md)", server.url)

    def _prompt_tokens(self, server: _Server, video: WindowVideo) -> int | None:
        """Send a one-token request (not streamed, so that the usage comes back); its prompt's length."""
        url, token = self._video_url(server, video)
        try:
            body = self._chat_body(server, url, video, "Describe this video.", 1, stream=False)
            status, text, headers = self._exchange(server, "POST", "/chat/completions", body, _Call())
        finally:
            self._forget_clip(token)
        if status != 200:
            raise self._status_error(server, status, text, headers.get("retry-after"))
        try:
            return int(json.loads(text)["usage"]["prompt_tokens"])
        except (ValueError, KeyError, TypeError):
            return None

    def close(self) -> None:
        with self._lock:
            self._closed = True
            clip_server, self._clip_server = self._clip_server, None
        if clip_server is not None:
            clip_server.close()

    def stats(self) -> dict[str, int]:
        """Windows answered by each server."""
        with self._lock:
            return {s.url: s.done for s in self.servers}

    # -- captioning -----------------------------------------------------------------------------

    def caption(self, requests: Sequence[ClipRequest], cancel: threading.Event | None = None) -> list[str]:
        """One text per request, in order; up to ``batch_size`` in flight. Cancelling closes them all."""
        if not requests:
            return []
        results: list[str | None] = [None] * len(requests)
        errors: list[BaseException] = []
        todo: queue.SimpleQueue[int] = queue.SimpleQueue()
        for i in range(len(requests)):
            todo.put(i)
        stop = threading.Event()
        calls: set[_Call] = set()
        calls_lock = threading.Lock()

        def work() -> None:
            while not stop.is_set():
                try:
                    i = todo.get_nowait()
                except queue.Empty:
                    return
                call = _Call()
                try:
                    with calls_lock:
                        calls.add(call)
                    results[i] = self._caption_one(requests[i], call, stop)
                except BaseException as err:  # noqa: BLE001 - handed to the caller's thread
                    if not stop.is_set():
                        errors.append(err)
                    stop.set()
                finally:
                    with calls_lock:
                        calls.discard(call)

        threads = [
            threading.Thread(target=work, name=f"captioner-remote-{n}", daemon=True)
            for n in range(min(self.batch_size, len(requests)))
        ]
        for t in threads:
            t.start()
        try:
            while alive := [t for t in threads if t.is_alive()]:
                if cancel is not None and cancel.is_set():
                    raise CancelledError()
                if stop.is_set():
                    break
                alive[0].join(0.05)
        finally:
            stop.set()
            with calls_lock:
                for call in list(calls):
                    _abort(call)
            for t in threads:
                t.join(timeout=10)
        if errors:
            raise errors[0]
        if cancel is not None and cancel.is_set():
            raise CancelledError()
        if any(r is None for r in results):
            raise RuntimeError("a window was left without a caption")
        return [r or "" for r in results]

    def _caption_one(self, request: ClipRequest, call: _Call, stop: threading.Event) -> str:
        video = WindowVideo(request.frames, request.video_metadata())
        tried: list[str] = []
        last: _Retryable | None = None
        for attempt in range(MAX_ATTEMPTS):
            if stop.is_set():
                raise CancelledError()
            server = self._pick(stop, avoid=tried[-1:] if len(self.servers) > 1 else [])
            if attempt:
                with self._lock:
                    self.retries += 1
            try:
                text = self._caption_on(server, video, request.prompt.text, request.prompt.max_new_tokens, call)
            except _Retryable as err:
                if stop.is_set() or call.aborted:
                    raise CancelledError() from None
                last = err
                tried.append(server.url)
                if err.server_down:
                    self._mark_down(server, str(err))
                log.info("window retried (%s)", err)
                wait = err.retry_after if err.retry_after is not None else BACKOFF_S[min(attempt, len(BACKOFF_S) - 1)]
                if not (err.server_down and self._any_up()) and stop.wait(min(wait, 30.0)):
                    raise CancelledError() from None
                continue
            finally:
                with self._cond:
                    server.in_flight -= 1
                    self._cond.notify_all()
            with self._lock:
                server.done += 1
                server.failures = 0
            return text
        assert last is not None
        raise RemoteError(f"{last} (gave up after {MAX_ATTEMPTS} tries)")

    def _any_up(self) -> bool:
        now = time.monotonic()
        with self._lock:
            return any(s.up(now) for s in self.servers)

    def _pick(self, stop: threading.Event, avoid: Sequence[str]) -> _Server:
        """The server with the fewest windows in flight (one that just failed this window last)."""
        with self._cond:
            while True:
                now = time.monotonic()
                up = [s for s in self.servers if s.up(now)]
                if up:
                    server = min(up, key=lambda s: (s.url in avoid, s.in_flight, s.done))
                    server.in_flight += 1
                    return server
                # every server is resting after failures: wait for the first to be tried again
                soonest = min(s.down_until for s in self.servers)
                self._cond.wait(min(0.1, max(0.0, soonest - now)))
                if stop.is_set():
                    raise CancelledError()

    def _mark_down(self, server: _Server, reason: str) -> None:
        with self._cond:
            server.failures += 1
            server.last_error = reason
            server.down_until = time.monotonic() + min(4.0, 0.5 * 2 ** (server.failures - 1))

    # -- HTTP -----------------------------------------------------------------------------------

    def _video_url(self, server: _Server, video: WindowVideo) -> tuple[str, str | None]:
        """The ``video_url`` for ``server`` and the loopback clip's token (None: nothing to forget)."""
        if server.times:
            return video.jpeg_url(), None
        return self._clip_url(server, video.mp4())

    def _clip_url(self, server: _Server, clip: bytes) -> tuple[str, str | None]:
        if not server.loopback:
            return "data:video/mp4;base64," + base64.b64encode(clip).decode("ascii"), None
        with self._lock:
            if self._closed:
                raise CancelledError("the engine is closed")
            if self._clip_server is None:
                self._clip_server = ClipServer()
            clip_server = self._clip_server
        token, url = clip_server.add(clip)
        return url, token

    def _forget_clip(self, token: str | None) -> None:
        clip_server = self._clip_server
        if token is not None and clip_server is not None:
            clip_server.remove(token)

    def _chat_body(
        self, server: _Server, url: str, video: WindowVideo, prompt: str, max_tokens: int, stream: bool = True
    ) -> dict[str, Any]:
        body: dict[str, Any] = {
            "model": self.model_id,
            "messages": [
                {
                    "role": "user",
                    "content": [
                        {"type": "video_url", "video_url": {"url": url}},
                        {"type": "text", "text": prompt},
                    ],
                }
            ],
            "max_tokens": max_tokens,
            "temperature": 0,  # greedy, like the local engine
            "stream": stream,
            # every frame we sent, none resampled (transformers serve would keep 32 by default)
            "chat_template_kwargs": {"do_sample_frames": False},
        }
        if server.vllm:  # every frame (vLLM keeps 32 unless told), and their times (transformers serve refuses it)
            body["media_io_kwargs"] = {"video": video.vllm_media_kwargs(server.times)}
        return body

    def _caption_on(self, server: _Server, video: WindowVideo, prompt: str, max_tokens: int, call: _Call) -> str:
        url, token = self._video_url(server, video)
        try:
            body = self._chat_body(server, url, video, prompt, max_tokens)
            status, text, headers = self._exchange(server, "POST", "/chat/completions", body, call, stream=True)
        finally:
            self._forget_clip(token)
        if status != 200:
            raise self._status_error(server, status, text, headers.get("retry-after"))
        return " ".join(text.split())

    def _connection(self, server: _Server) -> http.client.HTTPConnection:
        if server.https:
            import ssl

            return http.client.HTTPSConnection(
                server.host, server.port, timeout=CONNECT_TIMEOUT_S, context=ssl.create_default_context()
            )
        return http.client.HTTPConnection(server.host, server.port, timeout=CONNECT_TIMEOUT_S)

    def _exchange(
        self, server: _Server, method: str, path: str, body: dict[str, Any] | None, call: _Call, stream: bool = False
    ) -> tuple[int, str, dict[str, str]]:
        """(status, text, headers): for a 200 stream, the text is the streamed content."""
        headers = {"Accept": "text/event-stream" if stream else "application/json"}
        if self.api_key:
            headers["Authorization"] = f"Bearer {self.api_key}"
        payload = None
        if body is not None:
            payload = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        conn = self._connection(server)
        with call.lock:
            if call.aborted:
                raise CancelledError()
            call.conn = conn
        try:
            try:
                conn.connect()
            except (TimeoutError, ConnectionRefusedError, socket.gaierror, OSError) as err:
                if call.aborted:
                    raise CancelledError() from None
                raise _Retryable(
                    f"model server {server.url} {connect_reason(err, CONNECT_TIMEOUT_S)}", server_down=True
                ) from None
            assert conn.sock is not None
            conn.sock.settimeout(self.timeout_s)
            try:
                conn.request(method, server.path + path, body=payload, headers=headers)
                response = conn.getresponse()
                reply_headers = {k.lower(): v for k, v in response.getheaders()}
                if response.status != 200 or not stream:
                    return response.status, response.read(1 << 20).decode("utf-8", "replace"), reply_headers
                return 200, self._read_stream(server, response), reply_headers
            except TimeoutError:
                if call.aborted:
                    raise CancelledError() from None
                raise _Retryable(
                    f"model server {server.url} sent nothing for {self.timeout_s:g} s (timed out)"
                ) from None
            except (ConnectionError, http.client.HTTPException, OSError) as err:
                if call.aborted:
                    raise CancelledError() from None
                raise _Retryable(
                    f"model server {server.url} dropped the connection ({one_line(err)})", server_down=True
                ) from None
        finally:
            with call.lock:
                call.conn = None
            conn.close()

    def _read_stream(self, server: _Server, response: http.client.HTTPResponse) -> str:
        pieces: list[str] = []
        finished = False
        while True:
            line = response.readline()
            if not line:
                break
            line = line.strip()
            if not line.startswith(b"data:"):
                continue
            data = line[5:].strip()
            if data == b"[DONE]":
                finished = True
                break
            try:
                chunk = json.loads(data)
            except ValueError:
                continue
            if isinstance(chunk, dict) and chunk.get("error"):
                error = chunk["error"]
                message = error.get("message") if isinstance(error, dict) else error
                raise _Retryable(f"model server {server.url} failed while writing ({short(str(message))})")
            for choice in chunk.get("choices") or []:
                delta = choice.get("delta") or {}
                if delta.get("content"):
                    pieces.append(str(delta["content"]))
                if choice.get("finish_reason"):
                    finished = True
        if not finished:
            raise _Retryable(f"model server {server.url} dropped the connection mid-answer", server_down=True)
        return "".join(pieces)

    def _status_error(self, server: _Server, status: int, body: str, retry_after: str | None = None) -> Exception:
        reason = error_text(body)
        where = f"model server {server.url}"
        if status in (401, 403):
            return RemoteError(f"{where} refused the API key (HTTP {status}); pass --api-key or set {ENGINE_KEY_ENV}")
        lowered = reason.lower()
        if status == 404 and "model" in lowered:
            return RemoteError(f"{where} does not serve model {self.model_id!r} ({reason})")
        if (
            status == 400
            and "model" in lowered
            and ("pinned" in lowered or "exist" in lowered or "not found" in lowered)
        ):
            return RemoteError(f"{where} does not serve model {self.model_id!r} ({reason})")
        if status == 404:
            return RemoteError(
                f"{where} has no OpenAI chat API at {server.path}/chat/completions (the URL should end in /v1)"
            )
        if status == 429 or status >= 500:
            after = None
            if retry_after:
                with contextlib.suppress(ValueError):
                    after = max(0.0, min(30.0, float(retry_after)))
            return _Retryable(f"{where} answered HTTP {status} ({reason})", retry_after=after)
        return RemoteError(f"{where} refused the request (HTTP {status}: {reason})")


def _probe_window(count: int, start_ms: int) -> WindowVideo:
    """``count`` grey frames 0.5 s apart from ``start_ms``, in a 2 fps video that goes on past them."""
    import numpy as np

    from captioner_app.core.media.video import Frame
    from captioner_app.core.model.prompts import PromptSpec

    frames = [Frame(start_ms + 500 * i, np.full((56, 56, 3), 60 * i, np.uint8)) for i in range(count)]
    request = ClipRequest(frames, PromptSpec("", 1, 1), native_fps=2.0, video_duration_ms=start_ms + 10_000)
    return WindowVideo(frames, request.video_metadata())


def _abort(call: _Call) -> None:
    """Close the call's connection from another thread: its blocked read ends at once."""
    with call.lock:
        call.aborted = True
        conn = call.conn
    if conn is not None and conn.sock is not None:
        with contextlib.suppress(OSError):
            conn.sock.shutdown(socket.SHUT_RDWR)
