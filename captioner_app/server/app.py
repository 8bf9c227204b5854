"""The HTTP API, in the hosted video-captioner's shape (see docs/server.md).

Every answer is ``{"code", "message", "data"}``; errors carry the HTTP status in ``code`` too.
A guard in front of the app refuses requests whose Host header does not name this server (DNS
rebinding), requests without the token, and bodies over the caps, before any route runs.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import ipaddress
import json
import os
import re
import shutil
import threading
from datetime import datetime, timezone
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Receive, Scope, Send

from captioner_app.core.errors import CaptionerError
from captioner_app.core.fileio import disk_full, private_dir
from captioner_app.core.media.urls import UrlError, check_address
from captioner_app.core.vocab import Detail, Placement
from captioner_app.server.config import MODEL_PATH, ServerConfig
from captioner_app.server.jobs import Job, JobStore
from captioner_app.server.worker import Worker

DETAILS = Detail.level_choices()
FORMATS = {"text": "txt", "txt": "txt", "srt": "srt", "vtt": "vtt", "webvtt": "vtt", "json": "json"}
TRACK_TYPES = {
    "txt": "text/plain; charset=utf-8",
    "srt": "application/x-subrip; charset=utf-8",
    "vtt": "text/vtt; charset=utf-8",
    "json": "application/json",
}
UPLOAD_PATH = "/api/v3/media/uploads/"
FILES_PATH = "/api/v3/media/files/"
_ID = re.compile(r"^[0-9a-f]{32}$")
# video/* or audio/* (RFC 6838 names), no parameters, nothing that could break a header
_MEDIA_TYPE = re.compile(r"^(?:video|audio)/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}\Z")
DISK_FULL = "the server's disk is full; nothing was stored, and the queue is unchanged: try again when space is freed"
DISK_MARGIN = 64 * 1024 * 1024  # kept free for the job database and the work folder
SAFE_HEADERS = {"X-Content-Type-Options": "nosniff"}


class ApiError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = " ".join(message.split())


def open_part(path: Path) -> Any:
    """A new upload file, readable by this user only."""
    return os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "wb")


def error_body(status: int, message: str) -> dict[str, Any]:
    return {"code": status, "message": " ".join(message.split()), "data": None}


def error_response(status: int, message: str) -> JSONResponse:
    return JSONResponse(error_body(status, message), status_code=status)


def success(data: Any) -> JSONResponse:
    return JSONResponse({"code": 200, "message": "success", "data": data})


def placements() -> tuple[str, ...]:
    """The placements the core's pipeline supports."""
    return Placement.choices()


class HostRule:
    """Which Host headers name this server: the bound host (and, on loopback, its other loopback
    names) with the bound port. Bound to every interface, only IP literals and ``localhost`` pass:
    a DNS-rebinding page always arrives under a domain name."""

    LOOPBACK = ("127.0.0.1", "localhost", "::1")

    def __init__(self, host: str, port: int) -> None:
        self.port = port
        host = host.strip("[]").lower()
        self.wildcard = host in ("0.0.0.0", "::", "")
        self.names = {host}
        if host in self.LOOPBACK:
            self.names.update(self.LOOPBACK)

    def accepts(self, value: str) -> bool:
        value = value.strip().lower()
        try:
            parts = urlsplit(f"//{value}")
            hostname, port = parts.hostname, parts.port
        except ValueError:
            return False
        if not hostname or (port is not None and port != self.port) or parts.path or parts.username:
            return False
        if hostname in self.names:
            return True
        if self.wildcard:
            try:
                ipaddress.ip_address(hostname)
                return True
            except ValueError:
                return hostname == "localhost"
        return False


