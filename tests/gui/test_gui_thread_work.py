"""What the GUI thread does per frame stays small: the timeline repaints its cached layer only when what it
shows changes (not when the playhead moves), the preview gets pictures decoded at the size it shows them,
and the window-wide shortcut filter sees only the focused text field's events (benchmarks/gui_stall.py
measures the gaps these keep short)."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtGui import QPalette

from captioner_app.core.tracks.track import Cue
from captioner_app.gui.widgets.timeline import Timeline


def test_moving_the_playhead_does_not_repaint_the_timeline_layer(qtbot, monkeypatch) -> None:
    timeline = Timeline()
    qtbot.addWidget(timeline)
    timeline.resize(600, 110)
    timeline.set_duration(10_000)
    timeline.set_cues([Cue(1000, 3000, "A door opens."), Cue(5000, 7000, "Rain.")])
    timeline.show()
    qtbot.waitExposed(timeline)
    layers: list[int] = []
    original = timeline._paint_layer
    monkeypatch.setattr(timeline, "_paint_layer", lambda p: (layers.append(1), original(p))[1])
    head = timeline.palette().color(QPalette.ColorRole.Text).name()
    base = timeline.palette().color(QPalette.ColorRole.Base).name()
    bottom = timeline.height() - 2  # under the cue blocks: only the playhead crosses it

    def colour_at(ms: int) -> str:
        image = timeline.grab().toImage()
        return image.pixelColor(round(timeline.x_for(ms)), bottom).name()

    timeline.set_position(2000)
    assert colour_at(2000) == head
    painted = len(layers)
    assert painted == 1
    for ms in (4000, 6000, 8000):
        timeline.set_position(ms)
        assert colour_at(ms) == head and colour_at(ms - 2000) == base
    assert len(layers) == painted  # the playhead moved three times over the same layer
    timeline.set_cues([Cue(1000, 3000, "A door opens slowly.")])
    timeline.grab()
    assert len(layers) == painted + 1  # what the layer shows changed: painted again
    timeline.set_selected([0])
    timeline.grab()
    assert len(layers) == painted + 2


def test_preview_pictures_are_decoded_at_the_size_shown(make_window, wait_opened, qtbot, tmp_path: Path) -> None:
    from captioner_app.testing.media import make_video

    video = make_video(tmp_path / "hd.mp4", 2.0, size=(1280, 720))  # larger than the preview: shrunk to fit
    w = make_window()
    w.resize(900, 700)
    w.open_paths([str(video)])
    wait_opened(w)
    ratio = w.preview.devicePixelRatioF()
    view_w, view_h = round(w.preview.width() * ratio), round(w.preview.height() * ratio)
    w.seek(1500)  # a frame requested after the layout settled
    qtbot.waitUntil(lambda: w.last_frame is not None and w.last_frame.requested_ms == 1500 and w.last_frame.exact)
    image = w.last_frame.image
    assert image.width() <= view_w + 1 and image.height() <= view_h + 1
    assert abs(image.width() - view_w) <= 2 or abs(image.height() - view_h) <= 2  # fits one side exactly
    assert w.preview.frame_ms == w.last_frame.time_ms


def test_the_shortcut_guard_watches_only_the_focused_text_field(make_window, qtbot) -> None:
    w = make_window()
    w.activateWindow()
    qtbot.waitUntil(lambda: w.isActiveWindow())
    w.find_edit.setFocus()
    qtbot.waitUntil(lambda: w.key_guard._watched is w.find_edit)
    w.timeline.setFocus()
    qtbot.waitUntil(w.timeline.hasFocus)
    assert w.key_guard._watched is None  # not a text field: no filter, no Python call per event


def test_worker_threads_hand_the_interpreter_back_within_a_millisecond(make_window) -> None:
    import sys

    make_window()
    assert sys.getswitchinterval() <= 0.001


def test_garbage_is_collected_on_the_gui_thread_only(make_window, qtbot) -> None:
    """A worker thread that allocates a lot never runs the cyclic collector (which would free whatever
    closed windows left, Qt objects included, in that thread): the GUI thread's timer does it."""
    import gc
    import threading
    import weakref

    class Node:
        me: object

    make_window()
    assert not gc.isenabled()
    qtbot.waitUntil(lambda: gc.get_freeze_count() > 0)  # start-up's objects set aside
    collected_in: set[str] = set()

    def note(phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            collected_in.add(threading.current_thread().name)

    def churn() -> None:
        for _ in range(50_000):  # far past every generation's threshold
            node = Node()
            node.me = node

    probe = Node()
    probe.me = probe
    gone = weakref.ref(probe)
    del probe
    gc.callbacks.append(note)
    try:
        worker = threading.Thread(target=churn, name="churn")
        worker.start()
        worker.join()
        assert "churn" not in collected_in and gone() is not None
        qtbot.waitUntil(lambda: gone() is None, timeout=3000)
    finally:
        gc.callbacks.remove(note)
    assert collected_in == {threading.main_thread().name}


def test_a_cue_added_or_removed_is_an_inserted_or_removed_row_not_a_reset(qtbot) -> None:
    """A cue arriving from the model is one inserted row: the views measure that row only and keep
    their place (a reset made them measure and repaint every row for every cue)."""
    from captioner_app.core.tracks.track import Track
    from captioner_app.gui.models.cues import CueTableModel

    model = CueTableModel(Track([Cue(0, 1000, "one"), Cue(4000, 5000, "three")]))
    events: list[tuple[str, int, int]] = []
    model.modelReset.connect(lambda: events.append(("reset", -1, -1)))
    model.rowsInserted.connect(lambda _parent, first, last: events.append(("inserted", first, last)))
    model.rowsRemoved.connect(lambda _parent, first, last: events.append(("removed", first, last)))

    row = model.add_cue(Cue(2000, 3000, "two"))
    assert (row, events) == (1, [("inserted", 1, 1)])
    assert [c.text for c in model.cues()] == ["one", "two", "three"]
    model.undo_stack.undo()
    assert events[-1] == ("removed", 1, 1) and [c.text for c in model.cues()] == ["one", "three"]
    model.undo_stack.redo()
    assert events[-1] == ("inserted", 1, 1) and model.rowCount() == 3
    assert ("reset", -1, -1) not in events


def test_the_cue_tables_short_columns_are_sized_from_the_font_not_from_the_rows(qtbot) -> None:
    """Sizing columns to their contents measured every visible row (a Python call per cell and role) each
    time a cue came from the model; the widths now come from the widest text each column can show."""
    from PySide6.QtWidgets import QHeaderView

    from captioner_app.core.tracks.track import Track
    from captioner_app.gui.models.cues import COL_TEXT, CueTableModel
    from captioner_app.gui.panels.cue_table import WIDEST, CueTable

    table = CueTable()
    qtbot.addWidget(table)
    model = CueTableModel(Track([Cue(0, 1000, "one")]))
    table.show_model(model)
    table.resize(700, 300)
    table.show()
    qtbot.waitExposed(table)
    header = table.horizontalHeader()
    assert header.sectionResizeMode(COL_TEXT) == QHeaderView.ResizeMode.Stretch
    assert all(header.sectionResizeMode(c) == QHeaderView.ResizeMode.Interactive for c in WIDEST)
    widths = {c: header.sectionSize(c) for c in WIDEST}
    assert all(widths[c] > table.fontMetrics().horizontalAdvance(text) for c, text in WIDEST.items())
    model.add_cue(Cue(36_000_000, 36_001_000, "ten hours in"))  # the widest time there is
    qtbot.wait(50)
    assert {c: header.sectionSize(c) for c in WIDEST} == widths
    font = table.font()
    font.setPointSizeF(font.pointSizeF() * 2)
    table.setFont(font)  # the editor's larger text: wider columns
    assert all(header.sectionSize(c) > widths[c] for c in WIDEST)


def test_the_cue_model_answers_each_role_it_knows_and_no_other() -> None:
    from PySide6.QtCore import Qt

    from captioner_app.core.tracks.track import Track
    from captioner_app.gui.models.cues import COL_END, COL_START, COL_TEXT, COL_WPM, CueTableModel

    model = CueTableModel(Track([Cue(0, 1000, "one two three four five six seven eight nine ten")]))
    text, wpm = model.index(0, COL_TEXT), model.index(0, COL_WPM)
    role = Qt.ItemDataRole
    assert model.data(model.index(0, COL_START)) == "0:00:00.000"
    assert model.data(model.index(0, COL_END)) == "0:00:01.000"
    assert model.data(text, role.EditRole) == model.data(text) == "one two three four five six seven eight nine ten"
    assert model.data(wpm) == "600"
    assert model.data(text, role.TextAlignmentRole) is None
    assert model.data(wpm, role.TextAlignmentRole) == int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
    assert "From: " in model.data(text, role.ToolTipRole) and "narration budget" in model.data(wpm, role.ToolTipRole)
    assert model.data(wpm, role.BackgroundRole) is model.data(wpm, role.BackgroundRole)  # made once
    for other in (role.DecorationRole, role.FontRole, role.CheckStateRole, role.SizeHintRole, role.UserRole):
        assert model.data(text, other) is None and model.data(wpm, other) is None
    assert model.data(model.index(5, COL_TEXT)) is None  # past the last row
    assert bool(model.flags(text) & Qt.ItemFlag.ItemIsEditable) and not model.flags(wpm) & Qt.ItemFlag.ItemIsEditable
