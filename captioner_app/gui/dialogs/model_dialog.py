"""The model is not on this computer: download it (progress, cancel, resume), pick a local folder, or
caption through model servers instead (docs/remote.md)."""

from __future__ import annotations

import re
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QDialog,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from captioner_app.core.errors import UsageError
from captioner_app.gui.messages import DownloadProgress, TaskDone
from captioner_app.gui.screen import fit_title, wrappable
from captioner_app.gui.workers import WorkerPool

# the command line's advice in the core's messages; the dialog's buttons do the same
CLI_ADVICE = re.compile(r";\s*(?:run 'captioner download|or pass --model)[^;]*")


def for_buttons(reason: str) -> str:
    """``reason`` without the advice meant for the command line (the dialog offers buttons instead)."""
    return CLI_ADVICE.sub("", reason).strip().rstrip(".;")


def check_model_folder(folder: str) -> str | None:
    """None when ``folder`` looks like a model folder, else a one-line reason."""
    p = Path(folder)
    if not p.is_dir():
        return f"{folder}: no such folder"
    if not (p / "config.json").is_file():
        return f"{folder}: not a model folder (no config.json)"
    if not any(p.glob("*.safetensors")):
        return f"{folder}: has no .safetensors weights"
    return None


class ModelDialog(QDialog):
    modelChosen = Signal(str)  # a hub id now in the cache, or a local folder
    serverChosen = Signal(str, str, str)  # server URLs (comma-separated; "" = this computer), model, API key

    def __init__(
        self, pool: WorkerPool, model: str, reason: str, parent: QWidget | None = None, engine: str = ""
    ) -> None:
        super().__init__(parent)
        self.pool = pool
        self.model = model
        self._task: int | None = None
        self.setWindowTitle("Model needed")
        self.setAccessibleName("Model needed")
        layout = QVBoxLayout(self)
        self.info = QLabel(
            wrappable(
                f"The model {model} is not available here: {for_buttons(reason)}.\n\n"
                "Download fetches it now (about 8 GB for Molmo2-4B; an interrupted download resumes). "
                "Choose folder… uses a folder that already holds it. Once it is here, captioning works offline."
            )
        )
        self.info.setTextFormat(Qt.TextFormat.PlainText)
        self.info.setWordWrap(True)
        self.info.setAccessibleName("Why the model is needed")
        self.info.setAccessibleDescription(self.info.text().replace("\u200b", ""))
        layout.addWidget(self.info)
        self.progress = QProgressBar()
        self.progress.setAccessibleName("Download progress")
        self.progress.setRange(0, 100)
        self.progress.setValue(0)
        self.progress.hide()
        layout.addWidget(self.progress)
        self.status = QLabel("")
        self.status.setTextFormat(Qt.TextFormat.PlainText)
        self.status.setWordWrap(True)
        self.status.setAccessibleName("Download status")
        layout.addWidget(self.status)
        buttons = QHBoxLayout()
        self.download_button = QPushButton("&Download")
        self.download_button.setAccessibleName("Download the model")
        self.cancel_button = QPushButton("&Cancel download")
        self.cancel_button.setAccessibleName("Cancel the download")
        self.cancel_button.setEnabled(False)
        self.folder_button = QPushButton("Choose &folder…")
        self.folder_button.setAccessibleName("Choose a local model folder")
        self.close_button = QPushButton("Close")
        self.close_button.setAccessibleName("Close")
        for b in (self.download_button, self.cancel_button, self.folder_button, self.close_button):
            buttons.addWidget(b)
        layout.addLayout(buttons)
        layout.addWidget(self._server_box(model, engine))
        fit_title(self)
        self.download_button.setEnabled(model.count("/") == 1 and not Path(model).expanduser().exists())
        self.download_button.clicked.connect(self.start_download)
        self.cancel_button.clicked.connect(self.cancel_download)
        self.folder_button.clicked.connect(self._browse)
        self.close_button.clicked.connect(self.reject)
        pool.tasks.downloadProgress.connect(self._on_progress)
        pool.tasks.finished.connect(self._on_finished)

    def start_download(self) -> None:
        self.progress.show()
        self.progress.setRange(0, 0)
        self.status.setText(f"Downloading {self.model}…")
        self.download_button.setEnabled(False)
        self.cancel_button.setEnabled(True)
        self._task = self.pool.download(self.model)

    def cancel_download(self) -> None:
        self.pool.tasks.cancel_download.set()
        self.status.setText("Cancelling…")

    def _on_progress(self, p: DownloadProgress) -> None:
        if p.total_bytes > 0:
            self.progress.setRange(0, 1000)
            self.progress.setValue(int(1000 * p.done_bytes / p.total_bytes))
            self.status.setText(f"Downloading {self.model}: {p.done_bytes / 1e6:.0f} of {p.total_bytes / 1e6:.0f} MB")

    def _on_finished(self, done: TaskDone) -> None:
        if done.task != self._task:
            return
        self._task = None
        self.cancel_button.setEnabled(False)
        self.download_button.setEnabled(True)
        self.progress.setRange(0, 100)
        if done.error:
            self.status.setText(wrappable(for_buttons(done.error)))
            self.download_button.setText("&Resume download" if done.extra.get("cancelled") else "&Retry download")
            return
        self.progress.setValue(100)
        self.status.setText(f"{self.model} is ready.")
        self.modelChosen.emit(self.model)
        self.accept()

    def _browse(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Choose the model folder")
        if folder:
            self.choose_folder(folder)

    def choose_folder(self, folder: str) -> bool:
        problem = check_model_folder(folder)
        if problem:
            self.status.setText(wrappable(problem))
            return False
        self.modelChosen.emit(folder)
        self.accept()
        return True

    def _server_box(self, model: str, engine: str) -> QGroupBox:
        box = QGroupBox("Model &server (vLLM or transformers serve on your network)")
        form = QFormLayout(box)
        self.server_edit = QLineEdit(engine)
        self.server_edit.setAccessibleName("Model server URLs")
        self.server_edit.setPlaceholderText("http://gpu1:8000/v1, http://gpu2:8000/v1")
        self.server_edit.setToolTip("Base URLs of OpenAI-compatible APIs; windows are spread over them")
        self.served_model_edit = QLineEdit(model)
        self.served_model_edit.setAccessibleName("Served model name")
        self.served_model_edit.setPlaceholderText("empty: the server's only model")
        self.key_edit = QLineEdit()
        self.key_edit.setAccessibleName("API key, not saved")
        self.key_edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.key_edit.setPlaceholderText("if the server needs one (not saved; or set CAPTIONER_ENGINE_KEY)")
        form.addRow("Server &URLs:", self.server_edit)
        form.addRow("Served &model:", self.served_model_edit)
        form.addRow("API &key:", self.key_edit)
        row = QHBoxLayout()
        self.server_button = QPushButton("Use &these servers")
        self.server_button.setAccessibleName("Caption through these model servers")
        self.server_button.clicked.connect(self.choose_server)
        self.local_button = QPushButton("Use this com&puter")
        self.local_button.setAccessibleName("Caption with the model on this computer")
        self.local_button.setEnabled(bool(engine))
        self.local_button.clicked.connect(self.choose_local)
        row.addWidget(self.server_button)
        row.addWidget(self.local_button)
        form.addRow(row)
        return box

    def choose_server(self) -> bool:
        """Check the URLs (no connection yet: the first captioning run checks the servers) and emit them."""
        from captioner_app.core.model.servers import parse_engine_urls

        try:
            urls = parse_engine_urls(self.server_edit.text())
        except UsageError as err:
            self.status.setText(str(err).replace("--engine ", ""))
            self.server_edit.setFocus()
            return False
        self.serverChosen.emit(",".join(urls), self.served_model_edit.text().strip(), self.key_edit.text().strip())
        self.accept()
        return True

    def choose_local(self) -> None:
        self.serverChosen.emit("", "", "")
        self.accept()

    def done(self, result: int) -> None:  # noqa: A003 - Qt's name
        if self._task is not None:
            self.pool.tasks.cancel_download.set()
        try:
            self.pool.tasks.downloadProgress.disconnect(self._on_progress)
            self.pool.tasks.finished.disconnect(self._on_finished)
        except (RuntimeError, TypeError):
            pass
        super().done(result)
