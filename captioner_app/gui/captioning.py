"""Caption and analysis jobs of a :class:`~captioner_app.gui.session.Session`, without widgets.

Which document each caption run writes into, the one run at a time, re-captioning the selection (and the
rule that several selected cues must be neighbours, merged into one range), the marked range, and the
speech/shot analysis of each document. The caption panel shows what the signals say.
"""

from __future__ import annotations

import time

from PySide6.QtCore import QObject, Signal

from captioner_app.core.errors import CaptionerError
from captioner_app.core.model.engine import EngineOptions
from captioner_app.core.pipeline import CaptionOptions
from captioner_app.core.timing.windows import Window
from captioner_app.core.tracks.track import Cue
from captioner_app.gui.context import SessionContext
from captioner_app.gui.document import Document
from captioner_app.gui.messages import AnalysisDone, AnalysisProgress, CaptionDone, CaptionJob, CaptionUpdate

MIN_RANGE_MS = 200  # shorter ranges are refused: too short to describe


class Jobs(QObject):
    """One caption run at a time (any document), and one analysis per document."""

    runningChanged = Signal(bool)  # a caption run started or ended
    # the caption state belongs to the document the run writes into (kept on it, shown while it is active)
    captionProgress = Signal(object, int, int)  # Document, windows done, windows in all
    captionMessage = Signal(object, str)  # Document, one line for the caption panel: starting, ETA, done, failed
    announcement = Signal(str)  # an event a screen reader should say now (a run ended, an analysis is done)
    modelMissing = Signal(str)  # the model is not on this computer: offer to download or choose it
    analysisChanged = Signal(object)  # Document whose analysis started, finished, failed or stopped
    analysisProgress = Signal(object, float)  # Document, fraction done

    def __init__(self, session: SessionContext, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.pool = session.pool
        self._job = 0
        self._docs: dict[int, Document] = {}  # caption job -> the document it writes into
        self.running_job: int | None = None
        self.started_at = 0.0
        self.range_marks: tuple[int | None, int | None] = (None, None)  # Mark In / Mark Out, ms
        self.pool.model.update.connect(self._caption_update)
        self.pool.model.done.connect(self._caption_done)
        self.pool.model.loading.connect(self._model_loading)
        self.pool.model.loaded.connect(self._model_loaded)
        self.pool.analysis.progress.connect(self._analysis_progress)
        self.pool.analysis.done.connect(self._analysis_done)

    @property
    def captioning(self) -> bool:
        return self.running_job is not None

    def forget(self, doc: Document) -> None:
        """``doc`` is closing: stop the caption run writing into it and its analysis."""
        if self.running_job is not None and self._docs.get(self.running_job) is doc:
            self.cancel_caption()
        if doc.analysis_job is not None:
            self.pool.cancel_analysis(doc.analysis_job)

    # -- captioning ----------------------------------------------------------------------------

    def _start(
        self,
        windows: tuple[Window, ...] | None,
        replace: Cue | None,
        options: CaptionOptions,
        engine: EngineOptions,
        doc: Document,
    ) -> int:
        assert doc.info is not None
        self._job += 1
        analysis = doc.analysis if options.placement != "windows" and windows is None else None
        if analysis is not None:
            analysis = analysis.with_gap_settings(options.min_gap_ms, options.pad_ms)
        job = CaptionJob(self._job, doc.info, engine, options, windows, replace, analysis)
        self._docs[job.job] = doc
        self.running_job = job.job
        self.started_at = time.monotonic()
        self._progress(doc, 0, len(windows) if windows else 1)
        self._message(doc, "Starting…")
        doc.caption = {
            "detail": options.detail.value,
            "window_ms": options.window_ms,
            "stride_ms": options.stride_ms,
            "fps": options.fps,
            "placement": options.placement.value,
            "wpm": options.wpm,
        }
        self.pool.caption(job)
        self.runningChanged.emit(True)
        return job.job

    def caption_video(self, options: CaptionOptions, engine: EngineOptions) -> int | None:
        """Caption the whole active video; None (and why, as a problem) when it cannot start."""
        doc = self.session.doc
        if doc is None or doc.info is None or self.running_job is not None:
            return None
        try:
            options.validate()
        except CaptionerError as err:
            self.session.report(str(err), "Cannot caption")
            return None
        if options.placement != "windows" and doc.analysis is None and doc.analysis_job is not None:
            self.session.report(
                f"{doc.title} is still being analysed for speech and shots; caption with "
                f"{options.placement} placement when the analysis is done, or choose windows",
                "Cannot caption yet",
            )
            return None
        return self._start(None, None, options, engine, doc)

    def caption_selection(self, rows: list[int], options: CaptionOptions, engine: EngineOptions) -> int | None:
        """Caption the selected cues again (each cue's time range is one window) at the chosen detail.

        Several cues must be neighbours: they are merged and their whole range is described as one.
        """
        doc = self.session.doc
        if doc is None or doc.info is None or not rows or self.running_job is not None:
            return None
        if len(rows) > 1:
            cues = [doc.model.track[r] for r in rows]
            start, end = min(c.start_ms for c in cues), max(c.end_ms for c in cues)
            if rows != list(range(rows[0], rows[-1] + 1)):
                self.session.report(
                    "select neighbouring cues to caption them again as one (or mark a range)", "Cannot caption"
                )
                return None
            doc.model.merge(rows)
            target = next(c for c in doc.model.cues() if c.start_ms == start and c.end_ms == end)
        else:
            target = doc.model.track[rows[0]]
            start, end = target.start_ms, target.end_ms
        if end - start < MIN_RANGE_MS:
            self.session.report("the selected cue is too short to caption (under 0.2 s)", "Cannot caption")
            return None
        return self._start((Window(0, start, end),), target, options, engine, doc)

    def mark_in(self) -> None:
        position = self.session.position
        self.range_marks = (position, self.range_marks[1])
        self.session.status.emit(f"Range in at {position / 1000:.2f} s")

    def mark_out(self) -> None:
        position = self.session.position
        self.range_marks = (self.range_marks[0], position)
        self.session.status.emit(f"Range out at {position / 1000:.2f} s")

    def caption_range(self, options: CaptionOptions, engine: EngineOptions) -> int | None:
        """Describe the marked range (Mark In, Mark Out) as one new cue."""
        doc = self.session.doc
        if doc is None or doc.info is None or self.running_job is not None:
            return None
        start, end = self.range_marks
        if start is None or end is None:
            self.session.report(
                "mark the range first: Mark Range In (Ctrl+[) and Mark Range Out (Ctrl+]) at the playhead",
                "Cannot caption",
            )
            return None
        start, end = min(start, end), min(max(start, end), doc.info.duration_ms)
        if end - start < MIN_RANGE_MS:
            self.session.report("the marked range is too short to caption (under 0.2 s)", "Cannot caption")
            return None
        return self._start((Window(0, start, end),), None, options, engine, doc)

    def restart_model(self) -> None:
        if self.running_job is not None:
            self.session.status.emit("The model is busy captioning; cancel first to restart it")
            return
        self.pool.restart_model()
        self.session.status.emit("Restarting the model…")

    def unload_model(self) -> None:
        if self.running_job is not None:
            self.session.status.emit("The model is busy captioning; cancel first to unload it")
            return
        self.pool.unload_model()
        self.session.status.emit("Model unloaded; the next caption run loads it again")

    def _progress(self, doc: Document | None, done: int, total: int) -> None:
        if doc is not None:
            doc.caption_progress = (done, total)
            self.captionProgress.emit(doc, done, total)

    def _message(self, doc: Document | None, text: str) -> None:
        if doc is not None:
            doc.caption_status = text
            self.captionMessage.emit(doc, text)

    def _running_doc(self) -> Document | None:
        return self._docs.get(self.running_job) if self.running_job is not None else None

    def cancel_caption(self) -> None:
        if self.running_job is not None:
            self.pool.cancel_caption()
            self._message(self._running_doc(), "Cancelling… (cues already written are kept)")

    def _model_loading(self, model: str) -> None:
        self.session.status.emit(f"Loading model {model}…")
        self._message(self._running_doc(), f"Loading model {model}…")

    def _model_loaded(self, model: str, device: str) -> None:
        self.session.status.emit(f"Model {model} loaded on {device}")

    def _caption_update(self, update: CaptionUpdate) -> None:
        doc = self._docs.get(update.job)
        if doc is None or doc not in self.session.documents:
            return
        doc.model.add_caption(update.cue, update.job, update.replace)
        p = update.progress
        self._progress(doc, p.done, p.total)
        eta = p.eta_s
        eta_text = f", about {eta:.0f} s left" if eta is not None else ""
        self._message(doc, f"{p.done} of {p.total} windows done{eta_text}")

    def _caption_done(self, done: CaptionDone) -> None:
        doc = self._docs.pop(done.job, None)
        if doc is not None and doc not in self.session.documents:
            doc = None  # closed meanwhile
        if done.job == self.running_job:
            self.running_job = None
        title = doc.title if doc is not None else "the closed video"
        if done.cancelled:
            msg = f"Cancelled: {done.done} of {done.total} windows done; their cues are kept"
            self._message(doc, msg)
            self.session.status.emit(msg)
            self.announcement.emit(f"Captioning of {title} cancelled: {done.done} of {done.total} windows done")
        elif done.error and done.crashed:  # the model process died: the app, the cues and the edits stay
            self._message(doc, done.error)
            self.announcement.emit(f"Captioning of {title} failed: {done.error}")
            self.session.report(
                f"{done.error}. The {done.done} cues received and all edits are kept; "
                "Caption > Restart Model (Ctrl+Shift+L) loads the model again, or caption again.",
                "The model stopped",
            )
        elif done.error:
            self._message(doc, done.error)
            self.announcement.emit(f"Captioning of {title} failed: {done.error}")
            if done.model_missing:
                self.session.messages.append(done.error)
                self.modelMissing.emit(done.error)
            else:
                self.session.report(done.error, "Captioning failed")
        else:
            self._progress(doc, done.total, max(1, done.total))
            self._message(doc, f"Done: {done.total} window{'s' if done.total != 1 else ''}")
            self.session.status.emit(f"Captioning finished: {done.total} windows")
            cues = len(doc.model.track) if doc is not None else 0
            self.announcement.emit(
                f"Captioning of {title} finished: {done.total} window{'s' if done.total != 1 else ''}, "
                f"{cues} cue{'s' if cues != 1 else ''} in the track"
            )
        self.runningChanged.emit(False)

    # -- analysis: speech, gaps and shot changes -----------------------------------------------

    def analyze(self, doc: Document | None = None, force: bool = False) -> int | None:
        """Find speech and shot changes in a worker thread (cached on disk unless ``force``)."""
        doc = doc or self.session.doc
        if doc is None or doc.info is None:
            if force:
                self.session.report("open a video first, then analyse it", "Cannot analyse")
            return None
        if doc.analysis_job is not None:
            if not force:
                return doc.analysis_job
            self.pool.cancel_analysis(doc.analysis_job)
        doc.analysis_job = self.pool.analyze(doc.info, use_cache=not force)
        doc.analysis_progress = 0.0
        doc.analysis_status = "Finding speech and shot changes…"
        self.analysisChanged.emit(doc)
        return doc.analysis_job

    def reanalyze(self) -> int | None:
        """Analyse the active video again, ignoring the cache (Caption > Analyze Video)."""
        return self.analyze(force=True)

    def cancel_analysis(self, doc: Document | None = None) -> None:
        doc = doc or self.session.doc
        if doc is not None and doc.analysis_job is not None:
            self.pool.cancel_analysis(doc.analysis_job)
            doc.analysis_status = "Stopping the analysis…"
            self.analysisChanged.emit(doc)

    def _analysis_doc(self, job: int) -> Document | None:
        return next((d for d in self.session.documents if d.analysis_job == job), None)

    def _analysis_progress(self, update: AnalysisProgress) -> None:
        doc = self._analysis_doc(update.job)
        if doc is not None:
            doc.analysis_progress = update.fraction
            self.analysisProgress.emit(doc, update.fraction)

    def _analysis_done(self, done: AnalysisDone) -> None:
        doc = self._analysis_doc(done.job)
        if doc is None:  # closed, or superseded by a newer analysis
            return
        doc.analysis_job = None
        if done.analysis is not None:
            doc.analysis = done.analysis
            a = done.analysis
            speech = (
                f"{len(a.speech)} speech region{'s' if len(a.speech) != 1 else ''}" if a.has_audio else "no audio track"
            )
            source = "from the cache" if done.cached else f"in {done.seconds:.0f} s"
            doc.analysis_status = (
                f"{speech}, {len(a.gaps)} usable gap{'s' if len(a.gaps) != 1 else ''}, "
                f"{len(a.cuts_ms)} shot change{'s' if len(a.cuts_ms) != 1 else ''} ({source})"
            )
            doc.analysis_progress = 1.0
            self.session.status.emit(f"{doc.title}: {doc.analysis_status}")
            self.announcement.emit(f"Analysis of {doc.title} done: {doc.analysis_status}")
        elif done.cancelled:
            doc.analysis_status = "Analysis stopped; Caption > Analyze Video (Ctrl+Shift+A) runs it again"
        else:
            doc.analysis_status = f"Analysis failed: {done.error}"
            # a one-line message; the analysis is optional, so no dialog interrupts the editor
            self.session.messages.append(done.error or "analysis failed")
            self.session.status.emit(doc.analysis_status)
            self.announcement.emit(f"Analysis of {doc.title} failed: {done.error}")
        self.analysisChanged.emit(doc)
