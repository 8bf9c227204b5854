"""Issue 14, server items: hostile JSON, upload content types and downloads, file permissions,
the token from a file or the environment, full disks, storage limits and expiry, the worker pool."""

from __future__ import annotations

import argparse
import errno
import os
import stat
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from captioner_app.cli.main import build_parser
from captioner_app.cli.serve import TOKEN_ENV, _token
from captioner_app.core.errors import UsageError
from captioner_app.core.media.urls import UrlError, fetch_url
from captioner_app.server.config import MODEL_PATH
from captioner_app.server.service import CaptionServer
from captioner_app.testing.api_client import assert_error, auth, submit, upload
from captioner_app.testing.loopback import dripping, serve

Start = Callable[..., CaptionServer]


def post_raw(server: CaptionServer, body: bytes, path: str = f"/api/v3/{MODEL_PATH}") -> requests.Response:
    return requests.post(
        f"{server.url}{path}", data=body, timeout=30, headers={**auth(server), "Content-Type": "application/json"}
    )


# item 3: hostile JSON bodies


@pytest.mark.parametrize(
    "body",
    [
        b"[" * 500_000,
        b'{"video": ' + b"[" * 100_000 + b"]" * 100_000 + b"}",
        b'{"video": "x", "a": {"b": ' * 40 + b"1" + b"}" * 80,
    ],
)
def test_deep_nesting_is_400_in_shape_before_parsing(start_server: Start, body: bytes) -> None:
    server = start_server()
    for path in (f"/api/v3/{MODEL_PATH}", "/api/v3/media/uploads"):
        assert_error(post_raw(server, body, path), 400, "levels deep")


@pytest.mark.parametrize(
    "body",
    [
        b'{"video": "http://example.org/a.mp4", "window": ' + b"9" * 5000 + b"}",
        b'{"filename": "a.mp4", "size": ' + b"1" * 5000 + b"}",
        b'{"video": "x", "window": NaN}',
        b'{"video": "x", "window": -Infinity}',
    ],
)
def test_huge_numbers_and_constants_are_400_in_shape(start_server: Start, body: bytes) -> None:
    server = start_server()
    path = "/api/v3/media/uploads" if b"filename" in body else f"/api/v3/{MODEL_PATH}"
    message = assert_error(post_raw(server, body, path), 400, "not acceptable JSON")
    assert "Traceback" not in message


def test_a_huge_float_is_a_422_not_a_500(start_server: Start) -> None:
    server = start_server()
    body = b'{"video": "https://example.org/a.mp4", "format": "srt", "window": 1e400}'
    assert_error(post_raw(server, body), 422, "window")


def test_body_size_is_capped_while_reading_even_without_a_length(start_server: Start) -> None:
    server = start_server(max_body_bytes=10_000)

    def chunks():  # chunked: no Content-Length for the guard to check
        for _ in range(100):
            yield b"[" * 1000

    response = requests.post(
        f"{server.url}/api/v3/{MODEL_PATH}",
        data=chunks(),
        timeout=30,
        headers={**auth(server), "Content-Type": "application/json"},
    )
    assert_error(response, 413, "10,000-byte limit")


# item 5: content types and downloads


@pytest.mark.parametrize(
    "content_type",
    [
        "text/html\r\nX-Injected: 1",
        "text/html",
        "application/javascript",
        'video/mp4; x="\r\n"',
        "image/svg+xml",
        "video/",
        "",
        42,
    ],
)
def test_only_video_and_audio_content_types_are_accepted(start_server: Start, content_type: object) -> None:
    server = start_server()
    response = requests.post(
        f"{server.url}/api/v3/media/uploads",
        headers=auth(server),
        timeout=10,
        json={"filename": "a.mp4", "size": 10, "content_type": content_type},
    )
    assert_error(response, 422, "content_type")
    assert server.store.counts() == {"created": 0, "processing": 0, "completed": 0, "failed": 0}


