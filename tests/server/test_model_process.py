"""``captioner serve --model-process``: a model process that dies sends its job back to the queue once,
then fails it with the reason; the server stays up and the next job works."""

from __future__ import annotations

import os
import signal
import sys
import threading
from collections.abc import Iterator, Sequence
from dataclasses import replace
from pathlib import Path

import pytest

from captioner_app.core.model.engine import ClipRequest, EngineOptions
from captioner_app.core.model.process import ProcessEngine
from captioner_app.core.model.prompts import PromptSpec
from captioner_app.server.config import ServerConfig
from captioner_app.server.service import CaptionServer
from captioner_app.testing.api_client import submit, upload, wait
from captioner_app.testing.loopback import free_port

TOKEN = "model-process-token-0123456789"


pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="the model process is killed with SIGKILL")


class KillingEngine:
    """The process engine, but the first ``kills`` calls are made long and the child is killed during them."""

    def __init__(self, engine: ProcessEngine, kills: int) -> None:
        self.engine = engine
        self.kills = kills
        self.model_id, self.revision, self.device = engine.model_id, engine.revision, engine.device
        self.batch_size = engine.batch_size

    def caption(self, requests: Sequence[ClipRequest], cancel: threading.Event | None = None) -> list[str]:
        if self.kills > 0:
            self.kills -= 1
            self.engine.wait_loaded()
            pid = self.engine.pid
            assert pid is not None
            requests = [
                replace(r, prompt=PromptSpec("Describe this.", 4000, 1000), min_new_tokens=4000) for r in requests
            ]
            threading.Timer(1.0, os.kill, (pid, signal.SIGKILL)).start()
        return self.engine.caption(requests, cancel)

    def close(self) -> None:
        self.engine.close()


@pytest.fixture(scope="module")
def process_engine(tiny_model_dir: Path) -> Iterator[ProcessEngine]:
    engine = ProcessEngine.load(EngineOptions(model=str(tiny_model_dir), device="cpu", batch_size=1))
    yield engine
    engine.close()


def serve(engine: KillingEngine, tmp_path: Path) -> CaptionServer:
    config = ServerConfig(token=TOKEN, data_dir=tmp_path / "data", port=free_port(), workers=1)
    server = CaptionServer(config, engine)  # type: ignore[arg-type]
    server.start()
    return server


def test_a_dead_model_process_requeues_the_job_once(
    process_engine: ProcessEngine, tmp_path: Path, video_short: Path
) -> None:
    starts = process_engine.starts
    server = serve(KillingEngine(process_engine, kills=1), tmp_path)
    try:
        job = submit(server, {"video": upload(server, video_short), "detail_level": "low"}).json()["data"]["id"]
        result = wait(server, job, 300)
        assert result["status"] == "completed", result
        assert result["outputs"][0].strip()
        assert server.store.get(job).attempts == 2  # type: ignore[union-attr]
        assert process_engine.starts == starts + 1  # the model process was started again
    finally:
        server.stop()


def test_a_job_whose_model_process_dies_twice_fails_with_the_reason(
    process_engine: ProcessEngine, tmp_path: Path, video_short: Path
) -> None:
    server = serve(KillingEngine(process_engine, kills=2), tmp_path)
    try:
        video = upload(server, video_short)
        job = submit(server, {"video": video, "detail_level": "low"}).json()["data"]["id"]
        result = wait(server, job, 300)
        assert result["status"] == "failed"
        assert result["error"] == (
            "the model process was killed (by the system's out-of-memory killer or by another program) (in 2 attempts)"
        )
        # the server is still up and the next job works with a new model process
        again = wait(server, submit(server, {"video": video, "detail_level": "low"}).json()["data"]["id"], 300)
        assert again["status"] == "completed" and again["outputs"][0].strip()
    finally:
        server.stop()
