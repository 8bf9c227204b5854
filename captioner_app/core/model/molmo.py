"""Molmo2 through transformers' native classes. The only module that imports torch or transformers."""

from __future__ import annotations

import gc
import logging
import os
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from captioner_app.core.errors import CancelledError, ModelError, OutOfMemoryError, UsageError, one_line
from captioner_app.core.model.engine import ClipRequest, EngineOptions
from captioner_app.core.model.hub import ALLOW_PATTERNS, download_model, hub_offline
from captioner_app.core.vocab import parse_device

log = logging.getLogger(__name__)

# What a model folder needs; pickled weights (*.bin, *.pt) are never fetched nor loaded.
DEFAULT_BATCH = {"cuda": 16, "mps": 2, "cpu": 1}  # an out-of-memory error halves it


def how_to_get(model: str) -> str:
    return (
        f"run 'captioner download {model}' on a machine with internet access (then copy the cache), "
        "or pass --model with a local folder"
    )


def resolve_model_path(options: EngineOptions) -> Path:
    """A local folder for ``options.model``: the folder itself, or the hub snapshot in the cache.

    Looks in the cache first (works offline); fetches only what is missing unless
    ``local_files_only``. Raises :class:`ModelError` with a way out when neither works.
    """
    model = options.model
    candidate = Path(model).expanduser()
    if candidate.is_dir():
        return candidate
    if model.startswith((".", "/", "~")) or os.sep in model.strip("/").replace("/", "", 1):
        raise ModelError(f"model folder {model} does not exist")
    if model.count("/") != 1:
        raise ModelError(f"model {model!r} is neither a local folder nor a hub id like allenai/Molmo2-4B")

    from huggingface_hub import snapshot_download
    from huggingface_hub.errors import LocalEntryNotFoundError

    try:
        return Path(snapshot_download(repo_id=model, revision=options.revision, cache_dir=options.cache_dir,
                                      allow_patterns=ALLOW_PATTERNS, local_files_only=True))
    except (LocalEntryNotFoundError, FileNotFoundError):
        if options.local_files_only or hub_offline():
            raise ModelError(f"model {model} is not on this machine; {how_to_get(model)}") from None
    except Exception as err:  # a broken cache entry: fetch what is missing
        log.debug("cache lookup failed: %r", err)


    try:  # the same resumable fetch as 'captioner download'
        return download_model(model, options.revision, options.cache_dir)
    except ModelError as err:
        raise ModelError(f"{err}; or pass --model with a local folder") from None


def pick_device(requested: str = "auto") -> str:
    import torch

    requested = parse_device(requested or "auto")
    if requested == "auto":
        if torch.cuda.is_available():
            return "cuda"
        if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
            return "mps"
        return "cpu"
    if requested.startswith("cuda") and not torch.cuda.is_available():
        raise UsageError("--device cuda was asked for, but no CUDA GPU is available to PyTorch")
    if requested == "mps" and not (getattr(torch.backends, "mps", None) and torch.backends.mps.is_available()):
        raise UsageError("--device mps was asked for, but Apple's Metal backend is not available")
    return requested


def pick_dtype(device: str, requested: str = "auto") -> Any:
    """Explicit dtypes: the checkpoint is float32 on disk, which would double memory on a GPU."""
    import torch

    names = {"bfloat16": torch.bfloat16, "float16": torch.float16, "float32": torch.float32}
    if requested and requested != "auto":
        if requested not in names:
            raise UsageError(f"unknown dtype {requested!r}: choose auto, bfloat16, float16 or float32")
        return names[requested]
    if device.startswith("cuda"):
        return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
    if device == "mps":
        return torch.float16
    return torch.float32


class _CancelCriteria:
    """A StoppingCriteria that ends ``generate`` as soon as the cancel event is set."""

    def __init__(self, cancel: threading.Event) -> None:
        self.cancel = cancel

    def __call__(self, input_ids: Any, scores: Any, **kwargs: Any) -> Any:
        import torch

        return torch.full((input_ids.shape[0],), self.cancel.is_set(), dtype=torch.bool, device=input_ids.device)


