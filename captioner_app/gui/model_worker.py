"""The model's worker thread: it drives the model process (loading, caption runs, cancel, restart), so the
GUI thread never waits on the model. Results travel to the window as the dataclasses in ``workers``."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, Signal, Slot

from captioner_app.core.errors import CancelledError, CaptionerError, ModelError, ModelUnavailableError
from captioner_app.core.model.engine import EngineOptions
from captioner_app.gui.messages import CaptionDone, CaptionJob, CaptionUpdate


class ModelWorker(QObject):
    """Runs one caption job at a time with the model, which lives in a child process (a
    :class:`~captioner_app.core.model.process.ProcessEngine`): this process never imports torch or
    transformers, a crash of the model stack leaves the app up, and Cancel returns within half a second.
    The model is loaded once and kept between runs (and videos) until another model is chosen.

    ``loader`` runs an engine in this process instead (for embedding; not used by the app).
    """

    loading = Signal(str)  # model id
    loaded = Signal(str, str)  # model id, device
    update = Signal(object)  # CaptionUpdate
    done = Signal(object)  # CaptionDone
    unloaded = Signal()

    def __init__(self, loader: Callable[[EngineOptions], Any] | None = None, process: Any = None) -> None:
        super().__init__()
        self._loader = loader
        self._engine: Any = None
        self._engine_options: EngineOptions | None = None
        self._process: Any = process  # ProcessEngine; None: made at start-up, owned (closed at shutdown)
        self._owns_process = process is None
        self.cancel_event = threading.Event()
        self.warm = threading.Event()  # set once the model process is up with torch and transformers imported

    @property
    def process(self) -> Any:
        """The model process (made on first use)."""
        if self._process is None:
            from captioner_app.core.model.child import BACKGROUND_NICE
            from captioner_app.core.model.process import ProcessEngine

            self._process = ProcessEngine(nice=BACKGROUND_NICE)
        return self._process

    @Slot()
    def prewarm(self) -> None:
        """Start the model process right after start-up; it imports torch and transformers there, so the
        first Caption does not wait for them (and this process never imports them). Returns at once:
        ``warm`` is set when the child has them imported."""
        try:
            process = self.process
            process.start()
        except Exception:  # a failure to start is reported when the model is actually loaded
            self.warm.set()
            return

        def wait() -> None:
            process.prewarmed.wait(600)
            self.warm.set()

        threading.Thread(target=wait, name="captioner-prewarm-wait", daemon=True).start()

    def _ensure_engine(self, options: EngineOptions) -> Any:
        if self._loader is None:
            process = self.process
            process.switch(options)
            if not process.is_loaded(options):
                self.loading.emit(options.model)
                process.wait_loaded(self.cancel_event)
                self.loaded.emit(options.model, str(process.device))
            self._engine, self._engine_options = process, options
            return process
        if self._engine is not None and self._engine_options == options:
            return self._engine
        self._release()
        self.loading.emit(options.model)
        engine = self._loader(options)
        self._engine, self._engine_options = engine, options
        self.loaded.emit(options.model, str(getattr(engine, "device", "")))
        return engine

    @Slot(object)
    def run(self, job: CaptionJob) -> None:
        from captioner_app.core.errors import EngineDiedError
        from captioner_app.core.pipeline import analysis_options, prepare, run

        done = 0
        total = len(job.windows) if job.windows is not None else 0
        try:
            analysis = job.analysis
            needed = analysis_options(job.options) if job.windows is None and analysis is None else None
            if needed is not None and self._loader is None:  # analysed in the model process, not here
                analysis = self.process.analyze(job.info, needed, cancel=self.cancel_event)
            plan = prepare(job.info, job.options, windows=job.windows, analysis=analysis, cancel=self.cancel_event)
            total = len(plan)
            engine = self._ensure_engine(job.engine)
            if self.cancel_event.is_set():
                raise CancelledError()
            for result in run(plan, engine, self.cancel_event):
                done = result.progress.done
                total = result.progress.total
                self.update.emit(CaptionUpdate(job.job, result.cue, result.progress, job.replace))
        except CancelledError:
            self.done.emit(CaptionDone(job.job, done, total, cancelled=True))
            return
        except EngineDiedError as err:  # the app stays up; the model loads again on restart or the next run
            self.done.emit(CaptionDone(job.job, done, total, False, str(err), crashed=True))
            return
        except ModelError as err:
            missing = isinstance(err, ModelUnavailableError)  # not here, not fetchable, or not a model folder
            self.done.emit(CaptionDone(job.job, done, total, False, str(err), model_missing=missing))
            return
        except CaptionerError as err:
            self.done.emit(CaptionDone(job.job, done, total, False, str(err)))
            return
        except Exception as err:  # keep the app up; say what failed
            self.done.emit(CaptionDone(job.job, done, total, False, f"captioning failed ({type(err).__name__}: {err})"))
            return
        self.done.emit(CaptionDone(job.job, done, total, cancelled=False))

    @Slot()
    def restart(self) -> None:
        """Start a new model process and load the last model in it (after a crash, or when asked)."""
        if self._loader is not None:
            return
        process = self.process
        try:
            process.restart()
            if process.is_loaded() or self._engine_options is None:
                return
            self.loading.emit(process.options.model)
            process.wait_loaded(self.cancel_event)
            self.loaded.emit(process.options.model, str(process.device))
        except CaptionerError:  # a failure is reported by the next run, with the usual message
            pass

    @Slot()
    def unload(self) -> None:
        """Free the model's memory (asked for from the menu); the next run loads it again."""
        if self._loader is None and self._process is not None:
            try:
                self._process.unload()
            except CaptionerError:  # a dead process holds no memory either
                pass
            self._engine, self._engine_options = None, None
            self.unloaded.emit()
            return
        self._release()
        self.unloaded.emit()

    def _release(self) -> None:
        if self._engine is not None and self._engine is not self._process:
            try:
                self._engine.close()
            except Exception:
                pass
        self._engine = None
        self._engine_options = None

    @Slot()
    def shutdown(self) -> None:
        """Free the model; an owned model process is asked to end (and killed if it does not)."""
        self._release()
        if self._owns_process and self._process is not None:
            self._process.close()


# -- analysis -------------------------------------------------------------------------------------
