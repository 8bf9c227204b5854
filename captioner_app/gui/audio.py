"""The app's audio jobs, each in its own worker thread (never the GUI thread): the waveform envelope of
each open video (:class:`Waveforms`, through the core's cache), the narration voice (:class:`Narrator`:
speak a cue, measure narration for the checks) and the described-video render (:class:`Renderer`).

Widget-free: the session owns them and the window shows what their signals say. Results cross to the GUI
thread as queued signals (emitted from the worker thread to an object living in the GUI thread).
Playing samples needs an audio output: QtMultimedia ships in PySide6-Addons, which the app does not
depend on, so a spoken cue is measured and reported, and :attr:`Narrator.output_reason` says why it is
not heard.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QObject, Signal

from captioner_app.core.errors import CancelledError, CaptionerError


def _error_line(err: BaseException) -> str:
    return str(err) if isinstance(err, CaptionerError) else f"{type(err).__name__}: {err}"


class _Threads:
    """Daemon-free worker threads that are joined on shutdown."""

    def __init__(self) -> None:
        self.threads: list[threading.Thread] = []

    def start(self, name: str, fn: Callable[[], None]) -> threading.Thread:
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
            envelope = envelope_for(video, first=first, cancel=cancel, on_partial=partial,
                                    folder=self.cache_folder)
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
