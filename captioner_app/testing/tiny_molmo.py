"""A tiny, randomly initialised Molmo2 built with transformers' own classes, saved like a hub folder.

Its words are gibberish; everything else (config, safetensors, tokenizer with Molmo2's special
tokens, image and video processors, chat template) is the real thing, so the code that loads
``allenai/Molmo2-4B`` loads it too. ``full_size_config`` gives the Molmo2-4B shapes for timing
with random weights.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

SPECIAL_TOKENS = [
    "<|endoftext|>",
    "<|im_start|>",
    "<|im_end|>",
    "<im_start>",
    "<im_end>",
    "<im_patch>",
    "<im_col>",
    "<low_res_im_start>",
    "<frame_start>",
    "<frame_end>",
    "<im_low>",
    "<|image|>",
    "<|video|>",
    "<|pad|>",
]

CHAT_TEMPLATE = (
    "{%- for message in messages -%}"
    "{%- if message['role'] == 'user' -%}{{ '<|im_start|>user\\n' }}"
    "{%- if message['content'] is string -%}{{ message['content'] }}{%- else -%}"
    "{%- for item in message['content'] -%}"
    "{%- if item['type'] == 'image' -%}{{ '<|image|>' }}{%- elif item['type'] == 'video' -%}{{ '<|video|>' }}"
    "{%- elif item['type'] == 'text' -%}{{ item['text'] }}{%- endif -%}"
    "{%- endfor -%}{%- endif -%}{{ '<|im_end|>\\n' }}"
    "{%- elif message['role'] == 'assistant' -%}{{ '<|im_start|>assistant\\n' }}"
    "{%- if message['content'] is string -%}{{ message['content'] }}{%- else -%}"
    "{%- for item in message['content'] -%}{{ item['text'] }}{%- endfor -%}{%- endif -%}"
    "{{ '<|im_end|>\\n' }}{%- endif -%}{%- endfor -%}"
    "{%- if add_generation_prompt -%}{{ '<|im_start|>assistant\\n' }}{%- endif -%}"
)

_CORPUS = (
    "A woman in a red coat walks across the busy street and waves at a taxi. "
    "The man opens the wooden door and steps into a dim kitchen. Rain falls on the window. "
    "Two children run along the beach at sunset, a dog chasing them. A sign reads OPEN. "
    "She picks up the letter, reads it and smiles. The car drives away down a narrow road. "
    "Inside the office, people sit at desks with computers. A bird lands on the fence. "
)


def build_tokenizer(vocab_size: int = 600) -> Any:
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size, initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False
    )
    tok.train_from_iterator([_CORPUS] * 20, trainer)
    tok.add_special_tokens(SPECIAL_TOKENS)
    return PreTrainedTokenizerFast(
        tokenizer_object=tok,
        bos_token="<|endoftext|>",
        eos_token="<|im_end|>",
        pad_token="<|pad|>",
        extra_special_tokens={"image_token": "<|image|>", "video_token": "<|video|>"},
    )


def _config(
    tokenizer: Any, text: dict[str, Any], vision: dict[str, Any], adapter: dict[str, Any], vocab_size: int | None = None
) -> Any:
    from transformers import Molmo2Config

    ids = {t: tokenizer.convert_tokens_to_ids(t) for t in SPECIAL_TOKENS}
    base = min(ids.values())
    text = dict(text)
    text.setdefault("vocab_size", vocab_size or base)
    text.setdefault("additional_vocab_size", len(tokenizer) - base + 2)
    # the adapter's attention pools the vision encoder's features: its shape is the encoder's, its
    # output the decoder's width
    attention = ("hidden_size", "num_attention_heads", "num_key_value_heads", "head_dim")
    adapter = {**{key: vision[key] for key in attention}, "text_hidden_size": text["hidden_size"], **adapter}
    return Molmo2Config(
        vision_config=vision,
        adapter_config=adapter,
        text_config=text,
        image_start_token_id=ids["<im_start>"],
        low_res_image_start_token_id=ids["<low_res_im_start>"],
        image_end_token_id=ids["<im_end>"],
        image_patch_id=ids["<im_patch>"],
        frame_start_token_id=ids["<frame_start>"],
        frame_end_token_id=ids["<frame_end>"],
    )


def tiny_config(tokenizer: Any) -> Any:
    return _config(
        tokenizer,
        text=dict(
            hidden_size=64,
            num_attention_heads=2,
            num_key_value_heads=1,
            head_dim=32,
            num_hidden_layers=2,
            intermediate_size=128,
            max_position_embeddings=8192,
        ),
        vision=dict(
            hidden_size=32,
            intermediate_size=64,
            num_hidden_layers=2,
            num_attention_heads=2,
            num_key_value_heads=2,
            head_dim=16,
            image_size=[28, 28],
            patch_size=14,
        ),
        adapter=dict(vision_feature_layer=[-1, -2], intermediate_size=64),
    )


def full_size_config(tokenizer: Any) -> Any:
    """Molmo2-4B's shapes: a Qwen3-4B decoder, a SigLIP2-so400m encoder at 378 px, 3x3 video pooling."""
    return _config(
        tokenizer,
        text=dict(
            hidden_size=2560,
            num_attention_heads=32,
            num_key_value_heads=8,
            head_dim=128,
            num_hidden_layers=36,
            intermediate_size=9728,
            max_position_embeddings=36864,
            additional_vocab_size=128,
            rope_parameters={"rope_type": "default", "rope_theta": 1_000_000.0},
        ),
        vision=dict(
            hidden_size=1152,
            intermediate_size=4304,
            num_hidden_layers=25,
            num_attention_heads=16,
            num_key_value_heads=16,
            head_dim=72,
            image_size=[378, 378],
            patch_size=14,
        ),
        adapter=dict(vision_feature_layer=[-3, -9], intermediate_size=9728),
        vocab_size=151936,
    )


def build_processor(tokenizer: Any, size: int = 28) -> Any:
    from transformers import Molmo2ImageProcessor, Molmo2Processor, Molmo2VideoProcessor

    return Molmo2Processor(
        image_processor=Molmo2ImageProcessor(
            size={"height": size, "width": size},
            max_crops=1,
            overlap_margins=[1, 1],
            patch_size=14,
            pooling_size=[2, 2],
        ),
        video_processor=Molmo2VideoProcessor(
            size={"height": size, "width": size}, patch_size=14, pooling_size=[3, 3], num_frames=384, max_fps=2
        ),
        tokenizer=tokenizer,
        chat_template=CHAT_TEMPLATE,
    )


def build_tiny_model(folder: str | Path, seed: int = 0) -> Path:
    """Save a tiny random Molmo2 (about 0.2 M parameters) as a model folder and return its path."""
    import torch
    from transformers import Molmo2ForConditionalGeneration

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    tokenizer = build_tokenizer()
    config = tiny_config(tokenizer)
    torch.manual_seed(seed)
    model = Molmo2ForConditionalGeneration(config).eval()
    # Random weights would often stop at once or emit bare bytes: keep the gibberish to whole
    # corpus pieces and a few words long, through the generation config a real folder also has.
    byte_ids = [i for i in range(256)]
    specials = [tokenizer.convert_tokens_to_ids(t) for t in SPECIAL_TOKENS if t != "<|im_end|>"]
    model.generation_config.suppress_tokens = byte_ids + specials
    model.generation_config.min_new_tokens = 3
    model.generation_config.eos_token_id = tokenizer.eos_token_id
    model.generation_config.pad_token_id = tokenizer.pad_token_id
    model.save_pretrained(folder, safe_serialization=True)
    build_processor(tokenizer).save_pretrained(folder)
    return folder
