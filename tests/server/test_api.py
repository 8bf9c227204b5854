"""The HTTP API directly: refusals in the hosted API's error shape, extensions, batching."""

from __future__ import annotations

import json
import shutil
import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest
import requests

from captioner_app.server.config import MODEL_PATH
from captioner_app.server.service import CaptionServer
from captioner_app.testing.api_client import assert_error, auth, submit, upload, wait

Start = Callable[..., CaptionServer]


def test_token_is_required_on_every_request(start_server: Start, video_short: Path) -> None:
    server = start_server()
    url = upload(server, video_short)
    for method, path in [
        ("POST", f"/api/v3/{MODEL_PATH}"),
        ("GET", "/api/v3/predictions/x/result"),
        ("POST", "/api/v3/media/uploads"),
        ("GET", url[len(server.url) :]),
        ("GET", "/no/such/path"),
        ("OPTIONS", f"/api/v3/{MODEL_PATH}"),
    ]:
        bare = requests.request(
            method, server.url + path, json={"video": url}, timeout=10, headers={"Origin": "http://evil.example"}
        )
        assert_error(bare, 401, "missing API key")
        assert "access-control-allow-origin" not in {k.lower() for k in bare.headers}
        wrong = requests.request(
            method,
            server.url + path,
            json={"video": url},
            timeout=10,
            headers={"Authorization": "Bearer not-the-token"},
        )
        assert_error(wrong, 401, "invalid API key")
    assert server.store.counts()["created"] == 0


def test_host_header_must_name_this_server(start_server: Start) -> None:
    server = start_server()
    port = server.config.port
    for host in ("evil.example", f"evil.example:{port}", f"127.0.0.1:{port + 1}", "127.0.0.1.nip.io"):
        response = requests.get(f"{server.url}/api/v3/status", headers={**auth(server), "Host": host}, timeout=10)
        assert_error(response, 400, "Host header")
    for host in (f"127.0.0.1:{port}", f"localhost:{port}", "127.0.0.1"):
        ok = requests.get(f"{server.url}/api/v3/status", headers={**auth(server), "Host": host}, timeout=10)
        assert ok.status_code == 200 and ok.json()["data"]["model"] == MODEL_PATH


@pytest.mark.parametrize(
    "video", ["file:///etc/passwd", "ftp://127.0.0.1/clip.mp4", "javascript:alert(1)", "/home/someone/clip.mp4", ""]
)
def test_other_schemes_and_paths_are_refused(start_server: Start, video: str) -> None:
    server = start_server()
    response = submit(server, {"video": video})
    assert response.status_code == 400, response.text
    assert server.store.counts()["created"] == 0


def test_private_addresses_need_the_flag(start_server: Start, file_server: tuple[str, Path], video_short: Path) -> None:
    base, folder = file_server
    shutil.copy(video_short, folder / "clip.mp4")
    server = start_server()
    for url in (
        f"{base}/clip.mp4",
        f"http://localhost:{base.rsplit(':', 1)[1]}/clip.mp4",
        "http://10.0.0.7/v.mp4",
        "http://169.254.169.254/latest/meta-data/",
    ):
        assert_error(submit(server, {"video": url}), 400, "--allow-private-urls")
    assert server.store.counts()["created"] == 0


def test_bad_requests(start_server: Start, video_short: Path) -> None:
    server = start_server()
    url = upload(server, video_short)
    assert_error(submit(server, {"detail_level": "low"}), 400, "video is required")
    assert_error(submit(server, {"video": url, "detail_level": "extreme"}), 422, "detail_level", "low, medium, high")
    assert_error(submit(server, {"video": url, "format": "docx"}), 422, "format")
    assert_error(submit(server, {"video": url, "window": -3}), 422, "window")
    assert_error(submit(server, {"video": url, "window": True}), 422, "window")
    assert_error(submit(server, {"video": url, "placement": "everywhere"}), 422, "placement", "windows")
    assert_error(submit(server, [1, 2]), 400, "JSON object")
    bad_json = requests.post(
        f"{server.url}/api/v3/{MODEL_PATH}",
        data=b"{not json",
        timeout=10,
        headers={**auth(server), "Content-Type": "application/json"},
    )
    assert_error(bad_json, 400, "not valid JSON")
    huge = submit(server, {"video": url, "padding": "x" * (2 * 1024 * 1024)})
    assert_error(huge, 413, "limit")
    other_model = requests.post(f"{server.url}/api/v3/wavespeed-ai/flux-dev", json={}, headers=auth(server), timeout=10)
    assert_error(other_model, 404, "not served here")
    unknown = requests.get(f"{server.url}/api/v3/predictions/{'0' * 32}/result", headers=auth(server), timeout=10)
    assert_error(unknown, 404, "does not exist")
    missing_upload = url.rsplit("/", 1)[0] + "/" + "f" * 32
    assert_error(submit(server, {"video": missing_upload}), 400, "does not exist")
    assert server.store.counts()["created"] == 0


