"""Molmo2 through transformers' native classes. The only module that imports torch or transformers."""

from __future__ import annotations

import collections
import contextlib
import gc
import logging
import os
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from captioner_app.core.errors import (
    CancelledError,
    ModelError,
    ModelUnavailableError,
    OutOfMemoryError,
    UsageError,
    one_line,
)
from captioner_app.core.model.engine import ClipRequest, EngineOptions
from captioner_app.core.model.hub import ALLOW_PATTERNS, download_model, hub_offline
from captioner_app.core.vocab import parse_device

log = logging.getLogger(__name__)

# What a model folder needs; pickled weights (*.bin, *.pt) are never fetched nor loaded.
DEFAULT_BATCH = {"cuda": 16, "mps": 2, "cpu": 1}  # the most per call; CUDA's is also capped by memory
CUDA_MEMORY_TARGET = 12 * 2**30  # the default batch keeps the whole run within this (weights included)
# what the default batch is sized for: 10 s windows at 2 fps, a medium-length answer
SIZING_FRAMES = 20
SIZING_TEXT_TOKENS = 400


def cpu_threads(model: Any) -> int | None:
    """Intra-op threads for the model on the CPU: ``CAPTIONER_CPU_THREADS`` when set (0: all cores),
    else None (torch's default, one per core: measured best on an idle machine with the tiny model,
    21.2x against 19.9x real time with one thread; one thread wins only when other work already fills
    the cores, 4.3x against 2.8x under a load of 15 on 2 cores: see benchmarks/captioning.py --threads)."""
    env = os.environ.get("CAPTIONER_CPU_THREADS", "").strip()
    if env:
        try:
            value = int(env)
        except ValueError:
            raise UsageError(f"CAPTIONER_CPU_THREADS={env!r} is not a whole number") from None
        if value < 0:
            raise UsageError(f"CAPTIONER_CPU_THREADS={env!r} must be 0 (all cores) or more")
        return value or (os.cpu_count() or 1)
    return None


def attention_implementation() -> str:
    """PyTorch's scaled-dot-product attention (flash / memory-efficient kernels on CUDA). Molmo2 cannot use
    the FlashAttention package: it drops the bidirectional mask over image tokens."""
    return "sdpa"


