"""What the Caption menu does (caption the video, the selection, the marked range), the Choose Model dialog
(a folder, a download, or model servers) and the Narration Voice menu, kept apart from MainWindow so the
window only lays out."""

from __future__ import annotations

from typing import Any

from PySide6.QtGui import QActionGroup
from PySide6.QtWidgets import QMenu

from captioner_app.core.errors import CaptionerError
from captioner_app.core.model.engine import DEFAULT_MODEL


class CaptionCommands:
    def __init__(self, window: Any) -> None:  # the MainWindow (typed loosely: it imports this module)
        self.window = window

    def fill_voice_menu(self, menu: QMenu) -> None:
        """Edit > Narration Voice: the track language's voice, then every voice (listed in a worker)."""
        menu.clear()
        narrator, current = self.window.session.narration.narrator, self.window.settings.narration_voice
        group = QActionGroup(menu)
        choices = [("", "&Track Language’s Voice")]
        if narrator.voices is None:
            menu.addAction("(listing voices…)").setEnabled(False)
        elif not narrator.voices:
            menu.addAction(f"(no voice: {narrator.voice_error or 'the voice cannot load'})").setEnabled(False)
        choices += [(v.id, f"{v.name} ({v.id})") for v in narrator.voices or ()]
        for voice, label in choices:
            a = menu.addAction(label)
            a.setCheckable(True)
            a.setChecked(voice == current)
            group.addAction(a)
            a.triggered.connect(lambda checked=False, v=voice: self.window.session.narration.set_voice(v))

    def show_model_dialog(self, reason: str) -> None:
        from captioner_app.gui.dialogs.model_dialog import ModelDialog

        w = self.window
        dialog = ModelDialog(w.pool, w.model_edit.text().strip() or DEFAULT_MODEL, reason, w, engine=w.settings.engine)
        dialog.modelChosen.connect(self.model_chosen)
        dialog.serverChosen.connect(self.server_chosen)
        w.model_dialog = dialog
        dialog.open()

    def model_chosen(self, model: str) -> None:
        w = self.window
        w.model_edit.setText(model)
        w.settings.model = model
        w.settings.engine = ""  # a model on this computer
        w._status(f"Model set to {model}")

    def server_chosen(self, urls: str, model: str, key: str) -> None:
        """Caption through model servers (``urls``), or on this computer again when empty."""
        w = self.window
        w.settings.engine = urls
        w.caption_panel.engine_key = key or None  # for this session only: never written to the settings
        if model:
            w.model_edit.setText(model)
            w.settings.model = model
        w._status(f"Captioning through {urls}" if urls else "Captioning on this computer")

    def model_folder_picked(self, folder: str) -> None:
        from captioner_app.gui.dialogs.model_dialog import check_model_folder

        problem = check_model_folder(folder)
        if problem:
            self.window.report(problem, "Not a model folder")
        else:
            self.model_chosen(folder)

    def caption_video(self) -> int | None:
        if self.window.doc is None or self.window.doc.info is None or self.window.captioning:
            return None
        try:
            options = self.window.caption_options()
        except CaptionerError as err:
            self.window.report(str(err), "Cannot caption")
            return None
        if self.window.caption_panel.waiting_for_analysis():
            self.window.report(
                f"{self.window.doc.title} is still being analysed for speech: automatic placement puts the cues "
                "in the pauses between speech, so caption when the analysis is done (it is announced), "
                "or choose a placement",
                "Cannot caption yet",
            )
            return None
        existing = len(self.window.doc.model.track)
        answer = self.window._ask_about_existing_cues(existing) if existing else "add"
        if answer == "cancel":
            return None
        job = self.window.session.jobs.caption_video(options, self.window.engine_options())
        if job is not None and answer == "replace":  # before the first result arrives (queued signals)
            self.window.doc.model.replace_all([], f"Remove {existing} cues to caption again")
        return job

    def caption_selection(self) -> int | None:
        """Caption the selected cues again (each cue's time range is one window) at the chosen detail."""
        return self.window.session.jobs.caption_selection(
            self.window.selected_rows(), self.window.caption_options(placement="windows"), self.window.engine_options()
        )

    def caption_range(self) -> int | None:
        """Describe the marked range (Mark In, Mark Out) as one new cue at the chosen detail level."""
        return self.window.session.jobs.caption_range(
            self.window.caption_options(placement="windows"), self.window.engine_options()
        )
