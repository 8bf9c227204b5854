"""The session's narration voice: which voice and rate, speaking the selected cue (and saying whether it
fits), and the spoken lengths the narration-too-long check uses. Creates no widgets.

The voice itself runs in :class:`~captioner_app.gui.audio.Narrator` (synthesis in worker threads, measures
in the analysis process); this part holds the session's rules around it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from PySide6.QtCore import QObject, Signal

from captioner_app.core.tracks.track import Track
from captioner_app.gui.audio import Measured, Narrator, Spoken
from captioner_app.gui.context import SessionContext


class Narration(QObject):
    measured = Signal()  # new spoken lengths for the narration-too-long check
    spoken = Signal(object)  # gui.audio.Spoken: a cue was spoken (or could not be)

    def __init__(
        self, session: SessionContext, play: Callable[[object, int], str | None], parent: QObject | None = None
    ) -> None:
        super().__init__(parent)
        self.session = session
        self.play = play  # plays spoken samples (numpy array, sample rate); the reason when it cannot
        self.narrator = Narrator(self, session.pool.analysis.run_in_process)
        self.narrator.spoken.connect(self._spoken)
        self.narrator.measured.connect(self._measured)
        self.narrator.list_voices()

    @property
    def wpm(self) -> int:
        from captioner_app.core.speech.voice import MAX_WPM, MIN_WPM

        return max(MIN_WPM, min(MAX_WPM, round(self.session.settings.narration_wpm)))

    def set_voice(self, voice: str) -> None:
        """The narration voice (a core.speech voice id; "" for the track language's voice), kept in settings."""
        self.session.settings.narration_voice = voice
        self.session.status.emit(f"Narration voice: {voice or 'the track language’s voice'}")
        self.measured.emit()  # the checks measure with the new voice

    def speak_cue(self, rows: Sequence[int]) -> bool:
        """Speak the first of ``rows`` with the narration voice in a worker; :meth:`_spoken` says how long
        it takes against the cue (and plays it where there is an audio output)."""
        s = self.session
        doc = s.doc
        if doc is None or not rows:
            s.report("select a cue to hear it", "Cannot speak")
            return False
        cue = doc.model.track[rows[0]]
        if not cue.text.strip():
            s.report(f"cue {rows[0] + 1} has no text to speak", "Cannot speak")
            return False
        s.status.emit(f"Speaking cue {rows[0] + 1}…")
        voice, language = s.settings.narration_voice, doc.model.track.language
        self.narrator.speak(rows[0], cue.text, cue.duration_ms, voice, language, self.wpm)
        return True

    def _spoken(self, spoken: Spoken) -> None:
        self.spoken.emit(spoken)
        if spoken.error:
            self.session.note(f"cue {spoken.row + 1} cannot be spoken: {spoken.error}")
            return
        fit = (
            f"{(spoken.duration_ms - spoken.available_ms) / 1000:.1f} s too long"
            if spoken.duration_ms > spoken.available_ms
            else "fits"
        )
        line = (
            f"Cue {spoken.row + 1}: narration takes {spoken.duration_ms / 1000:.1f} s with voice {spoken.voice} "
            f"at {spoken.wpm} wpm, the cue lasts {spoken.available_ms / 1000:.1f} s ({fit})"
        )
        reason = self.play(spoken.samples, spoken.sample_rate)
        self.session.note(f"{line}; not heard: {reason}" if reason else line)

    def _measured(self, result: Measured) -> None:
        if result.error:
            self.session.note(f"narration not measured: {result.error}")
        self.measured.emit()

    def lengths(self, track: Track) -> tuple[Callable[[str], int] | None, str]:
        """The spoken length of a text (ms) for the checks, and a note while some are still being measured;
        no function when the voice cannot load. Lengths come from the narration worker: a text not measured
        yet counts 0 (is not flagged) until its measure arrives (:attr:`measured` asks for a new check)."""
        if self.narrator.voice_error is not None:
            return None, ""
        voice, language, wpm = self.session.settings.narration_voice, track.language, self.wpm
        self.narrator.measure([c.text for c in track], voice, language, wpm)

        def narration(text: str) -> int:
            return self.narrator.length(voice, language, wpm, text) or 0

        waiting = any(c.text.strip() and self.narrator.length(voice, language, wpm, c.text) is None for c in track)
        return narration, "narration length being measured" if waiting else ""

    def shutdown(self) -> None:
        self.narrator.shutdown()
