"""The arithmetic that keeps the picture on the sound (:mod:`captioner_app.gui.av_sync`), driven by a fake
audio clock and a fake decoder: no sound card, no Qt."""

from __future__ import annotations

import heapq
import math

import pytest

from captioner_app.gui.av_sync import AHEAD, CAP_MS, EARLY_MS, FrameSchedule, SmoothClock

SR = 48000


def stepped(t_s: float, step_ms: float = 8.0, start_s: float = 0.0) -> int:
    """A device count that moves in steps of ``step_ms`` (as PulseAudio's ``processedUSecs`` does)."""
    played = max(0.0, t_s - start_s)
    return int(math.floor(played * 1000 / step_ms) * step_ms * SR / 1000)


def test_smooth_clock_fills_in_between_the_device_steps():
    clock = SmoothClock(SR)
    errors, lags = [], []
    for i in range(3000):  # polled every 1.7 ms for about 5 s
        t = i * 0.0017
        count = stepped(t)
        value = clock.read(count, t)
        assert value >= count  # never behind the device's own count
        if t > 0.1:
            errors.append(abs(value - t * SR) * 1000 / SR)
            lags.append((t * SR - count) * 1000 / SR)
    assert max(lags) > 7  # the raw count lags by up to a step
    assert max(errors) < 2.0  # the smoothed clock by at most one poll interval


def test_smooth_clock_stops_with_a_stalled_device_and_follows_it_after():
    clock = SmoothClock(SR)
    t = 0.0
    for i in range(600):
        t = i * 0.002
        clock.read(stepped(t), t)
    stalled = stepped(t)  # the device stops (an underrun) at 1.2 s for 0.3 s
    for i in range(150):
        now = t + i * 0.002
        assert clock.read(stalled, now) <= stalled + CAP_MS * SR / 1000
    resume = t + 0.3
    values = []
    for i in range(500):
        now = resume + i * 0.002
        count = stalled + stepped(now, start_s=resume)
        values.append((clock.read(count, now) - (stalled + (now - resume) * SR)) * 1000 / SR)
    assert max(abs(v) for v in values[20:]) < 2.0  # back on the device's clock within 40 ms of resuming


def test_smooth_clock_starts_again_with_a_new_play():
    clock = SmoothClock(SR)
    for i in range(100):
        clock.read(stepped(i * 0.002), i * 0.002)
    assert clock.read(0, 0.2) == 0.0  # the count went back to 0: nothing from the last play counts


def simulate(
    schedule: FrameSchedule,
    clock_at,  # wall s -> programme ms
    end_s: float,
    decode_ms=lambda n: 5.0,  # the n-th request's decoding time
    fps: float = 25.0,
    last_frame_ms: float = 1e9,
    rate: float = 1.0,
):
    """Runs the schedule as Playback does: a single-shot timer and a decoder answering one request at a time.
    Returns the pictures shown as (wall s, picture ms, clock ms) and the number of requests."""
    step = 1000 / fps
    events: list[tuple[float, int, str, object]] = []  # (wall s, order, kind, payload)
    order = [0]
    shown: list[tuple[float, float, float]] = []
    requests = [0]
    timer = [None]

    def push(at: float, kind: str, payload: object = None) -> None:
        order[0] += 1
        heapq.heappush(events, (at, order[0], kind, payload))

    def present(now: float) -> None:
        clock = clock_at(now)
        frame, wait = schedule.take(clock, rate)
        if frame is not None:
            shown.append((now, frame, clock))
        at = schedule.next_request(clock, rate)
        if at is not None:
            requests[0] += 1
            picture = min(math.floor(at / step) * step, last_frame_ms)  # the picture on screen at `at`
            took = decode_ms(requests[0])
            push(now + took / 1000, "frame", (picture, took))
        timer[0] = now + wait / 1000
        push(timer[0], "timer", timer[0])

    present(0.0)
    while events:
        now, _, kind, payload = heapq.heappop(events)
        if now > end_s:
            break
        if kind == "timer" and payload != timer[0]:
            continue  # restarted since
        if kind == "frame":
            picture, took = payload
            schedule.arrived(picture, picture, took)
        present(now)
    return shown, requests[0]


