"""The model in a child process: same captions, crash isolation, instant cancel, no orphans, no torch."""

from __future__ import annotations

import multiprocessing
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest

from captioner_app.core.errors import CancelledError, EngineDiedError, ModelError
from captioner_app.core.media import video
from captioner_app.core.model.engine import ClipRequest, EngineOptions
from captioner_app.core.model.process import (
    CANCEL_GRACE_S,
    AnalysisProcess,
    ProcessEngine,
)
from captioner_app.core.model.prompts import PromptSpec, window_prompt
from captioner_app.core.model.spawn import describe_exit
from captioner_app.core.pipeline import CaptionOptions, caption_windows
from captioner_app.testing.processes import child_env, gone, run_python

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="signals used to kill the child are POSIX")


@pytest.fixture(scope="module")
def engine(tiny_model_dir: Path):
    eng = ProcessEngine.load(EngineOptions(model=str(tiny_model_dir), device="cpu", batch_size=4))
    yield eng
    pid = eng.pid
    eng.close()
    assert pid is None or gone(pid), "the model process outlived close()"
    assert not multiprocessing.active_children(), "a child process was left running"


@pytest.fixture(scope="module")
def clips(video_30s: Path) -> list[ClipRequest]:
    info = video.probe(video_30s)
    frames = list(video.sample_frames(info, fps=2, max_side=128))
    prompt = window_prompt("low")
    return [ClipRequest(frames[i * 20 : i * 20 + 4], prompt, info.fps, info.duration_ms) for i in range(3)]


def long_clip(clips: list[ClipRequest]) -> ClipRequest:
    """A clip the tiny model writes 4000 tokens for (forced length): a generate call that lasts many seconds."""
    return ClipRequest(
        clips[0].frames[:2],
        PromptSpec("Describe this.", 4000, 1000),
        clips[0].native_fps,
        clips[0].video_duration_ms,
        min_new_tokens=4000,
    )


def caption_in_thread(
    engine: ProcessEngine, clip: ClipRequest
) -> tuple[threading.Thread, threading.Event, list[BaseException | list[str]]]:
    """Caption ``clip`` in a started thread: (the thread, its cancel event, what the call returned or raised)."""
    cancel = threading.Event()
    outcome: list[BaseException | list[str]] = []

    def run() -> None:
        try:
            outcome.append(engine.caption([clip], cancel))
        except BaseException as err:
            outcome.append(err)

    thread = threading.Thread(target=run)
    thread.start()
    return thread, cancel, outcome


def cancel_and_join(thread: threading.Thread, cancel: threading.Event) -> float:
    """Set ``cancel`` and wait (5 s at most) for ``thread`` to end: the seconds that took."""
    cancel.set()
    t0 = time.monotonic()
    thread.join(5)
    return time.monotonic() - t0


def test_captions_match_the_in_process_engine(engine: ProcessEngine, tiny_engine, clips):
    assert engine.device == "cpu" and engine.batch_size == 4 and engine.model_id == tiny_engine.model_id
    assert engine.caption(clips) == tiny_engine.caption(clips)
    assert engine.caption([]) == []


def test_frames_travel_in_shared_memory_once(engine: ProcessEngine, clips):
    # overlapping windows share Frame objects: their pixels are copied once
    shared = [ClipRequest(clips[0].frames, c.prompt, c.native_fps, c.video_duration_ms) for c in clips[:2]]
    name, specs = engine._pack(shared)
    assert name is not None and all(f.pixels is None for s in specs for f in s.frames)
    assert [f.offset for f in specs[0].frames] == [f.offset for f in specs[1].frames]
    assert engine._shm is not None and engine._shm.size >= sum(f.image.nbytes for f in clips[0].frames)


def test_analysis_runs_in_the_child(engine: ProcessEngine, video_30s: Path):
    from captioner_app.core.analysis.analyze import analyze

    info = video.probe(video_30s)
    seen: list[float] = []
    result = engine.analyze(info, progress=seen.append)
    assert result == analyze(info)
    assert seen and seen[-1] == 1.0


