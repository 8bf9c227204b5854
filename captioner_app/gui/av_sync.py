"""Keeping the picture on the sound while playing: the audio clock read as a continuous clock, and the
schedule of pre-decoded pictures shown when that clock reaches their times. Plain arithmetic without Qt,
so that it is tested with a fake clock; :class:`~captioner_app.gui.playback.Playback` drives it with a
precise single-shot timer and the frame worker.

The audio clock is the count of samples the sound card has played (``QAudioSink.processedUSecs``). With
PulseAudio (Qt 6.11) that count already stands for what is heard: against a recording of a null sink's
monitor it read a steady 5-20 ms ahead of the recorded sound (the smoothed clock about 15 ms; part of it
is the monitor's own delay), with no drift, while the samples still waiting in the sink's buffer
(``bufferSize - bytesFree``, 250 ms) are *not* counted, so subtracting them would put the picture a
quarter of a second early. The count moves in steps (about 8 ms apart with PulseAudio):
:class:`SmoothClock` fills in between the steps from the wall clock.
"""

from __future__ import annotations

import math
from collections import deque
from typing import Any

WINDOW_S = 1.0  # the steps of the last second say where the device's clock is
CAP_MS = 20.0  # the smoothed clock never runs further than this past the device's own count
STALL_MS = 25.0  # a step this far behind the others: the device stalled (an underrun); forget the others

AHEAD = 4  # pictures decoded ahead of the one on screen (160 ms at 25 fps: rides out a stalled decoder)
MAX_WAIT_MS = 50.0  # the clock is read again at least this often (a hold in the preview, a loop going back)
EARLY_MS = 1.0  # a picture due within this is shown now (timers count whole milliseconds)


class SmoothClock:
    """A device's count of played samples, read between its steps: each time the count moves, the wall
    clock's offset to it is noted; the clock is the wall clock plus the largest offset of the last
    :data:`WINDOW_S` (the freshest reading: a count is read some time after it moved, never before), never
    below the count itself and never more than :data:`CAP_MS` past it (a device that stops playing stops
    the clock within that)."""

    def __init__(self, sample_rate: int) -> None:
        self.sr = sample_rate
        self._marks: deque[tuple[float, float]] = deque()  # (wall s, count - wall * sr) when the count moved
        self._last: int | None = None

    def reset(self) -> None:
        self._marks.clear()
        self._last = None

    def read(self, count: int, now_s: float) -> float:
        """The played samples at wall time ``now_s`` (seconds), given the device's ``count`` read then."""
        if count != self._last:
            offset = count - now_s * self.sr
            marks = self._marks
            if self._last is None or count < self._last:  # a new play: the count started again
                marks.clear()
            elif marks and offset < max(m for _, m in marks) - STALL_MS * self.sr / 1000:
                marks.clear()  # the device fell behind the wall clock: it stalled; the older steps are void
            marks.append((now_s, offset))
            while marks[0][0] < now_s - WINDOW_S:
                marks.popleft()
            self._last = count
        if not self._marks:
            return float(count)
        estimate = now_s * self.sr + max(m for _, m in self._marks)
        return min(max(estimate, float(count)), count + CAP_MS * self.sr / 1000)


class FrameSchedule:
    """Pictures decoded ahead of the audio clock, each shown when the clock reaches its own time.

    The owner asks the decoder for :meth:`next_request` (one request at a time), hands each answer to
    :meth:`arrived`, and calls :meth:`take` whenever its timer fires: it returns the picture to show now,
    if any, and how long to wait before calling again. Pictures are kept ``ahead`` deep, so one slow
    decode does not hold the picture back. A picture whose successor is also due is skipped (the picture
    catches up instead of running late); pictures far ahead of the clock (a loop went back to its start)
    are dropped and asked again from the clock.
    """

    def __init__(self, step_ms: float, ahead: int = AHEAD) -> None:
        self.step = max(1.0, float(step_ms))
        self.ahead = max(1, ahead)
        self.ready: deque[tuple[float, Any]] = deque()
        self.asked: int | None = None  # the time asked of the decoder, not yet answered
        self.shown_ms: float | None = None  # the time of the picture on screen
        self.hold_until: float | None = None  # no new picture before the clock passes this (see arrived)
        self.took: deque[float] = deque(maxlen=5)  # the last answers' wall ms from request to arrival
        self.skipped = 0  # pictures dropped because a later one was due too

    def reset(self) -> None:
        self.ready.clear()
        self.asked = None
        self.shown_ms = None
        self.hold_until = None

    def next_request(self, clock_ms: float, rate: float = 1.0) -> int | None:
        """The time to ask the decoder for (the picture after the last one known, or, when that one would
        be late, the one the clock will have reached when the decoder answers, going by its recent
        answers), or None when a request is out or enough pictures are ready."""
        if self.asked is not None or len(self.ready) >= self.ahead:
            return None
        if self.hold_until is not None and clock_ms < self.hold_until:
            return None
        last = self.ready[-1][0] if self.ready else self.shown_ms
        # half-way through a picture (safe from the rounding of frame times)
        if last is None:
            at = clock_ms
        else:
            lead = sorted(self.took)[len(self.took) // 2] * rate if self.took else 0.0  # the median answer
            at = max(last + 1.5 * self.step, clock_ms + lead + 0.5 * self.step)
        self.asked = max(0, math.floor(at))
        return self.asked

    def arrived(self, time_ms: float, item: Any, took_ms: float = 0.0) -> None:
        """The decoder's answer to the request out: the picture (``item``) whose own time is ``time_ms``,
        ``took_ms`` (wall) after it was asked for."""
        asked, self.asked = self.asked, None
        self.took.append(max(0.0, took_ms))
        last = self.ready[-1][0] if self.ready else self.shown_ms
        if last is not None and time_ms <= last:
            # no newer picture there (the end of the video, or a picture that lasts longer than one frame):
            # ask again once the clock is a frame past the time asked
            self.hold_until = float(asked if asked is not None else time_ms) + self.step
            return
        self.hold_until = None
        self.ready.append((float(time_ms), item))

    def take(self, clock_ms: float, rate: float = 1.0) -> tuple[Any, float]:
        """The picture to show at ``clock_ms`` (None: none is due) and the wall milliseconds to wait before
        calling again (the next picture's time at ``rate``, at most :data:`MAX_WAIT_MS`)."""
        ready = self.ready
        far = clock_ms + max(4 * self.step, 250.0)
        if (ready and ready[0][0] > far) or (self.shown_ms is not None and self.shown_ms > far):
            self.reset()  # the clock went back: start again from it
            return None, 0.0
        while len(ready) >= 2 and ready[1][0] <= clock_ms + EARLY_MS:
            ready.popleft()
            self.skipped += 1
        show = None
        if ready and ready[0][0] <= clock_ms + EARLY_MS:
            self.shown_ms, show = ready.popleft()
        if ready:
            due = ready[0][0]
        elif self.hold_until is not None and self.hold_until > clock_ms:
            due = self.hold_until  # then the next picture is asked for
        else:
            return show, MAX_WAIT_MS  # the next picture is asked for; its arrival calls again
        return show, min(MAX_WAIT_MS, max(0.0, (due - clock_ms) / max(rate, 1e-3)))
