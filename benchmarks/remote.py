"""Windows per second through model servers (``--engine``) against the local engine, in one run.

By default it builds the tiny test model, starts one and then two ``transformers serve`` processes
on loopback ports and captions the same generated video through each, and through the local engine
in this process. On a small CPU machine the two-server figure mostly shows the overhead (the
servers share the cores); point ``--engine`` at your vLLM pool to measure the real thing:

    .venv/bin/python benchmarks/remote.py                      # tiny model, local vs 1 vs 2 servers
    .venv/bin/python benchmarks/remote.py --seconds 120 --detail medium
    .venv/bin/python benchmarks/remote.py --engine http://gpu1:8000/v1,http://gpu2:8000/v1 \\
        --model allenai/Molmo2-4B --no-local --seconds 600
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")


def run(label: str, engine: object, info: object, options: object, reference: float | None) -> float:
    from captioner_app.core.pipeline import caption_windows

    started = time.monotonic()
    count = sum(1 for _ in caption_windows(info, engine, options))  # type: ignore[arg-type]
    elapsed = time.monotonic() - started
    rate = count / elapsed
    ratio = f"  {rate / reference:5.2f}x local" if reference else ""
    print(f"{label:<34} {count:4d} windows in {elapsed:7.1f} s  {rate:6.2f} windows/s{ratio}", flush=True)
    return rate


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=40.0, help="length of the generated video")
    parser.add_argument("--window", type=float, default=2.0)
    parser.add_argument("--detail", default="low", choices=("low", "medium", "high"))
    parser.add_argument("--model", default=None, help="model folder or served name (default: the tiny test model)")
    parser.add_argument("--engine", default=None, help="measure these servers instead of starting transformers serve")
    parser.add_argument("--batch-size", type=int, default=None, help="windows in flight (default: 4 per server)")
    parser.add_argument("--server-threads", type=int, default=1, help="CPU threads per transformers serve")
    parser.add_argument("--no-local", action="store_true", help="skip the local engine")
    parser.add_argument("--device", default="cpu", help="local engine's device")
    args = parser.parse_args()

    from captioner_app.core.media.video import probe
    from captioner_app.core.model import EngineOptions, load_engine
    from captioner_app.core.pipeline import CaptionOptions
    from captioner_app.testing.media import make_video
    from captioner_app.testing.model_server import ModelServer

    work = Path(tempfile.mkdtemp(prefix="captioner-bench-remote-"))
    servers: list[ModelServer] = []
    try:
        model = args.model
        if model is None:
            from captioner_app.testing.tiny_molmo import build_tiny_model

            model = str(build_tiny_model(work / "tiny"))
        video = make_video(work / "bench.mp4", args.seconds, scene_cuts_s=[s for s in range(5, int(args.seconds), 5)])
        info = probe(video)
        options = CaptionOptions(detail=args.detail, window_ms=int(round(args.window * 1000)))
        print(
            f"video {args.seconds:g} s, window {args.window:g} s, detail {args.detail}, model {model}, "
            f"{os.cpu_count()} CPUs",
            flush=True,
        )

        reference = None
        if not args.no_local:
            local = load_engine(EngineOptions(model=model, device=args.device))
            try:
                reference = run(f"local engine ({local.device}, batch {local.batch_size})", local, info, options, None)
            finally:
                local.close()

        if args.engine:
            pools = [args.engine]
        else:
            servers = [ModelServer(model, work, threads=args.server_threads) for _ in range(2)]
            for server in servers:
                server.wait_ready()
            pools = [servers[0].url, f"{servers[0].url},{servers[1].url}"]
        for pool in pools:
            engine = load_engine(EngineOptions(model=model, engine=pool, batch_size=args.batch_size))
            try:
                count = len(pool.split(","))
                run(
                    f"{count} server{'s' if count > 1 else ''} ({engine.batch_size} in flight)",
                    engine,
                    info,
                    options,
                    reference,
                )
            finally:
                engine.close()
    finally:
        for server in servers:
            server.stop()
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
