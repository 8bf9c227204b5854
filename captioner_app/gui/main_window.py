"""The main window: queue, preview, transport, timeline, caption controls, cue table, menus."""

from __future__ import annotations

import math
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QByteArray, QElapsedTimer, QItemSelectionModel, QModelIndex, Qt, QTimer, QUrl
from PySide6.QtGui import (
    QAction,
    QCloseEvent,
    QDragEnterEvent,
    QDropEvent,
    QGuiApplication,
    QKeyEvent,
    QKeySequence,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDockWidget,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QSlider,
    QSplitter,
    QTableView,
    QToolButton,
    QUndoView,
    QVBoxLayout,
    QWidget,
)

from captioner_app.core.analysis.analyze import Analysis
from captioner_app.core.errors import CaptionerError
from captioner_app.core.model.engine import DEFAULT_MODEL, EngineOptions, hub_offline
from captioner_app.core.pipeline import CaptionOptions
from captioner_app.core.settings import Settings, save_settings
from captioner_app.core.timecode import seconds_to_ms
from captioner_app.core.timing.windows import Window
from captioner_app.core.tracks import formats
from captioner_app.core.tracks.checks import CheckOptions, check_track
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
from captioner_app.core.tracks.track import Cue, Provenance
from captioner_app.core.vocab import Detail, Device, Placement
from captioner_app.gui.document import Document
from captioner_app.gui.models.cues import COL_TEXT, format_ms
from captioner_app.gui.tts import Speaker
from captioner_app.gui.widgets.checks_pane import ChecksPane
from captioner_app.gui.widgets.preview import PreviewPane
from captioner_app.gui.widgets.timeline import Timeline
from captioner_app.gui.workers import (
    AnalysisDone,
    AnalysisProgress,
    CaptionDone,
    CaptionJob,
    CaptionUpdate,
    Failure,
    FrameReady,
    Probed,
    TaskDone,
    WorkerPool,
)

VIDEO_FILTER = "Videos (*.mp4 *.mkv *.mov *.webm *.avi *.m4v *.mpg *.mpeg *.ts);;All files (*)"
SUBTITLE_EXTS = (".srt", ".vtt", ".json")
DEVICES = Device.choices()
DETAILS = Detail.choices()


def named(widget: Any, name: str, description: str = "") -> Any:
    widget.setAccessibleName(name)
    if isinstance(widget, QComboBox):
        widget.view().setAccessibleName(f"{name} choices")
    if description:
        widget.setAccessibleDescription(description)
        widget.setToolTip(description)
    return widget


class FrameKeys(QWidget):
    """Mixin behaviour for widgets where Left/Right step frames (installed as an event filter)."""


