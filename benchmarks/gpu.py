"""One-shot GPU figure: Molmo2-4B's full configuration with random weights, full-length outputs.

    bash benchmarks/gpu.sh                         # on the CUDA machine (installs missing wheels first)
    python benchmarks/gpu.py --layers 1 --window 2 --max-tokens 8 --minutes 0.07 --size 640x360  # CPU proof

For each detail level (low, medium, high) it captions a generated video (decoding included, 10 s windows
at 2 fps, every output forced to the level's full token budget) and prints seconds per hour of video,
windows/s, generated tokens/s, peak GPU memory, the per-stage breakdown (decode, preprocess, vision,
prefill, generation) and the ratio to the FLOP floor (the model's arithmetic at --peak-tflops).
``--layers N`` cuts the text and vision towers to N layers (hidden sizes stay full), to prove the
script where the full model would be too slow; its figures are not the GPU figure.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

PEAK_TFLOPS = {
    "H200": 800.0,
    "H100": 800.0,
    "A100": 312.0,
    "L40S": 362.0,
    "A10": 125.0,
    "L4": 121.0,
    "RTX 4090": 165.0,
}  # dense bf16, usable


def build(device: str, layers: int | None, batch_size: int | None):
    import torch
    from transformers import Molmo2ForConditionalGeneration

    from captioner_app.core.model.molmo import MolmoEngine, attention_implementation, default_batch_size, pick_dtype
    from captioner_app.testing.tiny_molmo import build_processor, build_tokenizer, full_size_config

    tokenizer = build_tokenizer()
    config = full_size_config(tokenizer)
    if layers:
        config.text_config.num_hidden_layers = layers
        config.vision_config.num_hidden_layers = max(layers, 1)
        config.adapter_config.vision_feature_layer = [-1, -min(2, layers)]
    config._attn_implementation = attention_implementation()
    dtype = pick_dtype(device)
    started = time.perf_counter()
    with torch.device(device):
        torch.set_default_dtype(dtype)
        model = Molmo2ForConditionalGeneration(config).eval()
        torch.set_default_dtype(torch.float32)
    params = sum(p.numel() for p in model.parameters())
    print(
        f"random Molmo2-4B-shaped model{f' cut to {layers} layers' if layers else ''}: {params / 1e9:.2f} B "
        f"parameters, {dtype}, attention {config._attn_implementation}, built in "
        f"{time.perf_counter() - started:.1f} s",
        flush=True,
    )
    processor = build_processor(tokenizer, size=378)
    batch = batch_size or default_batch_size(model, device)
    engine = MolmoEngine(
        model, processor, model_id="random-full-size-molmo2", revision=None, device=device, batch_size=batch
    )
    return engine, config


def flops_per_window(config, frames: int, input_tokens: float, new_tokens: float) -> float:
    """Multiply-adds x 2 of one window: the vision tower on every frame, prefill, generation."""
    v, t = config.vision_config, config.text_config
    patches = (v.image_size[0] // v.patch_size) ** 2
    vit_layer = 4 * v.hidden_size**2 + 2 * v.hidden_size * v.intermediate_size  # attention + MLP weights
    vit = frames * v.num_hidden_layers * (2 * patches * vit_layer + 4 * patches**2 * v.hidden_size)
    head_dim = t.head_dim
    attn_w = t.hidden_size * head_dim * (2 * t.num_attention_heads + 2 * t.num_key_value_heads)
    layer = attn_w + 3 * t.hidden_size * t.intermediate_size
    text_params = t.num_hidden_layers * layer
    lm_head = t.hidden_size * t.vocab_size
    attention = 4 * t.num_hidden_layers * t.num_attention_heads * head_dim  # per token per context token
    prefill = 2 * input_tokens * text_params + attention * input_tokens**2 / 2
    context = input_tokens + new_tokens / 2
    generation = new_tokens * (2 * (text_params + lm_head) + attention * context)
    return vit + prefill + generation


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--device", default="auto")
    parser.add_argument("--layers", type=int, default=None, help="cut both towers to this many layers (CPU proof)")
    parser.add_argument("--window", type=float, default=10.0, help="window length in seconds")
    parser.add_argument(
        "--max-tokens",
        type=int,
        default=None,
        help="cap the forced output length (CPU proof only: the figure needs full length)",
    )
    parser.add_argument("--minutes", type=float, default=2.0, help="video captioned per detail level")
    parser.add_argument("--levels", default="low,medium,high")
    parser.add_argument("--size", default="1920x1080", help="generated video size (decoding is part of the figure)")
    parser.add_argument("--video", help="use this video instead of generating one")
    parser.add_argument("--batch-size", type=int, default=None, help="default: from free GPU memory")
    parser.add_argument("--peak-tflops", type=float, default=None, help="usable dense bf16 TFLOP/s of the device")
    args = parser.parse_args()

    import torch

    from captioner_app.core.media import video
    from captioner_app.core.model.molmo import pick_device
    from captioner_app.core.model.prompts import window_prompt
    from captioner_app.core.pipeline import CaptionOptions, caption_windows, plan
    from captioner_app.testing.media import make_video

    device = pick_device(args.device)
    cuda = device.startswith("cuda")
    name = torch.cuda.get_device_name(0) if cuda else f"CPU ({os.cpu_count()} cores, {torch.get_num_threads()} threads)"
    peak = args.peak_tflops or next((v for k, v in PEAK_TFLOPS.items() if k in name), None)
    print(f"device: {name}; load {os.getloadavg()[0]:.1f}", flush=True)
    engine, config = build(device, args.layers, args.batch_size)
    engine.enable_profiling()

    tmp = tempfile.TemporaryDirectory()
    if args.video:
        path = Path(args.video)
    else:
        width, height = (int(x) for x in args.size.lower().split("x"))
        path = Path(tmp.name) / "gpu.mp4"
        started = time.perf_counter()
        seconds = args.minutes * 60
        make_video(
            path,
            seconds,
            fps=30,
            size=(width, height),
            texture=True,
            gop=60,
            preset="veryfast",
            scene_cuts_s=[float(s) for s in range(7, int(seconds), 7)],
        )
        print(f"generated {seconds:g} s of {width}x{height} H.264 in {time.perf_counter() - started:.1f} s", flush=True)
    info = video.probe(path)

    # warm-up (CUDA kernels, allocator): one batch, not counted
    warm = CaptionOptions(window_ms=int(args.window * 1000), min_new_tokens=4)
    started = time.perf_counter()
    for _ in caption_windows(info, engine, warm, windows=plan(info, warm)[: engine.batch_size]):
        pass
    print(f"warm-up batch: {time.perf_counter() - started:.1f} s", flush=True)

    rows = []
    for level in args.levels.split(","):
        forced = window_prompt(level).max_new_tokens
        if args.max_tokens:
            forced = min(forced, args.max_tokens)
        options = CaptionOptions(detail=level, window_ms=int(args.window * 1000), fps=2.0, min_new_tokens=forced)
        windows = plan(info, options)
        if cuda:
            torch.cuda.synchronize()
            torch.cuda.reset_peak_memory_stats()
        engine.stage_seconds = dict.fromkeys(engine.stage_seconds, 0.0)
        tokens_before, inputs_before = engine.generated_tokens_total, engine.input_tokens_total
        stats: dict[str, float] = {}
        frames = 0
        started = time.perf_counter()
        prompts = None
        if args.max_tokens:  # the proof's shorter outputs: the prompt's token budget itself is cut
            prompts = [dataclasses.replace(window_prompt(level), max_new_tokens=forced)] * len(windows)
        for result in caption_windows(info, engine, options, windows=windows, prompts=prompts, stats=stats):
            frames += len(result.cue.provenance.frame_times_ms)
        wall = time.perf_counter() - started
        tokens = engine.generated_tokens_total - tokens_before
        inputs = engine.input_tokens_total - inputs_before
        n = len(windows)
        per_hour = wall * 3600.0 / info.duration_s
        floor = flops_per_window(config, frames / n, inputs / n, tokens / n) * 3600.0 / info.duration_s * n
        peak_mem = torch.cuda.max_memory_allocated() / 2**30 if cuda else None
        stages = {"decode": stats["decode"], **engine.stage_seconds}
        rows.append((level, per_hour, n / wall, tokens / wall, peak_mem, stages, floor, wall))
        print(
            f"\n{level}: {n} windows ({frames} frames, {tokens} tokens forced to {forced} per window, "
            f"batch {engine.batch_size}) in {wall:.1f} s",
            flush=True,
        )
        print(f"  seconds per hour of video: {per_hour:8.1f}")
        print(f"  windows/s:                 {n / wall:8.2f}")
        print(f"  generated tokens/s:        {tokens / wall:8.1f}")
        if peak_mem is not None:
            print(f"  peak GPU memory:           {peak_mem:8.2f} GiB")
        print(
            "  stages (s): "
            + ", ".join(f"{k} {v:.2f}" for k, v in stages.items())
            + f"; the model waited {stats['wait']:.2f} s for batches"
        )
        if peak:
            floor_s = floor / (peak * 1e12)
            print(
                f"  FLOP floor: {floor / 1e15:.1f} PFLOP per hour = {floor_s:.1f} s at {peak:g} TFLOP/s; "
                f"measured / floor = {per_hour / floor_s:.1f}x"
            )
        else:
            print(f"  FLOP floor: {floor / 1e15:.2f} PFLOP per hour (pass --peak-tflops for the ratio)")

    print("\nlevel    s/hour  windows/s  tokens/s  peak GiB  floor ratio")
    for level, per_hour, wps, tps, mem, _stages, floor, _wall in rows:
        ratio = f"{per_hour / (floor / (peak * 1e12)):.1f}x" if peak else "n/a"
        memory = f"{mem:9.2f}" if mem is not None else "      n/a"
        print(f"{level:7s} {per_hour:7.1f} {wps:10.2f} {tps:9.1f} {memory}  {ratio}")
    if args.layers or args.max_tokens:
        print(f"(cut to {args.layers} layers: a proof that the script runs, not the model's figure)")
    tmp.cleanup()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