def test_each_picture_is_shown_when_the_clock_reaches_it():
    schedule = FrameSchedule(40.0)
    shown, requests = simulate(schedule, lambda t: t * 1000, 10.0)
    pictures = [p for _, p, _ in shown]
    assert pictures == [i * 40.0 for i in range(len(pictures))] and len(pictures) >= 249  # every picture, in order
    errors = [p - clock for _, p, clock in shown]
    assert errors[0] == -5.0  # the first picture is asked for at the start: shown when decoded
    assert max(abs(e) for e in errors[1:]) <= EARLY_MS + 1e-9  # the others when the clock reaches them
    assert requests <= len(pictures) + AHEAD  # one request a picture (and those decoded ahead): no busy loop


def test_half_speed_and_a_non_integer_frame_rate():
    fps = 30000 / 1001
    schedule = FrameSchedule(1000 / fps)
    shown, _ = simulate(schedule, lambda t: t * 500, 6.0, fps=fps, rate=0.5)
    pictures = [p for _, p, _ in shown]
    assert len(pictures) == len(set(pictures)) >= 89 and pictures == sorted(pictures)
    assert max(abs(p - clock) for _, p, clock in shown[1:]) <= EARLY_MS + 1e-9


def test_a_slow_decode_holds_the_picture_and_it_is_on_time_again_after():
    schedule = FrameSchedule(40.0)
    # the 50th request takes 300 ms (a busy machine): the pictures decoded ahead cover 160 ms of it
    shown, _ = simulate(schedule, lambda t: t * 1000, 4.0, decode_ms=lambda n: 300.0 if n == 50 else 5.0)
    late = [(w, p, clock) for w, p, clock in shown[1:] if clock - p > EARLY_MS]
    assert late and all(1.9 < w <= 2.185 for w, _, _ in late)  # only while the decoder was stuck
    assert all(abs(p - clock) <= EARLY_MS for w, p, clock in shown if w > 2.185)  # on time from its answer


def test_a_loop_going_back_asks_for_pictures_from_the_clock_again():
    schedule = FrameSchedule(40.0)
    shown, _ = simulate(schedule, lambda t: 1000 + (t * 1000) % 500, 2.0)  # loops 1.0-1.5 s
    assert shown[0][1] == 1000.0
    wraps = [i for i in range(1, len(shown)) if shown[i][1] < shown[i - 1][1]]
    assert len(wraps) == 3
    for i in wraps:  # after each wrap the loop's first pictures again, without waiting for a timeout
        assert shown[i][1] <= 1080 and shown[i][0] - shown[i - 1][0] < 0.1
    assert max(abs(p - clock) for _, p, clock in shown) <= 40


def test_a_held_clock_holds_the_picture_and_the_end_of_the_video_asks_no_more():
    schedule = FrameSchedule(40.0)
    # the preview with descriptions: the programme holds at 1.0 s for 0.5 s while a cue is spoken
    shown, requests = simulate(schedule, lambda t: t * 1000 if t < 1 else max(1000, t * 1000 - 500), 3.0)
    times = [p for _, p, _ in shown]
    assert times.count(1000.0) == 1 and times == sorted(times)
    assert max(abs(p - clock) for _, p, clock in shown[1:]) <= EARLY_MS + 1e-9
    # a video whose last picture is at 1.2 s while the clock runs on (the sound is longer)
    schedule = FrameSchedule(40.0)
    shown, requests = simulate(schedule, lambda t: t * 1000, 3.0, last_frame_ms=1200.0)
    assert [p for _, p, _ in shown][-1] == 1200.0 and len(shown) == 31
    assert requests < 31 + (3000 - 1200) / 40 + 5  # asks once a frame, not in a loop


def test_next_request_is_for_the_picture_after_the_last_one_known():
    schedule = FrameSchedule(40.0, ahead=2)
    assert schedule.next_request(1000.0) == 1000
    assert schedule.next_request(1000.0) is None  # one request at a time
    schedule.arrived(1000.0, "a")
    assert schedule.next_request(1000.0) == 1060  # half-way into the next picture
    schedule.arrived(1040.0, "b")
    assert schedule.next_request(1000.0) is None  # two ahead are enough
    assert schedule.take(1000.0) == ("a", pytest.approx(40.0))
    assert schedule.next_request(1000.0) == 1100


def test_a_decoder_slower_than_the_video_shows_the_pictures_it_can_on_time():
    schedule = FrameSchedule(40.0)
    shown, _ = simulate(schedule, lambda t: t * 1000, 10.0, decode_ms=lambda n: 100.0)  # 10 pictures a second
    assert 80 <= len(shown) <= 101
    # asked for where the clock will be when the decoder answers: late by at most half a frame
    assert all(-20 - EARLY_MS <= p - clock <= EARLY_MS for _, p, clock in shown[5:])
