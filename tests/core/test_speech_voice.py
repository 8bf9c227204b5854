"""The narration voice (eSpeak NG from the espeakng-loader wheel): voices, rate, samples, errors."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from captioner_app.core.analysis.speech import detect_speech
from captioner_app.core.errors import CancelledError, UsageError
from captioner_app.core.speech import VoiceOptions, find_voice, list_voices, speak, spoken_ms, voice_for_language
from captioner_app.core.speech.mix import _resample

TEXT = (
    "A woman in a long grey coat walks along the harbour wall, stops beside a fishing boat and "
    "looks out at the lighthouse while gulls circle above the water."
)


def test_voices_are_listed_and_found_by_code_or_name():
    voices = list_voices()
    ids = {v.id for v in voices}
    assert {"en-gb", "en-us", "fr-fr", "de"} <= ids
    assert len(voices) > 50
    assert find_voice("EN_us").id == "en-us"
    assert find_voice("English (America)").id == "en-us"
    assert find_voice("en").id == "en-gb"  # eSpeak's preferred voice for plain "en"
    assert voice_for_language("fr-CA") == "fr-fr"
    assert voice_for_language("xx") == "en"


def test_unknown_voice_is_a_usage_error_naming_it():
    with pytest.raises(UsageError, match=r"no narration voice 'elvish'"):
        speak("hello", VoiceOptions("elvish"))
    with pytest.raises(UsageError, match="en-gb"):  # suggests neighbours
        find_voice("en-zz")


def test_rate_is_words_per_minute():
    words = len(TEXT.split())
    measured = {}
    for wpm in (140, 180, 240):
        narration = speak(TEXT, VoiceOptions("en", wpm))
        measured[wpm] = words / (narration.duration_ms / 60_000)
    for wpm, actual in measured.items():
        assert 0.85 * wpm <= actual <= 1.15 * wpm, measured
    assert measured[140] < measured[180] < measured[240]


def test_renders_speech_samples_not_to_a_device():
    narration = speak("The door opens slowly.", VoiceOptions("en-us"))
    assert narration.samples.dtype == np.float32 and narration.samples.ndim == 1
    assert narration.sample_rate == 22050
    assert 0.5 < float(np.max(np.abs(narration.samples))) <= 1.0
    assert abs(narration.samples[0]) > 1e-3 and abs(narration.samples[-1]) > 1e-3  # silence trimmed
    speech = detect_speech(_resample(narration.samples, narration.sample_rate, 16000), 16000)
    assert speech and sum(s.duration_ms for s in speech) > 0.6 * narration.duration_ms
    assert speak("The door opens slowly.", VoiceOptions("en-us")) is narration  # cached


def test_other_languages_speak():
    assert speak("Une femme ouvre la porte.", VoiceOptions("fr")).duration_ms > 800


def test_bad_rate_and_cancel():
    with pytest.raises(UsageError, match="--wpm 20"):
        speak("x", VoiceOptions("en", 20))
    cancel = threading.Event()
    cancel.set()
    with pytest.raises(CancelledError):
        speak("A text never spoken before, cancelled at once.", VoiceOptions("en"), cancel)
    assert speak("", VoiceOptions("en")).duration_ms == 0


def test_spoken_ms_measures_with_the_options():
    slow, fast = spoken_ms(VoiceOptions("en", 120)), spoken_ms(VoiceOptions("en", 300))
    assert slow(TEXT) > 2 * fast(TEXT)


def test_the_app_setting_keeps_the_chosen_voice():
    from captioner_app.gui.preferences import Settings

    assert Settings().narration_voice == ""  # the track's language
    assert Settings.from_dict({"narration_voice": "fr-fr"}).narration_voice == "fr-fr"
    assert Settings.from_dict({"narration_voice": 3}).narration_voice == ""