def test_downloads_are_attachments_with_nosniff(start_server: Start, video_short: Path) -> None:
    server = start_server()
    size = video_short.stat().st_size
    ticket = requests.post(
        f"{server.url}/api/v3/media/uploads",
        headers=auth(server),
        timeout=10,
        json={"filename": '<script>.html"', "size": size, "content_type": "video/mp4"},
    )
    data = ticket.json()["data"]
    assert (
        requests.put(
            data["upload"]["url"], data=video_short.read_bytes(), headers=data["upload"]["headers"], timeout=30
        ).status_code
        == 200
    )
    got = requests.get(data["download_url"], headers=auth(server), timeout=10)
    assert got.status_code == 200 and got.content == video_short.read_bytes()
    assert got.headers["Content-Type"] == "video/mp4"
    assert got.headers["X-Content-Type-Options"] == "nosniff"
    assert got.headers["Content-Disposition"] == 'attachment; filename="script_.html"'


# item 6: permissions and the token


def test_data_folder_is_700_and_files_600(start_server: Start, video_short: Path, tmp_path: Path) -> None:
    data = tmp_path / "wide"
    data.mkdir(mode=0o755)
    os.chmod(data, 0o755)  # an older server's folder: tightened at start
    old_umask = os.umask(0o022)
    try:
        server = start_server(data_dir=data)
        url = upload(server, video_short)
        assert submit(server, {"video": url, "detail_level": "low", "enable_sync_mode": True}).status_code == 200
    finally:
        os.umask(old_umask)
    modes = {p.relative_to(data).as_posix(): stat.S_IMODE(p.stat().st_mode) for p in [data, *data.rglob("*")]}
    assert modes["."] == 0o700
    assert modes["uploads"] == 0o700 and modes["work"] == 0o700
    assert modes["jobs.sqlite3"] == 0o600
    files = {name: mode for name, mode in modes.items() if (data / name).is_file()}
    assert len(files) >= 2 and all(mode == 0o600 for mode in files.values()), files


def _serve_args(*argv: str) -> argparse.Namespace:
    return build_parser().parse_args(["serve", *argv])


def test_token_from_a_file_or_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(TOKEN_ENV, raising=False)
    secret = tmp_path / "token"
    secret.write_text("from-the-file-123\n")
    assert _token(_serve_args("--token-file", str(secret))) == ("from-the-file-123", False)
    monkeypatch.setenv(TOKEN_ENV, "from-the-env-456")
    assert _token(_serve_args()) == ("from-the-env-456", False)
    assert _token(_serve_args("--token", "on-the-line-789")) == ("on-the-line-789", False)
    monkeypatch.delenv(TOKEN_ENV)
    token, generated = _token(_serve_args())
    assert generated and len(token) >= 24
    with pytest.raises(UsageError, match="not both"):
        _token(_serve_args("--token", "x" * 10, "--token-file", str(secret)))
    with pytest.raises(UsageError, match="no such file"):
        _token(_serve_args("--token-file", str(tmp_path / "missing")))
    (tmp_path / "empty").write_text("\n")
    with pytest.raises(UsageError, match="empty"):
        _token(_serve_args("--token-file", str(tmp_path / "empty")))


# item 4: full disks, the stored-uploads limit, expiry


class _FullDisk:
    """A file whose writes fail as on a full disk after ``room`` bytes."""

    def __init__(self, real: Any, room: int) -> None:
        self.real, self.room = real, room

    def write(self, data: bytes) -> int:
        if len(data) > self.room:
            raise OSError(errno.ENOSPC, "No space left on device")
        self.room -= len(data)
        return int(self.real.write(data))

    def close(self) -> None:
        self.real.close()


