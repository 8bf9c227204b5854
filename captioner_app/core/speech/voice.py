"""The narration voice: eSpeak NG, rendered to samples, offline, on Linux, Windows and macOS.

Why eSpeak NG through ``espeakng-loader``: that PyPI package ships ``libespeak-ng`` and its voice data
inside wheels for Linux x86-64, Windows (x64, ARM64) and macOS (Intel, Apple silicon), so
``pip install -e .`` brings a working voice with nothing to fetch later and no system package. It
speaks about a hundred languages, its rate parameter *is* words per minute, and it renders into a
callback, so preview and render hear the same samples. The alternatives were weighed: pyttsx3 speaks
through each platform's own engine (SAPI, NSSpeechSynthesizer, and on Linux a system eSpeak it does
not ship), renders to a file only in a platform-dependent format and not at all reliably off the main
thread; Piper sounds better but needs a voice model fetched from the network first.

On a platform without the wheel (Linux on ARM) a system ``libespeak-ng`` (``apt-get install
espeak-ng``) is used instead. The library keeps global state, so every call goes through one lock.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import astuple, dataclass
from typing import TYPE_CHECKING, Any

from captioner_app.core.errors import CancelledError, ModelError, UsageError
from captioner_app.core.timing import budget

if TYPE_CHECKING:
    import numpy as np

DEFAULT_WPM = int(budget.DEFAULT_WPM)  # 180: measured filmic audio description averages about 179
MIN_WPM = 80  # eSpeak NG's range
MAX_WPM = 450
DEFAULT_VOICE = "en"

# speak_lib.h
_AUDIO_OUTPUT_SYNCHRONOUS = 2
_POS_CHARACTER = 1
_CHARS_UTF8 = 1
_RATE = 1
_VOLUME = 2
_EE_OK = 0
# eSpeak NG's rate N speaks plain English prose at about 1.12 N words per minute (pauses included,
# measured from 100 to 300): the rate we ask for is scaled so that --wpm 180 sounds like 180
_RATE_FACTOR = 0.89
_SILENCE = 1e-3  # |sample| below this at either end is trimmed


class VoiceError(ModelError):
    """The narration voice cannot be loaded or cannot speak (exit code 4, like a missing model)."""


@dataclass(frozen=True)
class Voice:
    """One voice: ``id`` is what ``--voice`` takes (a language code such as ``en``, ``en-us``, ``fr``)."""

    id: str
    name: str
    language: str
    gender: str  # "male", "female" or "" when unspecified
    identifier: str  # eSpeak's own file name for it, e.g. ``gmw/en-US``
    aliases: tuple[str, ...] = ()  # other language codes it answers to (``en`` for ``en-gb``)


@dataclass(frozen=True, eq=False)
class Narration:
    """Spoken text: mono float32 ``samples`` in [-1, 1] at ``sample_rate``, silence trimmed at both ends."""

    text: str
    voice: str
    wpm: int
    samples: np.ndarray
    sample_rate: int

    @property
    def duration_ms(self) -> int:
        return int(round(len(self.samples) * 1000 / self.sample_rate))


@dataclass(frozen=True)
class VoiceOptions:
    voice: str = DEFAULT_VOICE
    wpm: int = DEFAULT_WPM

    def validate(self) -> None:
        if not MIN_WPM <= self.wpm <= MAX_WPM:
            raise UsageError(f"--wpm {self.wpm} is outside the narration voice's range {MIN_WPM}-{MAX_WPM}")


class _EspeakVoice(ctypes.Structure):
    _fields_ = [
        ("name", ctypes.c_char_p),
        ("languages", ctypes.c_void_p),  # (priority byte, language string)*, then a zero byte
        ("identifier", ctypes.c_char_p),
        ("gender", ctypes.c_ubyte),
        ("age", ctypes.c_ubyte),
        ("variant", ctypes.c_ubyte),
        ("xx1", ctypes.c_ubyte),
        ("score", ctypes.c_int),
        ("spare", ctypes.c_void_p),
    ]


_CALLBACK = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int, ctypes.c_void_p)


class Espeak:
    """The loaded eSpeak NG library (one per process: :func:`engine`)."""

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self.library_path, data_path = _locate()
        try:
            lib = ctypes.CDLL(self.library_path)
        except OSError as err:
            raise VoiceError(f"the narration voice library {self.library_path} cannot be loaded ({err})") from None
        lib.espeak_Initialize.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_char_p, ctypes.c_int]
        lib.espeak_Initialize.restype = ctypes.c_int
        lib.espeak_SetSynthCallback.argtypes = [_CALLBACK]
        lib.espeak_SetSynthCallback.restype = None
        lib.espeak_SetVoiceByName.argtypes = [ctypes.c_char_p]
        lib.espeak_SetVoiceByName.restype = ctypes.c_int
        lib.espeak_SetParameter.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_int]
        lib.espeak_SetParameter.restype = ctypes.c_int
        lib.espeak_Synth.argtypes = [
            ctypes.c_void_p,
            ctypes.c_size_t,
            ctypes.c_uint,
            ctypes.c_int,
            ctypes.c_uint,
            ctypes.c_uint,
            ctypes.c_void_p,
            ctypes.c_void_p,
        ]
        lib.espeak_Synth.restype = ctypes.c_int
        lib.espeak_ListVoices.argtypes = [ctypes.c_void_p]
        lib.espeak_ListVoices.restype = ctypes.POINTER(ctypes.POINTER(_EspeakVoice))
        rate = lib.espeak_Initialize(_AUDIO_OUTPUT_SYNCHRONOUS, 200, data_path.encode() if data_path else None, 0)
        if rate <= 0:
            raise VoiceError(
                f"the narration voice cannot start: eSpeak NG found no voice data"
                f" ({data_path or 'system default folder'})"
            )
        self.sample_rate = int(rate)
        self._lib = lib
        self._chunks: list[bytes] = []
        self._cancel: threading.Event | None = None
        self._callback = _CALLBACK(self._collect)  # kept referenced: the library holds on to it
        lib.espeak_SetSynthCallback(self._callback)
        self._voices: tuple[Voice, ...] | None = None
        self._aliases: dict[str, list[tuple[int, str]]] = {}  # language code -> (priority, voice id)
        self._current: tuple[str, int] | None = None

    def _collect(self, wav: Any, count: int, events: Any) -> int:
        if count > 0 and wav:
            self._chunks.append(ctypes.string_at(wav, count * 2))
        return 1 if self._cancel is not None and self._cancel.is_set() else 0

    def voices(self) -> tuple[Voice, ...]:
        with self._lock:
            if self._voices is None:
                self._voices = tuple(sorted(self._list(), key=lambda v: v.id))
            return self._voices

    def _list(self) -> list[Voice]:
        found: dict[str, Voice] = {}
        array = self._lib.espeak_ListVoices(None)
        i = 0
        while array[i]:
            v = array[i].contents
            i += 1
            identifier = (v.identifier or b"").decode("utf-8", "replace")
            if identifier.startswith("mb/") or not v.languages:  # MBROLA voices need another program
                continue
            ranked = _languages(v.languages)
            languages = [code for _, code in ranked]
            if not languages or languages[0] in found:
                continue
            for priority, code in ranked[1:]:
                self._aliases.setdefault(code, []).append((priority, languages[0]))
            gender = {1: "male", 2: "female"}.get(v.gender, "")
            found[languages[0]] = Voice(
                languages[0],
                (v.name or b"").decode("utf-8", "replace"),
                languages[0],
                gender,
                identifier,
                tuple(languages[1:]),
            )
        return list(found.values())

    def find(self, name: str) -> Voice:
        """The voice whose id, eSpeak identifier or name is ``name`` (any case), else a UsageError."""
        key = name.strip().lower().replace("_", "-")
        voices = self.voices()
        for voice in voices:
            if key in (voice.id, voice.identifier.lower(), voice.name.lower()):
                return voice
        ranked = sorted(self._aliases.get(key, []))
        if ranked:
            return next(v for v in voices if v.id == ranked[0][1])
        base = key.split("-")[0]
        near = [v.id for v in voices if v.id.split("-")[0] == base] or [v.id for v in voices[:8]]
        raise UsageError(f"no narration voice {name!r}: try {', '.join(near[:8])} (captioner voices lists all)")

    def speak(self, text: str, voice: Voice, wpm: int, cancel: threading.Event | None = None) -> np.ndarray:
        import numpy as np

        with self._lock:
            if self._current != (voice.identifier, wpm):
                if self._lib.espeak_SetVoiceByName(voice.identifier.encode()) != _EE_OK:
                    raise VoiceError(f"the narration voice {voice.id!r} cannot be loaded")
                self._lib.espeak_SetParameter(_RATE, max(MIN_WPM, int(round(wpm * _RATE_FACTOR))), 0)
                self._lib.espeak_SetParameter(_VOLUME, 100, 0)
                self._current = (voice.identifier, wpm)
            data = text.encode("utf-8") + b"\0"
            self._chunks = []
            self._cancel = cancel
            try:
                result = self._lib.espeak_Synth(data, len(data), 0, _POS_CHARACTER, 0, _CHARS_UTF8, None, None)
            finally:
                self._cancel = None
            if cancel is not None and cancel.is_set():
                raise CancelledError()
            if result != _EE_OK:
                raise VoiceError(f"the narration voice failed to speak (eSpeak NG error {result})")
            raw = b"".join(self._chunks)
            self._chunks = []
        return np.frombuffer(raw, dtype="<i2").astype(np.float32) / 32768.0


def _languages(address: int) -> list[tuple[int, str]]:
    """eSpeak's language list: (priority byte, NUL-terminated code) pairs ending with a zero byte;
    a lower priority is a better match."""
    out: list[tuple[int, str]] = []
    while (head := ctypes.string_at(address, 1)) != b"\0":
        code = ctypes.string_at(address + 1)
        out.append((head[0], code.decode("utf-8", "replace").lower()))
        address += 1 + len(code) + 1
    return out


def _locate() -> tuple[str, str | None]:
    """The eSpeak NG library and data folder: the wheel's, else the system's."""
    try:
        import espeakng_loader

        path = espeakng_loader.get_library_path()
        data = espeakng_loader.get_data_path()
        import os

        if os.path.exists(path):
            return path, data
    except (ImportError, RuntimeError):
        pass
    found = ctypes.util.find_library("espeak-ng")
    if not found:
        raise VoiceError(
            "no narration voice: the espeakng-loader wheel is not installed for this platform and "
            "no system eSpeak NG was found (install espeak-ng, e.g. apt-get install espeak-ng)"
        )
    return found, None


_engine: Espeak | None = None
_engine_lock = threading.Lock()
_cache: OrderedDict[tuple[str, str, int], Narration] = OrderedDict()
_CACHE_SIZE = 512


def engine() -> Espeak:
    """The process's eSpeak NG, loaded on first use (VoiceError when it cannot be)."""
    global _engine
    with _engine_lock:
        if _engine is None:
            _engine = Espeak()
        return _engine


