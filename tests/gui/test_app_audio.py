"""The app's audio: the timeline's waveform (computed in a worker thread with the core's envelope API and
cache), the narration voice for Speak Cue and the checks, and File > Export Described Video."""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np
import pytest

from captioner_app.testing.media import make_video, tone


@pytest.fixture(scope="module")
def tone_video(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """4 s: silence for 1 s, a 440 Hz tone at amplitude 0.5 for 2 s, silence for 1 s."""
    rate = 16000
    audio = np.zeros(4 * rate, np.float32)
    audio[rate : 3 * rate] = tone(2.0, rate) / 0.3 * 0.5  # tone() peaks at 0.3
    return make_video(tmp_path_factory.mktemp("audio") / "tone.mp4", 4.0, audio=audio, sample_rate=rate)


def test_waveform_worker_reaches_the_timeline_and_matches_the_tone(make_window, wait_opened, qtbot,
                                                                  tone_video: Path) -> None:
    window = make_window()
    gui_thread = threading.get_ident()
    computed_in: list[int] = []
    from captioner_app.core.analysis import waveform_cache

    original = waveform_cache.compute_envelope

    def spy(*args, **kwargs):  # type: ignore[no-untyped-def]
        computed_in.append(threading.get_ident())
        return original(*args, **kwargs)

    waveform_cache.compute_envelope = spy  # type: ignore[assignment]
    try:
        window.session.open_paths([str(tone_video)])
        wait_opened(window)
        qtbot.waitUntil(lambda: window.timeline.envelope is not None and window.timeline.envelope.complete,
                        timeout=20000)
    finally:
        waveform_cache.compute_envelope = original  # type: ignore[assignment]
    assert computed_in and gui_thread not in computed_in  # decoded in a worker, never the GUI thread
    envelope = window.timeline.envelope
    assert envelope is window.session.waveforms.get(str(tone_video))
    # the tone's amplitude between 1 s and 3 s, silence around it (AAC keeps it within a few percent)
    lo, hi = envelope.peaks(1200, 2800, 16)
    assert np.all(np.abs(hi - 0.5) < 0.06) and np.all(np.abs(lo + 0.5) < 0.06)
    lo, hi = envelope.peaks(100, 800, 8)
    assert np.all(np.maximum(hi, -lo) < 0.02)
    # drawn at every zoom: the timeline's peaks per pixel show the tone where it is in view
    window.timeline.resize(400, window.timeline.height())
    for factor in (1.0, 2.0, 8.0):
        window.timeline.zoom(factor, 2000)
        mins, maxs = window.timeline.waveform_peaks()
        assert len(maxs) == window.timeline.width()
        inside = [x for x in range(len(maxs)) if 1100 < window.timeline.ms_for(x) < 2900]
        assert inside and np.all(np.abs(maxs[inside] - 0.5) < 0.06)
        window.timeline.grab()  # paints without error at this zoom
    # a second opening reads the cache written beside the analysis cache (no decode)
    from captioner_app.core.analysis.waveform_cache import cache_path

    assert cache_path(tone_video) is not None and cache_path(tone_video).is_file()


def test_partial_envelopes_are_drawn_as_they_arrive(make_window, wait_opened, qtbot, tone_video: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    from captioner_app.core.media import waveform

    monkeypatch.setattr(waveform, "PARTIAL_EVERY_S", 0.0)  # hand out every partial envelope
    window = make_window()
    seen: list[tuple[bool, float]] = []  # (complete, the drawn peak) for each envelope the timeline got

    def record(update) -> None:  # type: ignore[no-untyped-def]
        if update.envelope is not None and window.timeline.envelope is update.envelope:
            window.timeline.resize(400, window.timeline.height())
            seen.append((update.envelope.complete, float(window.timeline.waveform_peaks()[1].max())))

    window.session.waveforms.updated.connect(record)
    window.session.open_paths([str(tone_video)])
    wait_opened(window)
    qtbot.waitUntil(lambda: bool(seen) and seen[-1][0], timeout=20000)
    partial = [peak for complete, peak in seen if not complete]
    assert partial, seen  # partial envelopes reached the timeline before the complete one
    assert seen[-1][1] == pytest.approx(0.5, abs=0.06)
