"""A server killed (SIGKILL) with jobs queued comes back with them: results kept, the rest re-run."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import requests

from captioner_app.server.config import MODEL_PATH

TOKEN = "restart-token-0123456789"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


def launch(model: Path, port: int, data: Path, log: Path) -> subprocess.Popen[bytes]:
    cmd = [
        sys.executable,
        "-m",
        "captioner_app.cli.main",
        "serve",
        "--model",
        str(model),
        "--device",
        "cpu",
        "--offline",
        "--port",
        str(port),
        "--token",
        TOKEN,
        "--data-dir",
        str(data),
        "--batch-size",
        "1",
        "--workers",
        "1",
    ]
    with open(log, "ab") as out:
        proc = subprocess.Popen(cmd, stdout=out, stderr=out, env={**os.environ, "HF_HUB_OFFLINE": "1"})
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"the server exited with {proc.returncode}: {log.read_text()[-2000:]}")
        try:
            if requests.get(f"http://127.0.0.1:{port}/api/v3/status", headers=AUTH, timeout=2).status_code == 200:
                return proc
        except requests.ConnectionError:
            pass
        time.sleep(0.1)
    proc.kill()
    proc.wait()
    raise AssertionError(f"the server did not come up in 90 s: {log.read_text()[-2000:]}")


def results(port: int, ids: list[str]) -> list[dict[str, Any]]:
    return [
        requests.get(f"http://127.0.0.1:{port}/api/v3/predictions/{i}/result", headers=AUTH, timeout=10).json()["data"]
        for i in ids
    ]


def test_killed_server_comes_back_with_its_jobs(
    tiny_model_dir: Path, video_short: Path, tmp_path: Path, unused_port: int
) -> None:
    data, log, base = tmp_path / "data", tmp_path / "server.log", f"http://127.0.0.1:{unused_port}"
    proc = launch(tiny_model_dir, unused_port, data, log)
    try:
        ticket = requests.post(
            f"{base}/api/v3/media/uploads",
            headers=AUTH,
            timeout=10,
            json={"filename": "v.mp4", "size": video_short.stat().st_size},
        ).json()["data"]
        requests.put(
            ticket["upload"]["url"], data=video_short.read_bytes(), headers=ticket["upload"]["headers"], timeout=30
        ).raise_for_status()
        ids = [
            requests.post(
                f"{base}/api/v3/{MODEL_PATH}",
                headers=AUTH,
                timeout=10,
                json={"video": ticket["download_url"], "detail_level": "low"},
            ).json()["data"]["id"]
            for _ in range(3)
        ]
        before = results(unused_port, ids)
    finally:
        proc.kill()  # SIGKILL: no chance to tidy up
        proc.wait()
    unfinished = [r["id"] for r in before if r["status"] in ("created", "processing")]
    assert unfinished, "all jobs finished before the kill; the test proves nothing"

    proc = launch(tiny_model_dir, unused_port, data, log)
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            after = results(unused_port, ids)
            if all(r["status"] in ("completed", "failed") for r in after):
                break
            time.sleep(0.2)
        assert [r["status"] for r in after] == ["completed"] * 3, after
        for old, new in zip(before, after, strict=True):
            assert new["outputs"][0].strip()
            if old["status"] == "completed":  # finished results are kept as they were
                assert new["outputs"] == old["outputs"]
    finally:
        proc.send_signal(signal.SIGINT)  # a graceful stop
        try:
            code = proc.wait(30)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    assert code == 0, log.read_text()[-2000:]
