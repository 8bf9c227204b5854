"""Calls to a running ``captioner serve`` (a :class:`CaptionServer`) for the server's tests: the bearer
token, an upload, a job submitted and waited for, and the hosted API's error shape checked."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import requests

from captioner_app.server.config import MODEL_PATH
from captioner_app.server.service import CaptionServer


def auth(server: CaptionServer) -> dict[str, str]:
    return {"Authorization": f"Bearer {server.config.token}"}


def submit(server: CaptionServer, body: Any, **kwargs: Any) -> requests.Response:
    """POST a job; ``headers`` are added to the token's, other ``kwargs`` go to ``requests.post``."""
    headers = {**auth(server), **kwargs.pop("headers", {})}
    return requests.post(f"{server.url}/api/v3/{MODEL_PATH}", json=body, headers=headers, timeout=60, **kwargs)


def assert_error(response: requests.Response, status: int, *words: str) -> str:
    """Assert ``response`` is the hosted API's one-line error with ``status`` and ``words``; its message."""
    assert response.status_code == status, response.text
    body = response.json()
    assert body["code"] == status and body["data"] is None
    message = body["message"]
    assert isinstance(message, str) and "\n" not in message
    for word in words:
        assert word in message, message
    return message


def upload(server: CaptionServer, path: Path) -> str:
    """Upload ``path`` (ticket, then PUT, which must answer 200); the URL a job can name it by."""
    ticket = requests.post(
        f"{server.url}/api/v3/media/uploads",
        headers=auth(server),
        timeout=10,
        json={"filename": path.name, "size": path.stat().st_size},
    ).json()["data"]
    put = requests.put(ticket["upload"]["url"], data=path.read_bytes(), headers=ticket["upload"]["headers"], timeout=30)
    assert put.status_code == 200, put.text
    return str(ticket["download_url"])


def wait(server: CaptionServer, job_id: str, timeout_s: float = 120) -> dict[str, Any]:
    """Poll the job's result until it is completed or failed; raises AssertionError after ``timeout_s``."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        data = requests.get(
            f"{server.url}/api/v3/predictions/{job_id}/result", headers=auth(server), timeout=10
        ).json()["data"]
        if data["status"] in ("completed", "failed"):
            return dict(data)
        time.sleep(0.1)
    raise AssertionError(f"job {job_id} did not finish in {timeout_s} s")
