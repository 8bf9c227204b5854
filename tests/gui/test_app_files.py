"""Files: drag-and-drop queue, broken files, projects, autosave and restore after a kill, model setup."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from PySide6.QtCore import QMimeData, QPoint, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QApplication

from captioner_app.core.tracks import formats
from captioner_app.core.tracks.project import load_project
from captioner_app.core.tracks.track import Cue, Track


def drop(window, paths: list[Path]) -> bool:
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(p)) for p in paths])
    pos = QPoint(window.width() // 2, window.height() // 2)
    enter = QDragEnterEvent(
        pos, Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier
    )
    QApplication.sendEvent(window, enter)
    if not enter.isAccepted():
        return False
    event = QDropEvent(
        pos.toPointF(), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier
    )
    QApplication.sendEvent(window, event)
    return event.isAccepted()


def test_drop_several_files_makes_a_queue_and_a_broken_one_gives_a_message(
    qtbot, make_window, small_video: Path, long_video: Path, tmp_path: Path
):
    broken = tmp_path / "broken.mp4"
    broken.write_bytes(b"\x00\x00\x00\x18ftypmp42 this is not really a video" * 20)
    w = make_window()
    assert drop(w, [small_video, broken, long_video])
    assert w.queue.count() == 3
    qtbot.waitUntil(lambda: all(not d.probing for d in w.documents), timeout=30000)
    assert w.doc.video == str(small_video)
    bad = w.documents[1]
    assert bad.info is None and bad.error and "broken.mp4" in bad.error
    assert any("broken.mp4" in m for m in w.messages)
    assert "cannot open" in w.queue.item(1).text()
    # the app stays up and the editor works through the queue
    w.queue.setCurrentRow(2)
    assert w.doc.video == str(long_video)
    qtbot.waitUntil(lambda: w.last_frame is not None and w.last_frame.video == str(long_video), timeout=10000)
    w.queue.setCurrentRow(1)
    assert not w.caption_button.isEnabled()
    assert "broken.mp4" in w.preview.message
    w.queue.setCurrentRow(0)
    assert w.caption_button.isEnabled()


def test_drop_a_folder_and_an_empty_file(qtbot, make_window, tmp_path: Path):
    empty = tmp_path / "empty.mkv"
    empty.write_bytes(b"")
    w = make_window()
    assert drop(w, [tmp_path, empty])
    qtbot.waitUntil(lambda: all(not d.probing for d in w.documents), timeout=20000)
    assert any("is a folder" in m for m in w.messages)
    assert any("empty" in m and "empty.mkv" in m for m in w.messages)


def test_unreadable_subtitle_import_keeps_track(qtbot, make_window, small_video: Path, tmp_path: Path, wait_opened):
    w = make_window()
    w.open_paths([str(small_video)])
    wait_opened(w)
    w.doc.model.replace_all([Cue(0, 1000, "Kept.")], "cue")
    bad = tmp_path / "bad.json"
    bad.write_text("{ not json", encoding="utf-8")
    assert w.import_subtitles(str(bad)) == 0
    assert "bad.json" in w.messages[-1]
    assert [c.text for c in w.doc.model.track] == ["Kept."]
    # exporting into a folder that does not exist: a message, the track stays
    assert not w.export_track(str(tmp_path / "nope" / "out.srt"))
    assert "does not exist" in w.messages[-1]


def test_project_save_and_open(qtbot, make_window, small_video: Path, tmp_path: Path, wait_opened):
    w = make_window()
    w.open_paths([str(small_video)])
    wait_opened(w)
    w.doc.model.replace_all([Cue(500, 1500, "A cat jumps."), Cue(2000, 2600, "It lands.")], "cues")
    w.detail_combo.setCurrentText("high")
    w.caption_options()
    path = tmp_path / "work.adproj"
    assert w.save_project(str(path))
    assert not w.doc.dirty and "*" not in w.windowTitle()
    project = load_project(path)
    assert project.video == str(small_video)
    assert [c.text for c in project.track] == ["A cat jumps.", "It lands."]
    assert project.model == w.model_edit.text()
    w.close_document()
    assert w.doc is None
    doc = w.open_project(str(path))
    assert doc is not None and [c.text for c in doc.model.track] == ["A cat jumps.", "It lands."]
    qtbot.waitUntil(lambda: doc.info is not None, timeout=20000)
    # a damaged project file: one line, nothing opened, app up
    bad = tmp_path / "bad.adproj"
    bad.write_text('{"schema": "captioner-project", "version": 1, "track": ', encoding="utf-8")
    assert w.open_project(str(bad)) is None
    assert "bad.adproj" in w.messages[-1] and "damaged" in w.messages[-1]


APP_SCRIPT = """
import sys
from captioner_app.gui.app import main
sys.exit(main(sys.argv[1:]))
"""


def test_autosave_survives_kill_and_next_start_restores(
    qtbot, make_window, small_video: Path, tmp_path: Path, data_dir: Path, tiny_model_dir: Path
):
    srt = tmp_path / "edits.srt"
    formats.write(Track([Cue(100, 900, "A door opens."), Cue(1200, 2500, "A man walks in.")]), srt)
    env = dict(os.environ, CAPTIONER_DATA_DIR=str(data_dir), QT_QPA_PLATFORM="offscreen")
    # the app process: opens the video, imports the edits, autosaves every half second
    proc = subprocess.Popen(
        [
            sys.executable,
            "-c",
            APP_SCRIPT,
            str(small_video),
            str(srt),
            "--autosave",
            "0.5",
            "--no-restore",
            "--model",
            str(tiny_model_dir),
        ],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    autosaves = data_dir / "autosave"
    try:
        deadline = time.monotonic() + 60
        found = None
        while time.monotonic() < deadline and found is None:
            for path in autosaves.glob("*.json") if autosaves.is_dir() else []:
                try:
                    data = json.loads(path.read_text(encoding="utf-8"))
                except (OSError, ValueError):
                    continue
                if len(data["track"]["cues"]) == 2:
                    found = path
            time.sleep(0.2)
        assert found is not None, "no autosave appeared"
        assert proc.poll() is None, "the app exited early"
    finally:
        proc.send_signal(signal.SIGKILL)
        output = proc.communicate(timeout=30)[0]
    assert proc.returncode == -signal.SIGKILL, output
    # the next start offers the work back
    w = make_window(check_recovery=True)
    assert w.banner.isVisible()
    assert "edits" not in w.banner_label.text() and small_video.name in w.banner_label.text()
    w.restore_button.click()
    assert not w.banner.isVisible()
    assert [(c.start_ms, c.end_ms, c.text) for c in w.doc.model.track] == [
        (100, 900, "A door opens."),
        (1200, 2500, "A man walks in."),
    ]
    assert w.doc.dirty
    qtbot.waitUntil(lambda: w.doc.info is not None, timeout=20000)
    assert not found.exists()  # taken over by this session
    # a clean exit with unsaved work keeps it for the next start (nothing is dropped)
    w.shutdown()
    w2 = make_window(check_recovery=True)
    assert w2.banner.isVisible()
    w2.discard_button.click()
    assert list(autosaves.glob("*.json")) == []


def test_clean_exit_without_edits_leaves_no_autosave(
    qtbot, make_window, small_video: Path, data_dir: Path, wait_opened
):
    w = make_window(autosave_s=0.2)
    w.open_paths([str(small_video)])
    wait_opened(w)
    w.doc.model.replace_all([Cue(0, 1000, "One.")], "cue")
    qtbot.waitUntil(lambda: len(list((data_dir / "autosave").glob("*.json"))) == 1, timeout=10000)
    w.save_project(str(data_dir / "saved.adproj"))
    w.shutdown()
    assert list((data_dir / "autosave").glob("*.json")) == []


def test_missing_model_offers_download_or_folder(
    qtbot, make_window, small_video: Path, tiny_model_dir: Path, tmp_path: Path, wait_opened
):
    w = make_window()
    w.model_edit.setText("nobody/not-a-real-model")
    w.open_paths([str(small_video)])
    wait_opened(w)
    w.caption_video()
    qtbot.waitUntil(lambda: not w.captioning, timeout=60000)
    dialog = w.model_dialog
    assert dialog.isVisible()
    assert dialog.download_button.isEnabled()
    # offline here: the download fails with a one-line reason and can be retried
    dialog.download_button.click()
    qtbot.waitUntil(lambda: dialog.download_button.isEnabled(), timeout=30000)
    assert "nobody/not-a-real-model" in dialog.status.text() and dialog.isVisible()
    assert not dialog.choose_folder(str(tmp_path))  # not a model folder
    assert "config.json" in dialog.status.text()
    assert dialog.choose_folder(str(tiny_model_dir))
    assert w.model_edit.text() == str(tiny_model_dir)
    w.caption_video()
    qtbot.waitUntil(lambda: not w.captioning, timeout=120000)
    assert len(w.doc.model.track) == 3


def test_quit_with_unsaved_edits_offers_to_save(
    qtbot, make_window, small_video: Path, tmp_path: Path, monkeypatch, wait_opened
):
    from captioner_app.core.tracks.project import EXTENSION

    w = make_window()
    w.open_paths([str(small_video)])
    wait_opened(w)
    w.add_cue()
    assert w.doc.dirty
    asked: list[list[str]] = []

    def answer(choice: str):
        def ask(dirty):
            asked.append([d.title for d in dirty])
            return choice

        return ask

    monkeypatch.setattr(w, "_ask_about_unsaved", answer("cancel"))
    assert w.close() is False  # cancelled: the window stays, its workers keep running
    assert w.isVisible() and not w._closing and asked == [[w.doc.title]]

    target = tmp_path / f"kept{EXTENSION}"
    w.doc.project_path = str(target)
    monkeypatch.setattr(w, "_ask_about_unsaved", answer("save"))
    assert w.close() is True
    assert load_project(target).track.cues[0].text == w.doc.model.track.cues[0].text
    assert not w.doc.dirty and w._closing
