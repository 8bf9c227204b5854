"""The main window: lays out the panels and docks, builds the menus from the actions table, turns the
session's signals into what the panels show, and handles closing.

The state and the rules live in :class:`~captioner_app.gui.session.Session` (documents, jobs, autosave,
playback), which creates no widgets; each panel is its own widget under :mod:`captioner_app.gui.panels`.
To add a panel: give it the session (it connects to the session's signals itself) and dock it with
:meth:`MainWindow.add_dock` (it is then ``window.panels.NAME``, and a View command with handler
``focus_dock`` and args ``(NAME,)`` shows it); or place it in :meth:`MainWindow._build_ui`. To add a
command: one row in :mod:`captioner_app.gui.actions`, whose handler is a path such as
``"panels.NAME.method"`` or ``"session.jobs.method"``.
"""

from __future__ import annotations

import os
from types import SimpleNamespace
from typing import Any

from PySide6.QtCore import QByteArray, Qt
from PySide6.QtGui import QAction, QCloseEvent, QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import (
    QApplication,
    QDockWidget,
    QMainWindow,
    QMenu,
    QSplitter,
    QUndoView,
    QVBoxLayout,
    QWidget,
)

from captioner_app.core.errors import CaptionerError
from captioner_app.core.model.engine import DEFAULT_MODEL, EngineOptions
from captioner_app.core.pipeline import CaptionOptions
from captioner_app.gui.accessibility import Announcer, name_parts, screen_tab_order
from captioner_app.gui.actions import ACTIONS, Action, KeyGuard, build_menus, enable_for, resolve
from captioner_app.gui.audio import WaveformUpdate
from captioner_app.gui.caption_commands import CaptionCommands
from captioner_app.gui.dialogs.problem import ProblemBox
from captioner_app.gui.dialogs.shortcuts import WindowKeys
from captioner_app.gui.dialogs.unsaved import ask_about_unsaved
from captioner_app.gui.document import Document
from captioner_app.gui.edit_commands import EditCommands
from captioner_app.gui.file_commands import FileCommands
from captioner_app.gui.find_replace import FindReplace
from captioner_app.gui.first_paint import stage_first_paint
from captioner_app.gui.messages import FrameReady
from captioner_app.gui.panels.caption_panel import CaptionPanel
from captioner_app.gui.panels.common import named
from captioner_app.gui.panels.cue_table import CueTable
from captioner_app.gui.panels.find_bar import FindBar
from captioner_app.gui.panels.queue import QueueList
from captioner_app.gui.panels.recovery_bar import RecoveryBar
from captioner_app.gui.panels.transport import FrameKeys, Transport
from captioner_app.gui.preferences import Settings, save_settings
from captioner_app.gui.screen import arrange, fit_to_screen
from captioner_app.gui.session import Session
from captioner_app.gui.threads import collect_garbage_on_gui_thread
from captioner_app.gui.timing_commands import TimingCommands
from captioner_app.gui.widgets.checks_pane import ChecksPane
from captioner_app.gui.widgets.preview import PreviewPane
from captioner_app.gui.widgets.timeline import Timeline
from captioner_app.gui.widgets.timeline_list import TimelineList
from captioner_app.gui.workers import WorkerPool

TIMELINE_HELP = "Time ruler, cue blocks and playhead. Click to seek, drag cue edges to retime."


def _forward(path: str, doc: str = "") -> Any:
    """A read-only attribute of the window that is ``path`` on it (the session's state and methods)."""
    return property(lambda self: resolve(self, path), doc=doc or f"``self.{path}``")


