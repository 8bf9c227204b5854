"""A persistent job queue in SQLite (the local server's predictions and uploads).

Every change is one committed transaction, so a killed process loses nothing it had answered:
on restart :meth:`JobStore.requeue_unfinished` puts jobs that were being worked on back in the
queue, and finished results stay readable. Safe to share between threads (one connection, a lock).
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from captioner_app.core.errors import CaptionerError
from captioner_app.core.fileio import private_dir, private_file
from captioner_app.core.settings import DATA_DIR_ENV, data_dir  # one data folder for the app and the server

__all__ = ["DATA_DIR_ENV", "data_dir"]  # re-exported for the server
STATUSES = ("created", "processing", "completed", "failed")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS jobs (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    model TEXT NOT NULL,
    status TEXT NOT NULL,
    input TEXT NOT NULL,
    outputs TEXT NOT NULL DEFAULT '[]',
    error TEXT,
    track TEXT,
    track_format TEXT,
    created_at REAL NOT NULL,
    started_at REAL,
    completed_at REAL,
    inference_ms INTEGER,
    attempts INTEGER NOT NULL DEFAULT 0,
    fetch INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX IF NOT EXISTS jobs_status ON jobs (status, seq);
CREATE TABLE IF NOT EXISTS uploads (
    id TEXT PRIMARY KEY,
    filename TEXT NOT NULL,
    size INTEGER NOT NULL,
    content_type TEXT,
    created_at REAL NOT NULL,
    received INTEGER NOT NULL DEFAULT 0
);
"""


@dataclass(frozen=True)
class Job:
    id: str
    model: str
    status: str
    input: dict[str, Any]
    created_at: float
    outputs: list[str] = field(default_factory=list)
    error: str | None = None
    track: str | None = None
    track_format: str | None = None
    started_at: float | None = None
    completed_at: float | None = None
    inference_ms: int | None = None
    attempts: int = 0

    @property
    def finished(self) -> bool:
        return self.status in ("completed", "failed")


@dataclass(frozen=True)
class Upload:
    id: str
    filename: str
    size: int
    content_type: str | None
    created_at: float
    received: bool


