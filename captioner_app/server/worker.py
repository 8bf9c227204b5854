"""The job worker: takes queued jobs from the store and captions them with the one loaded model.

Several job threads run at once (fetching, probing and decoding in parallel); their model calls
meet in :class:`BatchingEngine`, which gathers the clips waiting at the same moment into one
``generate`` call, so concurrent submissions share the model and are batched where possible.
"""

from __future__ import annotations

import contextlib
import logging
import shutil
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from captioner_app.core.errors import CancelledError, CaptionerError, EngineDiedError, VideoError
from captioner_app.core.model.engine import CaptionEngine, ClipRequest
from captioner_app.server.config import ServerConfig
from captioner_app.server.jobs import Job, JobStore

log = logging.getLogger(__name__)


@dataclass
class _Pending:
    requests: list[ClipRequest]
    done: threading.Event = field(default_factory=threading.Event)
    result: list[str] | None = None
    error: BaseException | None = None


class BatchingEngine:
    """A :class:`CaptionEngine` that several threads share: calls waiting together run as one batch."""

    def __init__(self, engine: CaptionEngine, linger_s: float = 0.02) -> None:
        self.engine = engine
        self.model_id = engine.model_id
        self.revision = engine.revision
        self.device = engine.device
        self.engine_url = getattr(engine, "engine_url", None)  # model servers behind it (--engine)
        self.batch_size = max(1, engine.batch_size)
        self.linger_s = linger_s
        self.batches = 0  # generate calls made (for tests and the benchmark)
        self.largest_batch = 0
        self._queue: list[_Pending] = []
        self._cond = threading.Condition()
        self._closed = False
        self._thread = threading.Thread(target=self._run, name="captioner-batcher", daemon=True)
        self._thread.start()

    def caption(self, requests: Sequence[ClipRequest], cancel: threading.Event | None = None) -> list[str]:
        if not requests:
            return []
        pending = _Pending(list(requests))
        with self._cond:
            if self._closed:
                raise CancelledError("the server is stopping")
            self._queue.append(pending)
            self._cond.notify_all()
        while not pending.done.wait(0.1):
            if cancel is not None and cancel.is_set() and self._withdraw(pending):
                raise CancelledError()
        if pending.error is not None:
            raise pending.error
        assert pending.result is not None
        return pending.result

    def _withdraw(self, pending: _Pending) -> bool:
        with self._cond:
            if pending in self._queue:
                self._queue.remove(pending)
                return True
        return False

    def close(self) -> None:
        with self._cond:
            self._closed = True
            left, self._queue = self._queue, []
            self._cond.notify_all()
        for pending in left:
            pending.error = CancelledError("the server is stopping")
            pending.done.set()
        self._thread.join(timeout=60)

    def _take(self) -> list[_Pending] | None:
        with self._cond:
            while not self._queue and not self._closed:
                self._cond.wait()
            if self._closed:
                return None
            # linger briefly so that calls arriving together share a batch
            deadline = time.monotonic() + self.linger_s
            while sum(len(p.requests) for p in self._queue) < self.batch_size and not self._closed:
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                self._cond.wait(left)
            taken: list[_Pending] = []
            count = 0
            while self._queue and (not taken or count + len(self._queue[0].requests) <= self.batch_size):
                pending = self._queue.pop(0)
                taken.append(pending)
                count += len(pending.requests)
            return taken

    def _run(self) -> None:
        while (taken := self._take()) is not None:
            self._execute(taken)

    def _execute(self, taken: list[_Pending]) -> None:
        requests = [r for p in taken for r in p.requests]
        self.batches += 1
        self.largest_batch = max(self.largest_batch, len(requests))
        try:
            texts = self.engine.caption(requests)
        except BaseException as err:
            if len(taken) > 1:  # one caller's clip may be the cause: run each alone
                for pending in taken:
                    self._execute([pending])
                return
            taken[0].error = err
            taken[0].done.set()
            return
        start = 0
        for pending in taken:
            pending.result = texts[start:start + len(pending.requests)]
            start += len(pending.requests)
            pending.done.set()


MAX_ATTEMPTS_AFTER_CRASH = 2  # a job whose model process dies goes back to the queue once, then fails


@dataclass(frozen=True)
class Outcome:
    text: str
    inference_ms: int
    track: str | None = None
    track_format: str | None = None


