"""The playhead of the active document, its preview frames and the playback clock, without widgets.

Seeking asks the frame worker for the frame at a time (the latest request wins). Playing plays the sound
(:class:`~captioner_app.gui.sound.Sound`: decoded and mixed in a worker, written to the sound card) and
shows each picture when the sound reaches its time by the device's clock: the next pictures are decoded
ahead (:class:`~captioner_app.gui.av_sync.FrameSchedule`) and a precise single-shot timer is set from the
audio clock to the next one's time, so the picture follows the audio within a few milliseconds (and holds
while the preview with descriptions speaks an extended cue). Without a sound card the same happens on the
wall clock, silently, with one line in the status bar.
"""

from __future__ import annotations

import math
import time
from typing import Any

from PySide6.QtCore import QObject, Qt, QTimer, Signal

from captioner_app.core.media.stretch import MAX_RATE, MIN_RATE
from captioner_app.core.speech.player import BURST_MS, CONTEXT_MS, Describe, PlayOptions
from captioner_app.gui.av_sync import FrameSchedule
from captioner_app.gui.context import SessionContext
from captioner_app.gui.messages import Failure, FrameReady
from captioner_app.gui.sound import Sound

RATES = (0.5, 0.75, 1.0, 1.25, 1.5, 2.0)


class Playback(QObject):
    positionChanged = Signal(int, int)  # playhead ms, duration ms
    frameShown = Signal(object)  # FrameReady: the latest requested frame arrived for the active video
    frameFailed = Signal(str, str)  # message, the video it is about
    playingChanged = Signal(bool)

    def __init__(self, session: SessionContext, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.frame_request = 0  # the latest frame request sent to the worker
        self._shown_request = 0
        self.last_frame: FrameReady | None = None
        self.timer = QTimer(self)  # fires when the next picture is due by the audio clock
        self.timer.setTimerType(Qt.TimerType.PreciseTimer)
        self.timer.setSingleShot(True)
        self.timer.timeout.connect(self._present)
        self._playing = False
        self.schedule = FrameSchedule(40.0)
        self._prefetch = 0  # the frame request the schedule waits for (0: none out)
        self._asked_at = 0.0  # when it was sent (time.monotonic)
        self.sound = Sound(self)  # the audio: its clock moves the playhead while playing
        self.sound.finished.connect(self._sound_finished)
        self.sound.failed.connect(self._sound_failed)
        self.rate = 1.0
        self.bursts = True  # a frame step or a dropped playhead plays BURST_MS of audio
        self._mode: tuple[int | None, tuple[int, int] | None, Describe | None] = (None, None, None)
        self._told: str | None = None  # the no-sound reason already in the status bar
        session.pool.frames.frameReady.connect(self._frame_ready)
        session.pool.frames.failed.connect(self._frame_failed)

    @property
    def position(self) -> int:
        return self.session.position

    @property
    def playing(self) -> bool:
        return self._playing

    def seek(self, ms: int) -> None:
        """Move the playhead (clamped to the video) and ask for the frame there."""
        doc = self.session.doc
        if doc is None or doc.info is None:
            return
        ms = int(min(max(0, ms), max(0, doc.info.duration_ms - 1)))
        doc.position_ms = ms
        self.positionChanged.emit(ms, doc.info.duration_ms)
        self.frame_request += 1
        self.session.pool.frames.request(self.frame_request, doc.info, ms)

    def skip(self, ms: int) -> None:
        """Move the playhead ``ms`` forward (negative: back)."""
        self.seek(self.position + ms)

    def step_frames(self, n: int) -> None:
        """Step ``n`` frames from the frame on screen (exact frame times, not rounded milliseconds) and
        play a short burst of audio there."""
        doc = self.session.doc
        if doc is None or doc.info is None:
            return
        self.stop()
        step = 1000.0 / doc.info.fps
        shown = self.last_frame
        base = (
            shown.time_ms
            if shown is not None
            and shown.exact
            and shown.video == doc.video
            and abs(shown.requested_ms - self.position) < step
            else self.position
        )
        frame = max(0, int(round(base / step)) + n)
        self.seek(math.ceil(frame * step))
        self.burst()

    def play_range(self, start_ms: int, end_ms: int) -> None:
        """Play from ``start_ms`` and stop at ``end_ms``."""
        self.stop()
        self.seek(start_ms)
        self._start(until_ms=end_ms)

    def play_cue(self, start_ms: int, end_ms: int) -> None:
        """Play a cue with :data:`CONTEXT_MS` of the programme before and after it."""
        self.play_range(max(0, start_ms - CONTEXT_MS), end_ms + CONTEXT_MS)

    def loop(self, start_ms: int, end_ms: int) -> bool:
        """Play ``start_ms``-``end_ms`` over and over until stopped (False: the range is too short)."""
        self.stop()
        if end_ms - start_ms < 50:
            self.session.status.emit("The range to loop is too short")
            return False
        self.seek(start_ms)
        self._start(loop=(start_ms, end_ms))
        return True

    def toggle(self) -> None:
        if self._playing:
            self.stop()
            return
        doc = self.session.doc
        if doc is None or doc.info is None:
            return
        if self.position >= doc.info.duration_ms - 50:
            self.seek(0)
        self._start()

    def play_described(self, describe: Describe) -> None:
        """Play from the playhead speaking each cue at its start over the ducked programme; the picture
        holds while an extended cue is spoken."""
        self.stop()
        self._start(describe=describe)

    def _start(
        self, until_ms: int | None = None, loop: tuple[int, int] | None = None, describe: Describe | None = None
    ) -> None:
        doc = self.session.doc
        if doc is None or doc.info is None or doc.video is None:
            return
        self._mode = (until_ms, loop, describe)
        options = PlayOptions(self.position, until_ms, loop, self.rate, describe=describe)
        self.sound.play(doc.video, doc.info.duration_ms, options)
        self._say_if_silent()
        self.schedule = FrameSchedule(1000.0 / max(doc.info.fps, 1.0))
        self._prefetch = 0
        self._playing = True
        self._present()  # asks for the first picture
        self.playingChanged.emit(True)

    @property
    def mode(self) -> str:
        """What is playing: "", "play", "range", "loop" or "describe"."""
        if not self.playing:
            return ""
        until, loop, describe = self._mode
        return "describe" if describe else "loop" if loop else "range" if until is not None else "play"

    def stop(self) -> None:
        self.sound.stop()
        self.timer.stop()
        self._playing = False
        self._prefetch = 0
        self.playingChanged.emit(False)

    def _present(self) -> None:
        """Show the picture the audio clock has reached, ask the decoder for the next ones, and set the
        timer for the next picture's time."""
        doc = self.session.doc
        if not self._playing:
            return
        if doc is None or doc.info is None:
            self.stop()
            return
        schedule = self.schedule
        if self._prefetch and self._prefetch != self.frame_request:  # a seek took the decoder: ask again
            schedule.asked = None
            self._prefetch = 0
        clock = self.sound.programme_ms()  # the audio clock: where the sound (heard or not) has reached
        wait = 5.0  # the sound is not out yet
        if clock is not None:
            frame, wait = schedule.take(clock, self.rate)
            if frame is not None:
                self._shown_request = max(self._shown_request, frame.request)
                self.last_frame = frame
                self.frameShown.emit(frame)
            if frame is not None or abs(clock - self.position) >= 40:
                now = self.sound.programme_ms()  # read again: showing the picture took a while
                self._move_playhead(int(clock if now is None else now))
        at = schedule.next_request(clock if clock is not None else float(self.position), self.rate)
        if at is not None:
            self._asked_at = time.monotonic()
            self.frame_request += 1
            self._prefetch = self.frame_request
            self.session.pool.frames.request(self.frame_request, doc.info, min(at, max(0, doc.info.duration_ms - 1)))
        self.timer.start(max(0, round(wait)))

    def _move_playhead(self, ms: int) -> None:
        doc = self.session.doc
        if doc is None or doc.info is None:
            return
        doc.position_ms = int(min(max(0, ms), max(0, doc.info.duration_ms - 1)))
        self.positionChanged.emit(doc.position_ms, doc.info.duration_ms)

    def _sound_finished(self) -> None:
        if self._playing:
            if self.sound.final_ms is not None:
                self.seek(int(round(self.sound.final_ms)))
            self.stop()

    def _sound_failed(self, message: str) -> None:
        self.session.status.emit(message)

    def _say_if_silent(self) -> None:
        reason = self.sound.reason
        if reason and reason != self._told:
            self._told = reason
            self.session.status.emit(f"No sound: {reason}; playing without sound")

    # -- sound settings and bursts ---------------------------------------------------------------

    def set_rate(self, rate: float) -> None:
        """Playback rate 0.5x-2x (pitch kept); a play under way goes on at the new rate."""
        self.rate = min(MAX_RATE, max(MIN_RATE, round(rate, 2)))
        self.session.status.emit(f"Playback rate {self.rate:g}x")
        if self.playing:
            until, loop, describe = self._mode
            self.sound.stop()
            self._start(until, loop, describe)

    def change_rate(self, step: int) -> None:
        """One step slower (-1) or faster (1) through :data:`RATES`; 0: normal speed."""
        if step == 0:
            self.set_rate(1.0)
            return
        faster = [r for r in RATES if r > self.rate + 1e-6]
        slower = [r for r in RATES if r < self.rate - 1e-6]
        self.set_rate((faster[0] if faster else RATES[-1]) if step > 0 else (slower[-1] if slower else RATES[0]))

    def change_volume(self, step: float) -> None:
        self.sound.volume = min(1.0, max(0.0, round(self.sound.volume + step, 2)))
        self.sound.muted = False
        self.session.status.emit(f"Volume {round(self.sound.volume * 100)} %")

    def toggle_mute(self) -> None:
        self.sound.muted = not self.sound.muted
        self.session.status.emit(
            "Sound muted" if self.sound.muted else f"Sound on, volume {round(self.sound.volume * 100)} %"
        )

    def burst(self, ms: int | None = None) -> None:
        """Play :data:`BURST_MS` of the programme at ``ms`` (the playhead) unless playing."""
        doc = self.session.doc
        if not self.bursts or self.playing or doc is None or doc.info is None or doc.video is None:
            return
        at = self.position if ms is None else ms
        self.sound.play(doc.video, doc.info.duration_ms, PlayOptions(at, at + BURST_MS, fade_ms=5))
        self._say_if_silent()

    def scrub(self, ms: int) -> None:
        """The playhead was dropped or dragged to ``ms``: show that frame and play a burst there (a play
        under way goes on from there)."""
        self.seek(ms)
        if self.playing:
            until, loop, describe = self._mode
            self.sound.stop()
            self._start(until, loop, describe)
        else:
            self.burst()

    def speak(self, samples: Any, sample_rate: int) -> str | None:
        """Play spoken narration (unless playing); returns why it is not heard, or None."""
        if not self.playing:
            self.sound.play_samples(samples, sample_rate)
        return self.sound.reason

    def _frame_ready(self, frame: FrameReady) -> None:
        doc = self.session.doc
        if doc is None or doc.video != frame.video or frame.request < self._shown_request:
            return
        if self._playing:  # a picture decoded ahead: shown when the sound reaches it
            if frame.request == self._prefetch and frame.exact:  # (not the keyframe sent meanwhile)
                self._prefetch = 0
                self.schedule.arrived(frame.time_ms, frame, (time.monotonic() - self._asked_at) * 1000)
                self._present()
            return
        self._shown_request = frame.request
        self.last_frame = frame
        self.frameShown.emit(frame)

    def _frame_failed(self, failure: Failure) -> None:
        self.stop()
        self.frameFailed.emit(failure.message, failure.subject)
        self.session.report(failure.message, "Preview problem")
