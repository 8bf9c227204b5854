"""The model in its own process: a :class:`CaptionEngine` whose model runs in a supervised child.

The parent never imports torch or transformers. A child process (multiprocessing "spawn") loads the
model once and keeps it; frames travel to it through one shared-memory segment that is reused from
call to call (not pickled per frame); texts, analyses and errors come back as the same objects the
in-process code returns or raises. The speech and shot analysis runs there too (:meth:`analyze`).

- **Cancel** is sent to the child, where a StoppingCriteria reads it between tokens. When the child
  does not answer within :data:`CANCEL_GRACE_S` (a long native call, a stopped process), it is killed
  and started again in the background: the caller gets :class:`CancelledError` within half a second.
- **A dead child** (killed, segfault, out of memory) is noticed at once (its pipe closes); every call
  waiting on it raises :class:`EngineDiedError`, one line naming what happened. The next call starts
  a new child and loads the model again; :meth:`ChildProcess.restart` does that now.
- **No orphans**: the child's main thread watches the pipe and the parent's pid and ends the child as
  soon as the parent is gone; :meth:`close` asks it to end, and kills it if it does not.
"""

from __future__ import annotations

import itertools
import logging
import multiprocessing
import os
import queue
import sys
import threading
import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from captioner_app.core.errors import CancelledError, EngineDiedError
from captioner_app.core.model.child import ClipSpec, FrameSpec, lower_priority
from captioner_app.core.model.engine import ClipRequest, EngineOptions
from captioner_app.core.model.spawn import describe_exit, start_quietly

if TYPE_CHECKING:
    from multiprocessing.shared_memory import SharedMemory

    from captioner_app.core.analysis.analyze import Analysis, AnalysisOptions
    from captioner_app.core.media.video import VideoInfo

log = logging.getLogger(__name__)

CANCEL_GRACE_S = 0.3  # a cancelled call that has not ended by then is ended by killing the child
CLOSE_TIMEOUT_S = 5.0  # how long close() waits for the child to end by itself before killing it
POLL_S = 0.02
SHM_HEADROOM = 64 * 1024 * 1024  # left free in /dev/shm; a batch that does not fit goes through the pipe


class _Call:
    def __init__(self) -> None:
        self.replies: queue.SimpleQueue[tuple[str, Any]] = queue.SimpleQueue()


class _Child:
    """One started child: its process, its end of the pipe, the calls waiting on it, its reader thread."""

    def __init__(self, process: Any, conn: Any) -> None:
        self.process = process
        self.conn = conn
        self.calls: dict[int, _Call] = {}
        self.send_lock = threading.Lock()
        self.lock = threading.Lock()
        self.ended: str | None = None  # why it ended (None while it runs)
        self.stopping: str | None = None  # set when the parent ends it on purpose: the reason given to callers
        self.reader: threading.Thread | None = None

    def send(self, message: tuple[Any, ...]) -> bool:
        try:
            with self.send_lock:
                self.conn.send(message)
            return True
        except (OSError, EOFError, ValueError):
            return False


