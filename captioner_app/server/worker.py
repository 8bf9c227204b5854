"""The job worker: takes queued jobs from the store and captions them with the one loaded model.

Several job threads run at once (fetching, probing and decoding in parallel); their model calls
meet in :class:`BatchingEngine`, which gathers the clips waiting at the same moment into one
``generate`` call, so concurrent submissions share the model and are batched where possible.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import shutil
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from captioner_app.core.errors import CancelledError, CaptionerError, EngineDiedError, UsageError, VideoError
from captioner_app.core.fileio import private_dir
from captioner_app.core.model.engine import CaptionEngine, ClipRequest
from captioner_app.server.config import ServerConfig
from captioner_app.server.jobs import Job, JobStore

if TYPE_CHECKING:
    from captioner_app.core.media.video import VideoInfo

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
            pending.result = texts[start : start + len(pending.requests)]
            start += len(pending.requests)
            pending.done.set()


@dataclass(frozen=True)
class Outcome:
    text: str
    inference_ms: int
    track: str | None = None
    track_format: str | None = None


MAX_ATTEMPTS_AFTER_CRASH = 2  # a job whose model process dies goes back to the queue once, then fails


class Worker:
    """Runs queued jobs until :meth:`stop`: ``fetchers`` threads download URL videos, ``threads``
    threads caption. A job whose video is already here (an upload) goes straight to captioning, and
    a fetched one is handed over when its download is probed, so slow downloads never hold up
    captioning. A sweeper deletes expired uploads and results."""

    def __init__(
        self,
        store: JobStore,
        engine: CaptionEngine,
        config: ServerConfig,
        resolve_upload: Callable[[str], Path | None] | None = None,
        threads: int | None = None,
        fetchers: int | None = None,
    ) -> None:
        self.store = store
        self.config = config
        self.batcher = BatchingEngine(engine)
        self.resolve_upload: Callable[[str], Path | None] = resolve_upload or (lambda video: None)
        self.work_dir = config.data_dir / "work"
        self.uploads_dir = config.data_dir / "uploads"
        self._stop = threading.Event()
        self._wake = threading.Condition()
        self._ready: deque[tuple[Job, VideoInfo]] = deque()  # fetched, probed, waiting for a captioner
        self._listeners: list[Callable[[str], None]] = []
        count = threads or config.workers or max(2, self.batcher.batch_size)
        self._ready_limit = count
        self._threads = [
            threading.Thread(target=self._caption_loop, name=f"captioner-job-{i}", daemon=True) for i in range(count)
        ]
        self._threads += [
            threading.Thread(target=self._fetch_loop, name=f"captioner-fetch-{i}", daemon=True)
            for i in range(max(1, fetchers or config.fetchers))
        ]
        self._threads.append(threading.Thread(target=self._sweep_loop, name="captioner-sweep", daemon=True))

    def add_listener(self, callback: Callable[[str], None]) -> None:
        """``callback(job_id)`` is called (from a worker thread) when a job finishes."""
        self._listeners.append(callback)

    def start(self) -> int:
        """Re-queue jobs a previous run left unfinished (failing those it died under too often),
        start the threads; returns how many were re-queued."""
        requeued = self.store.requeue_unfinished(self.config.max_attempts)
        shutil.rmtree(self.work_dir, ignore_errors=True)
        private_dir(self.work_dir)
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
        while self._ready:  # fetched but not captioned: run again at the next start
            job, _ = self._ready.popleft()
            with contextlib.suppress(Exception):
                self.store.release(job.id)

    # the loops

    def _idle(self) -> None:
        with self._wake:
            self._wake.wait(0.5)

    def _claim(self, fetch: bool) -> Job | None:
        try:
            return self.store.claim(fetch=fetch)
        except Exception as err:  # a full disk or a locked database: wait, try again
            log.warning("cannot take a job from the queue: %s", err)
            self._stop.wait(1.0)
            return None

    def _caption_loop(self) -> None:
        while not self._stop.is_set():
            with self._wake:
                item = self._ready.popleft() if self._ready else None
            if item is None:
                job = self._claim(fetch=False)
                if job is None:
                    self._idle()
                    continue
                self._attempt(job, functools.partial(self.execute_stages, job))
            else:
                job, info = item
                self.notify()  # a fetcher may be waiting for room
                self._attempt(job, functools.partial(self.caption, job, info))

    def _fetch_loop(self) -> None:
        while not self._stop.is_set():
            with self._wake:
                full = len(self._ready) >= self._ready_limit
            job = None if full else self._claim(fetch=True)
            if job is None:
                self._idle()
                continue
            info = self._attempt(job, functools.partial(self.prepare, job))
            if info is not None:
                with self._wake:
                    self._ready.append((job, info))
                    self._wake.notify_all()

    def _sweep_loop(self) -> None:
        period = max(1.0, min(300.0, self.config.expire_s / 4))
        while not self._stop.is_set():
            try:
                self.sweep()
            except Exception as err:
                log.warning("cannot delete expired uploads and results: %s", err)
            self._stop.wait(period)

    def sweep(self, now: float | None = None) -> tuple[int, int]:
        """Delete uploads and finished jobs older than ``config.expire_s``; returns (uploads, jobs)."""
        gone, jobs = self.store.expire((time.time() if now is None else now) - self.config.expire_s)
        for upload_id in gone:
            (self.uploads_dir / upload_id).unlink(missing_ok=True)
        return len(gone), jobs

    def _attempt(self, job: Job, work: Callable[[], Any]) -> Any:
        """Run one stage of a job; a failure finishes the job with its reason. Returns the stage's
        result, or None when the job is finished (failed, cancelled, or captioned)."""
        try:
            result = work()
        except CancelledError:
            self._cleanup(job)
            if self._stop.is_set():
                with contextlib.suppress(Exception):
                    self.store.release(job.id)  # runs again at the next start
                return None
            self._finish(job, error="cancelled")
        except EngineDiedError as err:  # the model process died (--model-process): it restarts at the next call
            self._cleanup(job)
            if job.attempts < MAX_ATTEMPTS_AFTER_CRASH:
                log.warning("job %s: %s; it goes back to the queue", job.id, err)
                with contextlib.suppress(Exception):
                    self.store.release(job.id, counted=True)
                self.notify()
                return None
            self._finish(job, error=f"{err} (in {job.attempts} attempts)")
        except CaptionerError as err:
            self._cleanup(job)
            self._finish(job, error=str(err))
        except Exception as err:  # a bug: the job fails with the reason, the server goes on
            self._cleanup(job)
            log.exception("job %s failed", job.id)
            self._finish(job, error=f"internal error: {type(err).__name__}: {err}")
        else:
            if isinstance(result, Outcome):
                self._cleanup(job)
                self._finish(job, outcome=result)
                return None
            return result
        return None

    def _finish(self, job: Job, outcome: Outcome | None = None, error: str | None = None) -> None:
        """Record the end of a job; while the disk is full, keep the result in memory and retry."""
        while True:
            try:
                if outcome is not None:
                    self.store.complete(
                        job.id,
                        [outcome.text],
                        outcome.inference_ms,
                        track=outcome.track,
                        track_format=outcome.track_format,
                    )
                else:
                    self.store.fail(job.id, error or "failed")
                break
            except Exception as err:
                log.warning("cannot record the end of job %s (%s); retrying", job.id, err)
                if self._stop.wait(2.0):
                    return  # still 'processing': re-queued at the next start
        for callback in list(self._listeners):
            with contextlib.suppress(Exception):
                callback(job.id)

    def _cleanup(self, job: Job) -> None:
        shutil.rmtree(self.work_dir / job.id, ignore_errors=True)

    # the stages

    def prepare(self, job: Job) -> VideoInfo:
        """The job's video, probed: an upload, or a URL downloaded into the work folder."""
        from captioner_app.core.media.urls import fetch_video
        from captioner_app.core.media.video import probe

        video = str(job.input["video"])
        local = self.resolve_upload(video)
        info: VideoInfo
        if local is not None:
            try:
                info = probe(local)
            except VideoError as err:
                raise VideoError(f"the uploaded video: {str(err).split(': ', 1)[-1]}") from None
        else:
            folder = self.work_dir / job.id
            folder.mkdir(mode=0o700, parents=True, exist_ok=True)
            info = fetch_video(
                video,
                folder,
                allow_private=self.config.allow_private_urls,
                max_bytes=self.config.url_max_bytes,
                connect_timeout=self.config.url_connect_timeout_s,
                read_timeout=self.config.url_read_timeout_s,
                deadline_s=self.config.url_deadline_s,
                min_rate_bps=self.config.url_min_rate_bps,
                rate_window_s=self.config.url_rate_window_s,
                cancel=self._stop,
            )
        cap = self.config.max_duration_s
        if cap is not None and info.duration_s > cap:
            raise VideoError(f"the video is {info.duration_s:.1f} s long; this server takes at most {cap:g} s")
        return info

    def caption(self, job: Job, info: VideoInfo) -> Outcome:
        from captioner_app.core.pipeline import (
            CaptionOptions,
            TrackBuilder,
            analysis_options,
            describe_video,
            prepare,
            run,
        )
        from captioner_app.core.timecode import seconds_to_ms
        from captioner_app.core.tracks import formats
        from captioner_app.core.vocab import Detail, Placement

        params: dict[str, Any] = job.input
        started = time.monotonic()
        text = describe_video(info, self.batcher, params.get("detail_level", "medium"), cancel=self._stop)
        track_text = fmt = None
        if params.get("format") is not None:
            fmt = str(params["format"])
            options = CaptionOptions(
                detail=Detail.parse(params.get("detail_level", "medium")),
                window_ms=seconds_to_ms(params.get("window") or 10.0),
                placement=Placement.parse(params.get("placement") or "windows"),
            )
            limit = self.config.max_windows
            windowed = options.placement in (Placement.WINDOWS, Placement.AUTO)  # auto may choose windows
            if windowed and info.duration_ms / max(1, options.window_ms) > limit:
                raise UsageError(
                    f"a {info.duration_s:.0f} s video in {options.window_ms / 1000:g} s windows needs "
                    f"more than {limit:,} windows, this server's limit; ask for a longer window"
                )
            analysis = None
            needed = analysis_options(options)
            in_child = getattr(self.batcher.engine, "analyze", None)  # --model-process: analysed there
            if needed is not None and in_child is not None:
                analysis = in_child(info, needed, cancel=self._stop)
            the_plan = prepare(info, options, analysis=analysis, cancel=self._stop)
            if len(the_plan) > limit:
                raise UsageError(f"the track would have {len(the_plan):,} cues, over this server's limit of {limit:,}")
            builder = TrackBuilder(info, video=str(params.get("name") or "video"))
            track = builder.consume(run(the_plan, self.batcher, self._stop))
            track_text = formats.render(track, fmt)
        elapsed_ms = int(round((time.monotonic() - started) * 1000))
        return Outcome(text, elapsed_ms, track_text, fmt)

    def execute_stages(self, job: Job) -> Outcome:
        return self.caption(job, self.prepare(job))

    def execute(self, job: Job) -> Outcome:
        """Both stages in this thread (for embedding and tests)."""
        try:
            return self.caption(job, self.prepare(job))
        finally:
            self._cleanup(job)
