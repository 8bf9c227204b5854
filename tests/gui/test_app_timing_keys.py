"""Timing from the keyboard (Timing and Playback menus), driven by key events: set start/end to the
playhead, nudge edges, move a cue, previous/next cue, gap and shot change, play the current cue; and the
timeline's lanes for overlapping cues and the time shown beside a dragged edge."""

from __future__ import annotations

from PySide6.QtCore import QPoint, Qt

from captioner_app.core.analysis.analyze import Analysis
from captioner_app.core.timing.spans import Span
from captioner_app.core.tracks.track import Cue

Key = Qt.Key
Mod = Qt.KeyboardModifier


def _times(w):
    return [(c.start_ms, c.end_ms) for c in w.doc.model.track]


def test_set_nudge_and_move_keys_stop_at_the_neighbour_and_are_one_undo_step_each(qtbot, ready_window):
    w = ready_window([Cue(1000, 2000, "A"), Cue(2500, 4000, "B")])
    stack = w.doc.model.undo_stack
    w.select_row(1)

    def key(k, mods=Mod.NoModifier):
        qtbot.keyClick(w.table, k, mods)

    w.seek(2200)
    key(Key.Key_F11)  # set start to the playhead
    assert _times(w) == [(1000, 2000), (2200, 4000)]
    w.seek(1500)
    key(Key.Key_F11)  # inside the previous cue: stops at its end
    assert _times(w) == [(1000, 2000), (2000, 4000)]
    count = stack.count()
    key(Key.Key_F11, Mod.ControlModifier)  # asked to overlap it
    assert _times(w) == [(1000, 2000), (1500, 4000)] and stack.count() == count + 1
    key(Key.Key_Z, Mod.ControlModifier)  # one undo step
    assert _times(w) == [(1000, 2000), (2000, 4000)]
    w.seek(3500)
    key(Key.Key_F12)
    assert _times(w)[1] == (2000, 3500)

    # one frame at 30 fps, on frame boundaries; 100 ms with Shift
    key(Key.Key_F6)
    assert _times(w)[1] == (2034, 3500)
    key(Key.Key_F5)
    assert _times(w)[1] == (2000, 3500)
    count = stack.count()
    key(Key.Key_F5, Mod.ShiftModifier)  # against cue A's end: not moved, no undo entry
    assert _times(w)[1] == (2000, 3500) and stack.count() == count
    assert "neighbour" in w.statusBar().currentMessage()
    key(Key.Key_F8, Mod.ShiftModifier)
    assert _times(w)[1] == (2000, 3600)
    key(Key.Key_F7)
    assert _times(w)[1] == (2000, 3567)

    # moving the whole cue keeps its length and stops at the neighbour
    key(Key.Key_Right, Mod.ControlModifier | Mod.ShiftModifier)
    assert _times(w)[1] == (2100, 3667)
    key(Key.Key_Left, Mod.ControlModifier | Mod.ShiftModifier)
    key(Key.Key_Left, Mod.ControlModifier | Mod.ShiftModifier)
    assert _times(w)[1] == (2000, 3567)
    w.select_row(0)
    key(Key.Key_Right, Mod.ControlModifier | Mod.ShiftModifier)  # A is already against B
    assert _times(w)[0] == (1000, 2000)
    # the end of the video is a limit too
    w.select_row(1)
    w.seek(5900)
    key(Key.Key_F12)
    for _ in range(5):
        key(Key.Key_F8, Mod.ShiftModifier)
    assert _times(w)[1][1] <= w.doc.info.duration_ms


def test_previous_next_cue_gap_and_shot_move_the_playhead(qtbot, ready_window):
    w = ready_window([Cue(500, 1000, "A"), Cue(2000, 2500, "B"), Cue(4000, 4500, "C")])
    w.seek(0)

    def key(k, mods=Mod.AltModifier):
        qtbot.keyClick(w.table, k, mods)

    key(Key.Key_Down)
    assert w.selected_rows() == [0] and w.position == 500
    key(Key.Key_Down)
    assert w.selected_rows() == [1] and w.position == 2000
    key(Key.Key_Down)
    key(Key.Key_Down)  # no cue after the last: stays
    assert w.selected_rows() == [2] and w.position == 4000
    key(Key.Key_Up)
    assert w.selected_rows() == [1] and w.position == 2000

    key(Key.Key_PageDown)  # gaps need the analysis
    assert w.position == 2000 and "Analyze" in w.statusBar().currentMessage()
    w.doc.analysis = Analysis(
        duration_ms=6000, gaps=(Span(1200, 1900), Span(3300, 3900)), shots=(Span(0, 3000), Span(3000, 6000))
    )
    key(Key.Key_PageDown)
    assert w.position == 3300
    key(Key.Key_PageDown)  # no later gap
    assert w.position == 3300
    key(Key.Key_PageUp)
    assert w.position == 1200
    key(Key.Key_PageDown, Mod.AltModifier | Mod.ShiftModifier)
    assert w.position == 3000
    key(Key.Key_PageUp, Mod.AltModifier | Mod.ShiftModifier)
    assert w.position == 3000  # no shot change before


def test_play_current_cue_plays_it_with_a_second_either_side(qtbot, ready_window):
    w = ready_window([Cue(1500, 1900, "A"), Cue(3000, 3500, "B")])
    w.select_row(0)
    w.seek(5000)
    qtbot.keyClick(w.table, Key.Key_P, Mod.ControlModifier | Mod.ShiftModifier)
    assert w.playing and w.position == 500
    qtbot.waitUntil(lambda: not w.playing, timeout=8000)
    assert abs(w.position - 2900) <= 5


def test_overlapping_cues_get_lanes_and_a_dragged_edge_shows_its_time(qtbot, ready_window):
    w = ready_window([Cue(1000, 3000, "A"), Cue(2000, 4000, "B"), Cue(4500, 5000, "C")])
    tl = w.timeline
    tl.resize(600, 120)
    a, b, c = (tl.cue_rect(cue, row) for row, cue in enumerate(tl.cues))
    assert not a.intersects(b)  # neither hides the other
    assert a.top() == c.top()  # a cue that overlaps nothing stays in the first lane
    y = int(b.center().y())
    start = QPoint(int(tl.x_for(4000)), y)
    qtbot.mousePress(tl, Qt.MouseButton.LeftButton, pos=start)
    target = QPoint(int(round(tl.x_for(4200))), y)
    qtbot.mouseMove(tl, target)
    assert tl.drag_label is not None and tl.drag_label.startswith("End 0:00:04.")
    assert tl.toolTip() == tl.drag_label
    tl.grab()  # paints the label
    qtbot.mouseRelease(tl, Qt.MouseButton.LeftButton, pos=target)
    assert tl.drag_label is None
    assert abs(w.doc.model.track[1].end_ms - 4200) <= 20