class MainWindow(QMainWindow):
    # the session's state and commands, under the names the window has always had
    doc = _forward("session.doc", "The active document, or None.")
    documents = _forward("session.documents")
    messages = _forward("session.messages", "Every problem or notice reported, newest last.")
    recoveries = _forward("session.recoveries")
    position = _forward("session.position")
    last_frame = _forward("session.playback.last_frame")
    playing = _forward("session.playback.playing")
    captioning = _forward("session.jobs.captioning")
    range_marks = _forward("session.jobs.range_marks")
    open_paths = _forward("session.open_paths")
    activate = _forward("session.activate")
    import_subtitles = _forward("session.import_subtitles")
    export_track = _forward("session.export_track")
    track_snippet = _forward("session.track_snippet")
    save_project = _forward("session.save_project")
    open_project = _forward("session.open_project")
    report = _forward("session.report")
    autosave_now = _forward("session.autosave_now")
    check_recovery = _forward("session.check_recovery")
    restore_recoveries = _forward("session.restore_recoveries")
    discard_recoveries = _forward("session.discard_recoveries")
    seek = _forward("session.playback.seek")
    step_frames = _forward("session.playback.step_frames")
    toggle_play = _forward("session.playback.toggle")
    stop_playback = _forward("session.playback.stop")
    add_cue = _forward("session.add_cue")
    mark_in = _forward("session.jobs.mark_in")
    mark_out = _forward("session.jobs.mark_out")
    cancel_caption = _forward("session.jobs.cancel_caption")
    analyze_video = _forward("session.jobs.analyze")
    show_shortcuts = _forward("shortcuts.show_dialog")
    find_next = _forward("find_bar.find_next")
    find_previous = _forward("find_bar.find_previous")
    shortcuts_dialog = _forward("shortcuts.dialog", "Help > Keyboard Shortcuts, once shown.")
    cancel_analysis = _forward("session.jobs.cancel_analysis")
    # the Edit commands on the selected cues
    undo = _forward("edits.undo")
    redo = _forward("edits.redo")
    delete_cues = _forward("edits.delete_cues")
    split_cue = _forward("edits.split_cue")
    merge_cues = _forward("edits.merge_cues")
    edit_text = _forward("edits.edit_text")
    toggle_extended = _forward("edits.toggle_extended")
    spell_check = _forward("edits.spell_check")
    spell_dialog = _forward("edits.spell_dialog", "Edit > Spell Check, once shown.")
    speak_cue = _forward("edits.speak_cue")
    goto_selected = _forward("edits.goto_selected")

    def __init__(
        self,
        settings: Settings,
        *,
        model: str | None = None,
        device: str | None = None,
        pool: WorkerPool | None = None,
        check_recovery: bool = True,
    ) -> None:
        super().__init__()
        collect_garbage_on_gui_thread()  # before any worker thread starts: see gui.threads
        self.settings = settings
        self.session = Session(settings, pool, self)
        self.pool = self.session.pool
        self._closing = False
        self.problems = ProblemBox(self)
        self.docks: dict[str, tuple[QDockWidget, QWidget]] = {}
        self.panels = SimpleNamespace()  # every panel by name, for action handlers ("panels.find.focus")
        self.setWindowTitle("Captioner")
        self.setAcceptDrops(True)
        model = model or os.environ.get("CAPTIONER_MODEL", "").strip() or settings.model or DEFAULT_MODEL
        self._build_ui(model, device or settings.device)
        self._build_actions()
        self._connect()
        self.shortcuts.load()
        self.session.set_engine(self.model_edit.text(), self.device_combo.currentText())
        if settings.window_geometry:
            self.restoreGeometry(QByteArray.fromBase64(settings.window_geometry.encode()))
        fit_to_screen(self)
        self._update_state()
        self.first_paint = stage_first_paint(self)
        if check_recovery:
            self.session.check_recovery()

    # -- layout ------------------------------------------------------------------------------------

    def _build_ui(self, model: str, device: str) -> None:
        central = QWidget()
        outer = QVBoxLayout(central)
        outer.setContentsMargins(6, 6, 6, 6)
        self.recovery_bar = RecoveryBar()
        outer.addWidget(self.recovery_bar)

        top = QSplitter(Qt.Orientation.Horizontal)
        left = QWidget()
        ll = QVBoxLayout(left)
        ll.setContentsMargins(0, 0, 0, 0)
        self.preview = named(
            PreviewPane(), "Video preview", "The frame at the playhead. Left/Right step frames when focused."
        )
        self.preview.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.preview.viewResized.connect(lambda w, h: self.pool.frames.set_view(w, h))
        ll.addWidget(self.preview, 1)
        self.transport = Transport()
        ll.addWidget(self.transport)
        top.addWidget(left)
        self.caption_panel = CaptionPanel(self.settings, model, device)
        top.addWidget(self.caption_panel)
        top.setStretchFactor(0, 3)
        top.setStretchFactor(1, 1)

        self.timeline = named(Timeline(), "Timeline", TIMELINE_HELP)
        bottom = QWidget()
        bl = QVBoxLayout(bottom)
        bl.setContentsMargins(0, 0, 0, 0)
        self.find_bar = FindBar()
        bl.addWidget(self.find_bar)
        self.table = CueTable()
        language = lambda: self.doc.model.track.language if self.doc else "en"  # noqa: E731
        self.table.use_spelling(self.session.spelling, language).problem.connect(self.session.report)
        bl.addWidget(self.table, 1)

        vsplit = QSplitter(Qt.Orientation.Vertical)
        vsplit.addWidget(top)
        vsplit.addWidget(self.timeline)
        vsplit.addWidget(bottom)
        vsplit.setStretchFactor(0, 3)
        vsplit.setStretchFactor(2, 2)
        outer.addWidget(vsplit, 1)
        self.setCentralWidget(central)

        self.queue = QueueList()
        self.add_dock("queue", "Queue", self.queue, Qt.DockWidgetArea.LeftDockWidgetArea)
        self.undo_view = named(QUndoView(), "Undo history", "Edits so far; select one to go back to it")
        self.add_dock("history", "History", self.undo_view, Qt.DockWidgetArea.LeftDockWidgetArea)
        self.timeline_items = TimelineList(self.timeline)  # the timeline's content for keyboard and screen reader
        right = Qt.DockWidgetArea.RightDockWidgetArea
        items = self.add_dock("timeline_items", "Timeline Items", self.timeline_items, right)
        self.checks = named(ChecksPane(), "Checks", "Problems in the track; click one to select its cue")
        self.tabifyDockWidget(items, self.add_dock("checks", "Checks", self.checks, right, self.checks.list))
        self.files = FileCommands(self, self.session)
        self.timing = TimingCommands(self.session, self.selected_rows, self.select_row, self)
        self.finder = FindReplace(self.session, self.selected_rows, self.select_row, self)
        self.edits = EditCommands(self.session, self.table, self.selected_rows, self.select_row, self)
        self.choices = CaptionCommands(self)
        self.model_dialog: Any = None  # the Choose Model dialog, once shown
        self.announcer = Announcer(self)  # events said to screen readers, and the status bar's name
        self.frame_keys = FrameKeys(self.session.playback, self)
        self.frame_keys.install(self.preview, self.timeline, self.transport.slider)

        # the panels' main controls under the names the window has always had (tests, tools, benchmarks)
        p = self.caption_panel
        self.detail_combo, self.placement_combo, self.window_spin, self.stride_spin = (
            p.detail_combo,
            p.placement_combo,
            p.window_spin,
            p.stride_spin,
        )
        self.model_edit, self.device_combo, self.progress, self.progress_label = (
            p.model_edit,
            p.device_combo,
            p.progress,
            p.progress_label,
        )
        self.caption_button, self.cancel_button, self.recaption_button = (
            p.caption_button,
            p.cancel_button,
            p.recaption_button,
        )
        self.analysis_progress, self.analysis_label, self.analysis_cancel_button = (
            p.analysis_progress,
            p.analysis_label,
            p.analysis_cancel_button,
        )
        self.play_button, self.slider, self.time_label = (
            self.transport.play_button,
            self.transport.slider,
            self.transport.time_label,
        )
        self.find_edit, self.find_button, self.count_label = (
            self.find_bar.find_edit,
            self.find_bar.find_button,
            self.find_bar.count_label,
        )
        self.banner, self.banner_label = self.recovery_bar, self.recovery_bar.label
        self.restore_button, self.discard_button = self.recovery_bar.restore_button, self.recovery_bar.discard_button
        self.queue_dock, self.history_dock, self.checks_dock = (
            self.docks[n][0] for n in ("queue", "history", "checks")
        )
        for name, panel in (
            ("recovery", self.recovery_bar),
            ("transport", self.transport),
            ("caption", self.caption_panel),
            ("find", self.find_bar),
            ("table", self.table),
            ("preview", self.preview),
            ("timeline", self.timeline),
        ):
            setattr(self.panels, name, panel)
        self.resize(1280, 860)
        arrange(self)  # before the tab order: the caption panel moves into a scroll area
        screen_tab_order(self)
        name_parts(self)

    def add_dock(
        self, name: str, title: str, widget: QWidget, area: Qt.DockWidgetArea, focus: QWidget | None = None
    ) -> QDockWidget:
        """Dock a panel; View > (its action with handler ``focus_dock`` and args ``(name,)``) shows it."""
        dock = QDockWidget(title, self)
        dock.setObjectName(name)
        dock.setWidget(widget)
        self.addDockWidget(area, dock)
        self.docks[name] = (dock, focus or widget)
        setattr(self.panels, name, widget)
        return dock

    def focus_dock(self, name: str) -> None:
        dock, widget = self.docks[name]
        dock.show()
        dock.raise_()  # a tabbed dock comes to the front
        widget.setFocus()

    def _build_actions(self) -> None:
        self.actions_by_id = build_menus(
            self.menuBar(), self, lambda spec: self.run_action(spec), self._fill_submenu, ACTIONS
        )
        self.all_actions: list[QAction] = [
            a for spec in ACTIONS if not spec.submenu for a in [self.actions_by_id[spec.id]]
        ]
        self.undo_action, self.redo_action = self.actions_by_id["edit.undo"], self.actions_by_id["edit.redo"]
        self.recent_menu = self.actions_by_id["file.recent"].menu()
        self.key_guard = KeyGuard(self, ACTIONS)
        self.shortcuts = WindowKeys(self, self.actions_by_id, self.key_guard)
        app = QApplication.instance()
        if isinstance(app, QApplication):
            self.key_guard.watch(app)

    def run_action(self, action: Action) -> None:
        """A command was chosen (menu or keys): call its handler."""
        resolve(self, action.handler)(*action.args)

    def _fill_submenu(self, action: Action, menu: QMenu) -> None:
        resolve(self, action.handler)(menu)

    # -- wiring: the session's signals to the panels, the panels' requests to the session --------

    def _connect(self) -> None:
        s, jobs, playback, panel = self.session, self.session.jobs, self.session.playback, self.caption_panel
        s.status.connect(self._status)
        s.problem.connect(self._show_problem)
        s.documentAdded.connect(self._document_added)
        s.documentRemoved.connect(lambda doc, index: self.queue.remove(index))
        s.documentUpdated.connect(self._document_updated)
        s.documentOpened.connect(lambda doc: self._show_document() if doc is self.doc else None)
        s.cuesChanged.connect(self._cues_changed)
        s.activeChanged.connect(self._active_changed)
        s.selectRow.connect(self.select_row)
        s.recoveriesFound.connect(lambda recs: self.recovery_bar.offer(s.recovery_text()))
        s.recoveriesCleared.connect(self.recovery_bar.hide)
        s.announcement.connect(self.announcer.announce)
        s.waveforms.updated.connect(self._waveform_updated)
        s.narration.measured.connect(self.refresh_checks)
        jobs.runningChanged.connect(lambda running: self._update_state())
        jobs.captionProgress.connect(panel.show_progress)
        jobs.captionMessage.connect(panel.show_message)
        jobs.modelMissing.connect(self.show_model_dialog)
        jobs.analysisChanged.connect(lambda doc: self._show_analysis() if doc is self.doc else None)
        jobs.analysisProgress.connect(
            lambda doc, fraction: panel.show_analysis_progress(fraction) if doc is self.doc else None
        )
        playback.positionChanged.connect(self._position_changed)
        playback.frameShown.connect(self._frame_shown)
        playback.frameFailed.connect(self._frame_failed)
        playback.playingChanged.connect(self.transport.set_playing)

        self.recovery_bar.restoreRequested.connect(self.files.restore)
        self.recovery_bar.discardRequested.connect(s.discard_recoveries)
        self.transport.playRequested.connect(playback.toggle)
        self.transport.seekRequested.connect(playback.scrub)  # a burst of sound where the playhead lands
        panel.captionRequested.connect(self.caption_video)
        panel.cancelRequested.connect(jobs.cancel_caption)
        panel.recaptionRequested.connect(self.choices.caption_selection)
        panel.analysisCancelRequested.connect(jobs.cancel_analysis)
        panel.modelFolderPicked.connect(self.choices.model_folder_picked)
        panel.engineChanged.connect(s.set_engine)
        self.timeline.seekRequested.connect(playback.scrub)
        self.timeline.cueClicked.connect(self.select_row)
        self.timeline.cueTimesEdited.connect(self._timeline_edit)
        self.timeline_items.seekRequested.connect(playback.seek)
        self.timeline_items.cueChosen.connect(self.select_row)
        self.checks.findingActivated.connect(self.select_finding)
        self.checks.kindChanged.connect(lambda _kind: self.refresh_checks())
        self.find_bar.searchRequested.connect(self.finder.find)
        self.find_bar.replaceRequested.connect(self.finder.replace)
        self.find_bar.replaceAllRequested.connect(self.finder.replace_all)
        self.find_bar.closed.connect(self.table.setFocus)
        self.table.rowsSelected.connect(self._rows_selected)
        self.queue.documentChosen.connect(lambda row: s.activate(s.documents[row]) if row < len(s.documents) else None)

    # -- messages ------------------------------------------------------------------------------------

    def _status(self, text: str) -> None:
        self.statusBar().showMessage(text, 10000)

    def _show_problem(self, message: str, title: str) -> None:
        """A one-line problem: status bar plus a non-blocking message box. The app stays up."""
        self.statusBar().showMessage(message, 15000)
        if not self._closing:
            self.problems.show(message, title)

    # -- showing the session ---------------------------------------------------------------------------

    def _document_added(self, doc: Document) -> None:
        self.queue.add(doc)
        doc.model.undo_stack.canUndoChanged.connect(self._update_state)
        doc.model.undo_stack.canRedoChanged.connect(self._update_state)

    def _document_updated(self, doc: Document) -> None:
        self.queue.refresh(doc)
        if doc is self.doc:
            self._update_state()

    def _cues_changed(self, doc: Document) -> None:
        if doc is self.doc:
            self.timeline.set_cues(doc.model.cues())
            self.refresh_checks()
            self._update_state()

    def _active_changed(self, doc: Document | None) -> None:
        self.table.show_model(doc.model if doc else None)
        self.undo_view.setStack(doc.model.undo_stack if doc else None)  # type: ignore[arg-type]
        if doc is not None:
            self.queue.show_current(self.documents.index(doc))
        self._show_document()

    def _show_document(self) -> None:
        doc = self.doc
        duration = (doc.info.duration_ms if doc.info else doc.model.track.duration_ms or 0) if doc else 0
        self.timeline.set_duration(duration)
        self.timeline.set_cues(doc.model.cues() if doc else [])
        self.timeline.set_envelope(self.session.waveforms.get(doc.video) if doc else None)
        self.caption_panel.show_document(doc)
        self._show_analysis()
        self.transport.set_video(duration, doc.info.fps if doc and doc.info else None, doc.position_ms if doc else 0)
        if doc is None:
            self.preview.clear("Open a video (Ctrl+O) or drop files here")
        elif doc.probing:
            self.preview.clear(f"Opening {doc.title}…")
        elif doc.error:
            self.preview.clear(doc.error)
        elif doc.info:
            self.seek(doc.position_ms)
        self._update_state()

    def _update_state(self) -> None:
        doc = self.doc
        has_video = doc is not None and doc.info is not None
        self.caption_panel.set_state(has_video, self.captioning, bool(self.selected_rows()))
        self.transport.set_enabled(has_video)
        enable_for(self.actions_by_id, doc is not None, has_video)
        self.find_bar.set_count(len(doc.model.track) if doc else 0)
        self.setWindowTitle(f"{doc.title}{' *' if doc.dirty else ''} — Captioner" if doc else "Captioner")

    def _show_analysis(self) -> None:
        analysis = self.caption_panel.show_analysis(self.doc)
        self.timeline.set_analysis(analysis)
        description = TIMELINE_HELP
        if analysis is not None:
            description += (
                f" Speech regions are drawn under the ruler, shot changes as dashed lines "
                f"({len(analysis.speech)} speech regions, {len(analysis.cuts_ms)} shot changes); "
                "dragged edges snap to them, hold Shift to place freely."
            )
        self.timeline.setAccessibleDescription(description)
        self.refresh_checks()

    def _waveform_updated(self, update: WaveformUpdate) -> None:
        if self.doc is not None and self.doc.video == update.video:
            if update.envelope is not None:
                self.timeline.set_envelope(update.envelope)
            if update.error:
                self._status(update.error)

    def _position_changed(self, ms: int, duration_ms: int) -> None:
        self.timeline.set_position(ms)
        self.transport.set_position(ms, duration_ms)

    def _frame_shown(self, frame: FrameReady) -> None:
        self.preview.show_image(frame.image, frame.time_ms)

    def _frame_failed(self, message: str, video: str) -> None:
        if self.doc is not None and self.doc.video == video:
            self.preview.clear(message)

    def refresh_checks(self) -> None:
        """Check the current track again (cheap: text and times only) and list the findings."""
        if self.doc is None:
            self.checks.clear("No video")
            return
        try:
            findings, note = self.session.check(self.checks.kind)
        except CaptionerError as err:
            self.checks.clear(str(err))
            return
        self.checks.set_findings(findings, note)

    # -- selection ------------------------------------------------------------------------------------

    def selected_rows(self) -> list[int]:
        return self.table.selected_rows() if self.doc is not None else []

    def select_row(self, row: int) -> None:
        self.table.select_row(row)

    def _rows_selected(self, rows: list[int]) -> None:
        self.timeline.set_selected(rows)
        self._update_state()

    def select_finding(self, row: int) -> None:
        """A finding (or a found cue) was chosen: select its cue and move the playhead to it."""
        doc = self.doc
        if doc is not None and 0 <= row < len(doc.model.track):
            self.select_row(row)
            self.seek(doc.model.track[row].start_ms)

    def _timeline_edit(self, row: int, start: int, end: int) -> None:
        self.session.set_times(row, start, end)
        if self.doc is not None:
            self.timeline.set_cues(self.doc.model.cues())

    def fill_voice_menu(self, menu: QMenu) -> None:
        self.choices.fill_voice_menu(menu)

    def show_model_dialog(self, reason: str) -> None:
        self.choices.show_model_dialog(reason)

    # -- captioning (the panel's options, the session's jobs) ----------------------------------------

    def caption_options(self, detail: str | None = None, placement: str | None = None) -> CaptionOptions:
        return self.caption_panel.caption_options(detail, placement)

    def engine_options(self) -> EngineOptions:
        return self.caption_panel.engine_options()

    def caption_video(self) -> int | None:
        return self.choices.caption_video()

    def caption_range(self) -> int | None:
        return self.choices.caption_range()

    def _ask_about_existing_cues(self, count: int) -> str:
        """'replace', 'add' or 'cancel' (a method of its own so tests can answer it)."""
        from captioner_app.gui.dialogs.rerun import ask_about_existing_cues

        return ask_about_existing_cues(self, self.doc.title if self.doc else "The video", count)

    # -- files ---------------------------------------------------------------------------------------

    def close_document(self) -> None:
        self.session.close_document()

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        self.files.drag_enter(event)

    def dropEvent(self, event: QDropEvent) -> None:
        self.files.drop(event)

    # -- help ------------------------------------------------------------------------------------------

    def show_about(self) -> None:
        from captioner_app.gui.dialogs.about import AboutDialog

        self.about_dialog = AboutDialog(self.model_edit.text(), self)
        self.about_dialog.open()

    # -- closing ---------------------------------------------------------------------------------------

    def shutdown(self) -> None:
        """Stop timers and workers; keep unsaved work as autosaves (offered on the next start)."""
        if self._closing:
            return
        self._closing = True
        app = QApplication.instance()
        if isinstance(app, QApplication):
            self.key_guard.unwatch(app)
        self.session.shutdown()
        self.caption_panel.store(self.settings)
        self.settings.window_geometry = bytes(self.saveGeometry().toBase64().data()).decode()
        model = self.model_edit.text().strip()
        if model and model != os.environ.get("CAPTIONER_MODEL", "").strip():
            self.settings.model = model
        try:
            save_settings(self.settings)
        except CaptionerError as err:
            print(f"captioner-gui: settings not saved: {err}")

    def closeEvent(self, event: QCloseEvent) -> None:
        if not self._closing and not self._confirm_close():
            event.ignore()
            return
        self.shutdown()
        super().closeEvent(event)

    def _ask_about_unsaved(self, dirty: list[Document]) -> str:
        """'save', 'quit' or 'cancel' (a method of its own so tests can answer it)."""
        return ask_about_unsaved(self, [d.title for d in dirty])

    def _confirm_close(self) -> bool:
        """Offer to save documents with unsaved edits; False cancels the close."""
        dirty = [d for d in self.documents if d.dirty]
        if not dirty:
            return True
        answer = self._ask_about_unsaved(dirty)
        if answer == "cancel":
            return False
        if answer == "save":
            for doc in dirty:
                self.activate(doc)
                if doc.project_path:
                    self.save_project(doc.project_path)
                else:
                    self.files.save_project_as_dialog()
                if doc.dirty:  # the dialog was cancelled or the save failed: stay open
                    return False
        return True
