"""Start real ``transformers serve`` processes on loopback ports (tests and benchmarks/remote.py).

Each serves one model folder (pinned, on the CPU, offline) as an OpenAI-compatible API at
``http://127.0.0.1:PORT/v1``. Needs the ``transformers[serving]`` extra and torchcodec.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from captioner_app.testing.loopback import free_port


class ModelServer:
    """One ``transformers serve`` process; its output goes to ``log_path``."""

    def __init__(
        self,
        model_dir: str | Path,
        log_dir: str | Path,
        port: int | None = None,
        threads: int = 1,
        capture: str | Path | None = None,
    ) -> None:
        """``capture``: a file where the server writes down the model inputs it makes (serve_capture.py)."""
        self.model_dir = str(model_dir)
        self.capture = Path(capture) if capture is not None else None
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}/v1"
        self.log_path = Path(log_dir) / f"transformers-serve-{self.port}.log"
        env = dict(
            os.environ,
            HF_HUB_OFFLINE="1",
            HF_HUB_DISABLE_UPDATE_CHECK="1",
            TRANSFORMERS_NO_ADVISORY_WARNINGS="1",
            OMP_NUM_THREADS=str(threads),
            MKL_NUM_THREADS=str(threads),
            PYTHONUNBUFFERED="1",
        )
        self._log = open(self.log_path, "wb")  # noqa: SIM115 - closed in stop()
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                *(
                    ["captioner_app.testing.serve_capture", str(self.capture)]
                    if self.capture is not None
                    else ["transformers.cli.transformers"]
                ),
                "serve",
                self.model_dir,
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--device",
                "cpu",
                "--log-level",
                "warning",
            ],
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            env=env,
        )

    def wait_ready(self, timeout_s: float = 240.0) -> None:
        """Block until ``/health`` answers 200 (raises RuntimeError with the log's tail if it dies)."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"transformers serve exited ({self.process.returncode}): {self.log_tail()}")
            with contextlib.suppress(OSError, http.client.HTTPException):
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=2)
                try:
                    conn.request("GET", "/health")
                    if conn.getresponse().status == 200:
                        return
                finally:
                    conn.close()
            time.sleep(0.3)
        raise RuntimeError(f"transformers serve on port {self.port} not ready after {timeout_s:g} s: {self.log_tail()}")

    def answered(self) -> int:
        """Chat requests answered so far (from the access log)."""
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return 0
        return text.count('"POST /v1/chat/completions HTTP/1.1" 200')

    def captured(self) -> list[dict[str, Any]]:
        """The model inputs written down so far (a ``capture`` server), oldest first."""
        if self.capture is None or not self.capture.exists():
            return []
        lines = self.capture.read_text(encoding="utf-8").splitlines()
        return [json.loads(line) for line in lines if line.strip()]

    def log_tail(self, chars: int = 1500) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-chars:]
        except OSError:
            return ""

    def kill(self) -> None:
        """Stop it the hard way, as a crash or a pulled plug would."""
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait(timeout=30)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=15)
        self._log.close()

    def __enter__(self) -> ModelServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def build_tiny_text_model(folder: str | Path) -> Path:
    """A tiny random text-only model (Llama) with a chat template: a server that cannot see video."""
    from transformers import LlamaConfig, LlamaForCausalLM

    from captioner_app.testing.tiny_molmo import CHAT_TEMPLATE, build_tokenizer

    folder = Path(folder)
    tokenizer = build_tokenizer()
    tokenizer.chat_template = CHAT_TEMPLATE
    config = LlamaConfig(
        vocab_size=len(tokenizer),
        hidden_size=32,
        intermediate_size=64,
        num_hidden_layers=1,
        num_attention_heads=2,
        num_key_value_heads=1,
        max_position_embeddings=2048,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
    )
    LlamaForCausalLM(config).save_pretrained(folder, safe_serialization=True)
    tokenizer.save_pretrained(folder)
    return folder