class ChildProcess:
    """Starts, supervises and restarts one child process; calls to it are multiplexed over one pipe.

    Thread-safe: several threads may wait on calls at once (a caption run and an analysis).
    ``label`` names the child in messages ("model process"). ``nice``: how much lower than this process's
    the child's CPU priority is (the app passes :data:`BACKGROUND_NICE`, so that the model's threads never
    take the CPU from the GUI thread; 0 keeps the same priority, as the server and the CLI do).
    """

    # a child killed to honour a cancel is replaced at once (the model reloads in the background);
    # False: at the next call (the analysis process: nothing to preload, and no start during a shutdown)
    respawn_after_kill = False

    def __init__(self, label: str = "model process", *, nice: int = 0) -> None:
        self.label = label
        self.nice = nice
        self._ctx = multiprocessing.get_context("spawn")
        self._lock = threading.RLock()
        self._child: _Child | None = None
        self._ids = itertools.count(1)
        self._closed = False
        self.starts = 0  # children started so far (1 + restarts)
        self.last_death: str | None = None  # one line: how the last child died, if one did

    # -- life cycle -------------------------------------------------------------------------

    @property
    def pid(self) -> int | None:
        child = self._child
        return child.process.pid if child is not None and child.ended is None else None

    @property
    def running(self) -> bool:
        child = self._child
        return child is not None and child.ended is None and child.process.is_alive()

    def start(self) -> None:
        """Start the child unless one is running (returns at once: it comes up in the background)."""
        with self._lock:
            self._closed = False
            self._ensure_child()

    def _ensure_child(self) -> _Child:
        with self._lock:
            child = self._child
            if child is not None and child.ended is None and child.stopping is None:
                return child
            if self._closed:
                raise CancelledError(f"the {self.label} was closed")
            from captioner_app.core.model.child import main

            parent_conn, child_conn = self._ctx.Pipe(duplex=True)
            process = self._ctx.Process(
                target=main,
                args=(child_conn, os.getpid(), self.nice),
                name=f"captioner-{self.label.replace(' ', '-')}",
                daemon=True,
            )
            start_quietly(process)
            if self.nice > 0 and process.pid is not None:
                lower_priority(self.nice, process.pid)  # its start-up too (see child.lower_priority)
            child_conn.close()  # the child holds the only other end: its death closes the pipe
            child = _Child(process, parent_conn)
            child.reader = threading.Thread(
                target=self._read, args=(child,), daemon=True, name=f"captioner-{self.label.replace(' ', '-')}-reader"
            )
            child.reader.start()
            self._child = child
            self.starts += 1
            self._started(child)
            return child

    def _started(self, child: _Child) -> None:
        """Hook: a new child is up (subclasses send it what it needs first, such as the model to load)."""

    def _read(self, child: _Child) -> None:
        """The reader thread: hands replies to their calls; when the pipe closes, says why to every waiting call."""
        while True:
            try:
                message = child.conn.recv()
            except (EOFError, OSError):
                break
            except Exception as err:  # an unpicklable reply: its call learns why
                log.warning("unreadable reply from the %s: %r", self.label, err)
                continue
            with child.lock:
                call = child.calls.get(message[1])
            if call is not None:
                call.replies.put((message[0], message[2]))
        child.process.join(timeout=5)
        reason = child.stopping or describe_exit(self.label, child.process.exitcode)
        with child.lock:
            child.ended = reason
            waiting = list(child.calls.values())
        if child.stopping is None:
            self.last_death = reason
            log.warning("%s", reason)
        for call in waiting:
            call.replies.put(("died", reason))
        try:
            child.conn.close()
        except OSError:
            pass

    def restart(self) -> None:
        """End the child (if any) and start a new one now."""
        with self._lock:
            self._closed = False
            child = self._child
            if child is not None:
                self._kill(child, f"the {self.label} was restarted")
            self._ensure_child()

    def _kill(self, child: _Child, reason: str) -> None:
        if child.stopping is None:
            child.stopping = reason
        try:
            child.process.kill()
        except (OSError, ValueError, AttributeError):
            pass
        if child.reader is not None and child.reader is not threading.current_thread():
            child.reader.join(timeout=5)
        with self._lock:
            if self._child is child:
                self._child = None

    def close(self, timeout_s: float = CLOSE_TIMEOUT_S) -> None:
        """Ask the child to end (it frees the model first), kill it if it has not within ``timeout_s``, and reap it."""
        with self._lock:
            self._closed = True
            child, self._child = self._child, None
        if child is None:
            self._closed_hook()
            return
        if child.stopping is None:
            child.stopping = f"the {self.label} was closed"
        if child.ended is None:
            child.send(("close",))
            child.process.join(timeout_s)
            if child.process.is_alive():
                log.warning("the %s did not end within %.0f s; killing it", self.label, timeout_s)
                child.process.kill()
                child.process.join(5)
        if child.reader is not None:
            child.reader.join(timeout=5)
        try:
            child.process.close()
        except ValueError:
            pass
        self._closed_hook()

    def _closed_hook(self) -> None:
        """Hook: the child is gone for good (subclasses free what they hold)."""

    # -- calls ------------------------------------------------------------------------------

    def call(
        self,
        op: str,
        payload: Any = None,
        cancel: threading.Event | None = None,
        progress: Callable[[Any], None] | None = None,
        *,
        child: _Child | None = None,
    ) -> Any:
        """Run ``op`` in the child and return its result; raise what it raised there.

        ``cancel`` is forwarded; a child that has not answered :data:`CANCEL_GRACE_S` after it is
        killed (and started again in the background). ``progress`` gets the child's progress values,
        on the calling thread.
        """
        if child is None:
            child = self._ensure_child()
        call_id = next(self._ids)
        call = _Call()
        with child.lock:
            if child.ended is not None:
                raise EngineDiedError(child.ended)
            child.calls[call_id] = call
        try:
            if not child.send(("call", call_id, op, payload)):
                self._await_end(child)
                raise EngineDiedError(child.ended or describe_exit(self.label, child.process.exitcode))
            cancel_sent: float | None = None
            while True:
                try:
                    kind, value = call.replies.get(timeout=POLL_S)
                except queue.Empty:
                    if cancel is not None and cancel.is_set():
                        now = time.monotonic()
                        if cancel_sent is None:
                            cancel_sent = now
                            child.send(("cancel", call_id))
                        elif now - cancel_sent > CANCEL_GRACE_S:
                            self._abandon(
                                child, f"the {self.label} was restarted to cancel a call that did not stop in time"
                            )
                            raise CancelledError() from None
                    continue
                if kind == "ok":
                    return value
                if kind == "progress":
                    if progress is not None:
                        progress(value)
                    continue
                if kind == "err":
                    raise value
                if cancel_sent is not None or (cancel is not None and cancel.is_set()):
                    raise CancelledError()
                raise EngineDiedError(value)
        finally:
            with child.lock:
                child.calls.pop(call_id, None)

    def _await_end(self, child: _Child) -> None:
        if child.reader is not None:
            child.reader.join(timeout=5)

    def _abandon(self, child: _Child, reason: str) -> None:
        """Kill a child that does not answer a cancel and bring a new one up, both in the background:
        the caller returns at once."""
        log.info("%s", reason)
        with self._lock:
            if child.stopping is None:
                child.stopping = reason
            try:
                child.process.kill()
            except (OSError, ValueError, AttributeError):
                pass
            if self._child is child:
                self._child = None

        def replace() -> None:
            self._kill(child, reason)
            with self._lock:
                if not self._closed and self.respawn_after_kill:
                    self._ensure_child()

        threading.Thread(target=replace, name="captioner-restart", daemon=True).start()


