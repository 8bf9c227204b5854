"""The model process: what runs in the child that :mod:`captioner_app.core.model.process` starts.

One pipe carries everything. The parent sends ``("call", id, op, payload)``, ``("cancel", id)`` and
``("close",)``; the child answers ``("ok", id, result)``, ``("err", id, exception)`` and
``("progress", id, value)``. Each call runs in its own thread, so a cancel (or a second call, such as
an analysis next to a caption run) is read while ``generate`` is busy; the main thread is the
watchdog: when the pipe to the parent breaks, or the parent is gone, the child ends at once, so no
model process outlives the app.

Frames arrive in shared memory, not pickled: the payload names the segment and where each
frame's pixels lie in it. The model is loaded once and kept until another model is asked for.
"""

from __future__ import annotations

import os
import pickle
import signal
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

PARENT_CHECK_S = 1.0  # how often the watchdog looks for a parent that went away silently
BACKGROUND_NICE = 10  # the app's children: the GUI thread gets the CPU first when both want it


@dataclass(frozen=True)
class FrameSpec:
    """Where one frame's pixels lie in the shared segment (or, when ``pixels`` is set, the pixels)."""

    time_ms: int
    offset: int
    shape: tuple[int, ...]
    dtype: str
    pixels: Any = None  # inline transport, when the shared-memory area is too small for a batch


@dataclass(frozen=True)
class ClipSpec:
    """A :class:`~captioner_app.core.model.engine.ClipRequest` without its pixels."""

    frames: tuple[FrameSpec, ...]
    prompt: Any  # PromptSpec
    native_fps: float
    video_duration_ms: int
    min_new_tokens: int = 0


class _Child:
    def __init__(self, conn: Any) -> None:
        self.conn = conn
        self.send_lock = threading.Lock()
        self.cancels: dict[int, threading.Event] = {}
        self.lock = threading.Lock()
        self.engine: Any = None
        self.engine_options: Any = None
        self.model_lock = threading.Lock()
        self.segment: Any = None  # the attached shared-memory segment

    def send(self, message: tuple[Any, ...]) -> None:
        try:
            with self.send_lock:
                self.conn.send(message)
        except (OSError, EOFError):  # the parent is gone: the watchdog ends this process
            pass

    # -- calls ------------------------------------------------------------------------------

    def start_call(self, call_id: int, op: str, payload: Any) -> None:
        cancel = threading.Event()
        with self.lock:
            self.cancels[call_id] = cancel
        thread = threading.Thread(
            target=self._run, args=(call_id, op, payload, cancel), name=f"captioner-child-{op}-{call_id}", daemon=True
        )
        thread.start()

    def cancel(self, call_id: int) -> None:
        with self.lock:
            event = self.cancels.get(call_id)
        if event is not None:
            event.set()

    def _run(self, call_id: int, op: str, payload: Any, cancel: threading.Event) -> None:
        try:
            handler: Callable[[int, Any, threading.Event], Any] = getattr(self, f"op_{op}")
            result = handler(call_id, payload, cancel)
        except BaseException as err:  # every failure goes back to the caller, as itself where possible
            self.send(("err", call_id, _picklable(err)))
        else:
            self.send(("ok", call_id, result))
        finally:
            with self.lock:
                self.cancels.pop(call_id, None)

    def op_ping(self, call_id: int, payload: Any, cancel: threading.Event) -> int:
        return os.getpid()

    def op_prewarm(self, call_id: int, payload: Any, cancel: threading.Event) -> None:
        """Import torch and transformers' Molmo2 classes now, so the first load is quicker.

        Under the model lock: a load arriving meanwhile waits, as two threads importing transformers
        at once can see it half-initialised."""
        with self.model_lock:
            import torch  # noqa: F401
            import transformers.models.molmo2.modeling_molmo2  # noqa: F401
            import transformers.models.molmo2.processing_molmo2  # noqa: F401

    def op_load(self, call_id: int, options: Any, cancel: threading.Event) -> dict[str, Any]:
        from captioner_app.core.model import load_engine

        with self.model_lock:
            if self.engine is None or self.engine_options != options:
                if self.engine is not None:
                    self.engine.close()
                    self.engine = None
                self.engine = load_engine(options)
                self.engine_options = options
            engine = self.engine
        return {
            "model_id": engine.model_id,
            "revision": engine.revision,
            "device": engine.device,
            "batch_size": engine.batch_size,
        }

    def op_unload(self, call_id: int, payload: Any, cancel: threading.Event) -> None:
        with self.model_lock:
            if self.engine is not None:
                self.engine.close()
            self.engine = None
            self.engine_options = None

    def op_caption(
        self, call_id: int, payload: tuple[str | None, list[ClipSpec]], cancel: threading.Event
    ) -> tuple[list[str], int]:
        from captioner_app.core.errors import ModelError
        from captioner_app.core.media.video import Frame
        from captioner_app.core.model.engine import ClipRequest

        if self.engine is None:
            raise ModelError("no model is loaded in the model process")
        name, clips = payload
        buffer = self._attach(name) if name is not None else None
        requests = [
            ClipRequest(
                frames=[Frame(f.time_ms, f.pixels if f.pixels is not None else _view(buffer, f)) for f in clip.frames],
                prompt=clip.prompt,
                native_fps=clip.native_fps,
                video_duration_ms=clip.video_duration_ms,
                min_new_tokens=clip.min_new_tokens,
            )
            for clip in clips
        ]
        try:
            texts = self.engine.caption(requests, cancel)
        finally:
            del requests  # the views into the segment go, so it can be closed when a new one comes
        return texts, int(getattr(self.engine, "batch_size", 1))

    def op_run(self, call_id: int, payload: tuple[Callable[..., Any], tuple[Any, ...]], cancel: threading.Event) -> Any:
        fn, args = payload
        return fn(*args)

    def op_analyze(self, call_id: int, payload: tuple[Any, Any], cancel: threading.Event) -> Any:
        from captioner_app.core.analysis.analyze import analyze

        info, options = payload
        last = [0.0, -1.0]  # time sent, value sent

        def progress(fraction: float) -> None:
            now = time.monotonic()
            if fraction >= 1.0 or (fraction - last[1] >= 0.01 and now - last[0] >= 0.05):
                last[0], last[1] = now, fraction
                self.send(("progress", call_id, fraction))

        return analyze(info, options, cancel=cancel, progress=progress)

    # -- shared memory ----------------------------------------------------------------------

    def _attach(self, name: str) -> Any:
        from multiprocessing import shared_memory

        with self.lock:
            if self.segment is None or self.segment.name != name:
                old, self.segment = self.segment, shared_memory.SharedMemory(name=name)
                if old is not None:
                    try:
                        old.close()
                    except BufferError:  # a view is still alive somewhere: the mapping goes with the process
                        pass
            return self.segment.buf

    def close(self) -> None:
        """Free the model if nothing is using it; a load or run in progress ends with the process."""
        if not self.model_lock.acquire(timeout=0.5):
            return
        try:
            if self.engine is not None:
                self.engine.close()
        except Exception:
            pass
        finally:
            self.engine = None
            self.model_lock.release()


