"""The app's audio jobs, each in its own worker thread (never the GUI thread): the waveform envelope of
each open video (:class:`Waveforms`, through the core's cache), the narration voice (:class:`Narrator`:
speak a cue, measure narration for the checks) and the described-video render (:class:`Renderer`).

Widget-free: the session owns them and the window shows what their signals say. Results cross to the GUI
thread as queued signals (emitted from the worker thread to an object living in the GUI thread).
A spoken cue is played through the playback's sound (:mod:`captioner_app.gui.sound`).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QObject, Signal

from captioner_app.core.errors import CancelledError, CaptionerError
from captioner_app.gui.threads import favour_gui_thread


def _error_line(err: BaseException) -> str:
    return str(err) if isinstance(err, CaptionerError) else f"{type(err).__name__}: {err}"


class _Threads:
    """Daemon-free worker threads that are joined on shutdown."""

    def __init__(self) -> None:
        self.threads: list[threading.Thread] = []

    def start(self, name: str, fn: Callable[[], None]) -> threading.Thread:
        favour_gui_thread()
        self.threads = [t for t in self.threads if t.is_alive()]
        thread = threading.Thread(target=fn, name=f"captioner-{name}")
        self.threads.append(thread)
        thread.start()
        return thread

    def join(self, timeout_s: float = 30.0) -> None:
        for thread in self.threads:
            thread.join(timeout_s)
        self.threads = []


# -- the waveform -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class WaveformUpdate:
    video: str
    envelope: Any  # core.media.waveform.Envelope (partial or complete), or None (no audio / failed)
    complete: bool
    error: str | None = None


class Waveforms(QObject):
    """The envelope of each video, computed (or read from the cache) in a worker thread per video.

    ``updated`` carries partial envelopes as they arrive (the visible range first when ``first`` is given)
    and then the complete one; :meth:`get` returns the latest for a video."""

    updated = Signal(object)  # WaveformUpdate

    def __init__(self, parent: QObject | None = None, cache_folder: Any = None) -> None:
        super().__init__(parent)
        self.cache_folder = cache_folder
        self.envelopes: dict[str, Any] = {}
        self.errors: dict[str, str] = {}
        self._cancels: dict[str, threading.Event] = {}
        self._threads = _Threads()
        self.updated.connect(self._store)

    def get(self, video: str | None) -> Any:
        return self.envelopes.get(video) if video else None

    def load(self, video: str, first: tuple[int, int] | None = None) -> bool:
        """Start computing ``video``'s envelope unless it is known or under way; False when nothing started."""
        if video in self._cancels or (video in self.envelopes and self.envelopes[video].complete):
            return False
        cancel = threading.Event()
        self._cancels[video] = cancel
        self._threads.start("waveform", lambda: self._work(video, first, cancel))
        return True

    def _work(self, video: str, first: tuple[int, int] | None, cancel: threading.Event) -> None:
        from captioner_app.core.analysis.waveform_cache import envelope_for

        def partial(envelope: Any) -> None:
            if not cancel.is_set():
                self.updated.emit(WaveformUpdate(video, envelope, False))

        try:
            envelope = envelope_for(video, first=first, cancel=cancel, on_partial=partial, folder=self.cache_folder)
        except CancelledError:
            return
        except Exception as err:
            self.updated.emit(WaveformUpdate(video, None, True, f"{video}: no waveform ({_error_line(err)})"))
            return
        if not cancel.is_set():
            self.updated.emit(WaveformUpdate(video, envelope, True))

    def _store(self, update: WaveformUpdate) -> None:
        if update.complete:
            self._cancels.pop(update.video, None)
        if update.error:
            self.errors[update.video] = update.error
        if update.envelope is not None:
            self.envelopes[update.video] = update.envelope

    def forget(self, video: str | None) -> None:
        if video:
            cancel = self._cancels.pop(video, None)
            if cancel is not None:
                cancel.set()
            self.envelopes.pop(video, None)

    def shutdown(self) -> None:
        for cancel in self._cancels.values():
            cancel.set()
        self._threads.join()


# -- the narration voice ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Spoken:
    """A cue spoken by the narration voice (in a worker): how long it takes, or why it failed."""

    row: int
    text: str
    available_ms: int  # the cue's length
    duration_ms: int = 0
    voice: str = ""
    wpm: int = 0
    samples: Any = None  # mono float32 (what a player or the render uses)
    sample_rate: int = 0
    error: str | None = None


@dataclass(frozen=True)
class Measured:
    """Spoken lengths (ms) of texts with one voice and rate, for the narration-too-long check."""

    voice_key: tuple[str, int]  # (the voice asked for, wpm): "" is the track language's voice
    lengths: dict[str, int]
    error: str | None = None


