"""Audio-description timing in the app: analysis on the timeline, snapping, checks, extended cues, speech."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest
from PySide6.QtCore import QEvent, QPointF, Qt
from PySide6.QtGui import QMouseEvent
from PySide6.QtWidgets import QApplication

from captioner_app.core.tracks import formats
from captioner_app.core.tracks.track import Cue, Provenance
from captioner_app.gui.models.cues import COL_EXTENDED, COL_WPM
from captioner_app.testing.speech import PHRASES, first_frame_at_or_after, make_speech_video

CUTS_S = (2.0, 6.0)


@pytest.fixture(scope="module")
def speech_video(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[tuple[int, int]]]:
    """12 s: espeak-ng speech from 0.5 s and 8 s (a pause between), scene changes at 2 s and 6 s."""
    folder = tmp_path_factory.mktemp("ad-timing")
    return make_speech_video(folder / "speech.mp4", 12.0, ((0.5, PHRASES[4]), (8.0, PHRASES[4])), CUTS_S)


def action(w, text: str):
    return next(a for a in w.all_actions if a.text().replace("&", "") == text)


def drag(widget, start: QPointF, end: QPointF, shift: bool = False) -> None:
    """Press, move and release the left button, optionally holding Shift while moving."""
    mods = Qt.KeyboardModifier.ShiftModifier if shift else Qt.KeyboardModifier.NoModifier
    left, none = Qt.MouseButton.LeftButton, Qt.MouseButton.NoButton
    for kind, pos, button, buttons in (
        (QEvent.Type.MouseButtonPress, start, left, left),
        (QEvent.Type.MouseMove, end, none, left),
        (QEvent.Type.MouseButtonRelease, end, left, none),
    ):
        event = QMouseEvent(kind, pos, widget.mapToGlobal(pos), button, buttons, mods)
        QApplication.sendEvent(widget, event)


def cue(start: int, end: int, text: str) -> Cue:
    return Cue(start, end, text, Provenance(source="manual"))


def test_analysis_draws_speech_and_shots_snaps_edges_and_places_cues_in_gaps(
    qtbot, make_window, speech_video, wait_opened
):
    path, truth = speech_video
    w = make_window()
    w.open_paths([str(path)])
    wait_opened(w)
    # the analysis starts by itself when the video opens, in the analysis worker thread
    qtbot.waitUntil(lambda: w.doc.analysis is not None or "failed" in w.analysis_label.text(), timeout=90000)
    analysis = w.doc.analysis
    assert analysis is not None, w.analysis_label.text()
    assert "speech region" in w.analysis_label.text() and not w.analysis_cancel_button.isEnabled()

    # speech regions under the ruler cover each spoken phrase; shot marks sit on the scene changes
    tl = w.timeline
    assert len(tl.regions) >= len(truth)
    for start, end in truth:
        covered = sum(max(0, min(e, end) - max(s, start)) for s, e in tl.regions)
        assert covered >= 0.8 * (end - start), (truth, tl.regions)
    assert tl.marks == [first_frame_at_or_after(c, 30) for c in CUTS_S]
    assert "speech regions" in tl.accessibleDescription()

    # dragging a cue's end edge to a few pixels past the 6 s shot change snaps it onto the change
    model = w.doc.model
    model.add_cue(cue(4000, 5000, "A door opens."))
    cut = tl.marks[1]
    y = tl.cue_rect(model.track[0]).center().y()
    near = tl.x_for(cut) + 4
    assert abs(tl.ms_for(near) - cut) > 0  # the pointer itself is off the cut
    drag(tl, QPointF(tl.x_for(5000), y), QPointF(near, y))
    assert (model.track[0].start_ms, model.track[0].end_ms) == (4000, cut)
    # holding Shift places the edge freely
    drag(tl, QPointF(tl.x_for(cut), y), QPointF(near, y), shift=True)
    assert model.track[0].end_ms == tl.ms_for(near) != cut
    model.undo_stack.undo()
    assert model.track[0].end_ms == cut

    # a cue over speech is listed by the checks pane with what to do
    model.add_cue(cue(600, 2000, "A man talks."))
    over = [f for f in w.checks.findings if f.rule == "overlaps-speech"]
    assert [f.cue_index for f in over] == [0], w.checks.findings
    model.undo_stack.undo()

    # caption with gaps placement and auto detail, as `captioner caption --placement gaps --detail auto`
    model.replace_all([], "Clear")
    w.placement_combo.setCurrentText("gaps")
    w.detail_combo.setCurrentText("auto")
    w.caption_video()
    qtbot.waitUntil(lambda: not w.captioning, timeout=120000)
    assert not [m for m in w.messages if "fail" in m.lower()], w.messages
    cues = list(model.track)
    assert cues
    for c in cues:
        assert any(g.start_ms <= c.start_ms and c.end_ms <= g.end_ms for g in analysis.gaps), (c, analysis.gaps)
        assert analysis.speech_overlap_ms(c.start_ms, c.end_ms) == 0
    assert w.doc.caption["placement"] == "gaps" and w.doc.caption["detail"] == "auto"

    # Caption > Analyze Video runs it again (bypassing the cache); stopping it keeps the earlier result
    action(w, "Analyze Video (Speech and Shots)").trigger()
    assert w.analysis_cancel_button.isEnabled() and w.doc.analysis_job is not None
    w.analysis_cancel_button.click()
    qtbot.waitUntil(lambda: w.doc.analysis_job is None, timeout=30000)
    assert "stopped" in w.analysis_label.text() and w.doc.analysis is analysis

    # reopening the video reads the analysis back from the cache instead of decoding again
    w.close_document()
    w.open_paths([str(path)])
    wait_opened(w)
    qtbot.waitUntil(lambda: w.doc.analysis is not None, timeout=30000)
    assert "from the cache" in w.analysis_label.text()
    assert w.doc.analysis.speech == analysis.speech and w.doc.analysis.shots == analysis.shots


BROKEN = [
    cue(0, 2000, "A woman opens the red door, looks back at the hall and smiles at her brother."),  # over budget
    cue(1500, 3000, "We see a garden."),  # overlaps the previous cue; "we see"
    cue(3200, 3800, ""),  # empty; shorter than the minimum gap
    cue(4000, 5900, "The man walked away slowly."),  # not present tense
]
CLEAN = [cue(0, 2600, "A woman opens the red door."), cue(3000, 5900, "She crosses the hall.")]


def test_checks_pane_lists_findings_and_selects_the_cue(qtbot, make_window, small_video: Path, wait_opened):
    w = make_window(auto_analyze=False)
    w.open_paths([str(small_video)])
    wait_opened(w)
    model = w.doc.model
    model.replace_all(BROKEN, "Broken track")
    found = {(f.cue_index, f.rule) for f in w.checks.findings}
    assert {
        (0, "over-budget"),
        (1, "cue-overlap"),
        (1, "we-see"),
        (2, "empty-text"),
        (2, "short-gap"),
        (3, "not-present-tense"),
    } <= found
    assert w.checks.list.count() == len(w.checks.findings)
    first = w.checks.list.item(0).text()
    assert "Cue 1" in first and "over-budget" in first and "mark it extended" in first
    assert "error" in w.checks.summary.text() and "speech not checked" in w.checks.summary.text()
    # the over-budget cue is flagged in the table too (never cut)
    wpm = model.index(0, COL_WPM)
    assert model.data(wpm, Qt.ItemDataRole.BackgroundRole) is not None
    assert "too fast" in model.data(wpm, Qt.ItemDataRole.AccessibleTextRole)
    assert model.track[0].text == BROKEN[0].text

    # clicking a finding selects its cue and moves the playhead there
    row = next(i for i, f in enumerate(w.checks.findings) if f.rule == "not-present-tense")
    item = w.checks.list.item(row)
    qtbot.mouseClick(
        w.checks.list.viewport(), Qt.MouseButton.LeftButton, pos=w.checks.list.visualItemRect(item).center()
    )
    assert w.selected_rows() == [3]
    assert w.position == BROKEN[3].start_ms

    # a caption track is also checked for reading speed
    w.checks.kind_combo.setCurrentText("caption")
    assert "chars-per-second" in {f.rule for f in w.checks.findings}
    w.checks.kind_combo.setCurrentText("description")

    # a clean track has no findings
    model.replace_all(CLEAN, "Clean track")
    assert w.checks.findings == [] and w.checks.list.count() == 0
    assert w.checks.summary.text().startswith("No problems found")


def test_extended_is_undoable_shown_and_exported(qtbot, make_window, small_video: Path, tmp_path: Path, wait_opened):
    w = make_window(auto_analyze=False)
    w.open_paths([str(small_video)])
    wait_opened(w)
    model = w.doc.model
    model.replace_all(
        [
            cue(0, 2000, "A woman opens the red door, looks back at the hall and smiles at her brother."),
            cue(3000, 5000, "She leaves."),
        ],
        "Track",
    )
    assert "over-budget" in {f.rule for f in w.checks.findings}
    w.select_row(0)
    action(w, "Mark Cue Extended / Not Extended").trigger()
    assert model.track[0].extended and not model.track[1].extended
    assert model.data(model.index(0, COL_EXTENDED)) == "extended"
    assert model.data(model.index(0, COL_WPM), Qt.ItemDataRole.BackgroundRole) is None  # no budget
    assert "over-budget" not in {f.rule for f in w.checks.findings}  # extended cues are exempt
    assert w.timeline.cues[0].extended
    model.undo_stack.undo()
    assert not model.track[0].extended and "over-budget" in {f.rule for f in w.checks.findings}
    model.undo_stack.redo()
    assert model.track[0].extended

    assert w.export_track(str(tmp_path / "t.vtt"), "vtt") and w.export_track(str(tmp_path / "t.json"), "json")
    vtt = (tmp_path / "t.vtt").read_text()
    assert "extended-1\n00:00:00.000 --> 00:00:02.000" in vtt
    data = json.loads((tmp_path / "t.json").read_text())
    cues = data["cues"] if isinstance(data, dict) else data
    assert [c.get("extended", False) for c in cues] == [True, False]
    for name in ("t.vtt", "t.json"):
        assert [c.extended for c in formats.read(tmp_path / name).track] == [True, False]

    # the same action on an extended cue clears the mark (one more undoable edit)
    action(w, "Mark Cue Extended / Not Extended").trigger()
    assert not model.track[0].extended
    assert model.undo_stack.undoText().startswith("Mark cue 1 not extended")


def test_speak_cue_speaks_with_the_narration_voice_and_says_how_long(
    qtbot, make_window, small_video: Path, wait_opened
):
    w = make_window(auto_analyze=False)
    w.open_paths([str(small_video)])
    wait_opened(w)
    w.doc.model.add_cue(cue(0, 2000, "A red door opens."))
    w.select_row(0)
    spoken: list[object] = []
    w.session.narration.spoken.connect(spoken.append)
    action(w, "Speak Cue").trigger()
    qtbot.waitUntil(lambda: bool(spoken), timeout=20000)
    result = spoken[0]
    assert result.error is None and result.sample_rate > 0 and len(result.samples) > 0
    assert 500 < result.duration_ms < 2500  # four words at 180 wpm
    message = w.messages[-1]
    assert "\n" not in message and "narration takes" in message and "the cue lasts 2.0 s" in message
    if importlib.util.find_spec("PySide6.QtMultimedia") is None:
        assert "QtMultimedia" in message and "PySide6-Addons" in message
