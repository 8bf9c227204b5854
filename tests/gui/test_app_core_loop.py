"""The everyday loop: open, scrub, caption, edit with undo/redo, export and import, cancel."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt

from captioner_app.core.tracks import formats
from captioner_app.gui.models.cues import COL_END, COL_TEXT, format_ms, parse_ms
from captioner_app.gui.widgets.spell_edit import CueTextEdit


def test_open_scrub_caption_edit_undo_export_import(qtbot, make_window, small_video: Path, tmp_path: Path, wait_opened):
    w = make_window()
    w.open_paths([str(small_video)])
    wait_opened(w)
    assert w.doc.info.duration_ms == 6000
    assert w.slider.maximum() == 5999

    # scrub: the slider moves the playhead and a decoded frame for that time is shown
    w.slider.setValue(4000)
    # (far from its keyframe, the keyframe may be shown first; the exact picture follows)
    qtbot.waitUntil(lambda: w.last_frame.requested_ms == 4000 and w.last_frame.exact, timeout=10000)
    assert 3950 <= w.last_frame.time_ms <= 4000
    assert w.preview.frame_ms == w.last_frame.time_ms
    assert w.timeline.position_ms == 4000
    # arrow keys on the preview step one frame (30 fps: 33 ms)
    w.preview.setFocus()
    shown = w.last_frame.time_ms
    qtbot.keyClick(w.preview, Qt.Key.Key_Right)
    qtbot.waitUntil(lambda: w.last_frame.time_ms == shown + 33 or w.last_frame.time_ms == shown + 34, timeout=10000)
    qtbot.keyClick(w.preview, Qt.Key.Key_Left)
    qtbot.waitUntil(lambda: w.last_frame.time_ms == shown, timeout=10000)

    # caption end to end: cues arrive one window at a time and show in table and timeline
    counts: list[int] = []
    w.doc.model.changed.connect(lambda: counts.append(len(w.doc.model.track)))
    w.caption_video()
    assert w.captioning and w.cancel_button.isEnabled() and not w.caption_button.isEnabled()
    qtbot.waitUntil(lambda: not w.captioning, timeout=120000)
    assert counts[:3] == [1, 2, 3], counts
    track = w.doc.model.track
    assert [(c.start_ms, c.end_ms) for c in track] == [(0, 2000), (2000, 4000), (4000, 6000)]
    assert all(c.text for c in track) and all(c.provenance.model == str(w.model_edit.text()) for c in track)
    assert w.table.model().rowCount() == 3
    assert len(w.timeline.cues) == 3
    assert w.progress.value() == 3 and w.progress.maximum() == 3
    assert w.doc.model.undo_stack.count() == 1  # one caption run is one undo entry

    # edit a cue's text inline through the table's editor
    original = track[1].text
    index = w.table.model().index(1, COL_TEXT)
    w.table.setCurrentIndex(index)
    w.table.edit(index)
    editor = w.table.findChild(CueTextEdit)  # the spell-checking text editor (Enter ends the edit)
    assert editor is not None
    editor.selectAll()
    qtbot.keyClicks(editor, "A red door opens onto a dark corridor.")
    qtbot.keyClick(editor, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: w.doc.model.track[1].text == "A red door opens onto a dark corridor.")
    # and a time, typed
    assert w.doc.model.setData(w.table.model().index(1, COL_END), "0:00:03.500")
    assert w.doc.model.track[1].end_ms == 3500
    assert w.doc.dirty

    # undo and redo through the menu actions
    w.undo_action.trigger()
    assert w.doc.model.track[1].end_ms == 4000
    w.undo_action.trigger()
    assert w.doc.model.track[1].text == original
    w.redo_action.trigger()
    assert w.doc.model.track[1].text == "A red door opens onto a dark corridor."
    w.redo_action.trigger()
    assert w.doc.model.track[1].end_ms == 3500
    before = [(c.start_ms, c.end_ms, c.text) for c in w.doc.model.track]

    # export WebVTT (atomic) and import it back into an emptied track
    out = tmp_path / "out.vtt"
    assert w.export_track(str(out))
    assert out.read_text(encoding="utf-8").startswith("WEBVTT")
    assert formats.read(out).track.cues[1].text == "A red door opens onto a dark corridor."
    assert 'src="out.vtt"' in w.track_snippet() and 'kind="descriptions"' in w.track_snippet()
    w.table.selectAll()
    w.delete_cues()
    assert len(w.doc.model.track) == 0
    assert w.import_subtitles(str(out)) == 3
    assert [(c.start_ms, c.end_ms, c.text) for c in w.doc.model.track] == before
    assert all(c.provenance.source == "import" for c in w.doc.model.track)
    w.undo_action.trigger()  # the import is one undoable edit
    assert len(w.doc.model.track) == 0


def test_cancel_midway_keeps_done_cues(qtbot, captioning_window):
    w = captioning_window(2)
    w.cancel_button.click()
    qtbot.waitUntil(lambda: not w.captioning, timeout=60000)
    kept = len(w.doc.model.track)
    assert 2 <= kept < 12
    assert "Cancelled" in w.progress_label.text() and "kept" in w.progress_label.text()
    assert [c.start_ms for c in w.doc.model.track] == [i * 1000 for i in range(kept)]
    assert w.caption_button.isEnabled()
    # the loaded model stays loaded: a second run reuses it and finishes the rest of the job later
    assert w.pool.model._engine is not None


def test_time_parsing_and_formatting():
    assert format_ms(3_723_450) == "1:02:03.450"
    assert parse_ms("1:02:03.450") == 3_723_450
    assert parse_ms("02:03,5") == 123_500
    assert parse_ms("7.25") == 7250
    try:
        parse_ms("soon")
    except ValueError as err:
        assert "soon" in str(err)
    else:
        raise AssertionError("a bad time must be refused")