def test_upload_refusals(start_server: Start, video_short: Path) -> None:
    server = start_server(max_upload_bytes=100_000)
    tickets = f"{server.url}/api/v3/media/uploads"
    assert_error(
        requests.post(tickets, json={"filename": "a.mp4", "size": 200_000}, headers=auth(server), timeout=10),
        413,
        "upload limit",
    )
    assert_error(
        requests.post(tickets, json={"filename": "a.mp4", "size": "big"}, headers=auth(server), timeout=10), 400, "size"
    )
    ticket = requests.post(
        tickets, json={"filename": "../../a.mp4", "size": 1000}, headers=auth(server), timeout=10
    ).json()["data"]
    put_url, headers = ticket["upload"]["url"], ticket["upload"]["headers"]
    assert_error(submit(server, {"video": ticket["download_url"]}), 400, "has not been sent")
    assert_error(requests.put(put_url, data=b"x" * 1500, headers=headers, timeout=10), 413, "announced")
    assert_error(requests.put(put_url, data=b"x" * 10, headers=headers, timeout=10), 400, "incomplete")
    assert requests.put(put_url, data=b"x" * 1000, headers=headers, timeout=10).status_code == 200
    assert_error(requests.put(put_url, data=b"x" * 1000, headers=headers, timeout=10), 409, "already")
    assert_error(requests.put(put_url, data=b"x" * 10, headers={}, timeout=10), 401)
    assert sorted(p.name for p in (server.config.data_dir / "uploads").iterdir()) == [put_url.rsplit("/", 1)[1]]


def test_timed_track_extension(start_server: Start, video_short: Path) -> None:
    server = start_server()
    url = upload(server, video_short)
    response = submit(
        server, {"video": url, "format": "vtt", "window": 2, "detail_level": "low", "enable_sync_mode": True}
    )
    data = response.json()["data"]
    assert data["status"] == "completed", data
    assert isinstance(data["outputs"][0], str) and data["outputs"][0].strip()
    assert data["timings"]["inference"] > 0 and data["track_format"] == "vtt"
    track = requests.get(data["urls"]["track"], headers=auth(server), timeout=10)
    assert track.status_code == 200 and track.headers["content-type"].startswith("text/vtt")
    assert track.text.startswith("WEBVTT") and track.text.count("-->") == 2  # 4 s in 2 s windows

    plain = submit(server, {"video": url, "detail_level": "low", "enable_sync_mode": True}).json()["data"]
    assert "track" not in plain["urls"]
    assert_error(
        requests.get(f"{server.url}/api/v3/predictions/{plain['id']}/track", headers=auth(server), timeout=10),
        404,
        "no timed track",
    )


def test_duration_cap(start_server: Start, video_short: Path) -> None:
    server = start_server(max_duration_s=2.0)
    data = submit(server, {"video": upload(server, video_short), "enable_sync_mode": True}).json()["data"]
    assert data["status"] == "failed" and "at most 2 s" in data["error"]


def test_internal_errors_answer_500_in_shape(start_server: Start, monkeypatch: pytest.MonkeyPatch) -> None:
    server = start_server()

    def broken(job_id: str) -> None:
        raise sqlite3.OperationalError("disk I/O error")

    monkeypatch.setattr(server.store, "get", broken)
    response = requests.get(f"{server.url}/api/v3/predictions/{'a' * 32}/result", headers=auth(server), timeout=10)
    assert_error(response, 500, "disk I/O error")


def test_concurrent_submissions_share_the_model_in_batches(start_server: Start, video_short: Path) -> None:
    server = start_server(workers=4)
    url = upload(server, video_short)
    ids = [submit(server, {"video": url, "detail_level": "low"}).json()["data"]["id"] for _ in range(4)]
    results = [wait(server, job_id) for job_id in ids]
    assert [r["status"] for r in results] == ["completed"] * 4
    assert all(r["outputs"][0].strip() for r in results)
    batcher = server.worker.batcher
    assert batcher.largest_batch >= 2 and batcher.batches < 4
    assert json.loads(json.dumps(server.store.counts())) == {"created": 0, "processing": 0, "completed": 4, "failed": 0}


def test_placements_from_the_core(start_server: Start, video_short: Path) -> None:
    from captioner_app.core.vocab import Placement

    server = start_server()
    status = requests.get(f"{server.url}/api/v3/status", headers=auth(server), timeout=10).json()["data"]
    assert status["placements"] == list(Placement.choices())
    url = upload(server, video_short)
    data = submit(
        server, {"video": url, "placement": "shots", "format": "json", "detail_level": "low", "enable_sync_mode": True}
    ).json()["data"]
    assert data["status"] == "completed", data
    track = requests.get(data["urls"]["track"], headers=auth(server), timeout=10).json()
    assert track["cues"] and all(c["provenance"]["placement"] == "shots" for c in track["cues"])
