"""Narration: the offline voice (:mod:`.voice`), the ducking mix (:mod:`.mix`) and the described-audio
render (:mod:`.render`). No Qt here; the app's preview uses the same voice and mixer as the render.

Typical use::

    from captioner_app.core.speech import VoiceOptions, speak, list_voices
    narration = speak("A door opens.", VoiceOptions(voice="en", wpm=180))
    narration.samples, narration.sample_rate, narration.duration_ms

May import: core.tracks, core.analysis, core.timing, core.media and the base modules (never core.model or
core.pipeline).
"""

from captioner_app.core.speech.mix import (
    DEFAULT_DUCK_DB,
    Mixer,
    MixOptions,
    NarrationPlan,
    Pause,
    Placement,
    mix,
    plan_narration,
)
from captioner_app.core.speech.voice import (
    DEFAULT_VOICE,
    DEFAULT_WPM,
    Narration,
    Voice,
    VoiceError,
    VoiceOptions,
    find_voice,
    list_voices,
    speak,
    spoken_ms,
    voice_for_language,
)

__all__ = [
    "DEFAULT_DUCK_DB",
    "DEFAULT_VOICE",
    "DEFAULT_WPM",
    "MixOptions",
    "Mixer",
    "Narration",
    "NarrationPlan",
    "Pause",
    "Placement",
    "Voice",
    "VoiceError",
    "VoiceOptions",
    "find_voice",
    "list_voices",
    "mix",
    "plan_narration",
    "speak",
    "spoken_ms",
    "voice_for_language",
]
