from __future__ import annotations

import json
import shutil
import threading
from pathlib import Path

import pytest

from captioner_app.core.errors import CancelledError, ModelError, OutOfMemoryError, UsageError
from captioner_app.core.media import video
from captioner_app.core.model import load_engine
from captioner_app.core.model.engine import ClipRequest, EngineOptions
from captioner_app.core.model.molmo import MolmoEngine, resolve_model_path
from captioner_app.core.model.prompts import window_prompt


@pytest.fixture(scope="module")
def clips(video_30s: Path) -> list[ClipRequest]:
    info = video.probe(video_30s)
    frames = list(video.sample_frames(info, fps=2, max_side=128))
    prompt = window_prompt("low")
    return [ClipRequest(frames[i * 20 : (i + 1) * 20], prompt, info.fps, info.duration_ms) for i in range(3)]


def test_tiny_model_loads_through_the_real_loader(tiny_engine: MolmoEngine, tiny_model_dir: Path):
    assert type(tiny_engine.model).__name__ == "Molmo2ForConditionalGeneration"
    assert type(tiny_engine.processor).__name__ == "Molmo2Processor"
    assert tiny_engine.device == "cpu"
    assert str(tiny_engine.model.dtype) == "torch.float32"
    assert json.loads((tiny_model_dir / "config.json").read_text())["model_type"] == "molmo2"


def test_greedy_captions_are_deterministic_and_batch_independent(tiny_engine: MolmoEngine, clips):
    batched = tiny_engine.caption(clips)
    assert len(batched) == 3 and all(isinstance(t, str) and t for t in batched)
    assert tiny_engine.caption(clips) == batched
    assert [tiny_engine.caption([c])[0] for c in clips] == batched


def test_frames_carry_their_real_timestamps(tiny_engine: MolmoEngine, clips):
    inputs = tiny_engine.build_inputs([clips[1]])
    prompt = tiny_engine.processor.tokenizer.decode(inputs["input_ids"][0])
    # window 2 covers 10-20 s: the model is told 10.0, 10.5 ... 19.5
    assert "10.0 <frame_start>" in prompt and "19.5 <frame_start>" in prompt
    assert " 0.0 <frame_start>" not in prompt
    assert int(inputs["video_grids"][0][0]) == 20


def test_cancel_inside_generate(tiny_engine: MolmoEngine, clips):
    cancel = threading.Event()
    cancel.set()
    with pytest.raises(CancelledError):
        tiny_engine.caption(clips, cancel)


def test_out_of_memory_retries_with_smaller_batches(tiny_model_dir: Path, clips, monkeypatch):
    import torch

    engine = load_engine(EngineOptions(model=str(tiny_model_dir), device="cpu", batch_size=4))
    expected = engine.caption(clips)
    real = MolmoEngine._generate
    sizes: list[int] = []

    def small_memory(self, batch, cancel, inputs=None):
        sizes.append(len(batch))
        if len(batch) > 1:
            raise torch.OutOfMemoryError("CUDA out of memory (simulated)")
        return real(self, batch, cancel, inputs)

    monkeypatch.setattr(MolmoEngine, "_generate", small_memory)
    assert engine.caption(clips) == expected
    assert sizes[0] == 3 and engine.batch_size == 1

    def no_memory(self, batch, cancel, inputs=None):
        raise torch.OutOfMemoryError("CUDA out of memory (simulated)")

    monkeypatch.setattr(MolmoEngine, "_generate", no_memory)
    with pytest.raises(OutOfMemoryError, match="ran out of memory"):
        engine.caption(clips[:1])


def test_forced_output_length_for_benchmarks(tiny_engine: MolmoEngine, clips):
    forced = ClipRequest(
        clips[0].frames, window_prompt("low"), clips[0].native_fps, clips[0].video_duration_ms, min_new_tokens=48
    )
    tiny_engine.caption([forced])
    assert tiny_engine.last_generated_tokens == 48


def test_missing_hub_model_says_how_to_get_it(monkeypatch, tmp_path: Path):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path))
    with pytest.raises(ModelError) as err:
        resolve_model_path(EngineOptions(model="allenai/Molmo2-4B"))
    message = str(err.value)
    assert "allenai/Molmo2-4B is not on this machine" in message
    assert "captioner download allenai/Molmo2-4B" in message


def test_hub_cache_snapshot_is_found_offline(monkeypatch, tmp_path: Path, tiny_model_dir: Path):
    cache = tmp_path / "hub"
    snapshot = cache / "models--someone--tiny-molmo2" / "snapshots" / "0123abcd"
    shutil.copytree(tiny_model_dir, snapshot)
    refs = cache / "models--someone--tiny-molmo2" / "refs"
    refs.mkdir()
    (refs / "main").write_text("0123abcd")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    engine = load_engine(EngineOptions(model="someone/tiny-molmo2", cache_dir=str(cache), device="cpu"))
    assert engine.revision == "0123abcd"
    assert engine.model_id == "someone/tiny-molmo2"


def test_refuses_folders_without_safetensors(tmp_path: Path, tiny_model_dir: Path):
    folder = tmp_path / "pickled"
    shutil.copytree(tiny_model_dir, folder)
    (folder / "model.safetensors").rename(folder / "pytorch_model.bin")
    with pytest.raises(ModelError, match="no .safetensors weights"):
        load_engine(EngineOptions(model=str(folder), device="cpu"))