class Guard:
    """Pure ASGI middleware: Host header, token, declared body size; answers errors in the API's shape."""

    def __init__(self, app: ASGIApp, config: ServerConfig) -> None:
        self.app = app
        self.config = config
        self.hosts = HostRule(config.host, config.port)
        self.expected = f"Bearer {config.token}".encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            if scope["type"] == "websocket":
                await send({"type": "websocket.close", "code": 1008})
                return
            await self.app(scope, receive, send)
            return
        problem = self.check(scope)
        if problem is not None:
            status, message = problem
            await error_response(status, message)(scope, receive, send)
            return
        await self.app(scope, receive, send)

    def check(self, scope: Scope) -> tuple[int, str] | None:
        headers: dict[bytes, list[bytes]] = {}
        for name, value in scope["headers"]:
            headers.setdefault(name.lower(), []).append(value)
        hosts = headers.get(b"host", [])
        if len(hosts) != 1 or not self.hosts.accepts(hosts[0].decode("latin-1")):
            shown = hosts[0].decode("latin-1")[:80] if hosts else "(none)"
            return 400, (
                f"Host header {shown!r} does not name this server ({self.config.host}:{self.config.port}); "
                "requests for other host names are refused"
            )
        auth = headers.get(b"authorization", [])
        if not auth:
            return 401, "missing API key: send the server's token as 'Authorization: Bearer TOKEN'"
        if len(auth) != 1 or not hmac.compare_digest(auth[0].strip(), self.expected):
            return 401, "invalid API key: the token does not match this server's"
        lengths = headers.get(b"content-length", [])
        if lengths:
            try:
                length = int(lengths[0])
            except ValueError:
                return 400, "the Content-Length header is not a number"
            is_upload = scope["method"] == "PUT" and scope["path"].startswith(UPLOAD_PATH)
            cap = self.config.max_upload_bytes if is_upload else self.config.max_body_bytes
            if length > cap:
                return 413, f"the request body is {length:,} bytes, over this server's {cap:,}-byte limit"
        return None


