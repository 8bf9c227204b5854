"""Captioning speed: real-time factor, windows/s, generated tokens/s and peak memory.

    python benchmarks/captioning.py --model tiny                 # the tiny random Molmo2, CPU, 2 min video
    python benchmarks/captioning.py --random-full --minutes 60   # Molmo2-4B shapes, random weights (GPU)
    python benchmarks/captioning.py --model /path/to/Molmo2-4B   # a real checkpoint folder

The video is generated (320x180, 10 fps, coloured scenes with texture) unless --video is given.
With --random-full every window's output is forced to the detail level's full token budget
(min_new_tokens = max_new_tokens), so random weights cost what the real model costs.
Target on one H100: one hour of video at medium detail in <= 2 minutes (real-time factor >= 30).
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def build_random_full(device: str, batch_size: int | None):
    import torch
    from transformers import Molmo2ForConditionalGeneration

    from captioner_app.core.model.molmo import MolmoEngine, pick_dtype
    from captioner_app.testing.tiny_molmo import build_processor, build_tokenizer, full_size_config

    tokenizer = build_tokenizer()
    config = full_size_config(tokenizer)
    dtype = pick_dtype(device)
    started = time.perf_counter()
    with torch.device(device):
        torch.set_default_dtype(dtype)
        model = Molmo2ForConditionalGeneration(config).eval()
        torch.set_default_dtype(torch.float32)
    params = sum(p.numel() for p in model.parameters())
    print(
        f"random Molmo2-4B-shaped model: {params / 1e9:.2f} B parameters, {dtype}, "
        f"built in {time.perf_counter() - started:.1f} s"
    )
    processor = build_processor(tokenizer, size=378)
    return MolmoEngine(
        model, processor, model_id="random-full-size-molmo2", revision=None, device=device, batch_size=batch_size
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default="tiny", help="'tiny' or a model folder / hub id")
    parser.add_argument("--random-full", action="store_true", help="Molmo2-4B shapes with random weights")
    parser.add_argument("--device", default="auto")
    parser.add_argument("--detail", default="medium", choices=["low", "medium", "high"])
    parser.add_argument(
        "--minutes", type=float, default=None, help="generated video length (default 2, or 60 with --random-full)"
    )
    parser.add_argument("--video", help="use this video instead of generating one")
    parser.add_argument("--batch-size", type=int, default=None)
    parser.add_argument("--window", type=float, default=10.0)
    parser.add_argument(
        "--threads", type=int, default=None, help="CPU intra-op threads (0: all cores; default: the engine's choice)"
    )
    args = parser.parse_args()
    if args.threads is not None:
        import os

        os.environ["CAPTIONER_CPU_THREADS"] = str(args.threads)

    from captioner_app.core.media import video
    from captioner_app.core.model import load_engine
    from captioner_app.core.model.engine import EngineOptions
    from captioner_app.core.model.molmo import pick_device
    from captioner_app.core.model.prompts import window_prompt
    from captioner_app.core.pipeline import CaptionOptions, caption_windows, plan
    from captioner_app.core.timecode import seconds_to_ms
    from captioner_app.testing.media import make_video

    tmp = tempfile.TemporaryDirectory()
    device = pick_device(args.device)
    if args.random_full:
        engine = build_random_full(device, args.batch_size)
        forced = window_prompt(args.detail).max_new_tokens
    else:
        model = args.model
        if model == "tiny":
            from captioner_app.testing.tiny_molmo import build_tiny_model

            model = str(build_tiny_model(Path(tmp.name) / "tiny"))
        engine = load_engine(EngineOptions(model=model, device=device, batch_size=args.batch_size))
        forced = 0
    minutes = args.minutes if args.minutes is not None else (60.0 if args.random_full else 2.0)
    if args.video:
        path = Path(args.video)
    else:
        path = Path(tmp.name) / "bench.mp4"
        started = time.perf_counter()
        cuts = [float(s) for s in range(7, int(minutes * 60), 7)]
        make_video(path, minutes * 60, fps=10, size=(320, 180), scene_cuts_s=cuts, texture=True, gop=50)
        print(f"generated a {minutes:g} min video in {time.perf_counter() - started:.1f} s")
    info = video.probe(path)
    options = CaptionOptions(detail=args.detail, window_ms=seconds_to_ms(args.window), min_new_tokens=forced)
    windows = len(plan(info, options))

    import torch

    if device.startswith("cuda"):
        torch.cuda.reset_peak_memory_stats()
    tokens_before = engine.generated_tokens_total
    started = time.perf_counter()
    first_cue_s = None
    if hasattr(engine, "enable_profiling"):
        engine.enable_profiling()
    stats: dict[str, float] = {}
    for result in caption_windows(info, engine, options, stats=stats):
        if first_cue_s is None:
            first_cue_s = time.perf_counter() - started
        if result.progress.done % max(1, windows // 10) == 0:
            print(f"  {result.progress.done}/{windows} windows, {time.perf_counter() - started:.1f} s", flush=True)
    wall = time.perf_counter() - started
    tokens = engine.generated_tokens_total - tokens_before

    print(
        f"\nmodel: {engine.model_id} on {engine.device}, batch size {engine.batch_size}, "
        f"CPU threads {getattr(engine, 'threads', None) or '-'}, detail {args.detail}"
        f"{' (output length forced to ' + str(forced) + ' tokens)' if forced else ''}"
    )
    print(f"video: {info.duration_s / 60:.1f} min, {windows} windows of {args.window:g} s at 2 fps")
    print(f"wall time:            {wall:.1f} s (first cue after {first_cue_s:.1f} s)")
    print(f"real-time factor:     {info.duration_s / wall:.1f}x (video seconds per wall second)")
    print(f"windows/s:            {windows / wall:.2f}")
    print(f"generated tokens/s:   {tokens / wall:.0f} ({tokens} tokens)")
    stages = {"decode": stats["decode"], **getattr(engine, "stage_seconds", {})}
    print(
        "stages (s):           "
        + ", ".join(f"{k} {v:.1f}" for k, v in stages.items())
        + f"; the model waited {stats['wait']:.1f} s for batches"
    )
    print(f"peak host memory:     {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")
    if device.startswith("cuda"):
        print(f"peak GPU memory:      {torch.cuda.max_memory_allocated() / 2**30:.1f} GiB")
    hour_s = 3600 / (info.duration_s / wall)
    print(f"one hour of video would take {hour_s / 60:.1f} min here (target on one H100: <= 2 min)")
    tmp.cleanup()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
