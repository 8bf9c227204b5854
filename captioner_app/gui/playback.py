"""The playhead of the active document, its preview frames and the playback clock, without widgets.

Seeking asks the frame worker for the frame at a time (the latest request wins); playing moves the
playhead along a monotonic clock. Sound playback can follow this clock (or drive it) later.
"""

from __future__ import annotations

import math

from PySide6.QtCore import QElapsedTimer, QObject, Qt, QTimer, Signal

from captioner_app.gui.context import SessionContext
from captioner_app.gui.messages import Failure, FrameReady


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
        self.timer = QTimer(self)
        self.timer.setTimerType(Qt.TimerType.PreciseTimer)
        self.timer.timeout.connect(self._tick)
        self._clock = QElapsedTimer()
        self._from = 0
        self._until: int | None = None  # play_range stops here
        session.pool.frames.frameReady.connect(self._frame_ready)
        session.pool.frames.failed.connect(self._frame_failed)

    @property
    def position(self) -> int:
        return self.session.position

    @property
    def playing(self) -> bool:
        return self.timer.isActive()

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
        """Step ``n`` frames from the frame on screen (exact frame times, not rounded milliseconds)."""
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

    def play_range(self, start_ms: int, end_ms: int) -> None:
        """Play from ``start_ms`` and stop at ``end_ms`` (play the current cue)."""
        self.stop()
        self.seek(start_ms)
        self._start(end_ms)

    def toggle(self) -> None:
        if self.timer.isActive():
            self.stop()
            return
        doc = self.session.doc
        if doc is None or doc.info is None:
            return
        if self.position >= doc.info.duration_ms - 50:
            self.seek(0)
        self._start(None)

    def _start(self, until_ms: int | None) -> None:
        doc = self.session.doc
        if doc is None or doc.info is None:
            return
        self._until = until_ms
        self._from = self.position
        self._clock.start()
        self.timer.start(max(10, int(1000 / min(doc.info.fps, 60))))
        self.playingChanged.emit(True)

    def stop(self) -> None:
        if self.timer.isActive():
            self.timer.stop()
        self.playingChanged.emit(False)

    def _tick(self) -> None:
        doc = self.session.doc
        if doc is None or doc.info is None:
            self.stop()
            return
        pos = self._from + self._clock.elapsed()
        if self._until is not None and pos >= self._until:
            self.seek(self._until)
            self.stop()
            return
        if pos >= doc.info.duration_ms:
            self.seek(doc.info.duration_ms - 1)
            self.stop()
            return
        self.seek(pos)

    def _frame_ready(self, frame: FrameReady) -> None:
        doc = self.session.doc
        if doc is None or doc.video != frame.video or frame.request < self._shown_request:
            return
        self._shown_request = frame.request
        self.last_frame = frame
        self.frameShown.emit(frame)

    def _frame_failed(self, failure: Failure) -> None:
        self.stop()
        self.frameFailed.emit(failure.message, failure.subject)
        self.session.report(failure.message, "Preview problem")