def test_cancel_mid_generate_returns_within_half_a_second(engine: ProcessEngine, clips):
    starts = engine.starts
    thread, cancel, outcome = caption_in_thread(engine, long_clip(clips))
    time.sleep(3.0)  # the processor has run; generate is writing its 4000 tokens
    assert not outcome, "the forced-length generate ended too soon to test cancelling it"
    took = cancel_and_join(thread, cancel)
    assert isinstance(outcome[0], CancelledError)
    assert took <= 0.5, f"cancel took {took:.2f} s"
    assert engine.starts == starts, "the StoppingCriteria should have stopped generate (no restart needed)"
    assert engine.caption(clips[:1])  # the model is still loaded and answers


def test_cancel_of_an_unresponsive_child_kills_and_restarts_it(engine: ProcessEngine, clips):
    starts = engine.starts
    thread, cancel, outcome = caption_in_thread(engine, long_clip(clips))
    time.sleep(1.5)
    pid = engine.pid
    assert pid is not None
    os.kill(pid, signal.SIGSTOP)  # frozen: it cannot read the cancel (as in a long native call)
    took = cancel_and_join(thread, cancel)
    assert isinstance(outcome[0], CancelledError)
    assert took <= CANCEL_GRACE_S + 0.2 <= 0.5, f"cancel took {took:.2f} s"
    assert gone(pid)
    deadline = time.monotonic() + 10
    while engine.starts == starts and time.monotonic() < deadline:  # a new child comes up in the background
        time.sleep(0.05)
    assert engine.starts == starts + 1
    assert engine.caption(clips[:1])
    assert engine.pid not in (None, pid)


def test_killed_child_gives_one_line_error_keeps_cues_and_restarts(engine: ProcessEngine, video_30s: Path):
    from captioner_app.core.pipeline import plan

    info = video.probe(video_30s)
    # batch 1 (windows 0-3) writes 8 tokens each; batch 2 is forced to 4000: it is killed mid-generate
    options = CaptionOptions(detail="low", window_ms=3000, fps=1.0, max_side=96, min_new_tokens=4000)
    windows = plan(info, options)[:8]
    prompts = [PromptSpec("Describe this.", 8 if i < 4 else 4000, 10) for i in range(8)]
    received: list[str] = []
    pid = engine.pid
    assert pid is not None and engine.batch_size == 4
    with pytest.raises(EngineDiedError) as err:
        for result in caption_windows(info, engine, options, windows=windows, prompts=prompts):
            received.append(result.cue.text)
            if len(received) == 4:
                threading.Timer(1.0, os.kill, (pid, signal.SIGKILL)).start()
    message = str(err.value)
    assert message == "the model process was killed (by the system's out-of-memory killer or by another program)"
    assert len(received) == 4 and all(received)  # what came back before the crash is kept
    assert engine.last_death == message
    assert gone(pid)
    # the next run starts a new child, loads the model again, and works
    again = [
        r.cue.text
        for r in caption_windows(info, engine, CaptionOptions(detail="low", window_ms=10000, max_side=96, fps=1.0))
    ]
    assert len(again) == 3 and all(again)
    assert engine.pid not in (None, pid)


def test_segfault_is_named(engine: ProcessEngine, clips):
    pid = engine.pid
    assert pid is not None
    cancel = threading.Event()
    threading.Timer(1.0, os.kill, (pid, signal.SIGSEGV)).start()
    with pytest.raises(EngineDiedError, match=r"^the model process crashed \(segmentation fault"):
        engine.caption([long_clip(clips)], cancel)


def test_unload_frees_the_model_and_the_next_call_loads_it_again(engine: ProcessEngine, clips):
    assert engine.caption(clips[:1])
    pid, loads = engine.pid, engine.loads
    engine.unload()
    assert not engine.is_loaded() and engine.pid == pid  # the process stays, the model goes
    assert engine.caption(clips[:1])
    assert engine.is_loaded() and engine.loads == loads + 1 and engine.pid == pid