class MainWindow(QMainWindow):
    def __init__(self, settings: Settings, *, model: str | None = None, device: str | None = None,
                 pool: WorkerPool | None = None, check_recovery: bool = True) -> None:
        super().__init__()
        self.settings = settings
        self.pool = pool or WorkerPool(self)
        self.autosaver = Autosaver()
        self.documents: list[Document] = []
        self.doc: Document | None = None
        self.messages: list[str] = []  # every error or notice shown, newest last
        self.recoveries: list[Recovery] = []
        self._frame_request = 0
        self._shown_request = 0
        self._job = 0
        self._jobs: dict[int, Document] = {}
        self._running_job: int | None = None
        self._closing = False
        self._frame_key_widgets: tuple[QWidget, ...] = ()
        self._export_name: str | None = None
        self._autosave_tasks: set[int] = set()
        self.last_frame: FrameReady | None = None
        self.range_marks: tuple[int | None, int | None] = (None, None)  # Mark In / Mark Out, ms
        self.setWindowTitle("Captioner")
        self.setAccessibleName("Captioner main window")
        self.setAcceptDrops(True)
        self._build_ui(model or os.environ.get("CAPTIONER_MODEL", "").strip() or settings.model or DEFAULT_MODEL,
                       device or settings.device)
        self._build_actions()
        self._connect_workers()
        self.autosave_timer = QTimer(self)
        self.autosave_timer.setInterval(max(200, int(settings.autosave_s * 1000)))
        self.autosave_timer.timeout.connect(self.autosave_now)
        self.autosave_timer.start()
        self.play_timer = QTimer(self)
        self.play_timer.setTimerType(Qt.TimerType.PreciseTimer)
        self.play_timer.timeout.connect(self._play_tick)
        self._play_clock = QElapsedTimer()
        self._play_from = 0
        if settings.window_geometry:
            self.restoreGeometry(QByteArray.fromBase64(settings.window_geometry.encode()))
        self._update_state()
        if check_recovery:
            self.check_recovery()

    # -- layout ----------------------------------------------------------------------------------

    def _build_ui(self, model: str, device: str) -> None:
        central = QWidget()
        outer = QVBoxLayout(central)
        outer.setContentsMargins(6, 6, 6, 6)

        # recovery banner
        self.banner = QFrame()
        self.banner.setFrameShape(QFrame.Shape.StyledPanel)
        named(self.banner, "Recovered work")
        bl = QHBoxLayout(self.banner)
        self.banner_label = QLabel()
        self.banner_label.setWordWrap(True)
        self.restore_button = named(QPushButton("&Restore"), "Restore unsaved work")
        self.discard_button = named(QPushButton("Discard"), "Discard unsaved work")
        bl.addWidget(self.banner_label, 1)
        bl.addWidget(self.restore_button)
        bl.addWidget(self.discard_button)
        self.banner.hide()
        outer.addWidget(self.banner)
        self.restore_button.clicked.connect(self.restore_recoveries)
        self.discard_button.clicked.connect(self.discard_recoveries)

        top = QSplitter(Qt.Orientation.Horizontal)
        left = QWidget()
        ll = QVBoxLayout(left)
        ll.setContentsMargins(0, 0, 0, 0)
        self.preview = named(PreviewPane(), "Video preview",
                             "The frame at the playhead. Left/Right step frames when focused.")
        self.preview.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        ll.addWidget(self.preview, 1)
        transport = QHBoxLayout()
        self.play_button = named(QToolButton(), "Play or pause", "Play or pause (Ctrl+P)")
        self.play_button.setText("Play")
        self.slider = named(QSlider(Qt.Orientation.Horizontal), "Scrub position",
                            "Position in the video; arrow keys step frames, Page Up/Down a second")
        self.slider.setRange(0, 0)
        self.time_label = named(QLabel("0:00:00.000 / 0:00:00.000"), "Playhead time")
        transport.addWidget(self.play_button)
        transport.addWidget(self.slider, 1)
        transport.addWidget(self.time_label)
        ll.addLayout(transport)
        top.addWidget(left)

        panel = QWidget()
        form = QFormLayout(panel)
        self.detail_combo = named(QComboBox(), "Detail level",
                                  "How much each cue says; auto: from each cue's narration budget")
        self.detail_combo.addItems(DETAILS)
        self.detail_combo.setCurrentText(self.settings.detail)
        self.placement_combo = named(QComboBox(), "Placement",
                                     "Where cues go: fixed windows, the gaps between speech, or one per shot")
        self.placement_combo.addItems(Placement.choices())
        self.placement_combo.setCurrentText(self.settings.placement)
        self.window_spin = named(QDoubleSpinBox(), "Window length in seconds")
        self.window_spin.setRange(1.0, 120.0)
        self.window_spin.setSuffix(" s")
        self.window_spin.setValue(self.settings.window_s)
        self.stride_spin = named(QDoubleSpinBox(), "Stride in seconds",
                                 "Seconds between window starts; 0 means the window length")
        self.stride_spin.setRange(0.0, 120.0)
        self.stride_spin.setSuffix(" s")
        self.stride_spin.setSpecialValueText("same as window")
        self.stride_spin.setValue(self.settings.stride_s or 0.0)
        self.model_edit = named(QLineEdit(model), "Model", "Hub id or local folder of the Molmo2 model")
        self.model_browse = named(QToolButton(), "Choose model folder")
        self.model_browse.setText("…")
        model_row = QHBoxLayout()
        model_row.addWidget(self.model_edit, 1)
        model_row.addWidget(self.model_browse)
        self.device_combo = named(QComboBox(), "Device", "Where the model runs")
        self.device_combo.addItems(DEVICES)
        self.device_combo.setCurrentText(device if device in DEVICES else "auto")
        self.caption_button = named(QPushButton("&Caption video"), "Caption video", "Caption the whole video (Ctrl+R)")
        self.cancel_button = named(QPushButton("Cancel"), "Cancel captioning",
                                   "Stop captioning and keep the cues already written (Ctrl+.)")
        self.recaption_button = named(QPushButton("Caption selection &again"), "Caption selection again",
                                      "Caption the selected cues again at the chosen detail level (Ctrl+Shift+R)")
        self.progress = named(QProgressBar(), "Caption progress")
        self.progress.setRange(0, 1)
        self.progress.setValue(0)
        self.progress.setFormat("Not captioned yet")
        self.progress_label = named(QLabel(""), "Caption status")
        self.progress_label.setWordWrap(True)
        self.analysis_progress = named(QProgressBar(), "Analysis progress",
                                       "Finding speech and shot changes in the video")
        self.analysis_progress.setRange(0, 100)
        self.analysis_progress.setValue(0)
        self.analysis_progress.setFormat("Analysis %p%")
        self.analysis_label = named(QLabel("Speech and shots: not analysed"), "Analysis status")
        self.analysis_label.setWordWrap(True)
        self.analysis_cancel_button = named(QPushButton("Stop analysis"), "Stop analysis",
                                            "Stop finding speech and shot changes (Ctrl+Shift+K)")
        analysis_row = QHBoxLayout()
        analysis_row.addWidget(self.analysis_progress, 1)
        analysis_row.addWidget(self.analysis_cancel_button)
        buttons = QHBoxLayout()
        buttons.addWidget(self.caption_button)
        buttons.addWidget(self.cancel_button)
        form.addRow("&Detail:", self.detail_combo)
        form.addRow("P&lacement:", self.placement_combo)
        form.addRow("&Window:", self.window_spin)
        form.addRow("St&ride:", self.stride_spin)
        model_label = QLabel("&Model:")
        model_label.setBuddy(self.model_edit)
        form.addRow(model_label, model_row)
        form.addRow("De&vice:", self.device_combo)
        form.addRow(buttons)
        form.addRow(self.recaption_button)
        form.addRow(self.progress)
        form.addRow(self.progress_label)
        form.addRow(analysis_row)
        form.addRow(self.analysis_label)
        for label_widget in panel.findChildren(QLabel):
            buddy = label_widget.buddy()
            if buddy is not None and not label_widget.accessibleName():
                label_widget.setAccessibleName(label_widget.text().replace("&", "").rstrip(":"))
        top.addWidget(panel)
        top.setStretchFactor(0, 3)
        top.setStretchFactor(1, 1)

        self.timeline = named(Timeline(), "Timeline",
                              "Time ruler, cue blocks and playhead. Click to seek, drag cue edges to retime.")

        bottom = QWidget()
        bl2 = QVBoxLayout(bottom)
        bl2.setContentsMargins(0, 0, 0, 0)
        find_row = QHBoxLayout()
        self.find_edit = named(QLineEdit(), "Find text", "Find text in cues (Ctrl+F, then Enter or F3)")
        self.find_edit.setPlaceholderText("Find in cues (Ctrl+F)")
        self.find_button = named(QPushButton("Find &next"), "Find next")
        self.count_label = named(QLabel(""), "Cue count")
        find_row.addWidget(self.find_edit, 1)
        find_row.addWidget(self.find_button)
        find_row.addWidget(self.count_label)
        bl2.addLayout(find_row)
        self.table = named(QTableView(), "Cue table",
                           "Cues: start, end, duration, text and words per second. F2 edits a cell.")
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.DoubleClicked
                                   | QAbstractItemView.EditTrigger.EditKeyPressed
                                   | QAbstractItemView.EditTrigger.AnyKeyPressed)
        self.table.setWordWrap(True)
        self.table.setTabKeyNavigation(False)
        bl2.addWidget(self.table, 1)

        vsplit = QSplitter(Qt.Orientation.Vertical)
        vsplit.addWidget(top)
        vsplit.addWidget(self.timeline)
        vsplit.addWidget(bottom)
        vsplit.setStretchFactor(0, 3)
        vsplit.setStretchFactor(2, 2)
        outer.addWidget(vsplit, 1)
        self.setCentralWidget(central)

        # docks: the queue and the undo history
        self.queue = named(QListWidget(), "Video queue", "Videos opened or dropped; select one to work on it")
        self.queue_dock = QDockWidget("Queue", self)
        self.queue_dock.setObjectName("queue")
        self.queue_dock.setWidget(self.queue)
        self.addDockWidget(Qt.DockWidgetArea.LeftDockWidgetArea, self.queue_dock)
        self.undo_view = named(QUndoView(), "Undo history", "Edits so far; select one to go back to it")
        self.history_dock = QDockWidget("History", self)
        self.history_dock.setObjectName("history")
        self.history_dock.setWidget(self.undo_view)
        self.addDockWidget(Qt.DockWidgetArea.LeftDockWidgetArea, self.history_dock)
        self.checks = named(ChecksPane(), "Checks", "Problems in the track; click one to select its cue")
        self.checks_dock = QDockWidget("Checks", self)
        self.checks_dock.setObjectName("checks")
        self.checks_dock.setWidget(self.checks)
        self.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, self.checks_dock)
        self.speaker = Speaker(self)
        self.speaker.stateChanged.connect(self._speech_state)
        self.statusBar().setAccessibleName("Status")

        self._frame_key_widgets = (self.preview, self.timeline, self.slider)
        for widget in self._frame_key_widgets:
            widget.installEventFilter(self)
        self.play_button.clicked.connect(self.toggle_play)
        self.slider.valueChanged.connect(self._slider_moved)
        self.timeline.seekRequested.connect(self.seek)
        self.timeline.cueClicked.connect(self.select_row)
        self.timeline.cueTimesEdited.connect(self._timeline_edit)
        self.caption_button.clicked.connect(self.caption_video)
        self.cancel_button.clicked.connect(self.cancel_caption)
        self.recaption_button.clicked.connect(self.caption_selection)
        self.analysis_cancel_button.clicked.connect(self.cancel_analysis)
        self.checks.findingActivated.connect(self.select_finding)
        self.checks.kindChanged.connect(lambda _kind: self.refresh_checks())
        self.model_browse.clicked.connect(self._browse_model)
        self.find_button.clicked.connect(self.find_next)
        self.find_edit.returnPressed.connect(self.find_next)
        self.queue.currentRowChanged.connect(self._queue_row_changed)
        self.resize(1280, 860)

    def _build_actions(self) -> None:
        self.all_actions: list[QAction] = []
        bar = self.menuBar()

        def act(menu: Any, text: str, slot: Callable[..., Any], keys: Any = None, tip: str = "") -> QAction:
            a = QAction(text, self)
            if keys is not None:
                seqs = keys if isinstance(keys, list) else [keys]
                a.setShortcuts([QKeySequence(k) for k in seqs])
            a.setProperty("menu", menu.title().replace("&", ""))
            if tip:
                a.setStatusTip(tip)
            a.triggered.connect(lambda checked=False: slot())
            menu.addAction(a)
            self.all_actions.append(a)
            return a

        m = bar.addMenu("&File")
        act(m, "&Open Video…", self.open_dialog, QKeySequence.StandardKey.Open)
        self.recent_menu = m.addMenu("Open &Recent")
        self.recent_menu.aboutToShow.connect(self._fill_recent)
        act(m, "Open &Project…", self.open_project_dialog, "Ctrl+Shift+O")
        act(m, "&Save Project", self.save_project_action, QKeySequence.StandardKey.Save)
        act(m, "Save Project &As…", self.save_project_as_dialog, "Ctrl+Shift+S")
        m.addSeparator()
        act(m, "&Import Subtitles…", self.import_dialog, "Ctrl+I")
        act(m, "Export &SRT…", lambda: self.export_dialog("srt"), "Ctrl+E")
        act(m, "Export &WebVTT…", lambda: self.export_dialog("vtt"), "Ctrl+Shift+E")
        act(m, "Export &JSON…", lambda: self.export_dialog("json"))
        act(m, "&Copy WebVTT <track> Snippet", self.copy_track_snippet, "Ctrl+Shift+C")
        m.addSeparator()
        act(m, "&Close Video", self.close_document, QKeySequence.StandardKey.Close)
        act(m, "&Quit", self.close, QKeySequence.StandardKey.Quit)

        m = bar.addMenu("&Edit")
        self.undo_action = act(m, "&Undo", lambda: self._stack_call("undo"), QKeySequence.StandardKey.Undo)
        self.redo_action = act(m, "&Redo", lambda: self._stack_call("redo"), ["Ctrl+Shift+Z", "Ctrl+Y"])
        m.addSeparator()
        act(m, "&Add Cue at Playhead", self.add_cue, "Ctrl+N")
        act(m, "&Delete Cue", self.delete_cues, "Ctrl+Delete")
        act(m, "S&plit Cue at Playhead", self.split_cue, "Ctrl+B")
        act(m, "&Merge Cues", self.merge_cues, "Ctrl+M")
        act(m, "Edit Cue &Text", self.edit_text, "Ctrl+T")
        act(m, "Mark Cue E&xtended / Not Extended", self.toggle_extended, "Ctrl+Shift+X",
            "Extended: the player pauses the video while the description is spoken")
        act(m, "Spea&k Cue", self.speak_cue, "Ctrl+Shift+Space", "Hear the selected cue with text-to-speech")
        m.addSeparator()
        act(m, "&Find…", self.focus_find, QKeySequence.StandardKey.Find)
        act(m, "Find &Next", self.find_next, QKeySequence.StandardKey.FindNext)

        m = bar.addMenu("&Playback")
        act(m, "&Play/Pause", self.toggle_play, "Ctrl+P")
        act(m, "&Next Frame", lambda: self.step_frames(1), "Alt+Right")
        act(m, "P&revious Frame", lambda: self.step_frames(-1), "Alt+Left")
        act(m, "&Forward 1 s", lambda: self.seek(self.position + 1000), "Alt+Shift+Right")
        act(m, "&Back 1 s", lambda: self.seek(self.position - 1000), "Alt+Shift+Left")
        act(m, "Go to &Selected Cue", self.goto_selected, "Ctrl+J")
        act(m, "Zoom Timeline &In", lambda: self.timeline.zoom(1.5), "Ctrl+=")
        act(m, "Zoom Timeline &Out", lambda: self.timeline.zoom(1 / 1.5), "Ctrl+-")

        m = bar.addMenu("&Caption")
        act(m, "&Caption Video", self.caption_video, "Ctrl+R")
        act(m, "Caption &Selection Again", self.caption_selection, "Ctrl+Shift+R")
        act(m, "Mark Range &In at Playhead", self.mark_in, "Ctrl+[", "Start of a time range to caption")
        act(m, "Mark Range &Out at Playhead", self.mark_out, "Ctrl+]", "End of a time range to caption")
        act(m, "Caption Marked &Range", self.caption_range, "Ctrl+Shift+G",
            "Describe the marked time range as one new cue")
        act(m, "C&ancel", self.cancel_caption, "Ctrl+.")
        act(m, "Choose &Model…", lambda: self.show_model_dialog("chosen from the Caption menu"), "Ctrl+Shift+M")
        m.addSeparator()
        act(m, "Analy&ze Video (Speech and Shots)", lambda: self.analyze_video(force=True), "Ctrl+Shift+A",
            "Find speech, gaps and shot changes again")
        act(m, "Stop Anal&ysis", self.cancel_analysis, "Ctrl+Shift+K")

        m = bar.addMenu("&View")
        act(m, "Focus Cue &Table", lambda: self.table.setFocus(), "Ctrl+1")
        act(m, "Focus T&imeline", lambda: self.timeline.setFocus(), "Ctrl+2")
        act(m, "Focus &Preview", lambda: self.preview.setFocus(), "Ctrl+3")
        act(m, "Focus &Queue", self._focus_queue, "Ctrl+4")
        act(m, "Show &History", self._focus_history, "Ctrl+H")
        act(m, "Show Chec&ks", self._focus_checks, "Ctrl+5")

        m = bar.addMenu("&Help")
        act(m, "&Keyboard Shortcuts", self.show_shortcuts, QKeySequence.StandardKey.HelpContents)
        act(m, "&About", self.show_about)

    def _connect_workers(self) -> None:
        self.pool.frames.frameReady.connect(self._frame_ready)
        self.pool.frames.failed.connect(self._frame_failed)
        self.pool.model.update.connect(self._caption_update)
        self.pool.model.done.connect(self._caption_done)
        self.pool.model.loading.connect(self._model_loading)
        self.pool.model.loaded.connect(self._model_loaded)
        self.pool.tasks.probed.connect(self._probed)
        self.pool.tasks.finished.connect(self._task_done)
        self.pool.analysis.progress.connect(self._analysis_progress)
        self.pool.analysis.done.connect(self._analysis_done)

    def _model_loading(self, model: str) -> None:
        self._status(f"Loading model {model}…")
        self.progress_label.setText(f"Loading model {model}…")

    def _model_loaded(self, model: str, device: str) -> None:
        self._status(f"Model {model} loaded on {device}")

    # -- messages ----------------------------------------------------------------------------------

    def _status(self, text: str) -> None:
        self.statusBar().showMessage(text, 10000)

    def report(self, message: str, title: str = "Problem") -> None:
        """Show a one-line problem: status bar plus a non-blocking message box. The app stays up."""
        self.messages.append(message)
        self.statusBar().showMessage(message, 15000)
        if self._closing:
            return
        box = getattr(self, "_box", None)
        if box is not None and box.isVisible():
            box.setText(box.text() + "\n" + message)
            return
        box = QMessageBox(QMessageBox.Icon.Warning, title, message, QMessageBox.StandardButton.Ok, self)
        box.setAccessibleName(title)
        box.setWindowModality(Qt.WindowModality.NonModal)
        self._box = box
        box.open()

    # -- documents and the queue -----------------------------------------------------------------

    @property
    def position(self) -> int:
        return self.doc.position_ms if self.doc else 0

    def open_paths(self, paths: list[str]) -> list[Document]:
        """Open videos (into the queue), projects and subtitle files; the first video becomes current."""
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
            doc = self._add_document(Document(path, self))
            self.pool.probe(path)
            opened.append(doc)
            self.settings.add_recent(path)
            if self.doc is None:
                self.activate(doc)  # so subtitle files given after it land in its track
        if opened and (self.doc is None or self.doc not in opened):
            self.activate(opened[0])
        return opened

    def _add_document(self, doc: Document) -> Document:
        self.documents.append(doc)
        item = QListWidgetItem(doc.title)
        item.setData(Qt.ItemDataRole.UserRole, doc.key)
        self.queue.addItem(item)
        doc.model.changed.connect(lambda d=doc: self._doc_changed(d))
        doc.model.selectRow.connect(lambda row, d=doc: self._select_from_model(d, row))
        doc.model.editRejected.connect(lambda msg: self.report(msg, "Cannot edit"))
        self._refresh_queue_item(doc)
        return doc

    def _refresh_queue_item(self, doc: Document) -> None:
        for i in range(self.queue.count()):
            item = self.queue.item(i)
            if item.data(Qt.ItemDataRole.UserRole) == doc.key:
                state = " (opening…)" if doc.probing else (" — cannot open" if doc.error else "")
                star = " *" if doc.dirty else ""
                item.setText(f"{doc.title}{star}{state}")
                item.setToolTip(doc.error or doc.video or doc.title)
                return

    def activate(self, doc: Document) -> None:
        if self.doc is doc:
            return
        self.stop_playback()
        self.doc = doc
        self.table.setModel(doc.model)
        self.undo_view.setStack(doc.model.undo_stack)
        doc.model.undo_stack.canUndoChanged.connect(self._update_state)
        doc.model.undo_stack.canRedoChanged.connect(self._update_state)
        doc.model.narration_wps = self.settings.narration_wps
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(COL_TEXT, QHeaderView.ResizeMode.Stretch)
        self.table.selectionModel().selectionChanged.connect(self._table_selection_changed)
        row = self.documents.index(doc)
        if self.queue.currentRow() != row:
            self.queue.setCurrentRow(row)
        self._show_document()

    def _show_document(self) -> None:
        doc = self.doc
        if doc is None:
            self.preview.clear("Open a video (Ctrl+O) or drop files here")
            self.timeline.set_duration(0)
            self.timeline.set_cues([])
            self._show_analysis()
            self.slider.setRange(0, 0)
            self._update_state()
            return
        duration = doc.info.duration_ms if doc.info else doc.model.track.duration_ms or 0
        self.timeline.set_duration(duration)
        self.timeline.set_cues(doc.model.cues())
        self._show_analysis()
        self.slider.blockSignals(True)
        self.slider.setRange(0, max(0, duration - 1))
        if doc.info:
            self.slider.setSingleStep(max(1, int(round(1000 / doc.info.fps))))
        self.slider.setPageStep(1000)
        self.slider.setValue(doc.position_ms)
        self.slider.blockSignals(False)
        if doc.probing:
            self.preview.clear(f"Opening {doc.title}…")
        elif doc.error:
            self.preview.clear(doc.error)
        elif doc.info:
            self.seek(doc.position_ms)
        self._update_state()

    def _queue_row_changed(self, row: int) -> None:
        if 0 <= row < len(self.documents):
            self.activate(self.documents[row])

    def close_document(self) -> None:
        doc = self.doc
        if doc is None:
            return
        if self._running_job is not None and self._jobs.get(self._running_job) is doc:
            self.cancel_caption()
        if doc.analysis_job is not None:
            self.pool.cancel_analysis(doc.analysis_job)
        index = self.documents.index(doc)
        if doc.dirty:
            self._write_autosave(doc, sync=True)  # nothing is dropped: a later start offers it back
            self._status(f"{doc.title}: unsaved edits kept in the autosave folder")
        else:
            self.autosaver.remove(doc.key)
        self.documents.remove(doc)
        self.queue.takeItem(index)
        self.doc = None
        if self.documents:
            self.activate(self.documents[min(index, len(self.documents) - 1)])
        else:
            self.table.setModel(None)
            self.undo_view.setStack(None)
            self._show_document()

    def _probed(self, result: Probed) -> None:
        for doc in [d for d in self.documents if d.video == result.path and d.probing]:
            doc.probing = False
            if result.info is None:
                doc.error = result.error or f"{result.path}: cannot be opened"
                self.report(doc.error, "Cannot open video")
            else:
                doc.info = result.info
                doc.error = None
                doc.model.track.duration_ms = result.info.duration_ms
                self._status(f"Opened {doc.title}: {result.info.width}x{result.info.height}, "
                             f"{result.info.fps:g} fps, {format_ms(result.info.duration_ms)}")
                if self.settings.auto_analyze:
                    self.analyze_video(doc)
            self._refresh_queue_item(doc)
            if doc is self.doc:
                self._show_document()

    def _doc_changed(self, doc: Document) -> None:
        self._refresh_queue_item(doc)
        if doc is self.doc:
            self.timeline.set_cues(doc.model.cues())
            self.refresh_checks()
            self._update_state()

    def _update_state(self) -> None:
        doc = self.doc
        running = self._running_job is not None
        has_video = doc is not None and doc.info is not None
        self.caption_button.setEnabled(has_video and not running)
        self.recaption_button.setEnabled(has_video and not running and bool(self.selected_rows()))
        self.cancel_button.setEnabled(running)
        self.play_button.setEnabled(has_video)
        self.slider.setEnabled(has_video)
        n = len(doc.model.track) if doc else 0
        self.count_label.setText(f"{n} cue{'s' if n != 1 else ''}")
        title = "Captioner"
        if doc is not None:
            title = f"{doc.title}{' *' if doc.dirty else ''} — Captioner"
        self.setWindowTitle(title)

    # -- opening -----------------------------------------------------------------------------

    def open_dialog(self) -> None:
        paths, _ = QFileDialog.getOpenFileNames(self, "Open videos", self.settings.last_folder, VIDEO_FILTER)
        if paths:
            self.settings.last_folder = str(Path(paths[0]).parent)
            self.open_paths(paths)

    def _fill_recent(self) -> None:
        self.recent_menu.clear()
        if not self.settings.recent_files:
            a = self.recent_menu.addAction("(none)")
            a.setEnabled(False)
            return
        for i, path in enumerate(self.settings.recent_files):
            a = self.recent_menu.addAction(f"&{i + 1} {path}" if i < 9 else path)
            a.triggered.connect(lambda checked=False, p=path: self.open_paths([p]))

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if event.mimeData().hasUrls():
            event.acceptProposedAction()
        else:
            event.ignore()

    def dropEvent(self, event: QDropEvent) -> None:
        urls: list[QUrl] = event.mimeData().urls()
        paths = [u.toLocalFile() for u in urls if u.isLocalFile()]
        skipped = len(urls) - len(paths)
        if skipped:
            self.report(f"{skipped} dropped item{'s are' if skipped > 1 else ' is'} not a local file; "
                        "download it first", "Cannot open")
        if paths:
            event.acceptProposedAction()
            self.open_paths(paths)

    # -- preview and playback --------------------------------------------------------------------

    def seek(self, ms: int) -> None:
        doc = self.doc
        if doc is None or doc.info is None:
            return
        ms = int(min(max(0, ms), max(0, doc.info.duration_ms - 1)))
        doc.position_ms = ms
        self.timeline.set_position(ms)
        if self.slider.value() != ms:
            self.slider.blockSignals(True)
            self.slider.setValue(ms)
            self.slider.blockSignals(False)
        self.time_label.setText(f"{format_ms(ms)} / {format_ms(doc.info.duration_ms)}")
        self._frame_request += 1
        self.pool.frames.request(self._frame_request, doc.info, ms)

    def _slider_moved(self, value: int) -> None:
        self.seek(value)

    def step_frames(self, n: int) -> None:
        doc = self.doc
        if doc is None or doc.info is None:
            return
        self.stop_playback()
        step = 1000.0 / doc.info.fps
        shown = self.last_frame
        base = shown.time_ms if shown is not None and shown.exact and shown.video == doc.video and \
            abs(shown.requested_ms - self.position) < step else self.position
        frame = max(0, int(round(base / step)) + n)
        self.seek(math.ceil(frame * step))

    def eventFilter(self, obj: Any, event: Any) -> bool:
        if obj in self._frame_key_widgets and isinstance(event, QKeyEvent) and event.type() == event.Type.KeyPress:
            key = event.key()
            if key in (Qt.Key.Key_Left, Qt.Key.Key_Right):
                self.step_frames(1 if key == Qt.Key.Key_Right else -1)
                return True
            if key in (Qt.Key.Key_PageUp, Qt.Key.Key_PageDown):
                self.seek(self.position + (1000 if key == Qt.Key.Key_PageDown else -1000))
                return True
            if key == Qt.Key.Key_Space:
                self.toggle_play()
                return True
        return super().eventFilter(obj, event)

    def _frame_ready(self, frame: FrameReady) -> None:
        doc = self.doc
        if doc is None or doc.video != frame.video or frame.request < self._shown_request:
            return
        self._shown_request = frame.request
        self.last_frame = frame
        self.preview.show_image(frame.image, frame.time_ms)

    def _frame_failed(self, failure: Failure) -> None:
        self.stop_playback()
        if self.doc is not None and self.doc.video == failure.subject:
            self.preview.clear(failure.message)
        self.report(failure.message, "Preview problem")

    def toggle_play(self) -> None:
        if self.play_timer.isActive():
            self.stop_playback()
            return
        doc = self.doc
        if doc is None or doc.info is None:
            return
        if self.position >= doc.info.duration_ms - 50:
            self.seek(0)
        self._play_from = self.position
        self._play_clock.start()
        self.play_timer.start(max(10, int(1000 / min(doc.info.fps, 60))))
        self.play_button.setText("Pause")

    def stop_playback(self) -> None:
        if self.play_timer.isActive():
            self.play_timer.stop()
        self.play_button.setText("Play")

    @property
    def playing(self) -> bool:
        return self.play_timer.isActive()

    def _play_tick(self) -> None:
        doc = self.doc
        if doc is None or doc.info is None:
            self.stop_playback()
            return
        pos = self._play_from + self._play_clock.elapsed()
        if pos >= doc.info.duration_ms:
            self.seek(doc.info.duration_ms - 1)
            self.stop_playback()
            return
        self.seek(pos)

    # -- selection ---------------------------------------------------------------------------

    def selected_rows(self) -> list[int]:
        sm = self.table.selectionModel()
        if sm is None or self.doc is None:
            return []
        return sorted({i.row() for i in sm.selectedRows()})

    def select_row(self, row: int) -> None:
        model = self.table.model()
        if model is None or not 0 <= row < model.rowCount():
            return
        self.table.selectionModel().setCurrentIndex(
            model.index(row, COL_TEXT),
            QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows)
        self.table.scrollTo(model.index(row, 0))

    def _select_from_model(self, doc: Document, row: int) -> None:
        if doc is self.doc:
            self.select_row(row)

    def _table_selection_changed(self, *args: Any) -> None:
        rows = self.selected_rows()
        self.timeline.set_selected(rows)
        self._update_state()

    def goto_selected(self) -> None:
        rows = self.selected_rows()
        if rows and self.doc:
            self.seek(self.doc.model.track[rows[0]].start_ms)

    def _timeline_edit(self, row: int, start: int, end: int) -> None:
        if self.doc is not None and 0 <= row < len(self.doc.model.track):
            self.doc.model.set_times(row, start, end)
            self.timeline.set_cues(self.doc.model.cues())

    # -- edits --------------------------------------------------------------------------------

    def _stack_call(self, name: str) -> None:
        if self.doc is not None:
            getattr(self.doc.model.undo_stack, name)()

    def add_cue(self) -> None:
        doc = self.doc
        if doc is None:
            return
        limit = doc.info.duration_ms if doc.info else None
        cue = doc.model.new_manual_cue(self.position, 2000, limit)
        if cue.end_ms <= cue.start_ms:
            self.report("cannot add a cue at the very end of the video", "Cannot add cue")
            return
        doc.model.add_cue(cue)

    def delete_cues(self) -> None:
        if self.doc is not None:
            self.doc.model.remove_rows(self.selected_rows())

    def split_cue(self) -> None:
        doc = self.doc
        rows = self.selected_rows()
        if doc is None or not rows:
            self.report("select a cue to split", "Cannot split")
            return
        cue = doc.model.track[rows[0]]
        at = self.position if cue.start_ms < self.position < cue.end_ms else None
        try:
            doc.model.split(rows[0], at)
        except ValueError as err:
            self.report(str(err), "Cannot split")

    def merge_cues(self) -> None:
        doc = self.doc
        if doc is None:
            return
        try:
            doc.model.merge(self.selected_rows())
        except ValueError as err:
            self.report(str(err), "Cannot merge")

    def edit_text(self) -> None:
        rows = self.selected_rows()
        model = self.table.model()
        if rows and model is not None:
            index = model.index(rows[0], COL_TEXT)
            self.table.setCurrentIndex(index)
            self.table.edit(index)

    def focus_find(self) -> None:
        self.find_edit.setFocus()
        self.find_edit.selectAll()

    def find_next(self) -> None:
        doc = self.doc
        needle = self.find_edit.text()
        if doc is None or not needle:
            return
        rows = self.selected_rows()
        start = rows[0] + 1 if rows else 0
        row = doc.model.track.find(needle, start)
        if row is None:
            self._status(f"“{needle}” is not in any cue")
            return
        self.select_row(row)
        self.seek(doc.model.track[row].start_ms)

    # -- captioning --------------------------------------------------------------------------

    def caption_options(self, detail: str | None = None, placement: str | None = None) -> CaptionOptions:
        """Like ``captioner caption``: the detail level (or auto), the placement and the narration budget."""
        stride = self.stride_spin.value()
        return CaptionOptions(detail=Detail.parse(detail or self.detail_combo.currentText()),
                              window_ms=seconds_to_ms(self.window_spin.value()),
                              stride_ms=seconds_to_ms(stride) if stride > 0 else None, fps=self.settings.fps,
                              placement=Placement.parse(placement or self.placement_combo.currentText()),
                              wpm=self.settings.narration_wps * 60)

    def engine_options(self) -> EngineOptions:
        model = self.model_edit.text().strip() or DEFAULT_MODEL
        return EngineOptions(model=model, device=self.device_combo.currentText(), local_files_only=hub_offline())

    def _start_job(self, windows: tuple[Window, ...] | None, replace: Cue | None, options: CaptionOptions,
                   doc: Document) -> int:
        assert doc.info is not None
        self._job += 1
        analysis = doc.analysis if options.placement != "windows" and windows is None else None
        if analysis is not None:
            analysis = analysis.with_gap_settings(options.min_gap_ms, options.pad_ms)
        job = CaptionJob(self._job, doc.info, self.engine_options(), options, windows, replace, analysis)
        self._jobs[job.job] = doc
        self._running_job = job.job
        self._job_started = time.monotonic()
        self.progress.setRange(0, len(windows) if windows else 1)
        self.progress.setFormat("%v of %m windows")
        self.progress.setValue(0)
        self.progress_label.setText("Starting…")
        doc.caption = {"detail": options.detail.value, "window_ms": options.window_ms,
                       "stride_ms": options.stride_ms, "fps": options.fps, "placement": options.placement.value,
                       "wpm": options.wpm}
        self.pool.caption(job)
        self._update_state()
        return job.job

    def caption_video(self) -> int | None:
        doc = self.doc
        if doc is None or doc.info is None or self._running_job is not None:
            return None
        try:
            options = self.caption_options()
            options.validate()
        except CaptionerError as err:
            self.report(str(err), "Cannot caption")
            return None
        if options.placement != "windows" and doc.analysis is None and doc.analysis_job is not None:
            self.report(f"{doc.title} is still being analysed for speech and shots; caption with "
                        f"{options.placement} placement when the analysis is done, or choose windows",
                        "Cannot caption yet")
            return None
        return self._start_job(None, None, options, doc)

    def caption_selection(self) -> int | None:
        """Caption the selected cues again (each cue's time range is one window) at the chosen detail."""
        doc = self.doc
        rows = self.selected_rows()
        if doc is None or doc.info is None or not rows or self._running_job is not None:
            return None
        if len(rows) > 1:
            # several cues: their whole time range becomes one window replacing them
            cues = [doc.model.track[r] for r in rows]
            start, end = min(c.start_ms for c in cues), max(c.end_ms for c in cues)
            if rows != list(range(rows[0], rows[-1] + 1)):
                self.report("select neighbouring cues to caption them again as one (or mark a range)",
                            "Cannot caption")
                return None
            doc.model.merge(rows)
            target = next(c for c in doc.model.cues() if c.start_ms == start and c.end_ms == end)
        else:
            target = doc.model.track[rows[0]]
            start, end = target.start_ms, target.end_ms
        if end - start < 200:
            self.report("the selected cue is too short to caption (under 0.2 s)", "Cannot caption")
            return None
        return self._start_job((Window(0, start, end),), target, self.caption_options(placement="windows"), doc)

    def mark_in(self) -> None:
        self.range_marks = (self.position, self.range_marks[1])
        self._status(f"Range in at {self.position / 1000:.2f} s")

    def mark_out(self) -> None:
        self.range_marks = (self.range_marks[0], self.position)
        self._status(f"Range out at {self.position / 1000:.2f} s")

    def caption_range(self) -> int | None:
        """Describe the marked range (Mark In, Mark Out) as one new cue at the chosen detail level."""
        doc = self.doc
        if doc is None or doc.info is None or self._running_job is not None:
            return None
        start, end = self.range_marks
        if start is None or end is None:
            self.report("mark the range first: Mark Range In (Ctrl+[) and Mark Range Out (Ctrl+]) at the playhead",
                        "Cannot caption")
            return None
        start, end = min(start, end), min(max(start, end), doc.info.duration_ms)
        if end - start < 200:
            self.report("the marked range is too short to caption (under 0.2 s)", "Cannot caption")
            return None
        return self._start_job((Window(0, start, end),), None, self.caption_options(placement="windows"), doc)

    def cancel_caption(self) -> None:
        if self._running_job is not None:
            self.pool.cancel_caption()
            self.progress_label.setText("Cancelling… (cues already written are kept)")

    def _caption_update(self, update: CaptionUpdate) -> None:
        doc = self._jobs.get(update.job)
        if doc is None or doc not in self.documents:
            return
        doc.model.add_caption(update.cue, update.job, update.replace)
        p = update.progress
        self.progress.setRange(0, p.total)
        self.progress.setValue(p.done)
        eta = p.eta_s
        eta_text = f", about {eta:.0f} s left" if eta is not None else ""
        self.progress_label.setText(f"{p.done} of {p.total} windows done{eta_text}")

    def _caption_done(self, done: CaptionDone) -> None:
        self._jobs.pop(done.job, None)
        if done.job == self._running_job:
            self._running_job = None
        if done.cancelled:
            msg = f"Cancelled: {done.done} of {done.total} windows done; their cues are kept"
            self.progress_label.setText(msg)
            self._status(msg)
        elif done.error:
            self.progress_label.setText(done.error)
            if done.model_missing:
                self.messages.append(done.error)
                self.show_model_dialog(done.error)
            else:
                self.report(done.error, "Captioning failed")
        else:
            self.progress.setRange(0, max(1, done.total))
            self.progress.setValue(done.total)
            self.progress_label.setText(f"Done: {done.total} windows")
            self._status(f"Captioning finished: {done.total} windows")
        self._update_state()

    @property
    def captioning(self) -> bool:
        return self._running_job is not None

    def show_model_dialog(self, reason: str) -> None:
        from captioner_app.gui.dialogs.model_dialog import ModelDialog

        dialog = ModelDialog(self.pool, self.model_edit.text().strip() or DEFAULT_MODEL, reason, self)
        dialog.modelChosen.connect(self._model_chosen)
        self.model_dialog = dialog
        dialog.open()

    def _model_chosen(self, model: str) -> None:
        self.model_edit.setText(model)
        self.settings.model = model
        self._status(f"Model set to {model}")

    def _browse_model(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Choose the model folder")
        if folder:
            from captioner_app.gui.dialogs.model_dialog import check_model_folder

            problem = check_model_folder(folder)
            if problem:
                self.report(problem, "Not a model folder")
            else:
                self._model_chosen(folder)

    # -- analysis: speech, gaps and shot changes ---------------------------------------------------

    def analyze_video(self, doc: Document | None = None, force: bool = False) -> int | None:
        """Find speech and shot changes in a worker thread (cached on disk unless ``force``)."""
        doc = doc or self.doc
        if doc is None or doc.info is None:
            if force:
                self.report("open a video first, then analyse it", "Cannot analyse")
            return None
        if doc.analysis_job is not None:
            if not force:
                return doc.analysis_job
            self.pool.cancel_analysis(doc.analysis_job)
        doc.analysis_job = self.pool.analyze(doc.info, use_cache=not force)
        doc.analysis_progress = 0.0
        doc.analysis_status = "Finding speech and shot changes…"
        if doc is self.doc:
            self._show_analysis()
        return doc.analysis_job

    def cancel_analysis(self) -> None:
        doc = self.doc
        if doc is not None and doc.analysis_job is not None:
            self.pool.cancel_analysis(doc.analysis_job)
            doc.analysis_status = "Stopping the analysis…"
            self._show_analysis()

    def _analysis_doc(self, job: int) -> Document | None:
        return next((d for d in self.documents if d.analysis_job == job), None)

    def _analysis_progress(self, update: AnalysisProgress) -> None:
        doc = self._analysis_doc(update.job)
        if doc is None:
            return
        doc.analysis_progress = update.fraction
        if doc is self.doc:
            self.analysis_progress.setValue(int(update.fraction * 100))

    def _analysis_done(self, done: AnalysisDone) -> None:
        doc = self._analysis_doc(done.job)
        if doc is None:  # closed, or superseded by a newer analysis
            return
        doc.analysis_job = None
        if done.analysis is not None:
            doc.analysis = done.analysis
            a = done.analysis
            speech = f"{len(a.speech)} speech region{'s' if len(a.speech) != 1 else ''}" if a.has_audio \
                else "no audio track"
            source = "from the cache" if done.cached else f"in {done.seconds:.0f} s"
            doc.analysis_status = (f"{speech}, {len(a.gaps)} usable gap{'s' if len(a.gaps) != 1 else ''}, "
                                   f"{len(a.cuts_ms)} shot change{'s' if len(a.cuts_ms) != 1 else ''} ({source})")
            doc.analysis_progress = 1.0
            self._status(f"{doc.title}: {doc.analysis_status}")
        elif done.cancelled:
            doc.analysis_status = "Analysis stopped; Caption > Analyze Video (Ctrl+Shift+A) runs it again"
        else:
            doc.analysis_status = f"Analysis failed: {done.error}"
            # a one-line message; the analysis is optional, so no dialog interrupts the editor
            self.messages.append(done.error or "analysis failed")
            self._status(doc.analysis_status)
        if doc is self.doc:
            self._show_analysis()

    def _show_analysis(self) -> None:
        doc = self.doc
        analysis: Analysis | None = doc.analysis if doc is not None else None
        self.timeline.set_analysis(analysis)
        running = doc is not None and doc.analysis_job is not None
        self.analysis_cancel_button.setEnabled(running)
        self.analysis_progress.setValue(int((doc.analysis_progress if doc else 0) * 100))
        if doc is None:
            self.analysis_label.setText("Speech and shots: no video")
        elif doc.analysis_status:
            self.analysis_label.setText(doc.analysis_status)
        else:
            self.analysis_label.setText("Speech and shots: not analysed (Ctrl+Shift+A)")
        description = "Time ruler, cue blocks and playhead. Click to seek, drag cue edges to retime."
        if analysis is not None:
            description += (f" Speech regions are drawn under the ruler, shot changes as dashed lines "
                            f"({len(analysis.speech)} speech regions, {len(analysis.cuts_ms)} shot changes); "
                            "dragged edges snap to them, hold Shift to place freely.")
        self.timeline.setAccessibleDescription(description)
        self.refresh_checks()

    # -- checks ------------------------------------------------------------------------------

    def check_options(self) -> CheckOptions:
        doc = self.doc
        min_gap = doc.analysis.min_gap_ms if doc is not None and doc.analysis is not None else CheckOptions.min_gap_ms
        return CheckOptions(wpm=self.settings.narration_wps * 60, min_gap_ms=min_gap, kind=self.checks.kind)

    def refresh_checks(self) -> None:
        """Check the current track again (cheap: text and times only) and list the findings."""
        doc = self.doc
        if doc is None:
            self.checks.clear("No video")
            return
        try:
            findings = check_track(doc.model.track, doc.analysis, self.check_options())
        except CaptionerError as err:
            self.checks.clear(str(err))
            return
        note = ""
        if doc.analysis is None:
            note = "speech checks wait for the analysis" if doc.analysis_job is not None else \
                "speech not checked (no analysis)"
        self.checks.set_findings(findings, note)

    def select_finding(self, row: int) -> None:
        """A finding was clicked: select its cue and move the playhead to it."""
        doc = self.doc
        if doc is None or not 0 <= row < len(doc.model.track):
            return
        self.select_row(row)
        self.seek(doc.model.track[row].start_ms)

    # -- extended AD and speech preview ------------------------------------------------------------

    def toggle_extended(self) -> None:
        """Mark the selected cues extended (the player pauses for them), or unmark them if all are."""
        doc = self.doc
        rows = self.selected_rows()
        if doc is None or not rows:
            self.report("select a cue to mark it extended", "Cannot mark extended")
            return
        extended = not all(doc.model.track[r].extended for r in rows)
        doc.model.set_extended(rows, extended)
        self._status(f"{len(rows)} cue{'s' if len(rows) != 1 else ''} marked "
                     f"{'extended (the player pauses for it)' if extended else 'not extended'}")

    def speak_cue(self) -> bool:
        """Say the selected cue with text-to-speech, or say why that is not possible here."""
        doc = self.doc
        rows = self.selected_rows()
        if doc is None or not rows:
            self.report("select a cue to hear it", "Cannot speak")
            return False
        if not self.speaker.available:
            self.report(self.speaker.reason or "text-to-speech is not available", "Text-to-speech unavailable")
            return False
        cue = doc.model.track[rows[0]]
        if not cue.text.strip():
            self.report(f"cue {rows[0] + 1} has no text to speak", "Cannot speak")
            return False
        self.speaker.say(cue.text)
        return True

    def _speech_state(self, state: str) -> None:
        if state == "speaking":
            self._status("Speaking the cue…")
        elif state == "error":
            self.report("text-to-speech failed while speaking", "Text-to-speech problem")

    # -- import / export -----------------------------------------------------------------------

    def import_dialog(self) -> None:
        if self.doc is None:
            self.report("open a video first, then import its subtitles", "Cannot import")
            return
        path, _ = QFileDialog.getOpenFileName(self, "Import subtitles", self.settings.last_folder,
                                              "Subtitles (*.srt *.vtt *.json);;All files (*)")
        if path:
            self.import_subtitles(path)

    def import_subtitles(self, path: str) -> int:
        """Add the cues of an SRT/WebVTT/JSON file to the current track (one undoable edit)."""
        doc = self.doc
        if doc is None:
            self.report(f"{path}: open a video before importing subtitles", "Cannot import")
            return 0
        try:
            result = formats.read(path)
        except CaptionerError as err:
            self.report(str(err), "Cannot import")
            return 0
        cues = [c if c.provenance.source != "manual" else c.with_(provenance=Provenance(source="import"))
                for c in result.track.cues]
        if cues:
            doc.model.replace_all(doc.model.cues() + cues, f"Import {Path(path).name}")
        if result.problems:
            self.report(f"{len(result.problems)} cue(s) skipped: {result.problems[0]}", "Import problems")
        self._status(f"Imported {len(cues)} cues from {path}")
        return len(cues)

    def export_dialog(self, fmt: str) -> None:
        doc = self.doc
        if doc is None:
            return
        base = Path(doc.video).with_suffix(formats.EXTENSIONS[fmt]) if doc.video else Path("track" + fmt)
        names = {"srt": "SubRip (*.srt)", "vtt": "WebVTT (*.vtt)", "json": "JSON (*.json)"}
        path, _ = QFileDialog.getSaveFileName(self, f"Export {fmt.upper()}", str(base), names[fmt])
        if path:
            self.export_track(path, fmt)

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
            self._export_name = written.name
        self._status(f"Exported {len(doc.model.track)} cues to {written}")
        return True

    def track_snippet(self) -> str:
        doc = self.doc
        name = self._export_name or (Path(doc.video).stem + ".vtt" if doc and doc.video else "descriptions.vtt")
        lang = doc.model.track.language if doc else "en"
        return f'<track kind="descriptions" src="{name}" srclang="{lang}" label="Audio description">'

    def copy_track_snippet(self) -> None:
        snippet = self.track_snippet()
        QGuiApplication.clipboard().setText(snippet)
        self._status(f"Copied: {snippet}")

    # -- projects ------------------------------------------------------------------------------

    def _project_for(self, doc: Document) -> Project:
        return doc.to_project(self.model_edit.text().strip() or None, self.device_combo.currentText())

    def save_project_action(self) -> None:
        doc = self.doc
        if doc is None:
            return
        if doc.project_path:
            self.save_project(doc.project_path)
        else:
            self.save_project_as_dialog()

    def save_project_as_dialog(self) -> None:
        doc = self.doc
        if doc is None:
            return
        base = Path(doc.video).with_suffix(EXTENSION) if doc.video else Path("untitled" + EXTENSION)
        path, _ = QFileDialog.getSaveFileName(self, "Save project", str(base), f"Projects (*{EXTENSION})")
        if path:
            if not path.endswith(EXTENSION):
                path += EXTENSION
            self.save_project(path)

    def save_project(self, path: str) -> bool:
        doc = self.doc
        if doc is None:
            return False
        try:
            save_project(self._project_for(doc), path)
        except CaptionerError as err:
            self.report(str(err), "Save failed")
            return False
        doc.project_path = str(path)
        doc.mark_saved()
        self.settings.add_recent(str(path))
        self._refresh_queue_item(doc)
        self._update_state()
        self._status(f"Saved {path}")
        return True

    def open_project_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Open project", self.settings.last_folder,
                                              f"Projects (*{EXTENSION});;All files (*)")
        if path:
            self.open_project(path)

    def open_project(self, path: str) -> Document | None:
        try:
            project = load_project(path)
        except CaptionerError as err:
            self.report(str(err), "Cannot open project")
            return None
        doc = self._document_from_project(project)
        doc.project_path = project.path
        doc.mark_saved()
        self._refresh_queue_item(doc)
        self.settings.add_recent(path)
        self.activate(doc)
        if project.problems:
            self.report(f"{len(project.problems)} cue(s) could not be read: {project.problems[0]}",
                        "Project problems")
        return doc

    def _document_from_project(self, project: Project) -> Document:
        doc = Document(project.video, self)
        doc.model.load(project.track)
        doc.caption = dict(project.caption)
        self._add_document(doc)
        if project.video:
            if os.path.isfile(project.video):
                self.pool.probe(project.video)
            else:
                doc.probing = False
                doc.error = f"{project.video}: the project's video is missing (cues are still editable)"
                self.report(doc.error, "Video missing")
        else:
            doc.probing = False
        self._refresh_queue_item(doc)
        return doc

    # -- autosave and recovery -------------------------------------------------------------------

    def _write_autosave(self, doc: Document, sync: bool = False) -> None:
        payload = self.autosaver.payload(self._project_for(doc))
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
                self._write_autosave(doc)
                count += 1
        return count

    def _task_done(self, done: TaskDone) -> None:
        if done.task in self._autosave_tasks:
            self._autosave_tasks.discard(done.task)
            if done.error:
                self.report(done.error, "Autosave failed")

    def check_recovery(self) -> None:
        self.recoveries, problems = find_recoveries()
        for problem in problems:
            self.messages.append(problem)
            self._status(problem)
        if self.recoveries:
            labels = "; ".join(r.label for r in self.recoveries[:3])
            more = f" and {len(self.recoveries) - 3} more" if len(self.recoveries) > 3 else ""
            self.banner_label.setText(f"Unsaved work from an earlier session was found: {labels}{more}.")
            self.banner.show()
            self.restore_button.setFocus()

    def restore_recoveries(self) -> list[Document]:
        restored = []
        for rec in self.recoveries:
            doc = self._document_from_project(rec.project)
            doc.project_path = rec.project.path
            doc.saved_generation = -1  # restored work is unsaved until saved again
            self._write_autosave(doc, sync=True)
            discard_recovery(rec)
            self._refresh_queue_item(doc)
            restored.append(doc)
        self.recoveries = []
        self.banner.hide()
        if restored:
            self.activate(restored[0])
            self._status(f"Restored {len(restored)} document(s)")
        return restored

    def discard_recoveries(self) -> None:
        for rec in self.recoveries:
            discard_recovery(rec)
        self.recoveries = []
        self.banner.hide()

    # -- help ----------------------------------------------------------------------------------

    def show_shortcuts(self) -> None:
        from captioner_app.gui.dialogs.shortcuts import ShortcutsDialog

        self.shortcuts_dialog = ShortcutsDialog(self.all_actions, self)
        self.shortcuts_dialog.open()

    def show_about(self) -> None:
        box = QMessageBox(QMessageBox.Icon.Information, "About Captioner",
                          "Captioner writes audio-description tracks for videos with the Molmo2 "
                          "vision-language model, offline.", QMessageBox.StandardButton.Ok, self)
        box.setAccessibleName("About Captioner")
        box.open()

    def _focus_queue(self) -> None:
        self.queue_dock.show()
        self.queue.setFocus()

    def _focus_checks(self) -> None:
        self.checks_dock.show()
        self.checks.list.setFocus()

    def _focus_history(self) -> None:
        self.history_dock.show()
        self.undo_view.setFocus()

    # -- shutdown ------------------------------------------------------------------------------

    def shutdown(self) -> None:
        """Stop timers and workers; keep unsaved work as autosaves (offered on the next start)."""
        if self._closing:
            return
        self._closing = True
        self.autosave_timer.stop()
        self.play_timer.stop()
        self.pool.cancel_caption()
        self.pool.stop()  # joins the task thread, so queued autosave writes are done
        keep = False
        for doc in self.documents:
            if doc.dirty:
                self._write_autosave(doc, sync=True)
                keep = True
            else:
                self.autosaver.remove(doc.key)
        if not keep:
            self.autosaver.remove_all()
        self.autosaver.close()
        self.settings.detail = self.detail_combo.currentText()
        self.settings.placement = self.placement_combo.currentText()
        self.settings.window_s = self.window_spin.value()
        self.settings.stride_s = self.stride_spin.value() or None
        self.settings.device = self.device_combo.currentText()
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
        names = ", ".join(d.title for d in dirty[:3]) + (f" and {len(dirty) - 3} more" if len(dirty) > 3 else "")
        box = QMessageBox(QMessageBox.Icon.Question, "Unsaved edits",
                          f"Edits not saved in a project: {names}.", parent=self)
        box.setInformativeText("Save them in project files? If you quit without saving, they are kept as an "
                               "autosave and offered when Captioner starts again.")
        save = box.addButton("&Save…", QMessageBox.ButtonRole.AcceptRole)
        quit_ = box.addButton("&Quit without saving", QMessageBox.ButtonRole.DestructiveRole)
        box.addButton(QMessageBox.StandardButton.Cancel)
        box.setDefaultButton(save)
        box.setAccessibleName("Unsaved edits")
        box.exec()
        clicked = box.clickedButton()
        return "save" if clicked is save else "quit" if clicked is quit_ else "cancel"

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
                    self.save_project_as_dialog()
                if doc.dirty:  # the dialog was cancelled or the save failed: stay open
                    return False
        return True


def first_index(model: Any) -> QModelIndex:
    return model.index(0, 0)
