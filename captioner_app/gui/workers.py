"""QThread workers. Each worker object lives in its own QThread and owns what it works with
(the loaded model, an open decoder); requests come in as queued signals and results go out as
signals carrying frozen dataclasses. The GUI thread never decodes video or runs the model.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QThread, Signal, Slot
from PySide6.QtGui import QImage

from captioner_app.core.analysis.analyze import AnalysisOptions
from captioner_app.core.errors import CancelledError, CaptionerError, ModelError
from captioner_app.core.media.preview import PreviewAborted, PreviewDecoder
from captioner_app.core.media.video import VideoInfo
from captioner_app.core.model.engine import EngineOptions
from captioner_app.gui.messages import (
    AnalysisDone,
    AnalysisJob,
    AnalysisProgress,
    CaptionJob,
    DownloadProgress,
    Failure,
    FrameReady,
    Probed,
    TaskDone,
)
from captioner_app.gui.model_worker import ModelWorker
from captioner_app.gui.threads import favour_gui_thread

# -- messages ------------------------------------------------------------------------------------


def to_qimage(image: Any) -> QImage:
    """An RGB uint8 array as a QImage that owns its pixels (safe to send across threads)."""
    h, w = image.shape[:2]
    data = image if image.flags["C_CONTIGUOUS"] else image.copy()
    return QImage(data.data, w, h, 3 * w, QImage.Format.Format_RGB888).copy()


# -- frame decoding ------------------------------------------------------------------------------


class FrameWorker(QObject):
    """Decodes preview frames; the latest request wins (older ones still queued are dropped)."""

    frameReady = Signal(object)  # FrameReady
    failed = Signal(object)  # Failure
    _wake = Signal()

    def __init__(self, max_side: int = 960) -> None:
        super().__init__()
        self.max_side = max_side
        self.view: tuple[int, int] | None = None  # the preview's size in device pixels, when known
        self._lock = threading.Lock()
        self._pending: tuple[int, VideoInfo, int] | None = None
        self._decoder: Any = None
        self._decoder_path: str | None = None
        self._wake.connect(self._work)

    def set_view(self, width: int, height: int) -> None:
        """Decode pictures to fit ``width`` x ``height`` (device pixels), the size the preview shows them
        at, so that the GUI thread paints them without rescaling. Called from any thread."""
        self.view = (max(1, int(width)), max(1, int(height)))

    def side_for(self, info: VideoInfo) -> int:
        """The longer side a picture of ``info`` is decoded at: fitting the view, at most 1920."""
        if self.view is None or info.width <= 0 or info.height <= 0:
            return self.max_side
        scale = min(self.view[0] / info.width, self.view[1] / info.height)
        return max(2, min(1920, round(max(info.width, info.height) * scale)))

    def request(self, request: int, info: VideoInfo, time_ms: int) -> None:
        """Called from any thread."""
        with self._lock:
            self._pending = (request, info, time_ms)
        self._wake.emit()

    @Slot()
    def _work(self) -> None:
        with self._lock:
            pending, self._pending = self._pending, None
        if pending is None:
            return
        request, info, time_ms = pending
        started = time.perf_counter()
        try:
            if self._decoder_path != info.path:
                self._close_decoder()

                self._decoder = PreviewDecoder(info, self.max_side)
                self._decoder_path = info.path
            self._decoder.max_side = self.side_for(info)

            def interim(approx: Any) -> None:
                self.frameReady.emit(
                    FrameReady(
                        request,
                        info.path,
                        approx.time_ms,
                        time_ms,
                        to_qimage(approx.image),
                        time.perf_counter() - started,
                        False,
                    )
                )

            frame = self._decoder.frame_at(time_ms, interim=interim, abort=lambda: self._pending is not None)
            image = to_qimage(frame.image)
        except PreviewAborted:
            return  # a newer request is queued: it runs next
        except CaptionerError as err:
            self._close_decoder()
            self.failed.emit(Failure("preview", info.path, str(err)))
            return
        except Exception as err:  # a decoder bug must not take the app down
            self._close_decoder()
            self.failed.emit(Failure("preview", info.path, f"{info.path}: preview failed ({err})"))
            return
        self.frameReady.emit(
            FrameReady(request, info.path, frame.time_ms, time_ms, image, time.perf_counter() - started)
        )

    def _close_decoder(self) -> None:
        if self._decoder is not None:
            self._decoder.close()
        self._decoder = None
        self._decoder_path = None

    @Slot()
    def shutdown(self) -> None:
        self._close_decoder()


# -- model ---------------------------------------------------------------------------------------


class AnalysisWorker(QObject):
    """Finds speech, gaps and shot changes (silero-vad, PySceneDetect) one video at a time.

    Each job has its own cancel event, so cancelling one video's analysis (or closing it) never
    stops another's. Results are cached on disk (:mod:`analysis_cache`) and read back on reopen.
    The analysis runs in a child process of its own (an
    :class:`~captioner_app.core.model.process.AnalysisProcess`, started at the first job): silero-vad
    needs torch, which this process never imports, and a crash there leaves the app up.
    """

    progress = Signal(object)  # AnalysisProgress
    done = Signal(object)  # AnalysisDone

    def __init__(self, cache_folder: Any = None, process: Any = None) -> None:
        super().__init__()
        self._lock = threading.Lock()
        self._cancels: dict[int, threading.Event] = {}
        self.cache_folder = cache_folder
        self.stopping = threading.Event()
        self._process: Any = process  # AnalysisProcess; None: made at the first job, owned
        self._owns_process = process is None

    @property
    def process(self) -> Any:
        with self._lock:  # the analysis thread and the narration's workers both ask for it
            if self._process is None:
                from captioner_app.core.model.child import BACKGROUND_NICE
                from captioner_app.core.model.process import AnalysisProcess

                self._process = AnalysisProcess(nice=BACKGROUND_NICE)
            return self._process

    def run_in_process(self, fn: Callable[..., Any], *args: Any) -> Any:
        """``fn(*args)`` in the analysis process (see ``AnalysisProcess.run``); called from any thread."""
        if self.stopping.is_set():
            raise CancelledError()
        return self.process.run(fn, *args, cancel=self.stopping)

    @Slot()
    def shutdown(self) -> None:
        if self._owns_process and self._process is not None:
            self._process.close()

    def register(self, job: int) -> None:
        with self._lock:
            self._cancels[job] = threading.Event()

    def cancel(self, job: int | None = None) -> None:
        """Cancel ``job`` (``None``: every job); called from any thread."""
        with self._lock:
            for key, event in self._cancels.items():
                if job is None or key == job:
                    event.set()

    @Slot(object)
    def run(self, job: AnalysisJob) -> None:
        from captioner_app.core.analysis import cache as analysis_cache

        with self._lock:
            cancel = self._cancels.setdefault(job.job, threading.Event())
        started = time.perf_counter()
        path = job.info.path
        try:
            if cancel.is_set() or self.stopping.is_set():
                raise CancelledError()
            if job.use_cache:
                cached = analysis_cache.load(path, job.options, self.cache_folder)
                if cached is not None:
                    self.done.emit(
                        AnalysisDone(job.job, path, cached, cached=True, seconds=time.perf_counter() - started)
                    )
                    return
            result = self.process.analyze(
                job.info,
                job.options,
                cancel=cancel,
                progress=lambda f: self.progress.emit(AnalysisProgress(job.job, f)),
            )
            analysis_cache.save(result, job.options, self.cache_folder)
        except CancelledError:
            self.done.emit(AnalysisDone(job.job, path, None, cancelled=True))
        except CaptionerError as err:
            self.done.emit(AnalysisDone(job.job, path, None, error=str(err)))
        except Exception as err:  # keep the app up; say what failed
            self.done.emit(
                AnalysisDone(job.job, path, None, error=f"{path}: analysis failed ({type(err).__name__}: {err})")
            )
        else:
            self.done.emit(AnalysisDone(job.job, path, result, seconds=time.perf_counter() - started))
        finally:
            with self._lock:
                self._cancels.pop(job.job, None)


# -- short tasks: probing, reading, writing, downloading ---------------------------------------------


class TaskWorker(QObject):
    """Runs short blocking jobs (probe, import, autosave writes, model download) in order."""

    probed = Signal(object)  # Probed
    finished = Signal(object)  # TaskDone
    downloadProgress = Signal(object)  # DownloadProgress

    def __init__(self) -> None:
        super().__init__()
        self.cancel_download = threading.Event()

    @Slot()
    def preload(self) -> None:
        """Import what this process decodes with (PyAV to probe, NumPy for the preview's pictures) now, while
        the GUI thread has nothing to paint: an import holds the interpreter lock for long stretches (module
        code, shared libraries loaded), and the GUI thread waits for it at each call into Python; imported
        later, by the frame worker, NumPy loaded while the GUI thread showed the opened video."""
        import av  # noqa: F401
        import numpy  # noqa: F401

    @Slot(str)
    def probe(self, path: str) -> None:
        from captioner_app.core.media.video import probe

        try:
            info = probe(path)
        except CaptionerError as err:
            self.probed.emit(Probed(path, None, str(err)))
            return
        except Exception as err:
            self.probed.emit(Probed(path, None, f"{path}: cannot be opened ({type(err).__name__}: {err})"))
            return
        self.probed.emit(Probed(path, info))

    @Slot(int, object)
    def call(self, task: int, fn: Callable[[], Any]) -> None:
        try:
            result = fn()
        except CaptionerError as err:
            self.finished.emit(TaskDone(task, None, str(err)))
            return
        except Exception as err:
            self.finished.emit(TaskDone(task, None, f"{type(err).__name__}: {err}"))
            return
        self.finished.emit(TaskDone(task, result))

    @Slot(int, str, object)
    def download(self, task: int, model: str, revision: object) -> None:
        self.cancel_download.clear()
        try:
            path = download_with_progress(
                model, revision if isinstance(revision, str) else None, self.cancel_download, self._report
            )
        except CancelledError:
            self.finished.emit(
                TaskDone(
                    task,
                    None,
                    "download cancelled; partial files are kept and the next download resumes",
                    {"cancelled": True},
                )
            )
            return
        except CaptionerError as err:
            self.finished.emit(TaskDone(task, None, str(err)))
            return
        except Exception as err:
            self.finished.emit(TaskDone(task, None, f"model {model} cannot be downloaded ({err})"))
            return
        self.finished.emit(TaskDone(task, str(path)))

    def _report(self, done: int, total: int) -> None:
        self.downloadProgress.emit(DownloadProgress(done, total))


def download_with_progress(
    model: str,
    revision: str | None,
    cancel: threading.Event,
    report: Callable[[int, int], None],
    *,
    cache_dir: str | None = None,
    endpoint: str | None = None,
) -> Any:
    """:func:`~captioner_app.core.model.hub.download_model` with byte progress and cancel.

    Partial files stay in the cache and the next call resumes them.
    """
    from tqdm.auto import tqdm as base_tqdm

    from captioner_app.core.model.hub import describe_failure, download_model

    class Progress(base_tqdm):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            kwargs["disable"] = False
            kwargs.pop("name", None)
            super().__init__(*args, **kwargs)
            report(int(self.n), int(self.total or 0))

        def update(self, n: float | None = 1) -> bool | None:
            if cancel.is_set():
                raise CancelledError()
            out = super().update(n)
            report(int(self.n), int(self.total or 0))
            return out

    try:
        return download_model(model, revision, cache_dir, endpoint=endpoint, tqdm_class=Progress)
    except CaptionerError:
        raise
    except Exception as err:
        raise ModelError(
            f"model {model} cannot be downloaded ({describe_failure(err)}); partial files are kept "
            "and the next try resumes"
        ) from None


# -- the pool ----------------------------------------------------------------------------------


class WorkerPool(QObject):
    """Four QThreads: the model worker, the frame decoder, the task worker and the analysis worker.

    The model and the analysis run in child processes that the model and analysis workers start and
    supervise; pass ``model_process`` / ``analysis_process`` to share ones the caller owns (tests).
    """

    _run_caption = Signal(object)
    _prewarm = Signal()
    _restart_model = Signal()
    _unload_model = Signal()
    _run_analysis = Signal(object)
    _probe = Signal(str)
    _preload = Signal()
    _call = Signal(int, object)
    _download = Signal(int, str, object)

    def __init__(
        self,
        parent: QObject | None = None,
        loader: Callable[[EngineOptions], Any] | None = None,
        *,
        model_process: Any = None,
        analysis_process: Any = None,
    ) -> None:
        super().__init__(parent)
        favour_gui_thread()  # see gui.threads
        self.threads: list[QThread] = []
        self.model = ModelWorker(loader, model_process)
        self.frames = FrameWorker()
        self.tasks = TaskWorker()
        self.analysis = AnalysisWorker(process=analysis_process)
        for name, worker in (
            ("model", self.model),
            ("frames", self.frames),
            ("tasks", self.tasks),
            ("analysis", self.analysis),
        ):
            thread = QThread()
            thread.setObjectName(f"captioner-{name}")
            worker.moveToThread(thread)
            thread.start()
            self.threads.append(thread)
        self._run_caption.connect(self.model.run)
        self._prewarm.connect(self.model.prewarm)
        self._restart_model.connect(self.model.restart)
        self._unload_model.connect(self.model.unload)
        self._run_analysis.connect(self.analysis.run)
        self._probe.connect(self.tasks.probe)
        self._preload.connect(self.tasks.preload)
        self._call.connect(self.tasks.call)
        self._download.connect(self.tasks.download)
        self._next_task = 0
        self._next_analysis = 0
        self._stopped = False
        self._held_probes: list[str] | None = None  # probes waiting for the window's first paint
        self._prewarming = loader is None
        if self._prewarming:  # the real engine: its libraries load in the background from the start
            self._prewarm.emit()

    def caption(self, job: CaptionJob) -> None:
        self.model.cancel_event.clear()
        self._run_caption.emit(job)

    def cancel_caption(self) -> None:
        self.model.cancel_event.set()

    def restart_model(self) -> None:
        """Start a new model process and load the model again (in the model thread)."""
        self.model.cancel_event.clear()
        self._restart_model.emit()

    def unload_model(self) -> None:
        """Free the model's memory (in the model thread); the next run loads it again."""
        self._unload_model.emit()

    def probe(self, path: str) -> None:
        if self._held_probes is not None:
            self._held_probes.append(path)
            return
        self._probe.emit(path)

    def hold_probes(self) -> None:
        """Keep probe requests until :meth:`release_probes` (the window's first paint, see gui.first_paint):
        probing imports PyAV and decodes in a worker thread, which holds the interpreter lock for long
        stretches while the GUI thread paints."""
        if self._held_probes is None:
            self._held_probes = []

    def release_probes(self) -> None:
        held, self._held_probes = self._held_probes, None
        if held is not None:
            self._preload.emit()  # before the probes, in the same thread
        for path in held or []:
            self.probe(path)

    def analyze(self, info: VideoInfo, options: AnalysisOptions | None = None, use_cache: bool = True) -> int:
        """Queue an analysis of ``info``; returns its job number (for :meth:`cancel_analysis`)."""
        self._next_analysis += 1
        self.analysis.register(self._next_analysis)
        self._run_analysis.emit(AnalysisJob(self._next_analysis, info, options or AnalysisOptions(), use_cache))
        return self._next_analysis

    def cancel_analysis(self, job: int | None = None) -> None:
        self.analysis.cancel(job)

    def call(self, fn: Callable[[], Any]) -> int:
        self._next_task += 1
        self._call.emit(self._next_task, fn)
        return self._next_task

    def download(self, model: str, revision: str | None = None) -> int:
        self._next_task += 1
        self._download.emit(self._next_task, model, revision)
        return self._next_task

    def stop(self, timeout_ms: int = 30000) -> None:
        """Cancel work, release the model and decoder in their own threads, and join every thread."""
        if self._stopped:
            return
        self._stopped = True
        self.model.cancel_event.set()
        self.tasks.cancel_download.set()
        self.analysis.stopping.set()
        self.analysis.cancel()
        from PySide6.QtCore import QMetaObject, Qt

        for worker in (self.model, self.frames, self.analysis):
            QMetaObject.invokeMethod(worker, "shutdown", Qt.ConnectionType.QueuedConnection)
        if self._prewarming:
            # an import cannot be interrupted, and on a busy machine it outlasts the join below: quitting
            # during start-up then left a running QThread to be destroyed, which aborts the process
            self.model.warm.wait(max(timeout_ms / 1000, 300))
        for thread in self.threads:
            thread.quit()
        for thread in self.threads:
            thread.wait(timeout_ms)
