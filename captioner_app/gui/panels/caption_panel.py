"""The caption panel: detail, placement, window, stride, model and device; caption, cancel and re-caption
buttons; the caption progress and the speech/shot analysis progress."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QToolButton,
    QWidget,
)

from captioner_app.core.analysis.analyze import Analysis
from captioner_app.core.model.engine import (
    DEFAULT_MODEL,
    EngineOptions,
    default_engine,
    default_engine_key,
    hub_offline,
)
from captioner_app.core.pipeline import CaptionOptions
from captioner_app.core.timecode import seconds_to_ms
from captioner_app.core.vocab import Detail, Device, Placement
from captioner_app.gui.accessibility import ValueLabel
from captioner_app.gui.document import Document
from captioner_app.gui.panels.common import name_buddy_labels, named
from captioner_app.gui.preferences import Settings
from captioner_app.gui.widgets.progress import ProgressBar

DEVICES = Device.choices()
DETAILS = Detail.choices()
AUTO = Placement.AUTO.value  # placement chosen from the analysis: the gaps between speech, or windows


def auto_placement(doc: Document | None) -> tuple[Placement, str]:
    """What automatic placement chooses for ``doc``, and the line that says so in the panel."""
    analysis = doc.analysis if doc is not None else None
    if analysis is None:
        waiting = doc is not None and doc.analysis_job is not None
        return Placement.WINDOWS, (
            "Automatic placement: waiting for the speech analysis"
            if waiting
            else "Automatic placement: windows (speech not analysed; Ctrl+Shift+A analyses it)"
        )
    placement, why = analysis.automatic_placement()
    return placement, f"Automatic placement: {why}"


class CaptionPanel(QWidget):
    captionRequested = Signal()
    cancelRequested = Signal()
    recaptionRequested = Signal()
    analysisCancelRequested = Signal()
    modelFolderPicked = Signal(str)  # a folder chosen with the "…" button (not yet checked)
    engineChanged = Signal(str, str)  # model, device

    def __init__(self, settings: Settings, model: str, device: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.settings = settings
        self.engine_key: str | None = None  # model servers' API key: this session only, never saved
        form = QFormLayout(self)
        self.detail_combo = named(
            QComboBox(), "Detail level", "How much each cue says; auto: from each cue's narration budget"
        )
        self.detail_combo.addItems(DETAILS)
        self.detail_combo.setCurrentText(settings.detail)
        self.placement_combo = named(
            QComboBox(),
            "Placement",
            "Where cues go: auto (the gaps between speech when the video has speech, else windows), "
            "fixed windows, the gaps between speech, or one per shot",
        )
        self.placement_combo.addItems(Placement.choices())
        self.placement_combo.setCurrentText(settings.placement)
        self.window_spin = named(QDoubleSpinBox(), "Window length in seconds")
        self.window_spin.setRange(1.0, 120.0)
        self.window_spin.setSuffix(" s")
        self.window_spin.setValue(settings.window_s)
        self.stride_spin = named(
            QDoubleSpinBox(), "Stride in seconds", "Seconds between window starts; 0 means the window length"
        )
        self.stride_spin.setRange(0.0, 120.0)
        self.stride_spin.setSuffix(" s")
        self.stride_spin.setSpecialValueText("same as window")
        self.stride_spin.setValue(settings.stride_s or 0.0)
        self.model_edit = named(QLineEdit(model), "Model", "Hub id or local folder of the Molmo2 model")
        self.model_browse = named(QToolButton(), "Choose model folder")
        self.model_browse.setText("…")
        model_row = QHBoxLayout()
        model_row.addWidget(self.model_edit, 1)
        model_row.addWidget(self.model_browse)
        self.device_combo = named(QComboBox(), "Device", "Where the model runs")
        self.device_combo.addItems(DEVICES)
        self.device_combo.setCurrentText(device if device in DEVICES else "auto")
        self.caption_button = named(QPushButton("Cap&tion video"), "Caption video", "Caption the whole video (Ctrl+R)")
        self.cancel_button = named(
            QPushButton("Cancel"), "Cancel captioning", "Stop captioning and keep the cues already written (Ctrl+.)"
        )
        self.recaption_button = named(
            QPushButton("Caption selection &again"),
            "Caption selection again",
            "Caption the selected cues again at the chosen detail level (Ctrl+Shift+R)",
        )
        self.progress = named(ProgressBar(), "Caption progress")
        self.progress.setRange(0, 1)
        self.progress.setValue(0)
        self.progress.setFormat("Not captioned yet")
        self.placement_note = ValueLabel("Placement chosen")
        self.placement_note.setWordWrap(True)
        self.doc: Document | None = None  # the document whose state the panel shows
        self.progress_label = ValueLabel("Caption status")
        self.progress_label.setWordWrap(True)
        self.analysis_progress = named(
            ProgressBar(), "Analysis progress", "Finding speech and shot changes in the video"
        )
        self.analysis_progress.setRange(0, 100)
        self.analysis_progress.setValue(0)
        self.analysis_progress.setFormat("Analysis %p%")
        self.analysis_label = ValueLabel("Analysis status", "Speech and shots: not analysed")
        self.analysis_label.setWordWrap(True)
        self.analysis_cancel_button = named(
            QPushButton("Stop analysis"), "Stop analysis", "Stop finding speech and shot changes (Ctrl+Shift+K)"
        )
        analysis_row = QHBoxLayout()
        analysis_row.addWidget(self.analysis_progress, 1)
        analysis_row.addWidget(self.analysis_cancel_button)
        buttons = QHBoxLayout()
        buttons.addWidget(self.caption_button)
        buttons.addWidget(self.cancel_button)
        form.addRow("&Detail:", self.detail_combo)
        form.addRow("P&lacement:", self.placement_combo)
        form.addRow(self.placement_note)
        form.addRow("&Window:", self.window_spin)
        form.addRow("St&ride:", self.stride_spin)
        model_label = QLabel("&Model:")
        model_label.setBuddy(self.model_edit)
        form.addRow(model_label, model_row)
        form.addRow("Dev&ice:", self.device_combo)
        form.addRow(buttons)
        form.addRow(self.recaption_button)
        form.addRow(self.progress)
        form.addRow(self.progress_label)
        form.addRow(analysis_row)
        form.addRow(self.analysis_label)
        name_buddy_labels(self)
        self.caption_button.clicked.connect(self.captionRequested)
        self.cancel_button.clicked.connect(self.cancelRequested)
        self.recaption_button.clicked.connect(self.recaptionRequested)
        self.analysis_cancel_button.clicked.connect(self.analysisCancelRequested)
        self.model_browse.clicked.connect(self.browse_model)
        self.model_edit.textChanged.connect(self._engine_changed)
        self.device_combo.currentTextChanged.connect(self._engine_changed)
        self.placement_combo.currentTextChanged.connect(lambda _text: self._show_placement())
        self._show_placement()

    def _engine_changed(self, *_: object) -> None:
        self.engineChanged.emit(self.model_edit.text(), self.device_combo.currentText())

    # -- what the panel says ---------------------------------------------------------------------

    def caption_options(self, detail: str | None = None, placement: str | None = None) -> CaptionOptions:
        """Like ``captioner caption``: the detail level (or auto), the placement and the narration budget."""
        stride = self.stride_spin.value()
        return CaptionOptions(
            detail=Detail.parse(detail or self.detail_combo.currentText()),
            window_ms=seconds_to_ms(self.window_spin.value()),
            stride_ms=seconds_to_ms(stride) if stride > 0 else None,
            fps=self.settings.fps,
            placement=Placement.parse(placement or self.placement()),
            wpm=self.settings.narration_wpm,
        )

    def placement(self) -> str:
        """The placement chosen, with auto resolved for the current document."""
        choice = self.placement_combo.currentText()
        return auto_placement(self.doc)[0].value if choice == AUTO else choice

    def waiting_for_analysis(self) -> bool:
        """Automatic placement cannot choose yet: the current video's speech analysis is running."""
        doc = self.doc
        return (
            self.placement_combo.currentText() == AUTO
            and doc is not None
            and doc.analysis is None
            and doc.analysis_job is not None
        )

    def _show_placement(self) -> None:
        auto = self.placement_combo.currentText() == AUTO
        self.placement_note.setText(auto_placement(self.doc)[1] if auto else "")
        self.placement_note.setVisible(auto)

    def engine_options(self) -> EngineOptions:
        model = self.model_edit.text().strip() or DEFAULT_MODEL
        engine = default_engine() or self.settings.engine
        if engine and engine.lower() != "local":  # model servers (docs/remote.md)
            key = self.engine_key or default_engine_key()
            return EngineOptions(model=model, engine=engine, api_key=key)
        return EngineOptions(model=model, device=self.device_combo.currentText(), local_files_only=hub_offline())

    def store(self, settings: Settings) -> None:
        """Write the panel's choices into ``settings`` (saved on exit)."""
        settings.detail = self.detail_combo.currentText()
        settings.placement = self.placement_combo.currentText()
        settings.window_s = self.window_spin.value()
        settings.stride_s = self.stride_spin.value() or None
        settings.device = self.device_combo.currentText()

    def browse_model(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Choose the model folder")
        if folder:
            self.modelFolderPicked.emit(folder)

    # -- what the panel shows --------------------------------------------------------------------

    def set_state(self, has_video: bool, running: bool, has_selection: bool) -> None:
        self.caption_button.setEnabled(has_video and not running)
        self.recaption_button.setEnabled(has_video and not running and has_selection)
        self.cancel_button.setEnabled(running)

    def show_document(self, doc: Document | None) -> None:
        """Show ``doc``'s caption state (each video has its own status, progress and errors)."""
        self.doc = doc
        done, total = doc.caption_progress if doc is not None else (0, 0)
        if total:
            self.show_progress(doc, done, total)
        else:
            self.progress.setRange(0, 1)
            self.progress.setValue(0)
            self.progress.setFormat("Not captioned yet" if doc is not None else "No video")
        self.progress_label.setText(doc.caption_status if doc is not None else "")
        self._show_placement()

    def show_progress(self, doc: Document | None, done: int, total: int) -> None:
        if doc is not self.doc:
            return
        self.progress.setFormat("%v of %m windows")
        self.progress.setRange(0, total)
        self.progress.setValue(done)

    def show_message(self, doc: Document | None, text: str) -> None:
        if doc is self.doc:
            self.progress_label.setText(text)

    def show_analysis(self, doc: Document | None) -> Analysis | None:
        """Show the analysis state of ``doc``; returns its analysis (for the timeline)."""
        self.doc = doc
        self._show_placement()
        running = doc is not None and doc.analysis_job is not None
        self.analysis_cancel_button.setEnabled(running)
        self.analysis_progress.setValue(int((doc.analysis_progress if doc else 0) * 100))
        if doc is None:
            self.analysis_label.setText("Speech and shots: no video")
        elif doc.analysis_status:
            self.analysis_label.setText(doc.analysis_status)
        else:
            self.analysis_label.setText("Speech and shots: not analysed (Ctrl+Shift+A)")
        return doc.analysis if doc is not None else None

    def show_analysis_progress(self, fraction: float) -> None:
        self.analysis_progress.setValue(int(fraction * 100))