def _view(buffer: Any, spec: FrameSpec) -> Any:
    import numpy as np

    return np.ndarray(spec.shape, dtype=np.dtype(spec.dtype), buffer=buffer, offset=spec.offset)


def _picklable(err: BaseException) -> BaseException:
    """``err`` itself when it survives pickling (CaptionerError and its kind do), else a RuntimeError saying it."""
    try:
        pickle.loads(pickle.dumps(err))
        return err.with_traceback(None)
    except Exception:
        return RuntimeError(f"{type(err).__name__}: {err}")


def main(conn: Any, parent_pid: int, nice: int = 0) -> None:
    """The child's entry point (run by multiprocessing's spawn). ``nice`` > 0 lowers its CPU priority."""
    if nice > 0:
        lower_priority(nice, below=parent_pid)
    # Ctrl-C in a terminal reaches the whole process group: the parent decides what stops, not the signal
    try:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
    except (ValueError, OSError):
        pass
    child = _Child(conn)
    code = 0
    try:
        while True:
            try:
                if not conn.poll(PARENT_CHECK_S):
                    if not _parent_alive(parent_pid):
                        code = 1
                        break
                    continue
                message = conn.recv()
            except (EOFError, OSError):  # the parent closed the pipe or died: end now
                code = 1
                break
            kind = message[0]
            if kind == "call":
                child.start_call(message[1], message[2], message[3])
            elif kind == "cancel":
                child.cancel(message[1])
            elif kind == "close":
                child.close()
                break
    finally:
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except Exception:
                pass
        # call threads may be inside generate: they end with the process, not before it
        os._exit(code)


def lower_priority(nice: int, pid: int = 0, below: int = 0) -> None:
    """Give process ``pid`` (0: this one) a CPU priority ``nice`` steps below process ``below``'s (0: this
    one's): POSIX nice values, never raised back, so calling it twice changes nothing; on Windows, this
    process only, the below-normal class. The supervisor calls it as soon as a child exists, so that the
    child's own start (the interpreter, its imports) already yields the CPU to the GUI; the child calls
    it again first thing. Where that is refused the process keeps its priority: it only runs less politely."""
    try:
        if hasattr(os, "setpriority"):
            target = min(19, os.getpriority(os.PRIO_PROCESS, below) + nice)
            if os.getpriority(os.PRIO_PROCESS, pid) < target:
                os.setpriority(os.PRIO_PROCESS, pid, target)
        elif sys.platform == "win32" and pid == 0:
            import ctypes

            below_normal = 0x4000
            kernel32 = ctypes.windll.kernel32  # type: ignore[attr-defined]
            kernel32.SetPriorityClass(kernel32.GetCurrentProcess(), below_normal)
    except OSError:
        pass


def _parent_alive(parent_pid: int) -> bool:
    return os.getppid() == parent_pid  # re-parented: the parent is gone
