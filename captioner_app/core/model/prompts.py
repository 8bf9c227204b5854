"""Detail levels: the prompt text and token budget for a window and for a whole video.

=========  =============================================  ====================================================
level      one window (a cue)                             a whole video (``captioner describe``)
=========  =============================================  ====================================================
low        one short sentence, about 12 words (48 tok)    a brief summary, two or three sentences (128 tok)
medium     one or two sentences, about 30 words (96 tok)  a paragraph (320 tok)
high       a detailed paragraph, about 70 words (200 tok) a comprehensive scene-by-scene breakdown (1024 tok)
=========  =============================================  ====================================================

Window prompts follow audio-description style: present tense, third person, what can be seen, no
"we see" or "the camera", on-screen text read out.
"""

from __future__ import annotations

from dataclasses import dataclass

from captioner_app.core.vocab import Detail


@dataclass(frozen=True)
class PromptSpec:
    text: str
    max_new_tokens: int
    target_words: int


_STYLE = (
    "Write audio description for a blind viewer: present tense, third person, active voice. "
    "Describe only what can be seen: people, actions, setting, on-screen text (read it verbatim). "
    "Do not say 'we see', 'we hear' or 'the camera', do not describe sounds, do not guess motives."
)

_WINDOW = {
    Detail.LOW: ("Describe this video clip in one short sentence of at most {words} words.", 12, 48),
    Detail.MEDIUM: ("Describe this video clip in one or two sentences, at most {words} words.", 30, 96),
    Detail.HIGH: ("Describe this video clip in a detailed paragraph of at most {words} words.", 70, 200),
}

_VIDEO = {
    Detail.LOW: ("Give a brief summary of this video in two or three sentences.", 50, 128),
    Detail.MEDIUM: ("Describe this video in one paragraph: the setting, the people and what happens.", 120, 320),
    Detail.HIGH: (
        "Give a comprehensive scene-by-scene breakdown of this video: for each scene, its time, the "
        "setting, the people and objects, the actions and any on-screen text.",
        400,
        1024,
    ),
}


def window_prompt(detail: Detail | str, word_budget: int | None = None) -> PromptSpec:
    """The prompt for one window; ``word_budget`` (from the narration budget) caps the words asked for.

    The token cap stays the detail level's: a model that writes more than it was asked for is
    flagged by the checks, never cut off mid-sentence.
    """
    level = Detail.parse_level(detail)
    template, words, tokens = _WINDOW[level]
    if word_budget is not None:
        words = max(1, min(words, word_budget))
    return PromptSpec(f"{_STYLE} {template.format(words=words)}", tokens, words)


def video_prompt(detail: Detail | str) -> PromptSpec:
    """The prompt for a whole video, as the hosted service offers it."""
    level = Detail.parse_level(detail)
    text, words, tokens = _VIDEO[level]
    return PromptSpec(f"{_STYLE} {text}", tokens, words)
