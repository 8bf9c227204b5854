"""Playback sound for the app: the core's :class:`~captioner_app.core.speech.player.Player` run in a worker
thread (decoding and mixing never on the GUI thread), its blocks written to the sound card through
QtMultimedia's ``QAudioSink`` (PySide6-Addons) from a GUI-thread timer, and the audio clock (the samples
the device has played, ``processedUSecs``) turned into the programme time the picture shows.

Without a usable output (QtMultimedia missing, no device, a device that fails) :class:`Sound` says why in
one line (:attr:`Sound.reason`) and plays silently on the wall clock: the same blocks are made and timed,
so the picture, the loop and the preview with descriptions behave the same, only nothing is heard. Tests
read the samples written through :attr:`Sound.tap`.
"""

from __future__ import annotations

import os
import queue
import threading
import time
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QElapsedTimer, QObject, Qt, QTimer, Signal

from captioner_app.core.errors import CaptionerError
from captioner_app.core.media.audio import PLAY_RATE
from captioner_app.core.speech.player import (
    Block,
    Player,
    PlayOptions,
    Timeline,
    apply_gain,
    array_source,
    pcm16,
)
from captioner_app.gui.av_sync import SmoothClock

LEAD_MS = 250  # how far ahead of the device's clock samples are written (more rides out a busy machine)
_END = object()


class ClockOut:
    """No sound card: samples are "played" at the wall clock's pace and dropped. Like a device, it waits
    when it runs out of samples (the clock does not run ahead of what was written)."""

    channels = 1

    def __init__(self, sample_rate: int) -> None:
        self.sr = sample_rate
        self.wall = QElapsedTimer()
        self.written = 0
        self._played = 0.0
        self._last_ms = 0

    def start(self) -> None:
        self.wall.start()
        self.written = 0
        self._played = 0.0
        self._last_ms = 0

    def played(self) -> int:
        if self.wall.isValid():
            now = self.wall.elapsed()
            self._played = min(float(self.written), self._played + (now - self._last_ms) * self.sr / 1000)
            self._last_ms = now
        return int(self._played)

    def clock(self) -> float:
        return float(self.played())

    def free(self) -> int:
        return max(0, self.played() + int(LEAD_MS * self.sr / 1000) - self.written)

    def write(self, samples: Any) -> int:
        self.written += len(samples)
        return len(samples)

    def failed(self) -> str | None:
        return None

    def stop(self) -> None:
        self.wall.invalidate()


class DeviceOut:
    """The default audio output through a push-mode ``QAudioSink`` (16-bit PCM, mono or stereo)."""

    def __init__(self, sample_rate: int, parent: QObject) -> None:
        from PySide6.QtMultimedia import QAudioFormat, QAudioSink, QMediaDevices

        device = QMediaDevices.defaultAudioOutput()
        if device.isNull():
            raise OSError("no audio output device")
        fmt = QAudioFormat()
        fmt.setSampleRate(sample_rate)
        fmt.setSampleFormat(QAudioFormat.SampleFormat.Int16)
        fmt.setChannelCount(1)
        if not device.isFormatSupported(fmt):
            fmt.setChannelCount(2)
            if not device.isFormatSupported(fmt):
                raise OSError(f"{device.description()} does not take 16-bit audio at {sample_rate} Hz")
        self.channels = fmt.channelCount()
        self.sr = sample_rate
        self.name = device.description()
        self.sink = QAudioSink(device, fmt, parent)
        self.sink.setBufferSize(int(LEAD_MS * sample_rate / 1000) * 2 * self.channels)
        self.io: Any = None
        self.written = 0
        self._base_us = 0
        self._smooth = SmoothClock(sample_rate)

    def start(self) -> None:
        self.sink.stop()
        self.io = self.sink.start()
        self.written = 0
        self._base_us = self.sink.processedUSecs()
        self._smooth.reset()
        if self.io is None:
            raise OSError(self.failed() or "the audio output did not start")

    def played(self) -> int:
        """Samples played (heard): ``processedUSecs`` counts what the device has played, not what waits in
        its buffer (see :mod:`captioner_app.gui.av_sync`)."""
        return int((self.sink.processedUSecs() - self._base_us) * self.sr / 1_000_000)

    def clock(self) -> float:
        """:meth:`played` between the device's steps, for the picture."""
        return self._smooth.read(self.played(), time.monotonic())

    def free(self) -> int:
        return self.sink.bytesFree() // (2 * self.channels)

    def write(self, samples: Any) -> int:
        data = pcm16(samples, self.channels)
        written = self.io.write(data) if self.io is not None else -1
        n = max(0, int(written)) // (2 * self.channels)
        self.written += n
        return n

    def failed(self) -> str | None:
        from PySide6.QtMultimedia import QtAudio

        error = self.sink.error()
        if error in (QtAudio.Error.NoError, QtAudio.Error.UnderrunError):
            return None
        return f"the audio output {self.name} failed ({error.name})"

    def stop(self) -> None:
        self.sink.stop()
        self.io = None