def test_refuses_other_model_types(tmp_path: Path, tiny_model_dir: Path):
    folder = tmp_path / "other"
    shutil.copytree(tiny_model_dir, folder)
    config = json.loads((folder / "config.json").read_text())
    config["model_type"] = "llama"
    (folder / "config.json").write_text(json.dumps(config))
    with pytest.raises(ModelError, match="not Molmo2"):
        load_engine(EngineOptions(model=str(folder), device="cpu"))


def test_bad_model_names_and_devices(tmp_path: Path, tiny_model_dir: Path):
    with pytest.raises(ModelError, match="does not exist"):
        load_engine(EngineOptions(model=str(tmp_path / "nothing-here"), device="cpu"))
    with pytest.raises(ModelError, match="neither a local folder nor a hub id"):
        load_engine(EngineOptions(model="not a model", device="cpu"))
    with pytest.raises(UsageError, match="no CUDA GPU"):
        load_engine(EngineOptions(model=str(tiny_model_dir), device="cuda"))
    with pytest.raises(UsageError, match="batch-size"):
        load_engine(EngineOptions(model=str(tiny_model_dir), batch_size=0))


def test_prepared_inputs_give_the_same_texts(tiny_engine, video_30s):
    from captioner_app.core.media.video import probe, sample_frames
    from captioner_app.core.model.engine import ClipRequest
    from captioner_app.core.model.prompts import window_prompt

    info = probe(video_30s)
    frames = list(sample_frames(info, 0, 6000, fps=2, max_side=64))
    requests = [ClipRequest(frames[k : k + 4], window_prompt("low"), info.fps, info.duration_ms) for k in (0, 4, 8)]
    direct = tiny_engine.caption(requests)
    prepared = tiny_engine.prepare(requests)
    assert tiny_engine.caption(requests, prepared=prepared) == direct
    before = tiny_engine.stage_seconds["preprocess"]
    tiny_engine.prepare(requests)  # as the pipeline's producer does: caption finds the work done
    after_prepare = tiny_engine.stage_seconds["preprocess"]
    assert tiny_engine.caption(requests) == direct
    assert tiny_engine.stage_seconds["preprocess"] == after_prepare > before


def test_one_vision_pass_for_a_whole_batch_and_stages_are_timed(tiny_engine, video_30s):
    from captioner_app.core.media.video import probe, sample_frames
    from captioner_app.core.model.engine import ClipRequest
    from captioner_app.core.model.prompts import window_prompt

    info = probe(video_30s)
    frames = list(sample_frames(info, 0, 6000, fps=2, max_side=64))
    requests = [ClipRequest(frames[k : k + 4], window_prompt("low"), info.fps, info.duration_ms) for k in (0, 4, 8)]
    calls = []
    handle = tiny_engine.model.model.vision_tower.register_forward_hook(
        lambda _m, args, _o: calls.append(args[0].shape[0])
    )
    old_batch = tiny_engine.batch_size
    tiny_engine.batch_size = 3
    try:
        tiny_engine.enable_profiling()
        before = dict(tiny_engine.stage_seconds)
        tiny_engine.caption(requests)
    finally:
        handle.remove()
        tiny_engine.batch_size = old_batch
    assert len(calls) == 1 and calls[0] == 12  # the frames of all three windows in one vision pass
    for stage in ("preprocess", "vision", "prefill", "generation"):
        assert tiny_engine.stage_seconds[stage] > before[stage]


def test_default_cuda_batch_fits_the_memory_target():
    from captioner_app.core.model.molmo import CUDA_MEMORY_TARGET, cuda_batch_for, window_bytes
    from captioner_app.testing.tiny_molmo import build_tokenizer, full_size_config

    config = full_size_config(build_tokenizer())
    weights = 9_700_000_000  # Molmo2-4B in bf16
    per_window = window_bytes(config)
    roomy = cuda_batch_for(config, weights, free_bytes=70 * 2**30)
    assert weights + roomy * per_window <= CUDA_MEMORY_TARGET
    assert weights + (roomy + 1) * per_window > CUDA_MEMORY_TARGET * 0.9
    assert cuda_batch_for(config, weights, free_bytes=per_window) == 1  # little free memory: one window
    assert cuda_batch_for(config, 1_000_000_000, free_bytes=70 * 2**30, target_bytes=200 * 2**30) == 16


def test_cpu_threads_follow_the_override(tiny_engine: MolmoEngine, monkeypatch, clips):
    import torch

    from captioner_app.core.model.molmo import cpu_threads

    monkeypatch.delenv("CAPTIONER_CPU_THREADS", raising=False)
    assert cpu_threads(tiny_engine.model) is None  # torch's own default: one thread per core
    monkeypatch.setenv("CAPTIONER_CPU_THREADS", "3")
    assert cpu_threads(tiny_engine.model) == 3
    monkeypatch.setenv("CAPTIONER_CPU_THREADS", "0")
    assert cpu_threads(tiny_engine.model) >= 1
    monkeypatch.setenv("CAPTIONER_CPU_THREADS", "many")
    with pytest.raises(UsageError, match="CAPTIONER_CPU_THREADS"):
        cpu_threads(tiny_engine.model)
    # the engine sets its count around generate only: the caller's setting is restored
    before = torch.get_num_threads()
    tiny_engine.threads = 1 if before != 1 else 2
    try:
        tiny_engine.caption(clips[:1])
    finally:
        tiny_engine.threads = None
    assert torch.get_num_threads() == before
