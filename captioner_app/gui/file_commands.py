"""File commands with a dialog in front: open videos and projects, the recent files, import, export, save
as, copy the WebVTT ``<track>`` snippet. Each asks for a path and hands it to the session."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent, QGuiApplication
from PySide6.QtWidgets import QFileDialog, QMenu, QProgressDialog, QWidget

from captioner_app.core.tracks import formats
from captioner_app.core.tracks.project import EXTENSION
from captioner_app.gui.session import Session

VIDEO_FILTER = "Videos (*.mp4 *.mkv *.mov *.webm *.avi *.m4v *.mpg *.mpeg *.ts);;All files (*)"
SUBTITLE_FILTER = "Subtitles (*.srt *.vtt *.json);;All files (*)"
EXPORT_FILTERS = {"srt": "SubRip (*.srt)", "vtt": "WebVTT (*.vtt)", "json": "JSON (*.json)"}


class FileCommands(QObject):
    def __init__(self, window: QWidget, session: Session) -> None:
        super().__init__(window)
        self.window = window  # the dialogs' parent
        self.session = session
        self.settings = session.settings
        self.progress_dialog: QProgressDialog | None = None  # the running described-video export's

    def open_dialog(self) -> None:
        paths, _ = QFileDialog.getOpenFileNames(self.window, "Open videos", self.settings.last_folder, VIDEO_FILTER)
        if paths:
            self.settings.last_folder = str(Path(paths[0]).parent)
            self.session.open_paths(paths)

    def restore(self) -> None:
        """Restore (the recovery bar): the restored document is shown and its cue table has the focus."""
        w: Any = self.window
        restored = self.session.restore_recoveries()
        if restored:
            w.table.setFocus()
            w.announcer.announce(f"Restored {', '.join(d.title for d in restored)}; the cue table has the focus")

    def fill_recent_menu(self, menu: QMenu) -> None:
        menu.clear()
        if not self.settings.recent_files:
            menu.addAction("(none)").setEnabled(False)
            return
        for i, path in enumerate(self.settings.recent_files):
            a = menu.addAction(f"&{i + 1} {path}" if i < 9 else path)
            a.triggered.connect(lambda checked=False, p=path: self.session.open_paths([p]))

    def open_project_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self.window, "Open project", self.settings.last_folder, f"Projects (*{EXTENSION});;All files (*)"
        )
        if path:
            self.session.open_project(path)

    def import_dialog(self) -> None:
        if self.session.doc is None:
            self.session.report("open a video first, then import its subtitles", "Cannot import")
            return
        path, _ = QFileDialog.getOpenFileName(
            self.window, "Import subtitles", self.settings.last_folder, SUBTITLE_FILTER
        )
        if path:
            self.session.import_subtitles(path)

    def export_dialog(self, fmt: str) -> None:
        doc = self.session.doc
        if doc is None:
            return
        base = Path(doc.video).with_suffix(formats.EXTENSIONS[fmt]) if doc.video else Path("track" + fmt)
        path, _ = QFileDialog.getSaveFileName(self.window, f"Export {fmt.upper()}", str(base), EXPORT_FILTERS[fmt])
        if path:
            self.session.export_track(path, fmt)

    def export_described_dialog(self) -> None:
        """File > Export Described Video…: where to, then the render in a worker with a progress dialog
        (Cancel or Esc stops it; nothing is written unless it finishes)."""
        doc = self.session.doc
        if doc is None or not doc.video:
            self.session.report("open a video first, then export its described version", "Cannot export")
            return
        base = Path(doc.video)
        base = base.with_name(f"{base.stem}.described.mp4")
        path, _ = QFileDialog.getSaveFileName(
            self.window,
            "Export described video",
            str(base),
            "Described video (*.mp4 *.mkv);;Described audio (*.wav *.flac *.m4a)",
        )
        if not path:
            return
        if not Path(path).suffix:
            path += ".mp4"
        if not self.session.export_described(path):
            return
        renderer = self.session.renderer
        dialog = QProgressDialog(f"Exporting {Path(path).name}…", "Cancel", 0, 100, self.window)
        dialog.setWindowTitle("Export described video")
        dialog.setAccessibleName("Export progress")
        dialog.setMinimumDuration(0)
        dialog.setAutoClose(False)
        dialog.setAutoReset(False)
        dialog.canceled.connect(renderer.cancel)  # the Cancel button
        dialog.rejected.connect(renderer.cancel)  # Esc

        def progress(fraction: float) -> None:
            dialog.setValue(int(fraction * 100))

        def finished(_done: object) -> None:
            renderer.progress.disconnect(progress)
            renderer.finished.disconnect(finished)
            self.progress_dialog = None
            dialog.close()
            dialog.deleteLater()

        renderer.progress.connect(progress)
        renderer.finished.connect(finished)
        self.progress_dialog = dialog
        dialog.show()

    def copy_track_snippet(self) -> None:
        snippet = self.session.track_snippet()
        QGuiApplication.clipboard().setText(snippet)
        self.session.status.emit(f"Copied: {snippet}")

    def save_project_action(self) -> None:
        doc = self.session.doc
        if doc is not None and doc.project_path:
            self.session.save_project(doc.project_path)
        elif doc is not None:
            self.save_project_as_dialog()

    def save_project_as_dialog(self) -> None:
        doc = self.session.doc
        if doc is None:
            return
        base = Path(doc.video).with_suffix(EXTENSION) if doc.video else Path("untitled" + EXTENSION)
        path, _ = QFileDialog.getSaveFileName(self.window, "Save project", str(base), f"Projects (*{EXTENSION})")
        if path:
            self.session.save_project(path if path.endswith(EXTENSION) else path + EXTENSION)

    # -- drag and drop (the window's events) ---------------------------------------------------------

    def drag_enter(self, event: QDragEnterEvent) -> None:
        if event.mimeData().hasUrls():
            event.acceptProposedAction()
        else:
            event.ignore()

    def drop(self, event: QDropEvent) -> None:
        urls: list[QUrl] = event.mimeData().urls()
        paths = [u.toLocalFile() for u in urls if u.isLocalFile()]
        skipped = len(urls) - len(paths)
        if skipped:
            self.session.report(
                f"{skipped} dropped item{'s are' if skipped > 1 else ' is'} not a local file; download it first",
                "Cannot open",
            )
        if paths:
            event.acceptProposedAction()
            self.session.open_paths(paths)