def iso(timestamp: float | None) -> str | None:
    if timestamp is None:
        return None
    return datetime.fromtimestamp(timestamp, timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def prediction(job: Job, base: str) -> dict[str, Any]:
    urls = {"get": f"{base}/api/v3/predictions/{job.id}/result"}
    data: dict[str, Any] = {
        "id": job.id,
        "model": job.model,
        "status": job.status,
        "outputs": job.outputs if job.status == "completed" else [],
        "urls": urls,
        "has_nsfw_contents": [],
        "created_at": iso(job.created_at),
        "error": job.error or "",
        "executionTime": job.inference_ms or 0,
        "timings": {"inference": job.inference_ms or 0},
    }
    if job.input.get("format") is not None:
        urls["track"] = f"{base}/api/v3/predictions/{job.id}/track"
        data["track_format"] = job.input["format"]
    return data


class Waiters:
    """Sync-mode requests waiting for their job; woken from worker threads."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._futures: dict[str, list[tuple[asyncio.AbstractEventLoop, asyncio.Future[None]]]] = {}

    async def wait(self, job_id: str, store: JobStore) -> Job:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[None] = loop.create_future()
        entry = (loop, future)
        with self._lock:
            self._futures.setdefault(job_id, []).append(entry)
        try:
            while True:
                job = store.get(job_id)
                if job is None or job.finished:
                    assert job is not None, job_id
                    return job
                await future
        finally:
            with self._lock:
                waiting = self._futures.get(job_id, [])
                if entry in waiting:
                    waiting.remove(entry)
                if not waiting:
                    self._futures.pop(job_id, None)

    def finished(self, job_id: str) -> None:
        with self._lock:
            entries = list(self._futures.get(job_id, []))
        for loop, future in entries:
            loop.call_soon_threadsafe(_resolve, future)


def _resolve(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)


MAX_JSON_DEPTH = 32  # the API's bodies nest two levels; nothing needs more
MAX_NUMBER_DIGITS = 30


_NOT_STRUCTURE = bytes(b for b in range(256) if b not in b'"[]{}')


def _nesting(body: bytes) -> int:
    """The deepest nesting of arrays and objects in a JSON text, outside strings: checked before
    parsing, in one linear pass, so a 500,000-deep body never reaches the recursive parser."""
    if b"[" not in body and b"{" not in body:
        return 0
    # escapes read left to right: an escaped backslash first, then an escaped quote
    body = body.replace(b"\\\\", b"").replace(b'\\"', b"").translate(None, _NOT_STRUCTURE)
    depth = deepest = 0
    in_string = False
    for byte in body:
        if byte == 0x22:
            in_string = not in_string
        elif in_string:
            continue
        elif byte in (0x5B, 0x7B):
            depth += 1
            if depth > deepest:
                deepest = depth
        else:
            depth -= 1
    return deepest


def _small_int(text: str) -> int:
    if len(text.lstrip("-")) > MAX_NUMBER_DIGITS:
        raise ValueError(f"a number with {len(text.lstrip('-')):,} digits is too long (at most {MAX_NUMBER_DIGITS})")
    return int(text)


def _no_constant(text: str) -> float:
    raise ValueError(f"{text} is not a number JSON allows")


async def read_json(request: Request, cap: int) -> dict[str, Any]:
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > cap:
            raise ApiError(413, f"the request body is over this server's {cap:,}-byte limit")
    depth = _nesting(bytes(body))
    if depth > MAX_JSON_DEPTH:
        raise ApiError(400, f"the request body nests {depth:,} levels deep; at most {MAX_JSON_DEPTH} are accepted")
    try:
        data = json.loads(bytes(body) or b"{}", parse_int=_small_int, parse_constant=_no_constant)
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise ApiError(400, f"the request body is not valid JSON ({err})") from None
    except (ValueError, RecursionError) as err:  # an over-long number, nesting the scan missed
        reason = str(err)[:120] or type(err).__name__
        raise ApiError(400, f"the request body is not acceptable JSON ({reason})") from None
    if not isinstance(data, dict):
        raise ApiError(400, "the request body must be a JSON object")
    return data


def create_app(config: ServerConfig, store: JobStore, worker: Worker, uploads_dir: Path) -> FastAPI:
    app = FastAPI(title="captioner", docs_url=None, redoc_url=None, openapi_url=None)
    app.add_middleware(Guard, config=config)
    waiters = Waiters()
    worker.add_listener(waiters.finished)
    hosts = HostRule(config.host, config.port)

    def base(request: Request) -> str:
        return str(request.base_url).rstrip("/")

    @app.exception_handler(ApiError)
    async def _api_error(request: Request, err: ApiError) -> JSONResponse:
        return error_response(err.status, err.message)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, err: StarletteHTTPException) -> JSONResponse:
        message = {
            404: f"no such endpoint: {request.method} {request.url.path}",
            405: f"{request.method} is not allowed on {request.url.path}",
        }.get(err.status_code, str(err.detail))
        return error_response(err.status_code, message)

    @app.exception_handler(RequestValidationError)
    async def _validation_error(request: Request, err: RequestValidationError) -> JSONResponse:
        first = err.errors()[0] if err.errors() else {}
        where = ".".join(str(p) for p in first.get("loc", ()))
        return error_response(422, f"{where}: {first.get('msg', 'invalid')}")

    @app.exception_handler(Exception)
    async def _internal(request: Request, err: Exception) -> JSONResponse:
        if disk_full(err):
            return error_response(507, DISK_FULL)
        return error_response(500, f"internal error: {type(err).__name__}: {err}")

    def room_for(size: int) -> None:
        """507 unless ``size`` more bytes fit the stored-uploads limit and the disk."""
        held = store.upload_bytes()
        if held + size > config.max_stored_bytes:
            raise ApiError(
                507,
                f"stored uploads hold {held:,} bytes; {size:,} more would pass this server's "
                f"{config.max_stored_bytes:,}-byte limit (uploads are deleted "
                f"{config.expire_s / 3600:g} h after they are made)",
            )
        free = shutil.disk_usage(config.data_dir).free
        if free < size + DISK_MARGIN:
            raise ApiError(
                507,
                f"the server's disk has {free:,} bytes free, not enough for {size:,} more; "
                "try again when space is freed",
            )

    def own_upload(video: str) -> str | None:
        """The upload id when ``video`` is this server's download URL for an upload."""
        try:
            parts = urlsplit(video)
        except ValueError:
            return None
        if parts.scheme != "http" or not hosts.accepts(parts.netloc) or not parts.path.startswith(FILES_PATH):
            return None
        upload_id = parts.path[len(FILES_PATH) :].strip("/")
        return upload_id if _ID.match(upload_id) else None

    def resolve_upload(video: str) -> Path | None:
        upload_id = own_upload(video)
        if upload_id is None:
            return None
        path = uploads_dir / upload_id
        if not path.is_file():
            raise CaptionerError(f"upload {upload_id} is gone from this server")
        return path

    worker.resolve_upload = resolve_upload

    def validate(body: dict[str, Any]) -> dict[str, Any]:
        video = body.get("video")
        if not isinstance(video, str) or not video.strip():
            raise ApiError(400, "video is required: a URL (http or https) or an upload's download_url")
        detail = body.get("detail_level", "medium")
        if detail not in DETAILS:
            raise ApiError(422, f"detail_level {detail!r} is not one of {', '.join(DETAILS)}")
        job_input: dict[str, Any] = {"video": video.strip(), "detail_level": detail}
        fmt = body.get("format")
        window = body.get("window")
        placement = body.get("placement")
        if fmt is not None or window is not None or placement is not None:
            fmt = "text" if fmt is None else fmt
            if not isinstance(fmt, str) or fmt.lower() not in FORMATS:
                raise ApiError(422, f"format {fmt!r} is not one of text, srt, vtt, json")
            job_input["format"] = FORMATS[fmt.lower()]
            if window is not None:
                if isinstance(window, bool) or not isinstance(window, (int, float)) or not 1 <= window <= 3600:
                    raise ApiError(422, f"window {window!r} must be a number of seconds from 1 to 3600")
                job_input["window"] = float(window)
            if placement is not None:
                available = placements()
                if placement not in available:
                    raise ApiError(
                        422, f"placement {placement!r} is not available; this server offers {', '.join(available)}"
                    )
                job_input["placement"] = placement
        return job_input

    async def check_video(video: str) -> None:
        upload_id = own_upload(video)
        if upload_id is not None:
            upload = store.get_upload(upload_id)
            if upload is None:
                raise ApiError(400, f"video: upload {upload_id} does not exist on this server")
            if not upload.received:
                raise ApiError(400, f"video: upload {upload_id} has not been sent yet (PUT its bytes first)")
            return
        try:
            await run_in_threadpool(check_address, video, allow_private=config.allow_private_urls)
        except UrlError as err:
            raise ApiError(400, f"video: {err}") from None

    @app.post(f"/api/v3/{MODEL_PATH}")
    async def submit(request: Request) -> JSONResponse:
        body = await read_json(request, config.max_body_bytes)
        job_input = validate(body)
        await check_video(job_input["video"])
        job = store.create(MODEL_PATH, job_input, fetch=own_upload(job_input["video"]) is None)
        worker.notify()
        if body.get("enable_sync_mode") is True:
            job = await waiters.wait(job.id, store)
        return success(prediction(job, base(request)))

    def job_or_404(job_id: str) -> Job:
        job = store.get(job_id) if _ID.match(job_id) else None
        if job is None:
            raise ApiError(404, f"prediction {job_id[:64]!r} does not exist")
        return job

    @app.get("/api/v3/predictions/{job_id}/result")
    async def result(job_id: str, request: Request) -> JSONResponse:
        return success(prediction(job_or_404(job_id), base(request)))

    @app.get("/api/v3/predictions/{job_id}/track")
    async def track(job_id: str) -> Response:
        job = job_or_404(job_id)
        if job.input.get("format") is None:
            raise ApiError(404, f'prediction {job_id} asked for no timed track (send "format" to get one)')
        if job.status == "failed":
            raise ApiError(404, f"prediction {job_id} failed: {job.error}")
        if job.status != "completed" or job.track is None:
            raise ApiError(409, f"prediction {job_id} is {job.status}; its track is not ready yet")
        return Response(
            job.track.encode("utf-8"), media_type=TRACK_TYPES[job.track_format or "txt"], headers=SAFE_HEADERS
        )

    @app.post("/api/v3/media/uploads")
    async def new_upload(request: Request) -> JSONResponse:
        body = await read_json(request, config.max_body_bytes)
        filename, size, content_type = body.get("filename", "upload"), body.get("size"), body.get("content_type")
        if not isinstance(filename, str) or len(filename) > 1024:
            raise ApiError(400, "filename must be a string")
        if isinstance(size, bool) or not isinstance(size, int) or size < 1:
            raise ApiError(400, "size must be the file's size in bytes (a whole number above 0)")
        if size > config.max_upload_bytes:
            raise ApiError(
                413, f"the file is {size:,} bytes, over this server's {config.max_upload_bytes:,}-byte upload limit"
            )
        room_for(size)
        if content_type is not None and (not isinstance(content_type, str) or not _MEDIA_TYPE.match(content_type)):
            shown = repr(content_type)[:80] if isinstance(content_type, str) else type(content_type).__name__
            raise ApiError(
                422,
                f"content_type {shown} is not accepted: send a video or audio type such as video/mp4, or leave it out",
            )
        upload = store.add_upload(filename, size, content_type)
        headers = {"Authorization": f"Bearer {config.token}"}
        if content_type:
            headers["Content-Type"] = content_type
        root = base(request)
        return success(
            {
                "upload": {"method": "PUT", "url": f"{root}{UPLOAD_PATH}{upload.id}", "headers": headers},
                "download_url": f"{root}{FILES_PATH}{upload.id}",
                "id": upload.id,
            }
        )

    @app.put(UPLOAD_PATH + "{upload_id}")
    async def put_upload(upload_id: str, request: Request) -> JSONResponse:
        upload = store.get_upload(upload_id) if _ID.match(upload_id) else None
        if upload is None:
            raise ApiError(404, f"upload {upload_id[:64]!r} does not exist; ask POST /api/v3/media/uploads first")
        if upload.received:
            raise ApiError(409, f"upload {upload_id} was already sent")
        limit = min(upload.size, config.max_upload_bytes)
        private_dir(uploads_dir)
        part = uploads_dir / f"{upload_id}.part"
        try:
            handle = open_part(part)
        except FileExistsError:
            raise ApiError(409, f"upload {upload_id} is being sent by another request") from None
        received = 0
        ok = False
        # no room: still read the body (at most the announced size) so the client hears the 507
        full = shutil.disk_usage(config.data_dir).free < upload.size + DISK_MARGIN
        final = uploads_dir / upload_id
        try:
            async for chunk in request.stream():
                received += len(chunk)
                if received > limit:
                    raise ApiError(413, f"the upload is over the {limit:,} bytes announced for it")
                if full:
                    continue  # read the rest (at most the announced size) so the client hears the answer
                try:
                    handle.write(chunk)
                except OSError as err:
                    if not disk_full(err):
                        raise
                    full = True
                    with contextlib.suppress(OSError):
                        handle.close()
                    part.unlink(missing_ok=True)
            if full:
                raise ApiError(507, f"{DISK_FULL} (upload {upload_id} was not kept)")
            try:
                handle.close()
            except OSError as err:
                if disk_full(err):
                    raise ApiError(507, f"{DISK_FULL} (upload {upload_id} was not kept)") from None
                raise
            if received != upload.size:
                raise ApiError(400, f"the upload is incomplete: {received:,} of {upload.size:,} bytes arrived")
            os.replace(part, final)
            store.mark_received(upload_id, received)
            ok = True
        finally:
            with contextlib.suppress(OSError):
                handle.close()
            if not ok:
                part.unlink(missing_ok=True)
                final.unlink(missing_ok=True)
        return success({"id": upload_id, "size": received, "download_url": f"{base(request)}{FILES_PATH}{upload_id}"})

    @app.get(FILES_PATH + "{upload_id}")
    async def get_file(upload_id: str) -> Response:
        path = uploads_dir / upload_id
        if not _ID.match(upload_id) or not path.is_file():
            raise ApiError(404, f"file {upload_id[:64]!r} does not exist on this server")
        upload = store.get_upload(upload_id)
        stored = upload.content_type if upload and upload.content_type else ""
        media_type = stored if _MEDIA_TYPE.match(stored) else "application/octet-stream"  # older databases
        label = re.sub(r"[^A-Za-z0-9._-]+", "_", upload.filename if upload else "").strip("._")[:100] or upload_id
        return FileResponse(
            path,
            media_type=media_type,
            headers={**SAFE_HEADERS, "Content-Disposition": f'attachment; filename="{label}"'},
        )

    @app.get("/api/v3/status")
    async def status() -> JSONResponse:
        return success(
            {
                "model": MODEL_PATH,
                "engine": worker.batcher.model_id,
                "jobs": store.counts(),
                "placements": list(placements()),
            }
        )

    @app.post("/api/v3/{model:path}")  # last: other models' paths
    async def unknown_model(model: str) -> JSONResponse:
        raise ApiError(404, f"model {model!r} is not served here; this server runs {MODEL_PATH}")

    return app
