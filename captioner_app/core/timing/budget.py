"""The narration budget: how many words fit in a cue when spoken at a description rate."""

from __future__ import annotations

import math

from captioner_app.core.vocab import Detail

DEFAULT_WPM = 180.0  # measured filmic AD averages about 179 words per minute
MAX_WPM = 200.0  # above this, narration is too fast to follow

# --detail auto: the richest level whose usual length fits the budget (see prompts.py)
_AUTO_LEVELS = ((70, Detail.HIGH), (30, Detail.MEDIUM))


def budget_words(duration_ms: int, wpm: float = DEFAULT_WPM) -> int:
    """Words that fit in ``duration_ms`` at ``wpm`` words per minute (rounded down)."""
    if wpm <= 0:
        raise ValueError("the narration rate must be positive")
    return max(0, math.floor(duration_ms / 60_000.0 * wpm + 1e-9))


def word_count(text: str) -> int:
    return len(text.split())


def fits(text: str, duration_ms: int, wpm: float = DEFAULT_WPM) -> bool:
    return word_count(text) <= budget_words(duration_ms, wpm)


def detail_for_budget(words: int) -> Detail:
    """The detail level ``--detail auto`` picks for a cue allowed ``words`` words."""
    for least, level in _AUTO_LEVELS:
        if words >= least:
            return level
    return Detail.LOW