class Worker:
    """Runs queued jobs on ``threads`` threads until :meth:`stop`."""

    def __init__(self, store: JobStore, engine: CaptionEngine, config: ServerConfig,
                 resolve_upload: Callable[[str], Path | None] | None = None, threads: int | None = None) -> None:
        self.store = store
        self.config = config
        self.batcher = BatchingEngine(engine)
        self.resolve_upload: Callable[[str], Path | None] = resolve_upload or (lambda video: None)
        self.work_dir = config.data_dir / "work"
        self._stop = threading.Event()
        self._wake = threading.Condition()
        self._listeners: list[Callable[[str], None]] = []
        count = threads or config.workers or max(2, self.batcher.batch_size)
        self._threads = [threading.Thread(target=self._loop, name=f"captioner-job-{i}", daemon=True)
                         for i in range(count)]

    def add_listener(self, callback: Callable[[str], None]) -> None:
        """``callback(job_id)`` is called (from a worker thread) when a job finishes."""
        self._listeners.append(callback)

    def start(self) -> int:
        """Re-queue jobs a previous run left unfinished, start the threads; returns how many were re-queued."""
        requeued = self.store.requeue_unfinished()
        shutil.rmtree(self.work_dir, ignore_errors=True)
        self.work_dir.mkdir(parents=True, exist_ok=True)
        for t in self._threads:
            t.start()
        return requeued

    def notify(self) -> None:
        with self._wake:
            self._wake.notify_all()

    def stop(self) -> None:
        self._stop.set()
        self.notify()
        self.batcher.close()
        for t in self._threads:
            t.join(timeout=60)

    def _loop(self) -> None:
        while not self._stop.is_set():
            job = self.store.claim()
            if job is None:
                with self._wake:
                    self._wake.wait(0.5)
                continue
            self._run(job)

    def _run(self, job: Job) -> None:
        try:
            outcome = self.execute(job)
        except CancelledError:
            if self._stop.is_set():
                self.store.release(job.id)  # runs again at the next start
                return
            self.store.fail(job.id, "cancelled")
        except EngineDiedError as err:  # the model process died (--model-process): it restarts at the next call
            if job.attempts < MAX_ATTEMPTS_AFTER_CRASH:
                log.warning("job %s: %s; it goes back to the queue", job.id, err)
                self.store.release(job.id)
                self.notify()
                return
            self.store.fail(job.id, f"{err} (in {job.attempts} attempts)")
        except CaptionerError as err:
            self.store.fail(job.id, str(err))
        except Exception as err:  # a bug: the job fails with the reason, the server goes on
            log.exception("job %s failed", job.id)
            self.store.fail(job.id, f"internal error: {type(err).__name__}: {err}")
        else:
            self.store.complete(job.id, [outcome.text], outcome.inference_ms, track=outcome.track,
                                track_format=outcome.track_format)
        for callback in list(self._listeners):
            with contextlib.suppress(Exception):
                callback(job.id)

    def execute(self, job: Job) -> Outcome:
        from captioner_app.core.media.urls import fetch_video
        from captioner_app.core.media.video import VideoInfo, probe
        from captioner_app.core.pipeline import CaptionOptions, TrackBuilder, analysis_options, caption, describe_video
        from captioner_app.core.timecode import seconds_to_ms
        from captioner_app.core.tracks import formats
        from captioner_app.core.vocab import Detail, Placement

        params: dict[str, Any] = job.input
        video = str(params["video"])
        folder = self.work_dir / job.id
        try:
            local = self.resolve_upload(video)
            info: VideoInfo
            if local is not None:
                try:
                    info = probe(local)
                except VideoError as err:
                    raise VideoError(f"the uploaded video: {str(err).split(': ', 1)[-1]}") from None
            else:
                folder.mkdir(parents=True, exist_ok=True)
                info = fetch_video(video, folder, allow_private=self.config.allow_private_urls,
                                   max_bytes=self.config.url_max_bytes,
                                   connect_timeout=self.config.url_connect_timeout_s,
                                   read_timeout=self.config.url_read_timeout_s,
                                   deadline_s=self.config.url_deadline_s)
            cap = self.config.max_duration_s
            if cap is not None and info.duration_s > cap:
                raise VideoError(f"the video is {info.duration_s:.1f} s long; this server takes at most {cap:g} s")
            started = time.monotonic()
            text = describe_video(info, self.batcher, params.get("detail_level", "medium"), cancel=self._stop)
            track_text = fmt = None
            if params.get("format") is not None:
                fmt = str(params["format"])
                options = CaptionOptions(detail=Detail.parse(params.get("detail_level", "medium")),
                                         window_ms=seconds_to_ms(params.get("window") or 10.0),
                                         placement=Placement.parse(params.get("placement") or "windows"))
                analysis = None
                needed = analysis_options(options)
                in_child = getattr(self.batcher.engine, "analyze", None)  # --model-process: analysed there
                if needed is not None and in_child is not None:
                    analysis = in_child(info, needed, cancel=self._stop)
                _, results = caption(info, self.batcher, options, analysis=analysis, cancel=self._stop)
                track = TrackBuilder(info, video=str(params.get("name") or "video")).consume(results)
                track_text = formats.render(track, fmt)
            elapsed_ms = int(round((time.monotonic() - started) * 1000))
            return Outcome(text, elapsed_ms, track_text, fmt)
        finally:
            shutil.rmtree(folder, ignore_errors=True)
