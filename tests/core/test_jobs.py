"""The SQLite job store: queue order, atomic claims across threads, persistence across reopen."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from captioner_app.server.jobs import DATA_DIR_ENV, JobStore, data_dir


def test_jobs_queue_in_order_and_finish(tmp_path: Path) -> None:
    store = JobStore(tmp_path / "jobs.sqlite3")
    a = store.create("m", {"video": "a"})
    b = store.create("m", {"video": "b"})
    assert store.get(a.id) == a and a.status == "created"
    first = store.claim()
    assert first is not None and first.id == a.id and first.status == "processing" and first.attempts == 1
    assert store.get(a.id).status == "processing"  # type: ignore[union-attr]
    store.complete(a.id, ["a caption"], 12, track="WEBVTT\n", track_format="vtt")
    second = store.claim()
    assert second is not None and second.id == b.id
    store.fail(b.id, "broken\nvideo")
    assert store.claim() is None
    done = store.get(a.id)
    assert done is not None and done.status == "completed" and done.outputs == ["a caption"]
    assert done.inference_ms == 12 and done.track == "WEBVTT\n" and done.track_format == "vtt" and done.finished
    failed = store.get(b.id)
    assert failed is not None and failed.status == "failed" and failed.error == "broken video"
    assert store.get("nope") is None
    assert store.counts() == {"created": 0, "processing": 0, "completed": 1, "failed": 1}
    store.close()


def test_reopen_keeps_results_and_requeues_unfinished(tmp_path: Path) -> None:
    path = tmp_path / "deep" / "jobs.sqlite3"
    store = JobStore(path)
    done = store.create("m", {"video": "done"})
    running = store.create("m", {"video": "running"})
    queued = store.create("m", {"video": "queued"})
    assert store.claim().id == done.id  # type: ignore[union-attr]
    store.complete(done.id, ["kept"], 5)
    assert store.claim().id == running.id  # type: ignore[union-attr]
    store.close()  # as if the server died here

    again = JobStore(path)
    assert again.requeue_unfinished() == 1
    assert again.get(done.id).outputs == ["kept"]  # type: ignore[union-attr]
    order = [again.claim(), again.claim(), again.claim()]
    assert [j.id if j else None for j in order] == [running.id, queued.id, None]
    assert order[0].attempts == 2  # type: ignore[union-attr]
    again.close()


def test_concurrent_claims_never_hand_out_a_job_twice(tmp_path: Path) -> None:
    store = JobStore(tmp_path / "jobs.sqlite3")
    ids = {store.create("m", {"n": n}).id for n in range(60)}
    claimed: list[str] = []
    lock = threading.Lock()

    def worker() -> None:
        while (job := store.claim()) is not None:
            with lock:
                claimed.append(job.id)

    threads = [threading.Thread(target=worker) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert sorted(claimed) == sorted(ids)
    store.close()


def test_uploads(tmp_path: Path) -> None:
    store = JobStore(tmp_path / "jobs.sqlite3")
    up = store.add_upload("clip.mp4", 1234, "video/mp4")
    assert store.get_upload(up.id) == up and not up.received
    store.mark_received(up.id, 1200)
    got = store.get_upload(up.id)
    assert got is not None and got.received and got.size == 1200
    assert store.get_upload("missing") is None
    store.close()


def test_data_dir_follows_the_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv(DATA_DIR_ENV, str(tmp_path / "here"))
    assert data_dir() == tmp_path / "here"
    monkeypatch.delenv(DATA_DIR_ENV)
    assert data_dir().name.lower() == "captioner"


def test_unwritable_database_is_one_line_error(tmp_path: Path) -> None:
    from captioner_app.core.errors import CaptionerError

    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(CaptionerError, match="cannot open the job database"):
        JobStore(blocker / "jobs.sqlite3")