class Narrator(QObject):
    """The offline narration voice (eSpeak NG through the core) run in worker threads: lists the voices,
    speaks a cue to samples, and measures texts' spoken lengths for the checks.

    ``run(fn, *args)`` runs the listing and the measures: the app passes its analysis process's
    :meth:`~captioner_app.core.model.process.AnalysisProcess.run`, so that eSpeak's synthesis of every
    cue (seconds of CPU during a caption run, when each new cue is measured) runs at the child's lower
    priority, not beside the GUI thread; by default they run in the worker thread itself."""

    voicesListed = Signal(object)  # tuple[core.speech.Voice, ...] (empty when the voice cannot load)
    spoken = Signal(object)  # Spoken
    measured = Signal(object)  # Measured

    def __init__(self, parent: QObject | None = None, run: Callable[..., Any] | None = None) -> None:
        super().__init__(parent)
        self._run: Callable[..., Any] = run or (lambda fn, *args: fn(*args))
        self.voices: tuple[Any, ...] | None = None  # None until listed
        self.voice_error: str | None = None
        self.lengths: dict[tuple[str, int], dict[str, int]] = {}
        self._measuring: set[tuple[str, int]] = set()
        self._failed: set[tuple[str, int]] = set()  # not measured again (the error was reported once)
        self._threads = _Threads()
        self.voicesListed.connect(self._listed)
        self.measured.connect(self._store)

    def list_voices(self) -> None:
        def work() -> None:
            from captioner_app.core.speech.voice import Voice, list_voice_fields

            try:
                voices = tuple(Voice(*fields) for fields in self._run(list_voice_fields))
            except Exception as err:
                self.voice_error = _error_line(err)
                voices = ()
            self.voicesListed.emit(tuple(voices))

        self._threads.start("voices", work)

    def _listed(self, voices: tuple[Any, ...]) -> None:
        self.voices = voices

    @staticmethod
    def _options(voice: str, language: str | None, wpm: int) -> Any:
        from captioner_app.core.speech import VoiceOptions, voice_for_language

        return VoiceOptions(voice or voice_for_language(language), wpm)

    def speak(self, row: int, text: str, available_ms: int, voice: str, language: str | None, wpm: int) -> None:
        """Speak ``text`` to samples in a worker; ``spoken`` carries the result."""

        def work() -> None:
            from captioner_app.core.speech import speak

            try:
                narration = speak(text, self._options(voice, language, wpm))
            except Exception as err:
                self.spoken.emit(Spoken(row, text, available_ms, error=_error_line(err)))
                return
            self.spoken.emit(
                Spoken(
                    row,
                    text,
                    available_ms,
                    narration.duration_ms,
                    narration.voice,
                    narration.wpm,
                    narration.samples,
                    narration.sample_rate,
                )
            )

        self._threads.start("speak", work)

    @staticmethod
    def key(voice: str, language: str | None, wpm: int) -> tuple[str, int]:
        return (voice or f"language:{language or ''}", int(wpm))

    def length(self, voice: str, language: str | None, wpm: int, text: str) -> int | None:
        """The measured spoken length of ``text`` (ms), or None while it is not measured."""
        return self.lengths.get(self.key(voice, language, wpm), {}).get(text)

    def measure(self, texts: Sequence[str], voice: str, language: str | None, wpm: int) -> bool:
        """Measure the texts not yet measured with (voice, wpm) in a worker; False when none is missing
        or a measure is already under way (it is asked again when that one ends)."""
        key = self.key(voice, language, wpm)
        known = self.lengths.get(key, {})
        missing = sorted({t for t in texts if t.strip() and t not in known})
        if not missing or key in self._measuring or key in self._failed:
            return False
        self._measuring.add(key)

        def work() -> None:
            from captioner_app.core.speech.voice import spoken_lengths

            lengths: dict[str, int] = {}
            try:
                lengths = self._run(spoken_lengths, missing, voice, language, wpm)
            except Exception as err:
                self.measured.emit(Measured(key, lengths, _error_line(err)))
                return
            self.measured.emit(Measured(key, lengths))

        self._threads.start("measure", work)
        return True

    def _store(self, result: Measured) -> None:
        self._measuring.discard(result.voice_key)
        if result.error:
            self._failed.add(result.voice_key)
        self.lengths.setdefault(result.voice_key, {}).update(result.lengths)

    def shutdown(self) -> None:
        self._threads.join()


# -- the described-video render -----------------------------------------------------------------------


@dataclass(frozen=True)
class RenderDone:
    output: str
    ok: bool
    message: str  # one line: what was written, or why not
    cancelled: bool = False


class Renderer(QObject):
    """One described-video render at a time (``core.speech.render``) in a worker, with progress and cancel.
    The core writes atomically: a failed or cancelled render leaves no file."""

    progress = Signal(float)
    finished = Signal(object)  # RenderDone

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.cancel_event = threading.Event()
        self.running = False
        self._threads = _Threads()
        self.finished.connect(self._done)

    def start(self, video: str, track: Any, output: str, options: Any = None, track_name: str = "track") -> bool:
        if self.running:
            return False
        self.running = True
        self.cancel_event = threading.Event()
        cancel = self.cancel_event

        def work() -> None:
            from captioner_app.core.speech.render import NarrationOverrunError, render

            try:
                result = render(
                    video, track, output, options, track_name=track_name, cancel=cancel, progress=self.progress.emit
                )
            except CancelledError:
                self.finished.emit(RenderDone(output, False, f"Export cancelled; {output} not written", True))
                return
            except NarrationOverrunError as err:
                first = err.overruns[0].line() if err.overruns else ""
                self.finished.emit(RenderDone(output, False, f"{err}" + (f"; first: {first}" if first else "")))
                return
            except Exception as err:
                self.finished.emit(RenderDone(output, False, f"Export failed: {_error_line(err)}"))
                return
            extended = len(result.plan.pauses)
            self.finished.emit(
                RenderDone(
                    output,
                    True,
                    f"Exported the described video to {os.fspath(result.output)} (voice {result.voice}, "
                    f"{result.wpm} wpm"
                    + (f", {extended} extended pause{'s' if extended != 1 else ''}" if extended else "")
                    + ")",
                )
            )

        self._threads.start("render", work)
        return True

    def _done(self, done: RenderDone) -> None:
        self.running = False

    def cancel(self) -> None:
        self.cancel_event.set()

    def shutdown(self) -> None:
        self.cancel_event.set()
        self._threads.join()
