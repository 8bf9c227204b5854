"""Load benchmark for ``captioner serve``: N concurrent submissions of short clips, on loopback.

Starts the server in-process on 127.0.0.1 with the tiny test model (or ``--model``), uploads the
clips with the official ``wavespeed`` SDK, then submits every job at once from N client threads
(each ``Client.run`` submits and polls, as scripts written for the hosted service do). Checks that
every job completed and none was lost, and prints throughput and latency percentiles.

    .venv/bin/python benchmarks/server_load.py               # 50 jobs, tiny model, CPU
    .venv/bin/python benchmarks/server_load.py --jobs 20 --batch-size 8 --device cuda
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import statistics
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    k = (len(ordered) - 1) * q
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--jobs", type=int, default=50)
    parser.add_argument("--clips", type=int, default=5, help="distinct clips uploaded (jobs cycle through them)")
    parser.add_argument("--clip-seconds", type=float, default=2.0)
    parser.add_argument("--detail", default="low", choices=("low", "medium", "high"))
    parser.add_argument("--model", default=None, help="model folder (default: build the tiny test model)")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--batch-size", type=int, default=4)
    parser.add_argument("--workers", type=int, default=None, help="server job threads (default: batch size)")
    parser.add_argument("--timeout", type=float, default=1800, help="seconds before the run is declared failed")
    args = parser.parse_args()

    import wavespeed

    from captioner_app.core.model import load_engine
    from captioner_app.core.model.engine import EngineOptions
    from captioner_app.server.config import MODEL_PATH, ServerConfig
    from captioner_app.server.service import CaptionServer
    from captioner_app.testing.media import make_video

    work = Path(tempfile.mkdtemp(prefix="captioner-bench-"))
    model = args.model
    if model is None:
        from captioner_app.testing.tiny_molmo import build_tiny_model

        model = str(build_tiny_model(work / "tiny-model"))
    clips = [
        make_video(work / f"clip{i}.mp4", args.clip_seconds, scene_cuts_s=[args.clip_seconds / 2])
        for i in range(args.clips)
    ]
    engine = load_engine(EngineOptions(model=model, device=args.device, batch_size=args.batch_size))
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = int(s.getsockname()[1])
    token = "bench-token-0123456789"
    config = ServerConfig(token=token, data_dir=work / "data", port=port, workers=args.workers)
    server = CaptionServer(config, engine)
    server.start()
    failures: list[str] = []
    try:
        client = wavespeed.Client(api_key=token, base_url=server.url, max_connection_retries=2)
        urls = [client.upload(str(c)) for c in clips]

        def one(i: int) -> float:
            started = time.monotonic()
            out = client.run(
                MODEL_PATH,
                {"video": urls[i % len(urls)], "detail_level": args.detail},
                poll_interval=0.1,
                timeout=args.timeout,
            )
            if not out["outputs"] or not isinstance(out["outputs"][0], str):
                raise RuntimeError(f"job {i}: no caption in {out}")
            return time.monotonic() - started

        began = time.monotonic()
        latencies: list[float] = []
        with ThreadPoolExecutor(max_workers=args.jobs) as pool:
            futures = [pool.submit(one, i) for i in range(args.jobs)]
            for f in futures:
                try:
                    latencies.append(f.result())
                except Exception as err:  # counted and reported: a lost or failed job fails the run
                    failures.append(f"{type(err).__name__}: {err}")
        wall = time.monotonic() - began
        counts = server.store.counts()
        batcher = server.worker.batcher
    finally:
        server.stop()
        engine.close()
        shutil.rmtree(work, ignore_errors=True)

    print(
        f"server load: {args.jobs} concurrent jobs, {args.clips} clips of {args.clip_seconds:g} s, "
        f"detail {args.detail}, model {'tiny' if args.model is None else args.model} on {args.device}, "
        f"batch size {args.batch_size}"
    )
    print(f"  completed      {len(latencies)}/{args.jobs} (store: {counts})")
    if failures:
        print(f"  FAILED         {len(failures)}: {failures[0]}")
    if latencies:
        print(f"  wall time      {wall:.1f} s")
        print(f"  throughput     {len(latencies) / wall:.2f} jobs/s ({len(latencies) / wall * 60:.0f} jobs/min)")
        print(
            f"  latency        p50 {percentile(latencies, 0.5):.1f} s, p95 {percentile(latencies, 0.95):.1f} s, "
            f"max {max(latencies):.1f} s, mean {statistics.fmean(latencies):.1f} s"
        )
        print(
            f"  model batches  {batcher.batches} generate calls, largest {batcher.largest_batch} clips, "
            f"mean {args.jobs / max(1, batcher.batches):.2f} jobs per call"
        )
    lost = args.jobs - counts["completed"] - counts["failed"]
    ok = not failures and counts["completed"] == args.jobs and lost == 0
    print(f"  result         {'all complete, none lost' if ok else f'NOT OK ({lost} lost)'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