def list_voices() -> tuple[Voice, ...]:
    """Every voice, sorted by id."""
    return engine().voices()


def list_voice_fields() -> tuple[tuple[Any, ...], ...]:
    """:func:`list_voices` as plain tuples (``Voice(*fields)`` rebuilds each): what another process
    sends back, so that reading the answer imports nothing in the receiving thread."""
    return tuple(astuple(v) for v in list_voices())


def find_voice(name: str) -> Voice:
    return engine().find(name)


def voice_for_language(language: str | None) -> str:
    """The voice id for a track's language (``en``, ``fr-CA``), falling back to its base language, then
    to English."""
    if language:
        key = language.strip().lower().replace("_", "-")
        for candidate in (key, key.split("-")[0]):
            try:
                return find_voice(candidate).id
            except UsageError:
                continue
    return DEFAULT_VOICE


def speak(text: str, options: VoiceOptions | None = None, cancel: threading.Event | None = None) -> Narration:
    """``text`` spoken by the narration voice. Results are cached by (text, voice, rate)."""
    options = options or VoiceOptions()
    options.validate()
    eng = engine()
    voice = eng.find(options.voice)
    key = (text, voice.id, int(options.wpm))
    with _engine_lock:
        hit = _cache.get(key)
        if hit is not None:
            _cache.move_to_end(key)
            return hit
    samples = _trim(eng.speak(text, voice, int(options.wpm), cancel)) if text.strip() else _empty()
    narration = Narration(text, voice.id, int(options.wpm), samples, eng.sample_rate)
    with _engine_lock:
        _cache[key] = narration
        while len(_cache) > _CACHE_SIZE:
            _cache.popitem(last=False)
    return narration


def spoken_lengths(texts: Sequence[str], voice: str, language: str | None, wpm: int) -> dict[str, int]:
    """The spoken length (ms) of each of ``texts`` with ``voice`` (a voice id; "" for ``language``'s
    voice) at ``wpm``: what the app's narration check asks its analysis process for."""
    options = VoiceOptions(voice or voice_for_language(language), wpm)
    return {text: speak(text, options).duration_ms for text in texts}


def spoken_ms(options: VoiceOptions | None = None) -> Callable[[str], int]:
    """A function giving the spoken length (ms) of a text with ``options``: what the narration checks use."""
    options = options or VoiceOptions()
    return lambda text: speak(text, options).duration_ms


def _empty() -> np.ndarray:
    import numpy as np

    return np.zeros(0, dtype=np.float32)


def _trim(samples: np.ndarray) -> np.ndarray:
    import numpy as np

    loud = np.flatnonzero(np.abs(samples) > _SILENCE)
    if len(loud) == 0:
        return _empty()
    return np.ascontiguousarray(samples[loud[0] : loud[-1] + 1])
