"""The session (documents, jobs, autosave, recovery, playhead) driven directly: no window, no widget."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from PySide6.QtWidgets import QApplication
from shiboken6 import getCppPointer

from captioner_app.core.model.engine import EngineOptions
from captioner_app.core.pipeline import CaptionOptions
from captioner_app.gui.preferences import Settings
from captioner_app.gui.session import Session


class Spy:
    """Every emission of some signals, in order, as (name, args)."""

    def __init__(self, **signals: object) -> None:
        self.events: list[tuple[str, tuple[object, ...]]] = []
        for name, signal in signals.items():
            signal.connect(lambda *args, name=name: self.events.append((name, args)))  # type: ignore[attr-defined]

    def names(self) -> list[str]:
        return [name for name, _ in self.events]

    def args(self, name: str) -> list[tuple[object, ...]]:
        return [args for n, args in self.events if n == name]


@pytest.fixture
def make_session(qapp, tiny_model_dir: Path) -> Iterator[Callable[..., Session]]:
    sessions: list[Session] = []
    widgets_before = {getCppPointer(w)[0] for w in QApplication.allWidgets()}  # earlier tests' may remain

    def make(**settings: object) -> Session:
        values: dict[str, object] = {"window_s": 2.0, "autosave_s": 600.0, "auto_analyze": False}
        values.update(settings)
        session = Session(Settings(**values))  # type: ignore[arg-type]
        session.set_engine(str(tiny_model_dir), "cpu")
        sessions.append(session)
        return session

    yield make
    for session in sessions:
        session.shutdown()
    created = [type(w).__name__ for w in QApplication.allWidgets() if getCppPointer(w)[0] not in widgets_before]
    assert created == [], "the session created widgets"


@pytest.fixture
def opened(qtbot, make_session, small_video: Path) -> Session:
    s = make_session()
    s.open_paths([str(small_video)])
    qtbot.waitUntil(lambda: s.doc is not None and s.doc.info is not None, timeout=20000)
    return s


def test_the_session_modules_do_not_import_qt_widgets():
    code = (
        "import sys; import captioner_app.gui.session; "
        "print(sorted(m for m in sys.modules if m.startswith('PySide6.')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert "PySide6.QtCore" in out and "PySide6.QtWidgets" not in out


def test_open_probe_seek_and_step(qtbot, make_session, small_video: Path, tmp_path: Path):
    s = make_session()
    spy = Spy(
        added=s.documentAdded,
        active=s.activeChanged,
        opened=s.documentOpened,
        problem=s.problem,
        position=s.playback.positionChanged,
    )
    [doc] = s.open_paths([str(small_video)])
    assert s.doc is doc and doc.probing and spy.names()[:2] == ["added", "active"]
    qtbot.waitUntil(lambda: "opened" in spy.names(), timeout=20000)
    assert doc.info is not None and doc.info.duration_ms == 6000 and not doc.probing
    assert s.open_paths([str(small_video)]) == [doc] and len(s.documents) == 1  # the same file once

    s.playback.seek(4000)
    assert spy.args("position")[-1] == (4000, 6000) and s.position == 4000
    qtbot.waitUntil(
        lambda: (
            s.playback.last_frame is not None
            and s.playback.last_frame.requested_ms == 4000
            and s.playback.last_frame.exact
        ),
        timeout=10000,
    )
    shown = s.playback.last_frame.time_ms
    s.playback.step_frames(1)
    assert s.position in (shown + 33, shown + 34)
    s.playback.seek(99_000)
    assert s.position == 5999  # clamped to the video

    broken = tmp_path / "broken.mp4"
    broken.write_bytes(b"not a video")
    [bad] = s.open_paths([str(broken)])
    qtbot.waitUntil(lambda: not bad.probing, timeout=20000)
    assert bad.error and str(broken) in bad.error and bad.info is None
    assert spy.args("problem")[-1][1:] == ("Cannot open video",)
    assert s.messages[-1] == bad.error


def test_edits_find_and_the_recaption_rules(qtbot, opened: Session, tmp_path: Path):
    s, doc = opened, opened.doc
    assert doc is not None
    srt = tmp_path / "three.srt"
    srt.write_text(
        "1\n00:00:00,000 --> 00:00:01,500\nA door.\n\n2\n00:00:01,500 --> 00:00:03,000\nA red door.\n\n"
        "3\n00:00:04,000 --> 00:00:05,000\nA hall.\n",
        encoding="utf-8",
    )
    assert s.import_subtitles(str(srt)) == 3
    assert all(c.provenance.source == "import" for c in doc.model.track)

    found = s.find("red")
    assert found == 1 and s.position == 1500
    assert s.find("door", after_row=0) == 1 and s.find("nowhere") is None

    assert s.split_cue([2])  # the playhead is not inside: split in the middle
    assert [(c.start_ms, c.end_ms) for c in doc.model.track][2:] == [(4000, 4500), (4500, 5000)]
    assert s.merge_cues([2, 3]) and len(doc.model.track) == 3
    assert s.toggle_extended([0, 1]) is True and doc.model.track[0].extended
    assert s.toggle_extended([0, 1]) is False
    assert s.toggle_extended([]) is None and s.messages[-1] == "select a cue to mark it extended"

    options, engine = CaptionOptions(window_ms=2000, placement="windows"), EngineOptions(model="unused", device="cpu")
    assert s.jobs.caption_selection([0, 2], options, engine) is None  # not neighbours
    assert "neighbouring" in s.messages[-1] and len(doc.model.track) == 3
    assert s.jobs.caption_range(options, engine) is None and "mark the range first" in s.messages[-1]
    s.playback.seek(1000)
    s.jobs.mark_in()
    s.playback.seek(1100)
    s.jobs.mark_out()
    assert s.jobs.range_marks == (1000, 1100)
    assert s.jobs.caption_range(options, engine) is None and "too short" in s.messages[-1]
    assert not s.jobs.captioning

    s.playback.seek(5990)
    assert not s.add_cue() or doc.model.track[-1].end_ms <= 6000
    findings, note = s.check("description")
    assert note.startswith("speech not checked (no analysis)") and isinstance(findings, list)


def test_a_caption_run_is_one_job_with_progress(qtbot, opened: Session, tiny_model_dir: Path):
    s, doc = opened, opened.doc
    assert doc is not None
    spy = Spy(
        running=s.jobs.runningChanged,
        progress=s.jobs.captionProgress,
        message=s.jobs.captionMessage,
        cues=s.cuesChanged,
    )
    options = CaptionOptions(detail="low", window_ms=2000, fps=1.0, placement="windows")
    engine = EngineOptions(model=str(tiny_model_dir), device="cpu")
    job = s.jobs.caption_video(options, engine)
    assert job is not None and s.jobs.captioning
    assert s.jobs.caption_video(options, engine) is None  # one run at a time
    qtbot.waitUntil(lambda: not s.jobs.captioning, timeout=120000)
    assert spy.args("running") == [(True,), (False,)]
    # the progress and the status line belong to the document the run writes into, and stay on it
    assert spy.args("progress")[0] == (doc, 0, 1) and spy.args("progress")[-1] == (doc, 3, 3)
    assert spy.args("message")[-1] == (doc, "Done: 3 windows")
    assert doc.caption_progress == (3, 3) and doc.caption_status == "Done: 3 windows"
    assert [(c.start_ms, c.end_ms) for c in doc.model.track] == [(0, 2000), (2000, 4000), (4000, 6000)]
    assert doc.model.undo_stack.count() == 1 and doc.caption["window_ms"] == 2000 and doc.dirty
    assert len(spy.args("cues")) >= 3


def test_autosave_close_and_restore_in_a_new_session(qtbot, make_session, opened: Session, small_video: Path):
    s, doc = opened, opened.doc
    assert doc is not None
    assert s.autosave_now() == 0  # nothing changed
    assert s.add_cue() and doc.dirty
    assert s.autosave_now() == 1 and s.autosave_now() == 0
    spy = Spy(removed=s.documentRemoved, active=s.activeChanged, status=s.status)
    s.close_document()
    assert s.documents == [] and s.doc is None
    assert spy.args("removed") == [(doc, 0)] and spy.args("active") == [(None,)]
    assert any("unsaved edits kept" in args[0] for args in spy.args("status"))
    s.shutdown()  # quitting with no other unsaved document keeps the closed one's edits too

    later = make_session()
    found = Spy(found=later.recoveriesFound, cleared=later.recoveriesCleared)
    assert len(later.check_recovery()) == 1 and found.names() == ["found"]
    assert small_video.name in later.recovery_text()
    [restored] = later.restore_recoveries()
    assert later.doc is restored and restored.dirty and len(restored.model.track) == 1
    assert found.names() == ["found", "cleared"] and later.recoveries == []


def test_analysis_job_reports_and_feeds_the_checks(qtbot, make_session, small_video: Path):
    s = make_session(auto_analyze=True)
    changed: list[object] = []
    s.jobs.analysisChanged.connect(changed.append)
    [doc] = s.open_paths([str(small_video)])
    qtbot.waitUntil(lambda: doc.analysis is not None or "failed" in doc.analysis_status, timeout=90000)
    assert doc.analysis is not None, doc.analysis_status
    assert changed[0] is doc and changed[-1] is doc and doc.analysis_job is None
    assert "shot change" in doc.analysis_status and doc.analysis_progress == 1.0
    assert s.check("description")[1] == ""  # the speech checks ran
    assert s.jobs.reanalyze() is not None and doc.analysis_job is not None
    s.jobs.cancel_analysis()
    qtbot.waitUntil(lambda: doc.analysis_job is None, timeout=30000)
    assert doc.analysis is not None  # the earlier result is kept