class JobStore:
    """Jobs and uploads in one SQLite file."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        try:
            private_dir(self.path.parent)  # jobs and uploads: this user only (700 / 600)
            private_file(self.path)
            for extra in ("-wal", "-shm"):  # SQLite gives them the database's mode; older ones may be wider
                side = self.path.with_name(self.path.name + extra)
                if side.exists():
                    private_file(side)
            self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None, timeout=10)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.executescript(_SCHEMA)
            columns = {row[1] for row in self._db.execute("PRAGMA table_info(jobs)")}
            if "fetch" not in columns:  # a database from before fetching and captioning were separate
                self._db.execute("ALTER TABLE jobs ADD COLUMN fetch INTEGER NOT NULL DEFAULT 1")
            self._db.execute("CREATE INDEX IF NOT EXISTS jobs_fetch ON jobs (status, fetch, seq)")
        except (OSError, sqlite3.Error) as err:
            raise CaptionerError(f"{self.path}: cannot open the job database ({err})") from None
        self._lock = threading.Lock()

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def _write(self, sql: str, args: tuple[Any, ...]) -> int:
        with self._lock:
            return self._db.execute(sql, args).rowcount

    # jobs

    def create(self, model: str, job_input: dict[str, Any], *, fetch: bool = True) -> Job:
        """Queue a job; ``fetch`` says whether its video must be downloaded first (a URL) or is
        already here (an upload), so that slow downloads never hold up jobs ready to caption."""
        job = Job(id=uuid.uuid4().hex, model=model, status="created", input=dict(job_input), created_at=time.time())
        self._write(
            "INSERT INTO jobs (id, model, status, input, created_at, fetch) VALUES (?, ?, ?, ?, ?, ?)",
            (job.id, job.model, job.status, json.dumps(job.input), job.created_at, int(fetch)),
        )
        return job

    def get(self, job_id: str) -> Job | None:
        with self._lock:
            row = self._db.execute(f"SELECT {_COLUMNS} FROM jobs WHERE id = ?", (job_id,)).fetchone()
        return _job(row) if row else None

    def claim(self, fetch: bool | None = None) -> Job | None:
        """Take the oldest queued job and mark it ``processing`` (atomically), or None. ``fetch``:
        only jobs whose video must be downloaded (True) or only those already here (False)."""
        where = "status = 'created'" + ("" if fetch is None else f" AND fetch = {int(fetch)}")
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                row = self._db.execute(f"SELECT {_COLUMNS} FROM jobs WHERE {where} ORDER BY seq LIMIT 1").fetchone()
                if row is None:
                    self._db.execute("COMMIT")
                    return None
                now = time.time()
                self._db.execute(
                    "UPDATE jobs SET status = 'processing', started_at = ?, attempts = attempts + 1 WHERE id = ?",
                    (now, row[0]),
                )
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
        job = _job(row)
        return Job(**{**job.__dict__, "status": "processing", "started_at": now, "attempts": job.attempts + 1})

    def complete(
        self,
        job_id: str,
        outputs: list[str],
        inference_ms: int,
        *,
        track: str | None = None,
        track_format: str | None = None,
    ) -> None:
        self._write(
            "UPDATE jobs SET status = 'completed', outputs = ?, error = NULL, inference_ms = ?, track = ?, "
            "track_format = ?, completed_at = ? WHERE id = ?",
            (json.dumps(outputs), inference_ms, track, track_format, time.time(), job_id),
        )

    def fail(self, job_id: str, error: str) -> None:
        self._write(
            "UPDATE jobs SET status = 'failed', error = ?, completed_at = ? WHERE id = ?",
            (" ".join(error.split()), time.time(), job_id),
        )

    def release(self, job_id: str, *, counted: bool = False) -> None:
        """Put a job that was being worked on back in the queue. When the server is stopping cleanly the
        attempt does not count against the job; ``counted``: it does (the model process died under it)."""
        attempts = "attempts" if counted else "MAX(attempts - 1, 0)"
        self._write(
            f"UPDATE jobs SET status = 'created', started_at = NULL, attempts = {attempts} "
            "WHERE id = ? AND status = 'processing'",
            (job_id,),
        )

    def requeue_unfinished(self, max_attempts: int | None = None) -> int:
        """Put jobs left ``processing`` by a stopped server back in the queue; returns how many.

        A job that has already been started ``max_attempts`` times (each time the server died
        under it, e.g. killed for memory) fails instead, with the reason, so it cannot loop forever."""
        if max_attempts is not None:
            self._write(
                "UPDATE jobs SET status = 'failed', completed_at = ?, error = ? "
                "WHERE status = 'processing' AND attempts >= ?",
                (
                    time.time(),
                    f"the server stopped or crashed while working on this job {max_attempts} "
                    "times; it is not retried again (a video this server cannot handle?)",
                    max_attempts,
                ),
            )
        return self._write("UPDATE jobs SET status = 'created', started_at = NULL WHERE status = 'processing'", ())

    def counts(self) -> dict[str, int]:
        with self._lock:
            rows = self._db.execute("SELECT status, COUNT(*) FROM jobs GROUP BY status").fetchall()
        found = {status: 0 for status in STATUSES}
        found.update({str(s): int(n) for s, n in rows})
        return found

    # uploads

    def add_upload(self, filename: str, size: int, content_type: str | None) -> Upload:
        upload = Upload(uuid.uuid4().hex, filename, size, content_type, time.time(), False)
        self._write(
            "INSERT INTO uploads (id, filename, size, content_type, created_at) VALUES (?, ?, ?, ?, ?)",
            (upload.id, upload.filename, upload.size, upload.content_type, upload.created_at),
        )
        return upload

    def get_upload(self, upload_id: str) -> Upload | None:
        with self._lock:
            row = self._db.execute(
                "SELECT id, filename, size, content_type, created_at, received FROM uploads WHERE id = ?", (upload_id,)
            ).fetchone()
        if row is None:
            return None
        return Upload(row[0], row[1], int(row[2]), row[3], float(row[4]), bool(row[5]))

    def mark_received(self, upload_id: str, size: int) -> None:
        self._write("UPDATE uploads SET received = 1, size = ? WHERE id = ?", (size, upload_id))

    def upload_bytes(self) -> int:
        """Bytes held or announced by the stored uploads (for the server's total limit)."""
        with self._lock:
            row = self._db.execute("SELECT COALESCE(SUM(size), 0) FROM uploads").fetchone()
        return int(row[0])

    def expire(self, older_than: float) -> tuple[list[str], int]:
        """Forget uploads created and finished jobs completed before ``older_than`` (a time.time()).

        Uploads a queued or running job still names are kept. Returns the upload ids removed (the
        caller deletes their files) and the number of jobs removed."""
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                jobs = self._db.execute(
                    "DELETE FROM jobs WHERE status IN ('completed', 'failed') AND completed_at < ?", (older_than,)
                ).rowcount
                rows = self._db.execute("SELECT id FROM uploads WHERE created_at < ?", (older_than,)).fetchall()
                live = " ".join(
                    r[0] for r in self._db.execute("SELECT input FROM jobs WHERE status IN ('created', 'processing')")
                )
                gone = [str(r[0]) for r in rows if str(r[0]) not in live]
                self._db.executemany("DELETE FROM uploads WHERE id = ?", [(i,) for i in gone])
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
        return gone, int(jobs)


_COLUMNS = (
    "id, model, status, input, created_at, outputs, error, track, track_format, started_at, "
    "completed_at, inference_ms, attempts"
)


def _job(row: tuple[Any, ...]) -> Job:
    return Job(
        id=row[0],
        model=row[1],
        status=row[2],
        input=json.loads(row[3]),
        created_at=float(row[4]),
        outputs=list(json.loads(row[5] or "[]")),
        error=row[6],
        track=row[7],
        track_format=row[8],
        started_at=row[9],
        completed_at=row[10],
        inference_ms=row[11],
        attempts=int(row[12]),
    )