def test_upload_onto_a_full_disk_is_507_in_shape_and_keeps_nothing(
    start_server: Start, video_short: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from captioner_app.server import app as app_module

    server = start_server()
    real_open = app_module.open_part
    monkeypatch.setattr(app_module, "open_part", lambda path: _FullDisk(real_open(path), 100_000))
    size = 8 * 1024 * 1024
    ticket = requests.post(
        f"{server.url}/api/v3/media/uploads",
        headers=auth(server),
        timeout=10,
        json={"filename": "big.mp4", "size": size, "content_type": "video/mp4"},
    ).json()["data"]
    response = requests.put(ticket["upload"]["url"], data=b"v" * size, headers=ticket["upload"]["headers"], timeout=60)
    assert_error(response, 507, "disk is full", "was not kept")  # an answer, not a connection reset
    assert list((server.config.data_dir / "uploads").iterdir()) == []
    assert not server.store.get_upload(ticket["id"]).received  # type: ignore[union-attr]
    monkeypatch.setattr(app_module, "open_part", real_open)  # space is back: the same upload goes through
    again = requests.put(ticket["upload"]["url"], data=b"v" * size, headers=ticket["upload"]["headers"], timeout=60)
    assert again.status_code == 200, again.text


def test_no_free_space_is_507_before_storing(start_server: Start, monkeypatch: pytest.MonkeyPatch) -> None:
    from captioner_app.server import app as app_module

    server = start_server()
    ticket = requests.post(
        f"{server.url}/api/v3/media/uploads",
        headers=auth(server),
        timeout=10,
        json={"filename": "a.mp4", "size": 2_000_000},
    ).json()["data"]
    monkeypatch.setattr(app_module.shutil, "disk_usage", lambda path: shutil_usage(free=10_000))
    refused = requests.post(
        f"{server.url}/api/v3/media/uploads",
        headers=auth(server),
        timeout=10,
        json={"filename": "b.mp4", "size": 2_000_000},
    )
    assert_error(refused, 507, "10,000 bytes free")
    put = requests.put(ticket["upload"]["url"], data=b"v" * 2_000_000, headers=ticket["upload"]["headers"], timeout=60)
    assert_error(put, 507, "disk is full")
    assert list((server.config.data_dir / "uploads").iterdir()) == []


def shutil_usage(free: int) -> Any:
    import shutil

    return shutil._ntuple_diskusage(10**9, 10**9 - free, free)  # type: ignore[attr-defined]


def test_a_full_job_database_is_507_and_the_queue_stays_consistent(start_server: Start, video_short: Path) -> None:
    server = start_server()
    url = upload(server, video_short)
    db = server.store._db
    with server.store._lock:  # SQLite's own SQLITE_FULL: no more pages may be added
        pages = db.execute("PRAGMA page_count").fetchone()[0]
        db.execute(f"PRAGMA max_page_count = {pages}")
    before = server.store.counts()
    padded = url + "?" + "x" * 200_000  # a job that needs new pages in the database
    responses = [submit(server, {"video": padded, "detail_level": "low"}) for _ in range(3)]
    for response in responses:
        assert_error(response, 507, "disk is full", "queue is unchanged")
    assert server.store.counts() == before
    with server.store._lock:
        db.execute("PRAGMA max_page_count = 1073741823")
    done = submit(server, {"video": url, "detail_level": "low", "enable_sync_mode": True})
    assert done.status_code == 200 and done.json()["data"]["status"] == "completed"


def test_the_worker_keeps_a_result_until_the_disk_has_room(start_server: Start) -> None:
    from captioner_app.server.worker import Outcome

    server = start_server()
    server.worker.stop()  # drive the store by hand
    job = server.store.create("m", {"video": "x"}, fetch=False)
    claimed = server.store.claim()
    assert claimed is not None
    db = server.store._db
    with server.store._lock:
        pages = db.execute("PRAGMA page_count").fetchone()[0]
        db.execute(f"PRAGMA max_page_count = {pages}")
    server.worker._stop.clear()
    finisher = threading.Thread(target=server.worker._finish, args=(claimed, Outcome("t" * 500_000, 5)), daemon=True)
    finisher.start()
    time.sleep(2.5)
    assert finisher.is_alive() and server.store.get(job.id).status == "processing"  # type: ignore[union-attr]
    with server.store._lock:
        db.execute("PRAGMA max_page_count = 1073741823")
    finisher.join(10)
    assert server.store.get(job.id).status == "completed"  # type: ignore[union-attr]
    server.worker._stop.set()


def test_stored_uploads_have_a_total_limit(start_server: Start) -> None:
    server = start_server(max_stored_bytes=3_000_000)
    tickets = "/api/v3/media/uploads"
    ok = requests.post(
        server.url + tickets, json={"filename": "a.mp4", "size": 2_000_000}, headers=auth(server), timeout=10
    )
    assert ok.status_code == 200
    refused = requests.post(
        server.url + tickets, json={"filename": "b.mp4", "size": 2_000_000}, headers=auth(server), timeout=10
    )
    assert_error(refused, 507, "3,000,000-byte limit", "deleted 24 h")


def test_uploads_and_results_expire_with_their_files(start_server: Start, video_short: Path) -> None:
    server = start_server(expire_s=3600.0)
    url = upload(server, video_short)
    upload_id = url.rstrip("/").rsplit("/", 1)[1]
    job = submit(server, {"video": url, "detail_level": "low", "enable_sync_mode": True}).json()["data"]
    stored = server.config.data_dir / "uploads" / upload_id
    assert stored.is_file()
    assert server.worker.sweep(now=time.time() + 1800) == (0, 0)  # not yet
    assert server.worker.sweep(now=time.time() + 7200) == (1, 1)
    assert not stored.exists()
    gone = requests.get(url, headers=auth(server), timeout=10)
    assert_error(gone, 404, "does not exist")
    result = requests.get(f"{server.url}/api/v3/predictions/{job['id']}/result", headers=auth(server), timeout=10)
    assert_error(result, 404, "does not exist")


def test_an_upload_a_queued_job_needs_is_kept(tmp_path: Path) -> None:
    from captioner_app.server.jobs import JobStore

    store = JobStore(tmp_path / "jobs.sqlite3")
    kept = store.add_upload("a.mp4", 10, None)
    dropped = store.add_upload("b.mp4", 10, None)
    store.create("m", {"video": f"http://127.0.0.1:8000/api/v3/media/files/{kept.id}"}, fetch=False)
    assert store.expire(time.time() + 10) == ([dropped.id], 0)
    assert store.get_upload(kept.id) is not None
    store.close()


# item 2: the worker pool


@pytest.fixture
def drip_server() -> Iterator[str]:
    with serve(dripping(100_000, b"z", 100_000, 0.05)) as url:
        yield f"{url}/v.mp4"


def test_a_drip_fed_download_is_dropped_by_the_minimum_rate(drip_server: str, tmp_path: Path) -> None:
    started = time.monotonic()
    with pytest.raises(UrlError) as info:
        fetch_url(
            drip_server,
            tmp_path,
            allow_private=True,
            read_timeout=5,
            deadline_s=60,
            min_rate_bps=1000,
            rate_window_s=0.6,
        )
    assert info.value.reason == "timeout" and "too slow" in str(info.value)
    assert time.monotonic() - started < 3
    assert list(tmp_path.iterdir()) == []


def test_slow_downloads_do_not_hold_up_captioning(start_server: Start, drip_server: str, video_short: Path) -> None:
    server = start_server(allow_private_urls=True, workers=1, fetchers=2, url_min_rate_bps=0)
    slow = [submit(server, {"video": drip_server, "detail_level": "low"}).json()["data"]["id"] for _ in range(2)]
    time.sleep(0.5)  # both fetchers are busy with the drip
    url = upload(server, video_short)
    started = time.monotonic()
    done = submit(server, {"video": url, "detail_level": "low", "enable_sync_mode": True}).json()["data"]
    assert done["status"] == "completed"
    assert time.monotonic() - started < 60
    assert [server.store.get(i).status for i in slow] == ["processing", "processing"]  # type: ignore[union-attr]


def test_a_tiny_window_is_refused_and_windows_are_bounded(start_server: Start, video_short: Path) -> None:
    server = start_server(max_windows=2)
    url = upload(server, video_short)
    assert_error(submit(server, {"video": url, "format": "srt", "window": 0.001}), 422, "from 1 to 3600")
    data = submit(
        server, {"video": url, "format": "srt", "window": 1, "detail_level": "low", "enable_sync_mode": True}
    ).json()["data"]
    assert data["status"] == "failed" and "more than 2 windows" in data["error"]


def test_a_job_the_server_keeps_dying_under_fails_after_bounded_restarts(tmp_path: Path) -> None:
    from captioner_app.server.jobs import JobStore

    path = tmp_path / "jobs.sqlite3"
    job_id = ""
    for crash in range(4):
        store = JobStore(path)
        store.requeue_unfinished(max_attempts=3)
        if crash == 0:
            job_id = store.create("m", {"video": "x"}).id
        job = store.get(job_id)
        assert job is not None
        if crash < 3:
            assert job.status == "created"
            claimed = store.claim()
            assert claimed is not None and claimed.attempts == crash + 1
        store.close()  # killed while working on it
    assert job.status == "failed" and "3 times" in (job.error or "")
    # a clean stop does not count against the job
    store = JobStore(tmp_path / "other.sqlite3")
    other = store.create("m", {"video": "y"})
    for _ in range(5):
        assert store.claim() is not None
        store.release(other.id)
    store.requeue_unfinished(max_attempts=3)
    assert store.get(other.id).status == "created"  # type: ignore[union-attr]
    store.close()
