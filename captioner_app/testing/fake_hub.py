"""A stand-in for the Hugging Face hub on 127.0.0.1, enough for ``huggingface_hub.snapshot_download``.

It serves model folders the way the hub does over plain HTTP (never Xet):

- ``GET /api/models/{repo}[/revision/{rev}]``: the repo info with its commit ``sha``;
- ``GET /api/models/{repo}/tree/{rev}``: the recursive file listing (``oid``, ``size``, ``lfs``);
- ``HEAD|GET /{repo}/resolve/{rev}/{path}``: small files answer themselves with ``ETag`` (the git blob
  sha1), ``X-Repo-Commit`` and ``Content-Length``; LFS files (``*.safetensors``, ``*.bin``) answer
  ``302`` to ``/lfs/{sha256}`` with ``X-Linked-Etag`` and ``X-Linked-Size`` like the hub's CDN hop;
- ``HEAD|GET /lfs/{sha256}``: the LFS bytes (the redirect stays on this host, so the client follows it
  and reads ``ETag`` and ``X-Repo-Commit`` from this answer too).

Unknown repos answer 401 ``X-Error-Code: RepoNotFound``, unknown revisions 404 ``RevisionNotFound``,
unknown files 404 ``EntryNotFound``. ``Range: bytes=N-`` gets ``206`` with ``Content-Range``. No answer
carries ``X-Xet-Hash`` nor a ``xetHash``, so the client downloads over plain HTTP.

Test controls: :meth:`FakeHub.throttle` (sleep between chunks), :meth:`FakeHub.interrupt` (cut the
connection once after N bytes of a file, then optionally answer 503 until :meth:`FakeHub.restore`),
and :attr:`FakeHub.requests` (every request with its Range start).
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Any
from urllib.parse import quote, unquote, urlsplit

LFS_SUFFIXES = (".safetensors", ".bin", ".pt", ".pth", ".gguf")


@dataclass(frozen=True)
class Request:
    """One request the hub received; ``path`` is the repo file for /resolve and /lfs requests."""

    method: str
    url: str
    path: str | None
    range_start: int | None
    status: int


@dataclass
class _File:
    path: str
    data: bytes
    lfs: bool
    sha256: str = ""
    git_oid: str = ""

    def __post_init__(self) -> None:
        self.sha256 = hashlib.sha256(self.data).hexdigest()
        self.git_oid = hashlib.sha1(b"blob %d\0" % len(self.data) + self.data).hexdigest()


@dataclass
class _Repo:
    repo_id: str
    commit: str
    files: dict[str, _File]
    refs: dict[str, str] = field(default_factory=dict)  # branch or tag -> commit


@dataclass
class _Cut:
    after: int
    then_down: bool


class FakeHub:
    """The fake hub; ``with FakeHub() as hub: hub.add_repo("someone/model", folder)``; ``hub.url``."""

    def __init__(self, *, chunk_size: int = 16 * 1024) -> None:
        self.chunk_size = chunk_size
        self._repos: dict[str, _Repo] = {}
        self._lock = threading.Lock()
        self._requests: list[Request] = []
        self._throttle: dict[str | None, float] = {}
        self._cuts: dict[str, _Cut] = {}
        self._down = False
        hub = self

        class Handler(_Handler):
            owner = hub

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, name="fake-hub", daemon=True
        )
        self._thread.start()

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def add_repo(
        self,
        repo_id: str,
        folder: str | Path,
        *,
        branches: tuple[str, ...] = ("main",),
        extra: dict[str, bytes] | None = None,
    ) -> str:
        """Serve every file under ``folder`` (plus ``extra`` name -> bytes) as ``repo_id``; returns its commit."""
        if repo_id.count("/") != 1:
            raise ValueError(f"repo id {repo_id!r} is not namespace/name")
        root = Path(folder)
        contents = {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}
        contents.update(extra or {})
        files = {name: _File(name, data, name.endswith(LFS_SUFFIXES)) for name, data in contents.items()}
        listing = "".join(f"{f.path} {f.git_oid}\n" for f in files.values())
        commit = hashlib.sha1(f"{repo_id}\n{listing}".encode()).hexdigest()
        with self._lock:
            self._repos[repo_id] = _Repo(repo_id, commit, files, {b: commit for b in branches})
        return commit

    def file_bytes(self, repo_id: str, path: str) -> bytes:
        return self._repos[repo_id].files[path].data

    # -- test controls --------------------------------------------------------------------------

    def throttle(self, seconds_per_chunk: float, path: str | None = None) -> None:
        """Sleep between chunks of ``path`` (every file when ``None``); 0 turns it off."""
        with self._lock:
            self._throttle[path] = seconds_per_chunk

    def interrupt(self, path: str, after_bytes: int, *, then_down: bool = True) -> None:
        """Cut the connection once, when the file at ``path`` has been sent up to byte ``after_bytes``.

        With ``then_down`` the hub answers 503 to everything afterwards, until :meth:`restore`.
        """
        with self._lock:
            self._cuts[path] = _Cut(after_bytes, then_down)

    def restore(self) -> None:
        with self._lock:
            self._down = False
            self._cuts.clear()

    @property
    def requests(self) -> list[Request]:
        with self._lock:
            return list(self._requests)

    def file_requests(self, path: str, method: str = "GET") -> list[Request]:
        return [r for r in self.requests if r.path == path and r.method == method]

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> FakeHub:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


_RANGE = re.compile(r"^bytes=(\d+)-(\d*)$")


class _Handler(BaseHTTPRequestHandler):
    owner: FakeHub
    protocol_version = "HTTP/1.1"
    timeout = 10  # an idle keep-alive connection ends its thread after this many seconds

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        pass

    def do_HEAD(self) -> None:
        self._route(head=True)

    def do_GET(self) -> None:
        self._route(head=False)

    # -- routing --------------------------------------------------------------------------------

    def _route(self, head: bool) -> None:
        hub = self.owner
        url = urlsplit(self.path)
        parts = [unquote(p) for p in url.path.split("/")[1:]]
        try:
            if hub._down:
                self._record(self._file_of(parts, url.query), None, 503)
                self._answer(503, b"Service Unavailable", head, {"X-Error-Message": "the hub is down"})
            elif parts[:2] == ["api", "models"] and len(parts) >= 4:
                self._api(parts[2] + "/" + parts[3], parts[4:], head)
            elif parts[:1] == ["lfs"] and len(parts) == 2:
                self._lfs(parts[1], head)
            elif len(parts) >= 5 and parts[2] == "resolve":
                self._resolve(parts[0] + "/" + parts[1], parts[3], "/".join(parts[4:]), head)
            else:
                self._record(None, None, 404)
                self._answer(404, b"Not Found", head)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True

    @staticmethod
    def _file_of(parts: list[str], query: str) -> str | None:
        """The repo file a /resolve or /lfs address is for (``None`` for the API)."""
        if len(parts) >= 5 and parts[2] == "resolve":
            return "/".join(parts[4:])
        if parts[:1] == ["lfs"]:
            return next((unquote(v) for k, _, v in (p.partition("=") for p in query.split("&")) if k == "file"), None)
        return None

    def _repo(self, repo_id: str, head: bool, path: str | None = None) -> _Repo | None:
        repo = self.owner._repos.get(repo_id)
        if repo is None:
            self._record(path, None, 401)
            self._answer(
                401,
                b"Repository not found",
                head,
                {"X-Error-Code": "RepoNotFound", "X-Error-Message": "Repository not found"},
            )
        return repo

    def _commit(self, repo: _Repo, revision: str, head: bool, path: str | None = None) -> str | None:
        if revision == repo.commit or revision in repo.refs:
            return repo.refs.get(revision, repo.commit)
        self._record(path, None, 404)
        self._answer(
            404,
            f"Invalid rev id: {revision}".encode(),
            head,
            {"X-Error-Code": "RevisionNotFound", "X-Error-Message": f"Invalid rev id: {revision}"},
        )
        return None

    def _api(self, repo_id: str, rest: list[str], head: bool) -> None:
        repo = self._repo(repo_id, head)
        if repo is None:
            return
        if not rest or rest[0] == "revision":
            commit = self._commit(repo, rest[1] if len(rest) > 1 else "main", head)
            if commit is None:
                return
            body = {
                "id": repo_id,
                "modelId": repo_id,
                "sha": commit,
                "private": False,
                "gated": False,
                "disabled": False,
                "siblings": [{"rfilename": name} for name in repo.files],
            }
        elif rest[0] == "tree" and len(rest) >= 2:
            commit = self._commit(repo, rest[1], head)
            if commit is None:
                return
            prefix = "/".join(rest[2:])
            body = [self._tree_entry(f) for f in repo.files.values() if f.path.startswith(prefix)]  # type: ignore
        else:
            self._record(None, None, 404)
            self._answer(404, b"Not Found", head)
            return
        self._record(None, None, 200)
        self._answer(200, json.dumps(body).encode(), head, {"Content-Type": "application/json"})

    @staticmethod
    def _tree_entry(f: _File) -> dict[str, Any]:
        entry: dict[str, Any] = {"type": "file", "path": f.path, "size": len(f.data), "oid": f.git_oid}
        if f.lfs:
            entry["lfs"] = {"oid": f.sha256, "size": len(f.data), "pointerSize": 134}
        return entry

    def _resolve(self, repo_id: str, revision: str, path: str, head: bool) -> None:
        repo = self._repo(repo_id, head, path)
        if repo is None:
            return
        commit = self._commit(repo, revision, head, path)
        if commit is None:
            return
        f = repo.files.get(path)
        if f is None:
            self._record(path, None, 404)
            self._answer(
                404,
                b"Entry not found",
                head,
                {"X-Error-Code": "EntryNotFound", "X-Error-Message": "Entry not found", "X-Repo-Commit": commit},
            )
            return
        if f.lfs:
            self._record(path, None, 302)
            self._answer(
                302,
                b"",
                head,
                {
                    "Location": f"/lfs/{f.sha256}?repo={quote(repo_id, safe='')}&file={quote(path, safe='')}",
                    "X-Repo-Commit": commit,
                    "X-Linked-Etag": f'"{f.sha256}"',
                    "X-Linked-Size": str(len(f.data)),
                    "ETag": f'"{f.git_oid}"',
                },
            )
            return
        self._send_file(f, commit, f'"{f.git_oid}"', head)

    def _lfs(self, sha256: str, head: bool) -> None:
        for repo in list(self.owner._repos.values()):
            for f in repo.files.values():
                if f.lfs and f.sha256 == sha256:
                    self._send_file(f, repo.commit, f'"{f.sha256}"', head)
                    return
        self._record(None, None, 404)
        self._answer(404, b"Not Found", head)

    # -- answers --------------------------------------------------------------------------------

    def _record(self, path: str | None, range_start: int | None, status: int) -> None:
        hub = self.owner
        with hub._lock:
            hub._requests.append(Request(self.command, self.path, path, range_start, status))

    def _answer(self, status: int, body: bytes, head: bool, headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        if "Content-Type" not in (headers or {}):
            self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if not head:
            self.wfile.write(body)

    def _send_file(self, f: _File, commit: str, etag: str, head: bool) -> None:
        hub = self.owner
        size = len(f.data)
        start, end = 0, size - 1
        match = _RANGE.match(self.headers.get("Range", "").strip())
        if match:
            start = int(match.group(1))
            end = min(int(match.group(2)), size - 1) if match.group(2) else size - 1
            if start >= size:
                self._record(f.path, start, 416)
                self._answer(416, b"", head, {"Content-Range": f"bytes */{size}"})
                return
        self._record(f.path, start if match else None, 206 if match else 200)
        headers = {
            "ETag": etag,
            "X-Repo-Commit": commit,
            "Accept-Ranges": "bytes",
            "Content-Type": "application/octet-stream",
        }
        if match:
            headers["Content-Range"] = f"bytes {start}-{end}/{size}"
        self.send_response(206 if match else 200)
        for key, value in headers.items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(end + 1 - start))
        self.end_headers()
        if head:
            return
        with hub._lock:
            cut = hub._cuts.get(f.path)
            delay = hub._throttle.get(f.path, hub._throttle.get(None, 0.0))
        position = start
        while position <= end:
            stop = min(position + hub.chunk_size, end + 1)
            if cut is not None and position < cut.after <= stop:
                stop = cut.after
            self.wfile.write(f.data[position:stop])
            position = stop
            if cut is not None and position == cut.after:
                with hub._lock:
                    hub._cuts.pop(f.path, None)
                    hub._down = cut.then_down
                self.wfile.flush()
                self.close_connection = True
                self.connection.shutdown(2)  # SHUT_RDWR: the client sees the body end early
                return
            if delay:
                time.sleep(delay)
