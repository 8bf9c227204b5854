"""A/V sync of the app's playback: how far the picture is from the sound, frame by frame, over N minutes.

Plays a generated video (25 fps; a 1 kHz beep of 60 ms every 2 s from 1 s) in the app's playback (offscreen
Qt, the session without a window) for ``--minutes`` (default 10), and logs every picture the app shows
while playing (the ``frameShown`` signal: the moment the app hands the picture to the preview) with the
wall clock (``time.monotonic``).

The error of a picture is **its own time minus the programme time of the sound at the moment it is
shown**, in ms: 0 is perfect, negative means the picture is late, positive early. A picture is right for a
whole frame (40 ms) after its time, so the error at the moment of showing is the one the playback
controls; the target is |error| <= 40 ms for every picture. It is printed against two references:

1. the app's audio clock (``QAudioSink.processedUSecs`` smoothed between its steps, through the player's
   timeline: what the app schedules by), read in the ``frameShown`` handler;
2. the sound actually heard: the null sink's monitor is recorded with ``parec`` in a child process that
   timestamps every chunk it receives with the same wall clock. Each recorded sample's wall time comes
   from those timestamps (their lower envelope over +-5 s), not from the recording's nominal sample rate:
   the monitor's sample clock runs about 100 ppm off the wall clock here, which alone made an earlier
   version of this benchmark (that counted samples at 48000 a second from the recorder's start) see the
   heard beeps drift +60 ms against the picture over 10 minutes, plus whatever the recorder lost under
   load. Each heard beep's onset (refined to the sample) gives the heard programme time at that wall
   time; between two beeps the heard position is interpolated, except where the sound stalled between
   them (their spacing on the wall clock off by over 5 ms; counted and left out). The monitor's samples
   reach the recorder after they were played (the chunks' transport, the sink's rendering), so the heard
   sound looks later than it was and this error reads that much high (early): about +15 ms, steady, on
   the PulseAudio null sink, where the app's clock reads the same 15 ms ahead of the heard beeps.

For each the median, 1st/99th percentiles, largest |error|, pictures outside +-40 ms (and how many of those
came within 0.3 s after the GUI thread's 10 ms heartbeat stood still over 60 ms: a loaded machine not
running the event loop, when no schedule can show a picture), and the drift (mean error over the last
minute minus the first) are printed. Also: the app's clock against the heard beeps (its offset and
drift), stalls of the heard sound, and the recorder's clock rate. A real screen adds its refresh (up to
one frame of the display) after ``frameShown``; offscreen there is none.

    pulseaudio --start --exit-idle-time=-1; pactl load-module module-null-sink sink_name=cap
    pactl set-default-sink cap
    QT_QPA_PLATFORM=offscreen python benchmarks/av_drift.py [--minutes 10] [--rate 1.0] [--no-record]
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

BEEP_EVERY_S = 2.0
FIRST_BEEP_S = 1.0
BEEP_S = 0.06
SR = 48000
FPS = 25


def make_clip(path: Path, minutes: float) -> Path:
    from captioner_app.testing.media import make_video

    rate = 16000
    n = int(minutes * 60 * rate)
    audio = np.zeros(n, np.float32)
    t = np.arange(int(BEEP_S * rate)) / rate
    beep = (0.5 * np.sin(2 * np.pi * 1000 * t)).astype(np.float32)
    for k in range(int(minutes * 60 / BEEP_EVERY_S) + 1):
        at = int((k * BEEP_EVERY_S + FIRST_BEEP_S) * rate)
        if at >= n:
            break
        audio[at : at + len(beep)] = beep[: max(0, min(len(beep), n - at))]
    return make_video(path, minutes * 60, fps=FPS, size=(96, 54), audio=audio, sample_rate=rate)


# -- the recorder (a child process, so that the app's GIL never delays its timestamps) ---------------


def record_child(out: Path, source: str) -> int:
    """Records ``source`` with parec to ``out``.raw, and (wall time, samples so far) at each chunk to
    ``out``.times.npy, until SIGTERM."""

    def stop(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)  # (SIGINT may be ignored: a background job's is)
    parec = subprocess.Popen(
        ["parec", "-d", source, "--rate", str(SR), "--channels", "1", "--format", "s16le", "--raw"]
        + ["--latency-msec=5"],
        stdout=subprocess.PIPE,
    )
    assert parec.stdout is not None
    marks: list[tuple[float, int]] = []
    total = 0
    with open(f"{out}.raw", "wb") as raw:
        try:
            while True:
                chunk = parec.stdout.read1(65536)
                now = time.monotonic()
                if not chunk:
                    break
                raw.write(chunk)
                total += len(chunk) // 2
                marks.append((now, total))
        except KeyboardInterrupt:
            pass
        finally:
            parec.terminate()
            parec.wait(5)
            np.save(f"{out}.times.npy", np.array(marks, dtype=np.float64).reshape(-1, 2))
    return 0


def recording_clock(marks: np.ndarray, window_s: float = 5.0) -> tuple[np.ndarray, np.ndarray]:
    """Per recorded-sample time (s, at the nominal rate): the wall time's offset, from the chunks' arrival
    times (the lower envelope over +-``window_s``: a chunk arrives after its samples were played, never
    before). Returns (sample times, offsets) to interpolate."""
    sample_s = marks[:, 1] / SR
    offset = marks[:, 0] - sample_s
    env = np.empty_like(offset)
    lo = hi = 0
    for i, s in enumerate(sample_s):  # a sliding minimum, O(n) enough for 10 minutes of 5 ms chunks
        while sample_s[lo] < s - window_s:
            lo += 1
        while hi + 1 < len(sample_s) and sample_s[hi + 1] <= s + window_s:
            hi += 1
        env[i] = offset[lo : hi + 1].min()
    return sample_s, env


def onsets(samples: np.ndarray, sr: int) -> list[int]:
    """Sample indices where a 1 kHz beep starts: found in 2 ms steps, then the first sample over 0.1."""
    n = sr // 500
    ref = np.exp(-2j * np.pi * 1000 * np.arange(4 * n) / sr)
    found: list[int] = []
    last = -sr
    for i in range(0, len(samples) - 4 * n, n):
        level = abs(np.dot(samples[i : i + 4 * n], ref)) * 2 / (4 * n)
        if level > 0.15 and i - last > sr // 2:
            lo = max(0, i - 2 * n)
            loud = np.flatnonzero(np.abs(samples[lo : i + 4 * n]) > 0.1)
            found.append(lo + int(loud[0]) if len(loud) else i)
            last = i
    return found


def stats(name: str, wall: np.ndarray, err: np.ndarray, minute: float, beats: np.ndarray) -> None:
    first = err[wall - wall[0] < minute]
    last = err[wall - wall[-1] > -minute]
    bad = np.abs(err) > 40
    print(
        f"{name}: {len(err)} pictures over {wall[-1] - wall[0]:.0f} s; error (picture - sound, ms) median "
        f"{np.median(err):+.1f}, p1 {np.percentile(err, 1):+.1f}, p99 {np.percentile(err, 99):+.1f}, max |.| "
        f"{np.max(np.abs(err)):.1f}; outside +-40 ms: {int(bad.sum())} ({np.mean(bad) * 100:.2f} %), of which "
        f"{int(np.sum(bad & stalled(wall, beats)))} within 0.3 s after the GUI thread stood still over 60 ms; "
        f"drift (last minute's mean - first's) {last.mean() - first.mean():+.1f} ms"
    )


def stalled(wall: np.ndarray, beats: np.ndarray, gap_s: float = 0.06, after_s: float = 0.3) -> np.ndarray:
    """For each time in ``wall``: whether the GUI thread's 10 ms heartbeat (``beats``) skipped over
    ``gap_s`` in the ``after_s`` before it (the event loop did not run: the machine's load)."""
    gaps = np.diff(beats)
    ends = beats[1:][gaps > gap_s]
    if not len(ends):
        return np.zeros(len(wall), bool)
    i = np.searchsorted(ends, wall, side="right") - 1
    return (i >= 0) & (wall - ends[np.maximum(i, 0)] <= after_s)


def heard_figures(
    work: Path, wall: np.ndarray, pts: np.ndarray, clock: np.ndarray, rate: float, beats: np.ndarray
) -> None:
    marks = np.load(work / "heard.times.npy")
    data = np.fromfile(work / "heard.raw", "<i2").astype(np.float32) / 32767
    if len(marks) < 10 or len(data) < SR:
        print("recording: too short")
        return
    sample_s, env = recording_clock(marks)
    slope = np.polyfit(marks[:, 0] - marks[0, 0], marks[:, 1] / SR - marks[0, 1] / SR, 1)[0]
    steps = np.abs(np.diff(env)) > 0.005
    print(
        f"recording: {len(data) / SR:.0f} s; its sample clock runs {(slope - 1) * 1e6:+.0f} ppm against the wall "
        f"clock; {int(steps.sum())} jumps over 5 ms in its timing (samples lost or a stalled recorder)"
    )
    found = onsets(data, SR)
    heard_wall = np.array([i / SR + np.interp(i / SR, sample_s, env) for i in found])
    inside = (heard_wall > wall[0]) & (heard_wall < wall[-1])
    heard_wall = heard_wall[inside]
    # which beep each one is: the nearest to the app's clock then (the clock is within a second of it)
    app = np.interp(heard_wall, wall, clock)
    index = np.round((app - FIRST_BEEP_S * 1000) / (BEEP_EVERY_S * 1000)).astype(int)
    beep_ms = FIRST_BEEP_S * 1000 + index * BEEP_EVERY_S * 1000
    played = np.floor((clock[-1] - FIRST_BEEP_S * 1000) / (BEEP_EVERY_S * 1000)) - np.ceil(
        (clock[0] - FIRST_BEEP_S * 1000) / (BEEP_EVERY_S * 1000)
    )
    print(f"beeps heard while playing: {len(beep_ms)} (of {int(played) + 1} played)")
    if len(beep_ms) < 3:
        return
    print(f"beep frequency heard: {_peak(data, found[0]):.0f} Hz (1000 Hz played)")
    gap = np.diff(heard_wall) * 1000 - np.diff(beep_ms) / rate  # heard spacing minus the programme's
    print(
        f"heard sound against the wall clock: beeps {np.median(gap):+.1f} ms apart from the programme's spacing "
        f"(median), largest gap {np.max(gap):+.1f} ms (the sound stalling), smallest {np.min(gap):+.1f} ms"
    )
    off = app - beep_ms
    minute = 60 / rate
    first, last = off[heard_wall - heard_wall[0] < minute], off[heard_wall - heard_wall[-1] > -minute]
    print(
        f"app's audio clock when each beep was heard, minus the beep's time: median {np.median(off):+.1f} ms, "
        f"range {off.min():+.1f}..{off.max():+.1f}, drift {last.mean() - first.mean():+.1f} ms"
    )
    # the heard programme time at each picture: between two consecutive beeps heard, linear, unless the
    # sound stalled between them (their spacing off by over 5 ms: the heard position is not known there)
    steady = np.abs(gap) <= 5
    consecutive = (np.diff(index) == 1) & steady
    print(
        f"intervals between beeps where the heard sound stalled (left out below): {int(np.sum(~steady))} "
        f"of {len(steady)}"
    )
    k = np.searchsorted(heard_wall, wall) - 1
    ok = (k >= 0) & (k < len(heard_wall) - 1)
    ok[ok] &= consecutive[k[ok]]
    kk = k[ok]
    frac = (wall[ok] - heard_wall[kk]) / (heard_wall[kk + 1] - heard_wall[kk])
    heard = beep_ms[kk] + frac * (beep_ms[kk + 1] - beep_ms[kk])
    stats("picture vs the sound heard", wall[ok], pts[ok] - heard, minute, beats)


def _peak(data: np.ndarray, at: int) -> float:
    seg = data[at + int(0.01 * SR) : at + int(0.05 * SR)]
    spec = np.abs(np.fft.rfft(seg * np.hanning(len(seg)), 8 * len(seg)))
    return float(np.fft.rfftfreq(8 * len(seg), 1 / SR)[np.argmax(spec)])


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--minutes", type=float, default=10.0)
    ap.add_argument("--rate", type=float, default=1.0)
    ap.add_argument("--no-record", action="store_true", help="do not record the sink's monitor with parec")
    ap.add_argument("--record-child", nargs=2, metavar=("OUT", "SOURCE"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.record_child:
        return record_child(Path(args.record_child[0]), args.record_child[1])
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    work = Path(tempfile.mkdtemp(prefix="avdrift-"))
    os.environ["CAPTIONER_DATA_DIR"] = str(work / "data")
    t0 = time.perf_counter()
    clip = make_clip(work / "beeps.mp4", args.minutes)
    print(
        f"clip: {args.minutes:g} min at {FPS} fps, a beep every {BEEP_EVERY_S:g} s "
        f"(made in {time.perf_counter() - t0:.0f} s)"
    )

    from PySide6.QtCore import Qt, QTimer
    from PySide6.QtWidgets import QApplication

    from captioner_app.gui.preferences import Settings
    from captioner_app.gui.session import Session

    app = QApplication.instance() or QApplication([])
    session = Session(Settings(auto_analyze=False, autosave_s=3600.0))
    playback = session.playback
    session.open_paths([str(clip)])
    deadline = time.monotonic() + 60
    while (
        session.doc is None or session.doc.info is None or playback.last_frame is None
    ) and time.monotonic() < deadline:
        app.processEvents()
        time.sleep(0.01)
    sound = playback.sound
    print(f"output: {getattr(sound.output(), 'name', None) or 'none'} ({sound.reason or 'sound card'})")
    shown: list[tuple[float, int, float]] = []  # (wall s, picture ms, audio clock ms)

    def frame(f: object) -> None:
        audio = sound.programme_ms()
        if audio is not None and playback.playing:
            shown.append((time.monotonic(), f.time_ms, audio))  # type: ignore[attr-defined]

    playback.frameShown.connect(frame)
    recorder = None
    if not args.no_record and shutil.which("parec"):
        sink = subprocess.run(["pactl", "get-default-sink"], capture_output=True, text=True).stdout.strip()
        recorder = subprocess.Popen(
            [sys.executable, __file__, "--record-child", str(work / "heard"), f"{sink}.monitor"]
        )
        time.sleep(1.0)
    playback.set_rate(args.rate)
    playback.toggle()
    play_s = args.minutes * 60 / args.rate
    stop_at = time.perf_counter() + play_s - 1.0
    starved = [0, 0]  # (checks, checks with under 5 ms of sound left in the device)
    cpu0 = time.process_time()

    def watch() -> None:
        out = sound._out
        if out is not None and playback.playing and out.written > SR:
            starved[0] += 1
            starved[1] += out.written - out.played() < SR // 200

    buffer_timer = QTimer()
    buffer_timer.timeout.connect(watch)
    buffer_timer.start(20)
    beats: list[float] = []  # the GUI thread's heartbeat: a gap is the event loop standing still
    heartbeat = QTimer()
    heartbeat.setTimerType(Qt.TimerType.PreciseTimer)
    heartbeat.timeout.connect(lambda: beats.append(time.monotonic()))
    heartbeat.start(10)
    timer = QTimer()
    timer.timeout.connect(lambda: app.quit() if time.perf_counter() >= stop_at or not playback.playing else None)
    timer.start(200)
    app.exec()
    cpu = time.process_time() - cpu0
    playback.stop()
    if recorder is not None:
        time.sleep(0.5)
        recorder.terminate()
        try:
            recorder.wait(30)
        except subprocess.TimeoutExpired:
            recorder.kill()
    session.shutdown()

    if len(shown) < 3:
        print("no pictures shown")
        return 1
    data = np.array(shown[1:])  # the first is asked for at the start and shown when decoded
    np.save(work / "shown.npy", data)  # (wall s, picture ms, audio clock ms) for a closer look
    print(f"raw data: {work}")
    wall, pts, clock = data[:, 0], data[:, 1], data[:, 2]
    print(
        f"pictures shown: {len(shown)} of {int(play_s * FPS * args.rate)} at {args.rate:g}x; skipped by the "
        f"schedule (a later one was due too): {playback.schedule.skipped}"
    )
    beat = np.array(beats)
    gaps = np.diff(beat) * 1000
    print(
        f"GUI thread heartbeat (10 ms): {int(np.sum(gaps > 60))} gaps over 60 ms, longest {gaps.max():.0f} ms, "
        f"{np.sum(gaps[gaps > 60]) / 1000:.1f} s in all"
    )
    stats("picture vs the app's audio clock", wall, pts - clock, 60 / args.rate, beat)
    print(
        f"device buffer nearly empty in {starved[1]} of {starved[0]} checks (every 20 ms); "
        f"app CPU {cpu / play_s * 100:.0f} % of one core; load average {os.getloadavg()[0]:.1f}"
    )
    if recorder is not None and (work / "heard.times.npy").exists():
        heard_figures(work, wall, pts, clock, args.rate, beat)
    elif not args.no_record:
        print("no recording (parec not found, or it failed)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