def open_output(sample_rate: int, parent: QObject) -> tuple[DeviceOut | ClockOut, str | None]:
    """The sound card, or the wall clock and the reason there is no sound (``CAPTIONER_AUDIO=none``
    turns the sound card off: tests, machines where it misbehaves)."""
    if os.environ.get("CAPTIONER_AUDIO", "").strip().lower() == "none":
        return ClockOut(sample_rate), "sound turned off (CAPTIONER_AUDIO=none)"
    try:
        import PySide6.QtMultimedia  # noqa: F401
    except ImportError:
        return ClockOut(sample_rate), "QtMultimedia (PySide6-Addons) is not installed"
    try:
        return DeviceOut(sample_rate, parent), None
    except Exception as err:  # no device, a broken driver: the app plays on without sound
        return ClockOut(sample_rate), str(err) or type(err).__name__


class _Feed:
    """One play's blocks, made by a worker thread into a bounded queue."""

    def __init__(self, make: Callable[[], tuple[Player, Callable[[], None]]]) -> None:
        self.queue: queue.Queue[Any] = queue.Queue(maxsize=8)
        self.cancel = threading.Event()
        self.thread = threading.Thread(target=self._run, args=(make,), name="captioner-sound")
        self.thread.start()

    def _run(self, make: Callable[[], tuple[Player, Callable[[], None]]]) -> None:
        close: Callable[[], None] = lambda: None  # noqa: E731
        try:
            player, close = make()
            while not self.cancel.is_set():
                block = player.next_block()
                self._put(block if block is not None else _END)
                if block is None:
                    return
        except Exception as err:
            line = str(err) if isinstance(err, CaptionerError) else f"{type(err).__name__}: {err}"
            self._put(RuntimeError(f"playback sound stopped: {line}"))
        finally:
            close()

    def _put(self, item: Any) -> None:
        while not self.cancel.is_set():
            try:
                self.queue.put(item, timeout=0.05)
                return
            except queue.Full:
                continue