def window_bytes(
    config: Any, dtype_bytes: int = 2, frames: int = SIZING_FRAMES, text_tokens: int = SIZING_TEXT_TOKENS
) -> int:
    """Device memory one window needs while its batch runs: the text model's key/value cache over the
    window's tokens, and the vision tower's per-layer hidden states for its frames (all are kept: the
    adapter reads two layers)."""
    text, vision = config.text_config, config.vision_config
    patches = (vision.image_size[0] // vision.patch_size) * (vision.image_size[1] // vision.patch_size)
    pooled = -((-(vision.image_size[0] // vision.patch_size) // 3) ** 2)  # 3x3 pooling of video frames
    tokens = frames * (pooled + 3) + text_tokens
    head_dim = getattr(text, "head_dim", None) or text.hidden_size // text.num_attention_heads
    kv = 2 * text.num_hidden_layers * text.num_key_value_heads * head_dim * dtype_bytes * tokens
    vision_states = (
        frames
        * patches
        * dtype_bytes
        * ((vision.num_hidden_layers + 1) * vision.hidden_size + vision.intermediate_size + 2 * vision.hidden_size)
    )
    prefill = tokens * dtype_bytes * (text.intermediate_size * 2 + text.hidden_size * 4)
    return int(kv + vision_states + prefill)


def cuda_batch_for(
    config: Any,
    weights_bytes: int,
    free_bytes: int,
    dtype_bytes: int = 2,
    target_bytes: int = CUDA_MEMORY_TARGET,
    most: int = DEFAULT_BATCH["cuda"],
) -> int:
    """The largest batch (1..``most``) whose windows fit in the free memory and keep the run within
    ``target_bytes`` in all (weights plus a 10 % margin for the allocator)."""
    room = min(free_bytes, target_bytes - weights_bytes) * 0.9
    return max(1, min(most, int(room // window_bytes(config, dtype_bytes))))


def default_batch_size(model: Any, device: str) -> int:
    """CUDA: sized from free memory (see :func:`cuda_batch_for`); MPS 2; CPU 1 (measured best: the
    CPU is busy either way and one window per call brings the first cue soonest)."""
    kind = device.split(":")[0]
    if kind != "cuda":
        return DEFAULT_BATCH.get(kind, 1)
    import torch

    free, _total = torch.cuda.mem_get_info(torch.device(device))
    params = list(model.parameters())
    weights = sum(p.numel() * p.element_size() for p in params)
    dtype_bytes = params[0].element_size() if params else 2
    return cuda_batch_for(model.config, weights, free, dtype_bytes)


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
        raise ModelUnavailableError(f"model folder {model} does not exist")
    if model.count("/") != 1:
        raise ModelError(f"model {model!r} is neither a local folder nor a hub id like allenai/Molmo2-4B")

    from huggingface_hub import snapshot_download
    from huggingface_hub.errors import LocalEntryNotFoundError

    try:
        return Path(
            snapshot_download(
                repo_id=model,
                revision=options.revision,
                cache_dir=options.cache_dir,
                allow_patterns=ALLOW_PATTERNS,
                local_files_only=True,
            )
        )
    except (LocalEntryNotFoundError, FileNotFoundError):
        if options.local_files_only or hub_offline():
            raise ModelUnavailableError(f"model {model} is not on this machine; {how_to_get(model)}") from None
    except Exception as err:  # a broken cache entry: fetch what is missing
        log.debug("cache lookup failed: %r", err)

    try:  # the same resumable fetch as 'captioner download'
        return download_model(model, options.revision, options.cache_dir)
    except ModelError as err:
        raise ModelUnavailableError(f"{err}; or pass --model with a local folder") from None
    except OSError as err:  # no hub within reach and no complete snapshot in the cache
        raise ModelUnavailableError(
            f"model {model} is not on this machine and the hub cannot be reached ({one_line(err)}); {how_to_get(model)}"
        ) from None


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


STAGES = ("preprocess", "vision", "prefill", "generation")
PREPARED_KEPT = 4


@dataclass(frozen=True)
class PreparedBatch:
    """:meth:`MolmoEngine.prepare`'s result: the generate calls (indices into the requests) and the
    processor's inputs for each."""

    count: int
    batch_size: int
    groups: list[list[int]]
    inputs: list[Any]


class _CancelCriteria:
    """A StoppingCriteria that ends ``generate`` as soon as the cancel event is set."""

    def __init__(self, cancel: threading.Event) -> None:
        self.cancel = cancel

    def __call__(self, input_ids: Any, scores: Any, **kwargs: Any) -> Any:
        import torch

        return torch.full((input_ids.shape[0],), self.cancel.is_set(), dtype=torch.bool, device=input_ids.device)


class MolmoEngine:
    """Captions batches of clips with one ``generate`` call per batch (left padding, greedy)."""

    def __init__(
        self,
        model: Any,
        processor: Any,
        *,
        model_id: str,
        revision: str | None,
        device: str,
        batch_size: int | None = None,
    ) -> None:
        self.model = model
        self.processor = processor
        self.model_id = model_id
        self.revision = revision
        self.device = device
        self.batch_size = batch_size or DEFAULT_BATCH.get(device.split(":")[0], 1)
        # intra-op threads while the model runs on the CPU (None: leave torch's setting alone)
        self.threads: int | None = cpu_threads(model) if device.split(":")[0] == "cpu" else None
        self.processor.tokenizer.padding_side = "left"
        self._lock = threading.Lock()
        # prepare() runs in the pipeline's producer thread while generate runs: the fast tokenizer's
        # padding state is not safe to share between threads ("Already borrowed")
        self._processor_lock = threading.Lock()
        # prepare()'s results until caption() is called with the same request objects (a few at most:
        # a batch prepared and never captioned, after a cancel, is dropped in time)
        self._prepared: collections.OrderedDict[tuple[int, ...], tuple[list[ClipRequest], PreparedBatch]] = (
            collections.OrderedDict()
        )
        self.last_generated_tokens = 0  # tokens written by the last generate call (pad excluded)
        self.generated_tokens_total = 0
        self.input_tokens_total = 0  # prompt tokens (frames included) of all generate calls, pad excluded
        # seconds per stage; vision, prefill and generation are filled after enable_profiling()
        self.stage_seconds = dict.fromkeys(STAGES, 0.0)
        self._profiling = False
        self._forward_calls = 0

    @classmethod
    def load(cls, options: EngineOptions) -> MolmoEngine:
        if options.batch_size is not None and options.batch_size < 1:
            raise UsageError(f"--batch-size must be at least 1, got {options.batch_size}")
        device = pick_device(options.device)
        dtype = pick_dtype(device, options.dtype)
        path = resolve_model_path(options)
        if not any(path.glob("*.safetensors")):
            raise ModelUnavailableError(
                f"model folder {path} has no .safetensors weights (pickled weights are refused as unsafe)"
            )
        if not (path / "config.json").is_file():
            raise ModelUnavailableError(f"model folder {path} has no config.json")

        from transformers import AutoConfig, AutoModelForImageTextToText, AutoProcessor
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()  # callers show their own progress

        try:
            config = AutoConfig.from_pretrained(path, local_files_only=True)
        except Exception as err:
            raise ModelUnavailableError(f"model folder {path}: unreadable config ({one_line(err)})") from None
        if getattr(config, "model_type", None) != "molmo2":
            raise ModelUnavailableError(f"model {options.model} is a {config.model_type!r} model, not Molmo2")
        try:
            processor = AutoProcessor.from_pretrained(path, local_files_only=True)
            model = AutoModelForImageTextToText.from_pretrained(
                path,
                dtype=dtype,
                local_files_only=True,
                use_safetensors=True,
                config=config,
                attn_implementation=attention_implementation(),
            )
        except Exception as err:
            raise ModelError(f"model {options.model} cannot be loaded ({one_line(err)})") from None
        model.to(device).eval()
        revision = options.revision or _snapshot_revision(path)
        batch = options.batch_size or default_batch_size(model, device)
        log.info("loaded %s (%s) on %s as %s, batch size %d", options.model, revision, device, dtype, batch)
        return cls(model, processor, model_id=options.model, revision=revision, device=device, batch_size=batch)

    def close(self) -> None:
        self.model = None
        gc.collect()
        _empty_cache(self.device)

    # -- generation -------------------------------------------------------------------------

    def _groups(self, requests: Sequence[ClipRequest]) -> list[list[int]]:
        """Generate calls for ``requests``: the same token budget per call, similar lengths together
        (frame count, then prompt length), at most :attr:`batch_size` each."""

        def budget(i: int) -> tuple[int, int]:
            return requests[i].prompt.max_new_tokens, requests[i].min_new_tokens

        order = sorted(
            range(len(requests)), key=lambda i: (*budget(i), len(requests[i].frames), len(requests[i].prompt.text), i)
        )
        groups: list[list[int]] = []
        for i in order:
            if groups and len(groups[-1]) < self.batch_size and budget(groups[-1][0]) == budget(i):
                groups[-1].append(i)
            else:
                groups.append([i])
        return groups

    def prepare(self, requests: Sequence[ClipRequest]) -> PreparedBatch:
        """The processor's work for ``requests`` (resizing, patching, tokenising), done ahead of the
        model in the pipeline's producer thread; a later :meth:`caption` of the same request objects
        uses it (or pass the result as ``prepared``)."""
        groups = self._groups(requests)
        started = time.perf_counter()
        inputs = [self.build_inputs([requests[i] for i in group]) for group in groups]
        self.stage_seconds["preprocess"] += time.perf_counter() - started
        prepared = PreparedBatch(len(requests), self.batch_size, groups, inputs)
        with self._processor_lock:
            self._prepared[tuple(map(id, requests))] = (list(requests), prepared)
            while len(self._prepared) > PREPARED_KEPT:
                self._prepared.popitem(last=False)
        return prepared

    def _take_prepared(self, requests: Sequence[ClipRequest]) -> PreparedBatch | None:
        with self._processor_lock:
            entry = self._prepared.pop(tuple(map(id, requests)), None)
        if entry is None or any(a is not b for a, b in zip(entry[0], requests, strict=True)):
            return None
        return entry[1]

    def caption(
        self,
        requests: Sequence[ClipRequest],
        cancel: threading.Event | None = None,
        prepared: PreparedBatch | None = None,
    ) -> list[str]:
        results: list[str] = [""] * len(requests)
        if prepared is None:
            prepared = self._take_prepared(requests)  # the pipeline's producer thread prepared them
        if prepared is not None and (prepared.count != len(requests) or prepared.batch_size != self.batch_size):
            prepared = None  # made for another batch size (an out-of-memory error halved it since)
        groups = prepared.groups if prepared is not None else self._groups(requests)
        with self._lock:
            for g, group in enumerate(groups):
                if cancel is not None and cancel.is_set():
                    raise CancelledError()
                inputs = prepared.inputs[g] if prepared is not None else None
                texts = self._generate_with_retry([requests[i] for i in group], cancel, inputs)
                for i, text in zip(group, texts, strict=False):
                    results[i] = text
        return results

    def _generate_with_retry(
        self, batch: list[ClipRequest], cancel: threading.Event | None, inputs: Any = None
    ) -> list[str]:
        import torch

        try:
            return self._generate(batch, cancel, inputs)
        except torch.OutOfMemoryError:
            pass  # leave the except block so the failed call's tensors can be freed
        inputs = None
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
            out.extend(self._generate_with_retry(batch[i : i + smaller], cancel))
        return out

    # -- per-stage timing (benchmarks) -------------------------------------------------------

    def enable_profiling(self) -> None:
        """Time the stages of each generate call into :attr:`stage_seconds`: ``vision`` (vision tower
        and adapter), ``prefill`` (the first forward pass, vision excluded), ``generation`` (the
        rest). On CUDA each stage boundary synchronises, which costs a little: benchmarks only."""
        import torch

        if self._profiling:
            return
        self._profiling = True
        cuda = self.device.startswith("cuda")

        def now() -> float:
            if cuda:
                torch.cuda.synchronize()
            return time.perf_counter()

        marks: dict[str, float] = {}

        def vision_pre(_module: Any, _args: Any) -> None:
            marks["vision"] = now()

        def vision_post(_module: Any, _args: Any, _out: Any) -> None:
            self.stage_seconds["vision"] += now() - marks.pop("vision", time.perf_counter())

        def forward_pre(_module: Any, _args: Any, _kwargs: Any) -> None:
            marks["forward"] = now()
            marks["vision_before"] = self.stage_seconds["vision"]

        def forward_post(_module: Any, _args: Any, _kwargs: Any, _out: Any) -> None:
            elapsed = now() - marks.pop("forward", time.perf_counter())
            if self._forward_calls == 0:
                self.stage_seconds["prefill"] += elapsed - (self.stage_seconds["vision"] - marks["vision_before"])
            else:
                self.stage_seconds["generation"] += elapsed
            self._forward_calls += 1

        inner = getattr(self.model, "model", None)
        for name in ("vision_tower", "multi_modal_projector"):
            part = getattr(inner, name, None)
            if part is not None:
                part.register_forward_pre_hook(vision_pre)
                part.register_forward_hook(vision_post)
        self.model.register_forward_pre_hook(forward_pre, with_kwargs=True)
        self.model.register_forward_hook(forward_post, with_kwargs=True)

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
            # the processor turns indices back into seconds (index / fps): the real frame times
            metadata.append(VideoMetadata(**req.video_metadata()))
        with self._processor_lock:
            return self.processor(
                text=texts,
                videos=videos,
                video_metadata=metadata,
                do_sample_frames=False,
                padding=True,
                return_tensors="pt",
            )

    def _generate(self, batch: Sequence[ClipRequest], cancel: threading.Event | None, inputs: Any = None) -> list[str]:
        import torch
        from transformers import StoppingCriteriaList

        if inputs is None:
            started = time.perf_counter()
            inputs = self.build_inputs(batch)
            self.stage_seconds["preprocess"] += time.perf_counter() - started
        inputs = inputs.to(self.model.device)
        self._forward_calls = 0
        if "attention_mask" in inputs:
            self.input_tokens_total += int(inputs["attention_mask"].sum())
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
        with torch.inference_mode(), _intra_op_threads(self.threads):
            output = self.model.generate(**inputs, **kwargs)
        if cancel is not None and cancel.is_set():
            raise CancelledError()
        new_tokens = output[:, inputs["input_ids"].shape[1] :]
        self.last_generated_tokens = int((new_tokens != self.processor.tokenizer.pad_token_id).sum())
        self.generated_tokens_total += self.last_generated_tokens
        with self._processor_lock:
            texts = self.processor.batch_decode(new_tokens, skip_special_tokens=True)
        return [" ".join(t.split()) for t in texts]


@contextlib.contextmanager
def _intra_op_threads(threads: int | None) -> Iterator[None]:
    """torch's intra-op thread count set to ``threads`` for the block (the caller's thread), then restored."""
    if threads is None:
        yield
        return
    import torch

    before = torch.get_num_threads()
    if before == threads:
        yield
        return
    torch.set_num_threads(threads)
    try:
        yield
    finally:
        torch.set_num_threads(before)


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
