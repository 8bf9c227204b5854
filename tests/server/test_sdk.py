"""The official ``wavespeed`` SDK, unchanged, against the local server on loopback."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
import requests
import wavespeed

from captioner_app.server.config import MODEL_PATH
from captioner_app.server.service import CaptionServer


def client(server: CaptionServer) -> wavespeed.Client:
    return wavespeed.Client(api_key=server.config.token, base_url=server.url, max_connection_retries=0)


def test_upload_then_run_gives_a_caption(start_server: Callable[..., CaptionServer], video_short: Path) -> None:
    server = start_server()
    sdk = client(server)
    url = sdk.upload(str(video_short))
    assert url.startswith(server.url + "/")
    assert (
        requests.get(url, headers={"Authorization": f"Bearer {server.config.token}"}, timeout=10).content
        == video_short.read_bytes()
    )

    out = sdk.run(MODEL_PATH, {"video": url, "detail_level": "low"}, poll_interval=0.1, timeout=120)
    assert isinstance(out["outputs"][0], str) and out["outputs"][0].strip()

    # the same prediction, read back through the result endpoint as the hosted API gives it
    first = requests.post(
        f"{server.url}/api/v3/{MODEL_PATH}",
        json={"video": url, "detail_level": "low"},
        timeout=10,
        headers={"Authorization": f"Bearer {server.config.token}"},
    ).json()
    assert first["code"] == 200 and first["message"] == "success"
    data = first["data"]
    assert data["status"] == "created" and data["model"] == MODEL_PATH and data["created_at"].endswith("Z")
    assert data["urls"]["get"] == f"{server.url}/api/v3/predictions/{data['id']}/result"
    result = sdk.get_result(data["id"])
    assert result["code"] == 200 and result["data"]["id"] == data["id"]
    assert result["data"]["status"] in ("created", "processing", "completed")


def test_sync_mode(start_server: Callable[..., CaptionServer], video_short: Path) -> None:
    server = start_server()
    sdk = client(server)
    url = sdk.upload(str(video_short))
    out = sdk.run(MODEL_PATH, {"video": url, "detail_level": "low"}, enable_sync_mode=True, timeout=120)
    assert isinstance(out["outputs"][0], str) and out["outputs"][0].strip()
    done = server.store.counts()
    assert done["completed"] == 1 and done["created"] == 0


def test_url_from_a_local_http_server_with_allow_private(
    start_server: Callable[..., CaptionServer], file_server: tuple[str, Path], video_short: Path
) -> None:
    base, folder = file_server
    shutil.copy(video_short, folder / "clip.mp4")
    server = start_server(allow_private_urls=True)
    out = client(server).run(
        MODEL_PATH, {"video": f"{base}/clip.mp4", "detail_level": "low"}, poll_interval=0.1, timeout=120
    )
    assert isinstance(out["outputs"][0], str) and out["outputs"][0].strip()


def test_a_broken_video_fails_with_a_reason(start_server: Callable[..., CaptionServer], tmp_path: Path) -> None:
    from captioner_app.testing.media import make_truncated

    server = start_server()
    sdk = client(server)
    broken = make_truncated(tmp_path)
    url = sdk.upload(str(broken))
    with pytest.raises(RuntimeError, match="Prediction failed") as info:
        sdk.run(MODEL_PATH, {"video": url}, poll_interval=0.1, timeout=120)
    task_id = wavespeed.Client._task_id_from_error(info.value)
    data = sdk.get_result(task_id)["data"]
    assert data["status"] == "failed" and data["outputs"] == []
    assert "video" in data["error"] and len(data["error"].splitlines()) == 1
    garbage = tmp_path / "noise.mp4"
    garbage.write_bytes(b"\x00\x01not a video" * 500)
    sync = sdk.run_no_throw(MODEL_PATH, {"video": sdk.upload(str(garbage))}, enable_sync_mode=True)
    assert sync["status"] == "failed" and "not a recognisable video" in sync["error"]


def test_oversized_upload_is_refused(start_server: Callable[..., CaptionServer], tmp_path: Path) -> None:
    server = start_server(max_upload_bytes=50_000)
    big = tmp_path / "big.mp4"
    big.write_bytes(b"\0" * 60_000)
    with pytest.raises(RuntimeError, match="HTTP 413"):
        client(server).upload(str(big))