class ProcessEngine(ChildProcess):
    """A :class:`~captioner_app.core.model.engine.CaptionEngine` whose model lives in a child process.

    :meth:`load` starts the child and loads the model (raising what loading raises, e.g. a missing
    model's :class:`ModelError`). After a crash the next call starts a new child and loads the same
    model again; :meth:`restart` does it now. :meth:`start` alone brings the child up and has it
    import torch and transformers, without loading a model until one is asked for (the app's start-up).
    """

    respawn_after_kill = True

    def __init__(self, options: EngineOptions | None = None, *, label: str = "model process", nice: int = 0) -> None:
        super().__init__(label, nice=nice)
        self.options = options or EngineOptions()
        self.model_id = self.options.model
        self.revision: str | None = self.options.revision
        self.device = self.options.device
        self.batch_size = self.options.batch_size or 1
        self._shm: SharedMemory | None = None
        self._shm_lock = threading.Lock()
        self._caption_lock = threading.Lock()
        # the load in progress or done: (child, options, thread, box with ("ok", info) or ("err", error))
        self._load_call: tuple[_Child, EngineOptions, threading.Thread, list[Any]] | None = None
        self._want_model = False  # set by the first load: a restarted child loads the model again
        self.prewarmed = threading.Event()  # set once a child has imported torch and transformers (or loaded)
        self.loads = 0  # model loads started

    @classmethod
    def load(cls, options: EngineOptions | None = None, *, label: str = "model process") -> ProcessEngine:
        engine = cls(options, label=label)
        try:
            engine.wait_loaded()
        except BaseException:
            engine.close()
            raise
        return engine

    def _started(self, child: _Child) -> None:
        if self._want_model:  # the load starts as soon as the child is up; callers wait in wait_loaded()
            self._begin_load(child)
            return

        def prewarm() -> None:
            try:
                self.call("prewarm", child=child)
            except BaseException:  # a broken install is reported when a model is loaded
                pass
            finally:
                self.prewarmed.set()

        threading.Thread(target=prewarm, name="captioner-model-prewarm", daemon=True).start()

    def _begin_load(self, child: _Child) -> None:
        box: list[Any] = []
        options = self.options

        def load() -> None:
            try:
                box.append(("ok", self.call("load", options, child=child)))
            except BaseException as err:
                box.append(("err", err))
            finally:
                self.prewarmed.set()

        thread = threading.Thread(target=load, name="captioner-model-load", daemon=True)
        self._load_call = (child, options, thread, box)
        self.loads += 1
        thread.start()

    def is_loaded(self, options: EngineOptions | None = None) -> bool:
        """Whether the running child has ``options``' model (default: the current options) loaded."""
        load, child = self._load_call, self._child
        return (
            load is not None
            and child is not None
            and load[0] is child
            and child.ended is None
            and child.stopping is None
            and load[1] == (options or self.options)
            and not load[2].is_alive()
            and bool(load[3])
            and load[3][0][0] == "ok"
        )

    def prewarm(self) -> None:
        """Start the child and wait until it has imported torch and transformers (no model is loaded)."""
        self.start()
        self.call("prewarm")

    def wait_loaded(self, cancel: threading.Event | None = None) -> _Child:
        """Start the child if needed and wait until its model is loaded; raise what loading raised."""
        with self._lock:
            self._want_model = True
            child = self._ensure_child()
            load = self._load_call
            if load is None or load[0] is not child or load[1] != self.options:
                self._begin_load(child)
                load = self._load_call
        assert load is not None
        _, _, thread, box = load
        while thread.is_alive():
            if cancel is not None and cancel.is_set():
                # loading cannot be interrupted: a new child loads in the background instead
                self._abandon(child, f"the {self.label} was restarted to cancel loading the model")
                raise CancelledError()
            thread.join(POLL_S)
        kind, value = box[0]
        if kind == "err":
            with self._lock:  # a failed load leaves no child behind; the next call tries again
                if self._child is child:
                    self._kill(child, f"the {self.label} could not load the model")
            raise value
        self.model_id = value["model_id"]
        self.revision = value["revision"]
        self.device = value["device"]
        self.batch_size = value["batch_size"]
        return child

    def unload(self) -> None:
        """Free the model's memory; the child stays up and the next call loads the model again."""
        with self._lock:
            self._want_model = False
            self._load_call = None
            child = self._child
        if child is not None and child.ended is None and child.stopping is None:
            self.call("unload", child=child)

    def switch(self, options: EngineOptions) -> None:
        """Use another model (or device) from now on; it is loaded at the next call (or :meth:`wait_loaded`)."""
        with self._lock:
            self.options = options

    # -- CaptionEngine ----------------------------------------------------------------------

    def caption(self, requests: Sequence[ClipRequest], cancel: threading.Event | None = None) -> list[str]:
        if not requests:
            return []
        with self._caption_lock:
            child = self.wait_loaded(cancel)
            name, clips = self._pack(requests)
            texts, batch_size = self.call("caption", (name, clips), cancel, child=child)
            self.batch_size = batch_size  # an out-of-memory retry in the child halves it
            return list(texts)

    def analyze(
        self,
        info: VideoInfo,
        options: AnalysisOptions | None = None,
        *,
        cancel: threading.Event | None = None,
        progress: Callable[[float], None] | None = None,
    ) -> Analysis:
        """:func:`captioner_app.core.analysis.analyze.analyze` in the child (speech and shots; no model needed)."""
        from captioner_app.core.analysis.analyze import AnalysisOptions

        return self.call("analyze", (info, options or AnalysisOptions()), cancel, progress)

    def _pack(self, requests: Sequence[ClipRequest]) -> tuple[str | None, list[ClipSpec]]:
        """Copy every distinct frame of ``requests`` into the shared segment once; describe where each lies."""
        import numpy as np

        distinct: dict[int, Any] = {}
        for request in requests:
            for frame in request.frames:
                distinct.setdefault(id(frame.image), frame.image)
        needed = sum(int(image.nbytes) for image in distinct.values())
        shm = self._segment(needed) if needed else None
        offsets: dict[int, int] = {}
        if shm is not None:
            offset = 0
            for key, image in distinct.items():
                source = np.ascontiguousarray(image)
                target = np.ndarray(source.shape, dtype=source.dtype, buffer=shm.buf, offset=offset)
                target[...] = source
                del target
                offsets[key] = offset
                offset += source.nbytes
        clips = []
        for request in requests:
            specs = []
            for frame in request.frames:
                image = frame.image
                if shm is not None:
                    specs.append(FrameSpec(frame.time_ms, offsets[id(image)], tuple(image.shape), image.dtype.str))
                else:  # no room in shared memory: this batch's pixels go through the pipe
                    specs.append(
                        FrameSpec(frame.time_ms, 0, tuple(image.shape), image.dtype.str, np.ascontiguousarray(image))
                    )
            clips.append(
                ClipSpec(
                    tuple(specs), request.prompt, request.native_fps, request.video_duration_ms, request.min_new_tokens
                )
            )
        return (shm.name if shm is not None else None), clips

    def _segment(self, size: int) -> SharedMemory | None:
        from multiprocessing import shared_memory

        with self._shm_lock:
            if self._shm is not None and self._shm.size >= size:
                return self._shm
            want = max(size, 2 * (self._shm.size if self._shm is not None else 0), 8 * 1024 * 1024)
            if not _room_for(want):
                want = size
                if not _room_for(want):
                    return None
            new = shared_memory.SharedMemory(create=True, size=want)
            self._free_segment()
            self._shm = new
            return new

    def _free_segment(self) -> None:
        if self._shm is not None:
            try:
                self._shm.close()
                self._shm.unlink()
            except (OSError, BufferError):
                pass
            self._shm = None

    def _closed_hook(self) -> None:
        with self._shm_lock:
            self._free_segment()