class Sound(QObject):
    """Plays one thing at a time (a play, a loop, a burst) and says where the programme is by its clock."""

    finished = Signal()  # the play ended by itself (its end, a stop time)
    failed = Signal(str)  # one line: the play could not go on

    def __init__(self, parent: QObject | None = None, sample_rate: int = PLAY_RATE) -> None:
        super().__init__(parent)
        self.sr = sample_rate
        self.volume = 1.0
        self.muted = False
        self.tap: list[Any] | None = None  # tests: every block written, as (samples after gain, Block)
        self._out: DeviceOut | ClockOut | None = None
        self.reason: str | None = None  # why nothing is heard (None: a device plays)
        self._feed: _Feed | None = None
        self._timeline = Timeline()
        self._pending: Any = None  # samples of a block not yet taken by the device
        self._ended = False
        self._active = False
        self.final_ms: float | None = None  # where the last play ended by itself (programme ms)
        self.pump = QTimer(self)
        self.pump.setTimerType(Qt.TimerType.PreciseTimer)
        self.pump.timeout.connect(self._pump)
        self._threads: list[threading.Thread] = []

    @property
    def active(self) -> bool:
        return self._active

    def output(self) -> DeviceOut | ClockOut:
        if self._out is None:
            self._out, self.reason = open_output(self.sr, self)
        return self._out

    def play(self, path: str, duration_ms: int, options: PlayOptions) -> None:
        """Start playing ``path``'s audio from ``options.start_ms`` (what was playing stops); the audio is
        decoded in the worker, piece by piece."""
        from captioner_app.core.media.audio import AudioReader

        def make() -> tuple[Player, Callable[[], None]]:
            reader = AudioReader(path, self.sr)
            return Player(reader.read, duration_ms, options, self.sr), reader.close

        self._start(make)

    def play_samples(self, samples: Any, sample_rate: int) -> None:
        """Play mono samples (a spoken cue) from their start."""

        def make() -> tuple[Player, Callable[[], None]]:
            read, duration = array_source(samples, sample_rate, self.sr)
            return Player(read, duration, PlayOptions(0, fade_ms=5), self.sr), lambda: None

        self._start(make)

    def _start(self, make: Callable[[], tuple[Player, Callable[[], None]]]) -> None:
        self.stop()
        self._threads = [t for t in self._threads if t.is_alive()]
        self._feed = _Feed(make)
        self._threads.append(self._feed.thread)
        self._timeline = Timeline()
        self._pending = None
        self._ended = False
        out = self.output()
        try:
            out.start()
        except OSError as err:
            self._out, self.reason = ClockOut(self.sr), str(err)
            self._out.start()
        self._active = True
        self.pump.start(5)

    def played(self) -> int:
        """Samples of the current play the output has played (by the device's clock, or the wall clock)."""
        return self._out.played() if self._active and self._out is not None else 0

    def programme_ms(self) -> float | None:
        """The programme time the audio has reached (None until the first block is out)."""
        if not self._active or self._out is None:
            return None
        return self._timeline.programme_ms(self._out.clock())

    def stop(self) -> None:
        if self._feed is not None:
            self._feed.cancel.set()
            self._feed = None
        self.pump.stop()
        if self._out is not None and self._active:
            self._out.stop()
        self._active = False

    def _pump(self) -> None:
        out, feed = self._out, self._feed
        if out is None or feed is None:
            return
        problem = out.failed()
        if problem is not None:  # the device went away mid-play: carry on silently
            self.reason = problem
            self._out = ClockOut(self.sr)
            self._out.start()
            self._timeline = Timeline()
            self._pending = None
            self.failed.emit(f"No sound: {problem}; playing on without sound")
            return
        while not self._ended:
            if self._pending is None:
                try:
                    item = feed.queue.get_nowait()
                except queue.Empty:
                    break
                if item is _END:
                    self._ended = True
                    break
                if isinstance(item, Exception):
                    self.stop()
                    self.failed.emit(str(item))
                    return
                self._take(item)
            room = out.free()
            if room <= 0:
                break
            samples = self._pending
            n = out.write(samples[:room])
            self._pending = samples[n:] if n < len(samples) else None
            if n == 0:
                break
        played = out.played()
        self._timeline.forget_before(played)
        if self._ended and self._pending is None and played >= out.written:
            self.final_ms = self._timeline.programme_ms(out.written)
            self.stop()
            self.finished.emit()

    def _take(self, block: Block) -> None:
        samples = apply_gain(block.samples, self.volume, self.muted)
        self._timeline.add(block.segments)
        if self.tap is not None:
            self.tap.append((samples, block))
        self._pending = samples

    def shutdown(self) -> None:
        self.stop()
        for thread in self._threads:
            thread.join(5.0)
        self._threads = []