class MolmoEngine:
    """Captions batches of clips with one ``generate`` call per batch (left padding, greedy)."""

    def __init__(self, model: Any, processor: Any, *, model_id: str, revision: str | None,
                 device: str, batch_size: int | None = None) -> None:
        self.model = model
        self.processor = processor
        self.model_id = model_id
        self.revision = revision
        self.device = device
        self.batch_size = batch_size or DEFAULT_BATCH.get(device.split(":")[0], 1)
        self.processor.tokenizer.padding_side = "left"
        self._lock = threading.Lock()
        self.last_generated_tokens = 0  # tokens written by the last generate call (pad excluded)
        self.generated_tokens_total = 0

    @classmethod
    def load(cls, options: EngineOptions) -> MolmoEngine:
        if options.batch_size is not None and options.batch_size < 1:
            raise UsageError(f"--batch-size must be at least 1, got {options.batch_size}")
        device = pick_device(options.device)
        dtype = pick_dtype(device, options.dtype)
        path = resolve_model_path(options)
        if not any(path.glob("*.safetensors")):
            raise ModelError(
                f"model folder {path} has no .safetensors weights (pickled weights are refused as unsafe)"
            )
        if not (path / "config.json").is_file():
            raise ModelError(f"model folder {path} has no config.json")

        from transformers import AutoConfig, AutoModelForImageTextToText, AutoProcessor
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()  # callers show their own progress

        try:
            config = AutoConfig.from_pretrained(path, local_files_only=True)
        except Exception as err:
            raise ModelError(f"model folder {path}: unreadable config ({one_line(err)})") from None
        if getattr(config, "model_type", None) != "molmo2":
            raise ModelError(f"model {options.model} is a {config.model_type!r} model, not Molmo2")
        try:
            processor = AutoProcessor.from_pretrained(path, local_files_only=True)
            model = AutoModelForImageTextToText.from_pretrained(
                path, dtype=dtype, local_files_only=True, use_safetensors=True, config=config
            )
        except Exception as err:
            raise ModelError(f"model {options.model} cannot be loaded ({one_line(err)})") from None
        model.to(device).eval()
        revision = options.revision or _snapshot_revision(path)
        log.info("loaded %s (%s) on %s as %s", options.model, revision, device, dtype)
        return cls(model, processor, model_id=options.model, revision=revision, device=device,
                   batch_size=options.batch_size)

    def close(self) -> None:
        self.model = None
        gc.collect()
        _empty_cache(self.device)

    # -- generation -------------------------------------------------------------------------

    def caption(self, requests: Sequence[ClipRequest], cancel: threading.Event | None = None) -> list[str]:
        results: list[str] = [""] * len(requests)
        order = list(range(len(requests)))
        # requests with the same token budget share a generate call
        order.sort(key=lambda i: (requests[i].prompt.max_new_tokens, requests[i].min_new_tokens))
        with self._lock:
            start = 0
            while start < len(order):
                if cancel is not None and cancel.is_set():
                    raise CancelledError()
                key = (requests[order[start]].prompt.max_new_tokens, requests[order[start]].min_new_tokens)
                group = [i for i in order[start:start + self.batch_size]
                         if (requests[i].prompt.max_new_tokens, requests[i].min_new_tokens) == key]
                texts = self._generate_with_retry([requests[i] for i in group], cancel)
                for i, text in zip(group, texts, strict=False):
                    results[i] = text
                start += len(group)
        return results

    def _generate_with_retry(self, batch: list[ClipRequest], cancel: threading.Event | None) -> list[str]:
        import torch

        try:
            return self._generate(batch, cancel)
        except torch.OutOfMemoryError:
            pass  # leave the except block so the failed call's tensors can be freed
        gc.collect()
        _empty_cache(self.device)
        if len(batch) == 1:
            raise OutOfMemoryError(
                f"{self.device} ran out of memory captioning one window; use a shorter --window, "
                "a lower --fps, or --device cpu"
            )
        smaller = max(1, len(batch) // 2)
        log.warning("out of memory at batch size %d; retrying with %d", len(batch), smaller)
        self.batch_size = smaller
        out: list[str] = []
        for i in range(0, len(batch), smaller):
            out.extend(self._generate_with_retry(batch[i:i + smaller], cancel))
        return out

    def build_inputs(self, batch: Sequence[ClipRequest]) -> Any:
        import numpy as np
        from transformers.video_utils import VideoMetadata

        texts, videos, metadata = [], [], []
        for req in batch:
            if not req.frames:
                raise ValueError("a clip needs at least one frame")
            messages = [{"role": "user", "content": [{"type": "video"}, {"type": "text", "text": req.prompt.text}]}]
            texts.append(self.processor.apply_chat_template(messages, add_generation_prompt=True, tokenize=False))
            shapes = {f.image.shape for f in req.frames}
            if len(shapes) > 1:
                raise ValueError(f"frames of one clip differ in size: {sorted(shapes)}")
            videos.append(np.stack([f.image for f in req.frames]))
            fps = req.native_fps if req.native_fps > 0 else 1000.0
            h, w = req.frames[0].image.shape[:2]
            metadata.append(
                VideoMetadata(
                    total_num_frames=max(1, int(round(req.video_duration_ms / 1000.0 * fps))),
                    fps=fps,
                    duration=req.video_duration_ms / 1000.0,
                    # the processor turns indices back into seconds (index / fps): the real frame times
                    frames_indices=[int(round(f.time_ms / 1000.0 * fps)) for f in req.frames],
                    height=h,
                    width=w,
                )
            )
        inputs = self.processor(
            text=texts,
            videos=videos,
            video_metadata=metadata,
            do_sample_frames=False,
            padding=True,
            return_tensors="pt",
        )
        return inputs

    def _generate(self, batch: Sequence[ClipRequest], cancel: threading.Event | None) -> list[str]:
        import torch
        from transformers import StoppingCriteriaList

        inputs = self.build_inputs(batch).to(self.model.device)
        max_new = max(r.prompt.max_new_tokens for r in batch)
        min_new = max(r.min_new_tokens for r in batch)
        kwargs: dict[str, Any] = {
            "max_new_tokens": max_new,
            "do_sample": False,
            "num_beams": 1,
            "temperature": None,
            "top_p": None,
            "top_k": None,
            "pad_token_id": self.processor.tokenizer.pad_token_id,
        }
        if min_new:
            kwargs["min_new_tokens"] = min(min_new, max_new)
            kwargs["eos_token_id"] = None
        if cancel is not None:
            kwargs["stopping_criteria"] = StoppingCriteriaList([_CancelCriteria(cancel)])
        with torch.inference_mode():
            output = self.model.generate(**inputs, **kwargs)
        if cancel is not None and cancel.is_set():
            raise CancelledError()
        new_tokens = output[:, inputs["input_ids"].shape[1]:]
        self.last_generated_tokens = int((new_tokens != self.processor.tokenizer.pad_token_id).sum())
        self.generated_tokens_total += self.last_generated_tokens
        texts = self.processor.batch_decode(new_tokens, skip_special_tokens=True)
        return [" ".join(t.split()) for t in texts]



def _empty_cache(device: str) -> None:
    try:
        import torch

        if device.startswith("cuda") and torch.cuda.is_available():
            torch.cuda.empty_cache()
        elif device == "mps" and hasattr(torch, "mps"):
            torch.mps.empty_cache()
    except Exception:  # freeing memory is best effort
        pass


def _snapshot_revision(path: Path) -> str | None:
    # hub snapshots live in .../snapshots/<commit>/
    if path.parent.name == "snapshots":
        return path.name
    return None
