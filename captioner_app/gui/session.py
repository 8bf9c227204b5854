"""The app's state and rules without widgets: the open documents, which one is active, files and projects,
autosave and recovery, cue edits, and (in :attr:`Session.jobs` and :attr:`Session.playback`) caption and
analysis jobs and the playhead.

The window and its panels only show what the session says (through its signals) and call its methods; the
session never creates a widget, so tests drive it directly (``tests/gui/test_session.py``). This is the
shape of napari's ``ViewerModel`` under its ``_qt`` window and of mu's ``logic.Editor`` under its
``interface.Window``.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from PySide6.QtCore import QObject, QTimer, Signal

from captioner_app.core.errors import CaptionerError
from captioner_app.core.tracks import formats
from captioner_app.core.tracks.checks import CheckOptions, Finding, check_track
from captioner_app.core.tracks.project import (
    EXTENSION,
    Autosaver,
    Project,
    Recovery,
    discard_recovery,
    find_recoveries,
    load_project,
    save_project,
)
from captioner_app.core.tracks.track import Provenance
from captioner_app.gui.audio import RenderDone, Renderer, Waveforms
from captioner_app.gui.captioning import Jobs
from captioner_app.gui.document import Document
from captioner_app.gui.messages import Probed, TaskDone
from captioner_app.gui.models.cues import format_ms
from captioner_app.gui.narration import Narration
from captioner_app.gui.playback import Playback
from captioner_app.gui.preferences import Settings
from captioner_app.gui.spelling import Spelling
from captioner_app.gui.workers import WorkerPool

SUBTITLE_EXTS = (".srt", ".vtt", ".json")


class Session(QObject):
    """Documents, the active one, files, autosave and recovery, and cue edits. Creates no widgets."""

    documentAdded = Signal(object)  # Document (appended at the end of :attr:`documents`)
    documentRemoved = Signal(object, int)  # Document, the index it had
    documentUpdated = Signal(object)  # Document: its title, unsaved mark, opening state or error changed
    documentOpened = Signal(object)  # Document: its video was probed (``info`` or ``error`` is set)
    cuesChanged = Signal(object)  # Document whose cues changed
    activeChanged = Signal(object)  # the active Document, or None
    selectRow = Signal(int)  # an edit of the active document asks the view to select this row
    status = Signal(str)  # a passing notice (status bar)
    announcement = Signal(str)  # an event a screen reader should say now (runs ended, exports, restores)
    problem = Signal(str, str)  # message, title: something the user must be told
    recoveriesFound = Signal(object)  # list[Recovery] left by an earlier session
    recoveriesCleared = Signal()

    def __init__(self, settings: Settings, pool: WorkerPool | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.settings = settings
        self.pool = pool or WorkerPool(self)
        self.autosaver = Autosaver()
        self.documents: list[Document] = []
        self.doc: Document | None = None  # the active document
        self.messages: list[str] = []  # every problem or notice reported, newest last
        self.recoveries: list[Recovery] = []
        self.model: str | None = None  # the model and device chosen in the caption panel (saved in projects)
        self.device: str | None = None
        self.export_name: str | None = None  # the last WebVTT export, for the <track> snippet
        self.closed = False
        self._autosave_tasks: set[int] = set()
        self._closed_unsaved = False  # a document closed with unsaved edits left its autosave for the next start
        self.playback = Playback(self, self)
        self.narration = Narration(
            self, self.playback.speak, self
        )  # the offline narration voice: speak a cue, spoken lengths
        self.renderer = Renderer(self)  # File > Export Described Video
        self.renderer.finished.connect(self._rendered)
        self.jobs = Jobs(self, self)
        self.jobs.announcement.connect(self.announcement)
        self.waveforms = Waveforms(self)  # each video's audio envelope, computed in a worker thread
        self.spelling = Spelling(parent=self)  # dictionaries by language (loaded on first use), user words
        self.pool.tasks.probed.connect(self._probed)
        self.pool.tasks.finished.connect(self._task_done)
        self.autosave_timer = QTimer(self)
        self.autosave_timer.setInterval(max(200, int(settings.autosave_s * 1000)))
        self.autosave_timer.timeout.connect(self.autosave_now)
        self.autosave_timer.start()

    # -- messages ------------------------------------------------------------------------------

    def report(self, message: str, title: str = "Problem") -> None:
        """A problem the user must see (one line); the window shows it without blocking."""
        self.messages.append(message)
        self.problem.emit(message, title)

    def note(self, message: str) -> None:
        """A problem worth keeping in :attr:`messages` that needs no dialog (it is shown in the status bar)."""
        self.messages.append(message)
        self.status.emit(message)

    def set_engine(self, model: str, device: str) -> None:
        self.model = model.strip() or None
        self.device = device

    # -- documents -----------------------------------------------------------------------------

    @property
    def position(self) -> int:
        return self.doc.position_ms if self.doc else 0

    def open_paths(self, paths: Sequence[str]) -> list[Document]:
        """Open videos (into the queue), projects and subtitle files; the first video becomes active."""
        opened: list[Document] = []
        for raw in paths:
            path = os.path.abspath(raw)
            suffix = Path(path).suffix.lower()
            if suffix == EXTENSION:
                doc = self.open_project(path)
                if doc:
                    opened.append(doc)
                continue
            if suffix in SUBTITLE_EXTS and self.doc is not None:
                self.import_subtitles(path)
                continue
            if os.path.isdir(path):
                self.report(f"{path}: is a folder, not a video file", "Cannot open")
                continue
            existing = next((d for d in self.documents if d.video == path), None)
            if existing is not None:
                opened.append(existing)
                continue
            doc = self.add_document(Document(path, self))
            self.pool.probe(path)
            opened.append(doc)  # it joins the recent files once it opens (see _probed)
            if self.doc is None:
                self.activate(doc)  # so subtitle files given after it land in its track
        if opened and (self.doc is None or self.doc not in opened):
            self.activate(opened[0])
        return opened

    def add_document(self, doc: Document) -> Document:
        self.documents.append(doc)
        doc.model.changed.connect(lambda d=doc: self._doc_changed(d))
        doc.model.selectRow.connect(lambda row, d=doc: self.selectRow.emit(row) if d is self.doc else None)
        doc.model.editRejected.connect(lambda msg: self.report(msg, "Cannot edit"))
        self.documentAdded.emit(doc)
        return doc

    def _doc_changed(self, doc: Document) -> None:
        self.documentUpdated.emit(doc)
        self.cuesChanged.emit(doc)

    def activate(self, doc: Document | None) -> None:
        if self.doc is doc:
            return
        self.playback.stop()
        self.doc = doc
        if doc is not None:
            doc.model.narration_wpm = self.settings.narration_wpm
        self.activeChanged.emit(doc)

    def close_document(self, doc: Document | None = None) -> None:
        """Close a document (the active one by default); unsaved edits stay in the autosave folder."""
        doc = doc or self.doc
        if doc is None or doc not in self.documents:
            return
        self.jobs.forget(doc)
        index = self.documents.index(doc)
        if doc.dirty:
            self.write_autosave(doc, sync=True)  # nothing is dropped: a later start offers it back
            self._closed_unsaved = True
            self.status.emit(f"{doc.title}: unsaved edits kept in the autosave folder")
        else:
            self.autosaver.remove(doc.key)
        self.documents.remove(doc)
        self.documentRemoved.emit(doc, index)
        if doc is self.doc:
            self.doc = None
            self.activate(self.documents[min(index, len(self.documents) - 1)] if self.documents else None)
            if self.doc is None:
                self.activeChanged.emit(None)

    def _probed(self, result: Probed) -> None:
        for doc in [d for d in self.documents if d.video == result.path and d.probing]:
            doc.probing = False
            if result.info is None:
                doc.error = result.error or f"{result.path}: cannot be opened"
                self.report(doc.error, "Cannot open video")
            else:
                doc.info = result.info
                doc.error = None
                if doc.project_path is None:
                    self.settings.add_recent(result.path)
                doc.model.track.duration_ms = result.info.duration_ms
                self.status.emit(
                    f"Opened {doc.title}: {result.info.width}x{result.info.height}, "
                    f"{result.info.fps:g} fps, {format_ms(result.info.duration_ms)}"
                )
                if self.settings.auto_analyze:
                    self.jobs.analyze(doc)
                if result.info.has_audio:
                    self.waveforms.load(result.path)
            self.documentUpdated.emit(doc)
            self.documentOpened.emit(doc)

    # -- cue edits -----------------------------------------------------------------------------

    def add_cue(self) -> bool:
        """A two-second manual cue at the playhead (shorter at the end of the video)."""
        doc = self.doc
        if doc is None:
            return False
        limit = doc.info.duration_ms if doc.info else None
        cue = doc.model.new_manual_cue(self.position, 2000, limit)
        if cue.end_ms <= cue.start_ms:
            self.report("cannot add a cue at the very end of the video", "Cannot add cue")
            return False
        doc.model.add_cue(cue)
        return True

    def delete_cues(self, rows: Sequence[int]) -> None:
        if self.doc is not None:
            self.doc.model.remove_rows(rows)

    def split_cue(self, rows: Sequence[int]) -> bool:
        """Split the first selected cue at the playhead when it is inside the cue, else in its middle."""
        doc = self.doc
        if doc is None or not rows:
            self.report("select a cue to split", "Cannot split")
            return False
        cue = doc.model.track[rows[0]]
        at = self.position if cue.start_ms < self.position < cue.end_ms else None
        try:
            doc.model.split(rows[0], at)
        except ValueError as err:
            self.report(str(err), "Cannot split")
            return False
        return True

    def merge_cues(self, rows: Sequence[int]) -> bool:
        """Merge the selected cues (one selected: with the next one)."""
        doc = self.doc
        if doc is None:
            return False
        try:
            doc.model.merge(rows)
        except ValueError as err:
            self.report(str(err), "Cannot merge")
            return False
        return True

    def set_times(self, row: int, start_ms: int, end_ms: int) -> None:
        if self.doc is not None and 0 <= row < len(self.doc.model.track):
            self.doc.model.set_times(row, start_ms, end_ms)

    def toggle_extended(self, rows: Sequence[int]) -> bool | None:
        """Mark the cues extended (the player pauses for them), or unmark them if all are; the new state."""
        doc = self.doc
        if doc is None or not rows:
            self.report("select a cue to mark it extended", "Cannot mark extended")
            return None
        extended = not all(doc.model.track[r].extended for r in rows)
        doc.model.set_extended(rows, extended)
        self.status.emit(
            f"{len(rows)} cue{'s' if len(rows) != 1 else ''} marked "
            f"{'extended (the player pauses for it)' if extended else 'not extended'}"
        )
        return extended

    def find(self, needle: str, after_row: int | None = None) -> int | None:
        """The next cue (after ``after_row``) whose text holds ``needle``; the playhead moves there."""
        doc = self.doc
        if doc is None or not needle:
            return None
        row = doc.model.track.find(needle, after_row + 1 if after_row is not None else 0)
        if row is None:
            self.status.emit(f"“{needle}” is not in any cue")
            return None
        self.playback.seek(doc.model.track[row].start_ms)
        return row

    def check(self, kind: str) -> tuple[list[Finding], str]:
        """Check the active track (cheap: text and times only): the findings and a note on what was not checked.

        Raises :class:`CaptionerError` when the track cannot be checked.
        """
        doc = self.doc
        if doc is None:
            return [], "No video"
        min_gap = doc.analysis.min_gap_ms if doc.analysis is not None else CheckOptions.min_gap_ms
        options = CheckOptions(wpm=self.settings.narration_wpm, min_gap_ms=min_gap, kind=kind)
        narration, measuring = self.narration.lengths(doc.model.track) if kind == "description" else (None, "")
        notes = [measuring] if measuring else []
        findings = check_track(doc.model.track, doc.analysis, options, narration_ms=narration)
        if doc.analysis is None:
            notes.insert(
                0,
                "speech checks wait for the analysis"
                if doc.analysis_job is not None
                else "speech not checked (no analysis)",
            )
        return list(findings), "; ".join(notes)

    # -- import and export ---------------------------------------------------------------------

    def import_subtitles(self, path: str) -> int:
        """Add the cues of an SRT/WebVTT/JSON file to the active track (one undoable edit)."""
        doc = self.doc
        if doc is None:
            self.report(f"{path}: open a video before importing subtitles", "Cannot import")
            return 0
        try:
            result = formats.read(path)
        except CaptionerError as err:
            self.report(str(err), "Cannot import")
            return 0
        cues = [
            c if c.provenance.source != "manual" else c.with_(provenance=Provenance(source="import"))
            for c in result.track.cues
        ]
        if cues:
            doc.model.replace_all(doc.model.cues() + cues, f"Import {Path(path).name}")
        if result.problems:
            self.report(f"{len(result.problems)} cue(s) skipped: {result.problems[0]}", "Import problems")
        self.status.emit(f"Imported {len(cues)} cues from {path}")
        return len(cues)

    def export_track(self, path: str, fmt: str | None = None) -> bool:
        doc = self.doc
        if doc is None:
            return False
        try:
            written = formats.write(doc.to_project().track, path, fmt)
        except CaptionerError as err:
            self.report(str(err), "Export failed")
            return False
        if formats.format_for(path, fmt) == "vtt":
            self.export_name = written.name
        self.status.emit(f"Exported {len(doc.model.track)} cues to {written}")
        self.announcement.emit(f"Export written: {len(doc.model.track)} cues to {written.name}")
        return True

    def export_described(self, path: str) -> bool:
        """Render the active track over its video into ``path`` (.mp4/.mkv: the video with a described
        audio stream; .wav/.flac/.m4a: the mix alone) in a worker; False when it cannot start."""
        doc = self.doc
        if doc is None or not doc.video or doc.info is None:
            self.report("open a video first, then export its described version", "Cannot export")
            return False
        if not any(c.text.strip() for c in doc.model.track):
            self.report(f"{doc.title}: the track has no cue to speak", "Cannot export")
            return False
        if self.renderer.running:
            self.report("an export is already running; cancel it or wait", "Cannot export")
            return False
        from captioner_app.core.speech.render import RenderOptions

        track = doc.model.track.copy()
        options = RenderOptions(voice=self.settings.narration_voice or None, wpm=self.narration.wpm)
        self.status.emit(f"Exporting the described video to {path}…")
        return self.renderer.start(doc.video, track, path, options, track_name=doc.title)

    def _rendered(self, done: RenderDone) -> None:
        if done.ok or done.cancelled:
            self.note(done.message)
            self.announcement.emit(done.message)
        else:
            self.report(done.message, "Export failed")

    def track_snippet(self) -> str:
        doc = self.doc
        name = self.export_name or (Path(doc.video).stem + ".vtt" if doc and doc.video else "descriptions.vtt")
        lang = doc.model.track.language if doc else "en"
        return f'<track kind="descriptions" src="{name}" srclang="{lang}" label="Audio description">'

    # -- projects ------------------------------------------------------------------------------

    def project_for(self, doc: Document) -> Project:
        return doc.to_project(self.model, self.device)

    def save_project(self, path: str, doc: Document | None = None) -> bool:
        doc = doc or self.doc
        if doc is None:
            return False
        try:
            save_project(self.project_for(doc), path)
        except CaptionerError as err:
            self.report(str(err), "Save failed")
            return False
        doc.project_path = str(path)
        doc.mark_saved()
        self.settings.add_recent(str(path))
        self.documentUpdated.emit(doc)
        self.status.emit(f"Saved {path}")
        return True

    def open_project(self, path: str) -> Document | None:
        existing = self._open_as(path, None)
        if existing is not None:  # already in the queue: a second entry would split the edits
            self.activate(existing)
            self.status.emit(f"{existing.title} is already open")
            return existing
        try:
            project = load_project(path)
        except CaptionerError as err:
            self.report(str(err), "Cannot open project")
            return None
        doc = self._document_from_project(project)
        doc.project_path = project.path
        doc.mark_saved()
        self.documentUpdated.emit(doc)
        self.settings.add_recent(path)
        self.activate(doc)
        if project.problems:
            self.report(f"{len(project.problems)} cue(s) could not be read: {project.problems[0]}", "Project problems")
        return doc

    def _document_from_project(self, project: Project) -> Document:
        doc = Document(project.video, self)
        doc.model.load(project.track)
        doc.caption = dict(project.caption)
        self.add_document(doc)
        if project.video:
            if os.path.isfile(project.video):
                self.pool.probe(project.video)
            else:
                doc.probing = False
                doc.error = f"{project.video}: the project's video is missing (cues are still editable)"
                self.report(doc.error, "Video missing")
        else:
            doc.probing = False
        self.documentUpdated.emit(doc)
        return doc

    # -- autosave and recovery -----------------------------------------------------------------

    def write_autosave(self, doc: Document, sync: bool = False) -> None:
        payload = self.autosaver.payload(self.project_for(doc))
        doc.autosaved_generation = doc.model.generation
        key = doc.key
        if sync:
            try:
                self.autosaver.write(key, payload)
            except CaptionerError as err:
                self.report(str(err), "Autosave failed")
        else:
            self._autosave_tasks.add(self.pool.call(lambda: self.autosaver.write(key, payload) and None))

    def autosave_now(self) -> int:
        """Autosave every document changed since its last autosave; returns how many were queued."""
        count = 0
        for doc in self.documents:
            if doc.model.generation != doc.autosaved_generation and doc.dirty:
                self.write_autosave(doc)
                count += 1
        return count

    def _task_done(self, done: TaskDone) -> None:
        if done.task in self._autosave_tasks:
            self._autosave_tasks.discard(done.task)
            if done.error:
                self.report(done.error, "Autosave failed")

    def check_recovery(self) -> list[Recovery]:
        """Look for work an earlier session left in the autosave folder (offered until restored or discarded)."""
        self.recoveries, problems = find_recoveries()
        for problem in problems:
            self.note(problem)
        if self.recoveries:
            self.recoveriesFound.emit(list(self.recoveries))
            self.announcement.emit(f"{self.recovery_text()} Restore or Discard it.")
        return self.recoveries

    def recovery_text(self) -> str:
        labels = "; ".join(r.label for r in self.recoveries[:3])
        more = f" and {len(self.recoveries) - 3} more" if len(self.recoveries) > 3 else ""
        return f"Unsaved work from an earlier session was found: {labels}{more}."

    def restore_recoveries(self) -> list[Document]:
        restored = []
        for rec in self.recoveries:
            existing = self._open_as(rec.project.path, rec.project.video)
            if existing is not None:  # the same project or video is open: its cues become the recovered ones
                existing.model.replace_all(list(rec.project.track), "Restore unsaved work")
                discard_recovery(rec)
                restored.append(existing)
                continue
            doc = self._document_from_project(rec.project)
            doc.project_path = rec.project.path
            doc.saved_generation = -1  # restored work is unsaved until saved again
            self.write_autosave(doc, sync=True)
            discard_recovery(rec)
            self.documentUpdated.emit(doc)
            restored.append(doc)
        self.recoveries = []
        self.recoveriesCleared.emit()
        if restored:
            self.activate(restored[0])
            self.status.emit(f"Restored {len(restored)} document(s)")
        return restored

    def _open_as(self, project_path: str | None, video: str | None) -> Document | None:
        """The open document saved as ``project_path``, or (without one) the unsaved one of ``video``."""
        if project_path:
            same = os.path.abspath(project_path)
            return next((d for d in self.documents if d.project_path and os.path.abspath(d.project_path) == same), None)
        return next((d for d in self.documents if video and d.video == video and not d.project_path), None)

    def discard_recoveries(self) -> None:
        for rec in self.recoveries:
            discard_recovery(rec)
        self.recoveries = []
        self.recoveriesCleared.emit()

    # -- shutdown ------------------------------------------------------------------------------

    def shutdown(self) -> None:
        """Stop playback and workers; keep unsaved work as autosaves (offered on the next start)."""
        if self.closed:
            return
        self.closed = True
        self.autosave_timer.stop()
        self.playback.stop()
        self.playback.sound.shutdown()
        self.pool.cancel_caption()
        self.pool.stop()  # joins the task thread, so queued autosave writes are done
        self.waveforms.shutdown()
        self.renderer.shutdown()
        self.narration.shutdown()
        keep = self._closed_unsaved  # a closed document's unsaved edits stay for the next start
        for doc in self.documents:
            if doc.dirty:
                self.write_autosave(doc, sync=True)
                keep = True
            else:
                self.autosaver.remove(doc.key)
        if not keep:
            self.autosaver.remove_all()
        self.autosaver.close()
