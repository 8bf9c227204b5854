"""A/V drift of the app's playback: how far the picture and the sound are apart after N minutes.

Plays a generated video (a 1 kHz beep every 10 s from 5 s) in the app's playback (offscreen Qt, the session
without a window) for ``--minutes`` (default 10) and prints:

- picture vs audio clock: each time a frame is shown, the programme time the sound has reached
  (``QAudioSink.processedUSecs`` through the player's timeline) minus the frame's own time: its spread
  over the play and its mean over the first and the last minute (the drift is their difference);
- what is heard: the sink's monitor is recorded with ``parecord`` (a PulseAudio null sink works on a
  headless machine); each beep's onset in the recording is compared with the picture shown at that
  moment. The first beep calibrates the recording's start, so the figure is how much the heard sound and
  the picture drift apart over the play; the beep's frequency is checked with an FFT.

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
import wave
from pathlib import Path

import numpy as np

BEEP_EVERY_S = 10.0
FIRST_BEEP_S = 5.0  # after the play has started
SR = 48000


def make_clip(path: Path, minutes: float) -> Path:
    from captioner_app.testing.media import make_video

    rate = 16000
    n = int(minutes * 60 * rate)
    audio = np.zeros(n, np.float32)
    t = np.arange(int(0.06 * rate)) / rate
    beep = (0.5 * np.sin(2 * np.pi * 1000 * t)).astype(np.float32)
    for k in range(int(minutes * 60 / BEEP_EVERY_S) + 1):
        at = int((k * BEEP_EVERY_S + FIRST_BEEP_S) * rate)
        if at >= n:
            break
        audio[at : at + len(beep)] = beep[: max(0, min(len(beep), n - at))]
    return make_video(path, minutes * 60, fps=25, size=(96, 54), audio=audio, sample_rate=rate)


def onsets(samples: np.ndarray, sr: int) -> list[float]:
    """Times (s) where the 1 kHz beep starts, from 2 ms steps."""
    n = sr // 500
    ref = np.exp(-2j * np.pi * 1000 * np.arange(4 * n) / sr)
    found: list[float] = []
    last = -1.0
    for i in range(0, len(samples) - 4 * n, n):
        level = abs(np.dot(samples[i : i + 4 * n], ref)) * 2 / (4 * n)
        if level > 0.15 and i / sr - last > 1.0:
            found.append(i / sr)
            last = i / sr
    return found


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--minutes", type=float, default=10.0)
    ap.add_argument("--rate", type=float, default=1.0)
    ap.add_argument("--no-record", action="store_true", help="do not record the sink's monitor with parecord")
    args = ap.parse_args()
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    work = Path(tempfile.mkdtemp(prefix="avdrift-"))
    os.environ["CAPTIONER_DATA_DIR"] = str(work / "data")
    t0 = time.perf_counter()
    clip = make_clip(work / "beeps.mp4", args.minutes)
    print(f"clip: {args.minutes:g} min, beep every {BEEP_EVERY_S:g} s (made in {time.perf_counter() - t0:.0f} s)")

    from PySide6.QtCore import QTimer
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
    sound.output()
    print(f"output: {getattr(sound.output(), 'name', None) or 'none'} ({sound.reason or 'sound card'})")
    shown: list[tuple[float, int, float]] = []  # (wall s, frame time ms, audio clock ms)

    placeholders = [0]

    def frame(f: object) -> None:
        audio = sound.programme_ms()
        if not getattr(f, "exact", True):  # a keyframe shown while the exact picture decodes
            placeholders[0] += 1
            return
        if audio is not None and playback.playing:
            shown.append((time.perf_counter(), f.time_ms, audio))  # type: ignore[attr-defined]

    playback.frameShown.connect(frame)
    recorder = None
    record = work / "heard.wav"
    if not args.no_record and shutil.which("parecord"):
        sink = subprocess.run(["pactl", "get-default-sink"], capture_output=True, text=True).stdout.strip()
        recorder = subprocess.Popen(
            [
                "parecord",
                "-d",
                f"{sink}.monitor",
                "--rate",
                str(SR),
                "--channels",
                "1",
                "--format",
                "s16le",
                "--file-format=wav",
                str(record),
            ]
        )
        time.sleep(1.0)
    record_wall = time.perf_counter() - 1.0  # about when parecord started (cancels out below)
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
    timer = QTimer()
    timer.timeout.connect(lambda: app.quit() if time.perf_counter() >= stop_at or not playback.playing else None)
    timer.start(200)
    app.exec()
    cpu = time.process_time() - cpu0
    playback.stop()
    if recorder is not None:
        time.sleep(0.5)
        recorder.send_signal(signal.SIGINT)
        recorder.wait(10)
    session.shutdown()

    if not shown:
        print("no frames shown")
        return 1
    np.save(work / "shown.npy", np.array(shown))  # (wall s, frame ms, audio clock ms) for a closer look
    print(f"raw data: {work}")
    wall = np.array([s[0] for s in shown])
    diff = np.array([s[2] - s[1] for s in shown])  # audio clock minus the frame's time
    frame_ms = 1000 / 25
    minute = 60 / args.rate
    first = diff[wall - wall[0] < minute]
    last = diff[wall - wall[-1] > -minute]
    print(
        f"frames shown: {len(shown)} over {wall[-1] - wall[0]:.0f} s at {args.rate:g}x "
        f"(and {placeholders[0]} keyframe placeholders, left out)"
    )
    print(
        f"picture vs audio clock (audio - frame time, ms; a frame is right for {frame_ms:.0f} ms after its time): "
        f"median {np.median(diff):.1f}, p5 {np.percentile(diff, 5):.1f}, p95 {np.percentile(diff, 95):.1f}, "
        f"p99 {np.percentile(diff, 99):.1f}, max |.| {np.max(np.abs(diff)):.1f}; outside 0-40 ms: "
        f"{np.mean((diff < 0) | (diff > 40)) * 100:.1f} % of frames"
    )
    print(
        f"drift: first minute mean {first.mean():.1f} ms, last minute mean {last.mean():.1f} ms, "
        f"change {last.mean() - first.mean():+.1f} ms"
    )
    print(
        f"device buffer nearly empty in {starved[1]} of {starved[0]} checks (every 20 ms); "
        f"app CPU {cpu / play_s * 100:.0f} % of one core; load average {os.getloadavg()[0]:.1f}"
    )
    if recorder is not None and record.exists():
        with wave.open(str(record)) as w:
            heard = np.frombuffer(w.readframes(w.getnframes()), "<i2").astype(np.float32) / 32767
        times = onsets(heard, SR)
        print(f"recorded: {len(heard) / SR:.0f} s, {len(times)} beeps heard")
        if len(times) >= 2:
            seg = heard[int((times[0] + 0.01) * SR) : int((times[0] + 0.05) * SR)]
            spec = np.abs(np.fft.rfft(seg * np.hanning(len(seg)), 8 * len(seg)))
            peak = np.fft.rfftfreq(8 * len(seg), 1 / SR)[np.argmax(spec)]
            print(f"beep frequency heard: {peak:.0f} Hz (1000 Hz played)")
            # beeps are 10 s apart in the programme: the k-th is due 10 k s / rate after the first (a longer
            # gap in the recording is the sound stalling: the output ran dry and the sink played silence)
            step = BEEP_EVERY_S / args.rate
            index = [0]
            for prev, cur in zip(times, times[1:], strict=False):
                index.append(index[-1] + max(1, round((cur - prev) / step)))
            late = [(r - times[0] - k * step) * 1000 for r, k in zip(times, index, strict=False)]
            print(
                f"heard beeps against real time since the first: last {late[-1]:+.0f} ms after {index[-1]} beeps "
                f"(the sound's stalls added up; the picture waits with it), largest single stall "
                f"{max(np.diff(late), default=0):.0f} ms"
            )
            # the picture on screen when each beep was heard, against the beep nearest to it (so a missed or
            # late beep cannot shift the count); taken relative to the first beep's, which cancels the
            # recorder's start latency
            offsets = []
            for r in times:
                i = int(np.searchsorted(wall, record_wall + r))
                if 0 < i <= len(wall):
                    picture_ms = shown[i - 1][1]
                    every = BEEP_EVERY_S * 1000
                    beep_ms = FIRST_BEEP_S * 1000 + round((picture_ms - FIRST_BEEP_S * 1000) / every) * every
                    offsets.append(picture_ms - beep_ms)
            if len(offsets) >= 2:
                picture = np.array(offsets) - offsets[0]
                print(
                    f"picture shown when each beep was heard, relative to the first (ms): last {picture[-1]:+.0f}, "
                    f"median |.| {np.median(np.abs(picture)):.0f}, max |.| {np.max(np.abs(picture)):.0f} over "
                    f"{len(picture)} beeps"
                )
    elif not args.no_record:
        print("no recording (parecord not found)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