class AnalysisProcess(ChildProcess):
    """Speech and shot analysis in a child process (no model): :meth:`analyze` as in the core."""

    def __init__(self, label: str = "analysis process", *, nice: int = 0) -> None:
        super().__init__(label, nice=nice)

    def analyze(
        self,
        info: VideoInfo,
        options: AnalysisOptions | None = None,
        *,
        cancel: threading.Event | None = None,
        progress: Callable[[float], None] | None = None,
    ) -> Analysis:
        from captioner_app.core.analysis.analyze import AnalysisOptions

        return self.call("analyze", (info, options or AnalysisOptions()), cancel, progress)

    def run(self, fn: Callable[..., Any], *args: Any, cancel: threading.Event | None = None) -> Any:
        """``fn(*args)`` run in the child; returns its result or raises what it raised. ``fn`` must be a
        module-level function (it travels by name) and its arguments and result picklable. For native
        work that would otherwise share the app's CPU priority and interpreter lock (the narration
        voice's measures for the checks)."""
        return self.call("run", (fn, args), cancel)


def _room_for(size: int) -> bool:
    """Whether the shared-memory file system has room for ``size`` bytes (writing past it would kill us)."""
    if not sys.platform.startswith("linux"):
        return True
    try:
        stats = os.statvfs("/dev/shm")
    except OSError:
        return True
    return stats.f_bavail * stats.f_frsize >= size + SHM_HEADROOM
