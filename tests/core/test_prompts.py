from __future__ import annotations

import pytest

from captioner_app.core.errors import UsageError
from captioner_app.core.model.prompts import video_prompt, window_prompt
from captioner_app.core.vocab import Detail


def test_levels_grow_in_words_and_tokens():
    specs = [window_prompt(level) for level in ("low", "medium", "high")]
    assert [s.target_words for s in specs] == sorted(s.target_words for s in specs)
    assert [s.max_new_tokens for s in specs] == [48, 96, 200]
    assert [video_prompt(level).max_new_tokens for level in Detail.levels()] == [128, 320, 1024]
    assert "scene-by-scene" in video_prompt("high").text


def test_prompts_ask_for_audio_description_style():
    text = window_prompt("medium").text
    assert "present tense" in text and "we see" in text and "at most 30 words" in text


def test_word_budget_lowers_the_words_asked_for_but_never_cuts_the_answer():
    spec = window_prompt("high", word_budget=7)
    assert "at most 7 words" in spec.text and spec.target_words == 7
    assert spec.max_new_tokens == window_prompt("high").max_new_tokens
    assert window_prompt("low", word_budget=500).target_words == 12


def test_unknown_level():
    with pytest.raises(UsageError, match="unknown detail level 'extreme'"):
        window_prompt("extreme")
    assert Detail.parse(" HIGH ") is Detail.HIGH