def test_exit_descriptions():
    assert describe_exit("model process", -signal.SIGABRT) == "the model process aborted (a native library gave up)"
    assert describe_exit("model process", 3) == "the model process exited unexpectedly with code 3"
    assert describe_exit("analysis process", -signal.SIGUSR1) == "the analysis process was ended by SIGUSR1"


def test_missing_model_is_reported_as_in_process_and_leaves_no_child(tmp_path: Path):
    before = set(multiprocessing.active_children())
    with pytest.raises(ModelError, match=r"model folder .*nowhere does not exist"):
        ProcessEngine.load(EngineOptions(model=str(tmp_path / "nowhere"), device="cpu"))
    assert set(multiprocessing.active_children()) == before


def test_close_leaves_no_child():
    analyzer = AnalysisProcess()
    analyzer.start()
    assert analyzer.call("ping") == analyzer.pid
    pid = analyzer.pid
    assert pid is not None
    analyzer.close()
    assert gone(pid, 5), "the analysis process was left running after close()"
    assert pid not in {p.pid for p in multiprocessing.active_children()}
    assert analyzer.pid is None


def test_run_calls_a_function_in_the_child_at_a_lower_priority():
    from captioner_app.core.model.child import BACKGROUND_NICE

    analyzer = AnalysisProcess(nice=BACKGROUND_NICE)
    try:
        analyzer.start()
        if hasattr(os, "getpriority"):  # lowered by the parent at once, before the child's own start-up runs
            assert analyzer.pid is not None
            assert os.getpriority(os.PRIO_PROCESS, analyzer.pid) == min(19, os.nice(0) + BACKGROUND_NICE)
        assert analyzer.run(os.getpid) == analyzer.pid != os.getpid()
        with pytest.raises(ValueError, match="bad"):
            analyzer.run(int, "bad")  # what the function raises comes back as itself
        if hasattr(os, "nice"):  # os.nice(0) reads the niceness: the app's children yield the CPU to its GUI
            assert analyzer.run(os.nice, 0) == min(19, os.nice(0) + BACKGROUND_NICE)
    finally:
        analyzer.close()
    assert AnalysisProcess().nice == 0  # the CLI and the server keep their children at their own priority


def test_the_child_ends_when_its_parent_is_killed(tmp_path: Path):
    script = textwrap.dedent("""
        import sys, time
        from captioner_app.core.model.process import AnalysisProcess
        p = AnalysisProcess()
        p.start()
        p.call("ping")
        print(p.pid, flush=True)
        time.sleep(60)
    """)
    parent = subprocess.Popen(
        [sys.executable, "-c", script],
        stdout=subprocess.PIPE,
        text=True,
        env=child_env(),
    )
    try:
        child_pid = int(parent.stdout.readline())  # type: ignore[union-attr]
        parent.kill()
        parent.wait(10)
        assert gone(child_pid, 10), "the child outlived its killed parent (an orphan)"
    finally:
        parent.kill()
        parent.wait(10)
        if parent.stdout is not None:
            parent.stdout.close()


def test_parent_never_imports_torch(tiny_model_dir: Path, video_short: Path):
    script = textwrap.dedent(f"""
        import sys
        from captioner_app.core.model.engine import EngineOptions
        from captioner_app.core.model.process import ProcessEngine
        from captioner_app.core.pipeline import CaptionOptions, caption_windows
        from captioner_app.core.media.video import probe

        info = probe({str(video_short)!r})
        engine = ProcessEngine.load(EngineOptions(model={str(tiny_model_dir)!r}, device="cpu"))
        cues = [r.cue for r in caption_windows(info, engine, CaptionOptions(detail="low", window_ms=2000, max_side=96))]
        analysis = engine.analyze(info)
        engine.close()
        heavy = sorted(m for m in ("torch", "transformers", "silero_vad", "scenedetect") if m in sys.modules)
        print(len(cues), all(c.text for c in cues), len(analysis.shots), heavy)
    """)
    out = run_python(script)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.split() == ["2", "True", "1", "[]"]
