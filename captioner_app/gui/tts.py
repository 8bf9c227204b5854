"""Text-to-speech preview of a cue, through Qt's QtTextToSpeech where the platform offers it.

QtTextToSpeech ships in PySide6-Addons, not in PySide6-Essentials (which the app depends on), and
it needs a speech engine on the system (speech-dispatcher on Linux, SAPI/WinRT on Windows, AVSpeech
on macOS). :func:`availability` says which is missing, in one line the app shows the user.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QObject, Signal

INSTALL_HINT = "install PySide6-Addons of the same version as PySide6 (pip install 'PySide6-Addons==6.11.3')"


class Speaker(QObject):
    """Speaks text with the first working QtTextToSpeech engine, or says why it cannot."""

    stateChanged = Signal(str)  # "speaking", "ready", "error"

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._tts: Any = None
        self.reason: str | None = None  # why there is no speech, or None when it works
        try:
            from PySide6 import QtTextToSpeech
        except ImportError:
            self.reason = ("text-to-speech preview needs Qt's QtTextToSpeech module, which is not installed: "
                           + INSTALL_HINT)
            return
        engines = list(QtTextToSpeech.QTextToSpeech.availableEngines())
        if not engines:
            self.reason = ("text-to-speech preview: Qt found no speech engine on this system "
                           "(on Linux, install speech-dispatcher)")
            return
        tts = QtTextToSpeech.QTextToSpeech(self)
        if tts.state() == QtTextToSpeech.QTextToSpeech.State.Error:
            self.reason = f"text-to-speech preview: the speech engine failed ({tts.errorString() or 'no reason given'})"
            return
        self._tts = tts
        tts.stateChanged.connect(self._state)

    @property
    def available(self) -> bool:
        return self._tts is not None

    def _state(self, state: Any) -> None:
        name = getattr(state, "name", str(state)).lower()
        self.stateChanged.emit({"speaking": "speaking", "ready": "ready"}.get(name, name))

    def say(self, text: str) -> bool:
        """Start speaking ``text`` (stopping what was being said); False when speech is unavailable."""
        if self._tts is None:
            return False
        self._tts.stop()
        self._tts.say(text)
        return True

    def stop(self) -> None:
        if self._tts is not None:
            self._tts.stop()

    def state(self) -> str:
        if self._tts is None:
            return "unavailable"
        return str(getattr(self._tts.state(), "name", self._tts.state())).lower()
