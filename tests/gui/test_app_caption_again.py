"""Captioning a video that already has cues asks: replace them, add to them, or cancel."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox

from captioner_app.core.tracks.track import Cue
from captioner_app.gui.dialogs.rerun import existing_cues_box


def test_caption_again_asks_and_cancel_replace_add_do_what_they_say(
    qtbot, make_window, small_video: Path, wait_opened, monkeypatch
):
    w = make_window(auto_analyze=False)
    w.open_paths([str(small_video)])
    wait_opened(w)
    mine = Cue(500, 1500, "My own description.")
    w.doc.model.replace_all([mine], "test cues")
    asked: list[int] = []

    def answer(reply):
        def ask(count):
            asked.append(count)
            return reply

        return ask

    monkeypatch.setattr(w, "_ask_about_existing_cues", answer("cancel"))
    assert w.caption_video() is None and not w.captioning
    assert asked == [1] and list(w.doc.model.track) == [mine]

    monkeypatch.setattr(w, "_ask_about_existing_cues", answer("replace"))
    assert w.caption_video() is not None
    qtbot.waitUntil(lambda: not w.captioning, timeout=120000)
    replaced = list(w.doc.model.track)
    assert replaced and mine not in replaced
    assert all(c.provenance.source == "model" for c in replaced)
    while w.doc.model.undo_stack.canUndo() and mine not in w.doc.model.track:
        w.undo()
    assert list(w.doc.model.track) == [mine]  # the replaced cues come back with undo

    monkeypatch.setattr(w, "_ask_about_existing_cues", answer("add"))
    assert w.caption_video() is not None
    qtbot.waitUntil(lambda: not w.captioning, timeout=120000)
    assert mine in w.doc.model.track and len(w.doc.model.track) == len(replaced) + 1
    assert asked == [1, 1, 1]


def test_the_question_has_keyboard_reachable_buttons(qtbot):
    box, buttons = existing_cues_box(None, "clip.mp4", 3)
    qtbot.addWidget(box)
    assert "3 cues" in box.text()
    assert "&" in buttons["replace"].text() and "&" in buttons["add"].text()
    assert box.escapeButton() is buttons["cancel"] and box.defaultButton() is buttons["cancel"]
    box.show()
    box.activateWindow()
    qtbot.waitUntil(box.isActiveWindow)
    qtbot.keyClick(box, Qt.Key.Key_R, Qt.KeyboardModifier.AltModifier)
    qtbot.waitUntil(lambda: box.clickedButton() is not None)
    assert box.clickedButton() is buttons["replace"]
    assert box.buttonRole(buttons["replace"]) == QMessageBox.ButtonRole.DestructiveRole
