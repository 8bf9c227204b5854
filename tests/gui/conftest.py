"""Qt fixtures: offscreen platform, a temporary data folder, the main window, and a QThread leak check."""

from __future__ import annotations

import os
import weakref
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("CAPTIONER_AUDIO", "none")  # no test plays through a sound card (the samples are tapped)

from PySide6.QtCore import QThread  # noqa: E402

from captioner_app.gui.preferences import Settings  # noqa: E402


@pytest.fixture(autouse=True)
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Each test gets its own app data folder (settings, autosaves)."""
    folder = tmp_path / "appdata"
    monkeypatch.setenv("CAPTIONER_DATA_DIR", str(folder))
    return folder


@pytest.fixture(autouse=True)
def _collect_garbage_on_gui_thread(qapp: object) -> None:
    """As the app does (gui.threads): the windows each test closes leave cycles of Qt objects, and freeing
    them in a worker thread once hung the suite. Given back to the interpreter when the folder ends."""
    from captioner_app.gui.threads import collect_garbage_on_gui_thread

    collect_garbage_on_gui_thread()


@pytest.fixture(autouse=True)
def _no_leaked_qthreads(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Fail a test that leaves a QThread running (as napari does): every start is recorded."""
    started: list[weakref.ref[QThread]] = []
    original = QThread.start

    def start(self: QThread, *args: object) -> None:
        started.append(weakref.ref(self))
        original(self, *args)

    monkeypatch.setattr(QThread, "start", start)
    yield
    running = []
    for ref in started:
        thread = ref()
        try:
            if thread is not None and thread.isRunning():
                running.append(thread.objectName() or repr(thread))
        except RuntimeError:  # the C++ object is gone: it is not running
            pass
    assert not running, f"QThreads left running: {running}"


@pytest.fixture(scope="session")
def small_video(media_dir: Path) -> Path:
    """6 s, 160x90, 30 fps, a scene change at 3 s."""
    from captioner_app.testing.media import make_video

    return make_video(media_dir / "gui-six.mp4", 6.0, scene_cuts_s=[3.0])


@pytest.fixture(scope="session")
def long_video(media_dir: Path) -> Path:
    """12 s: enough one-second windows to cancel a run midway."""
    from captioner_app.testing.media import make_video

    return make_video(media_dir / "gui-twelve.mp4", 12.0)


_shared_processes: tuple[object, object] | None = None  # (model, analysis), while the GUI tests run


@pytest.fixture
def model_process() -> tuple[object, object]:
    """One model process and one analysis process shared by the test windows (as one app session
    keeps its model loaded): starting a child and loading the model for every window would take minutes.
    Tests of the processes' own life cycle make windows that own theirs. They are closed when the run
    leaves this folder (:func:`pytest_runtest_teardown`), so no child outlives the GUI tests into the
    tests that follow, which check that none is left running."""
    global _shared_processes
    if _shared_processes is None:
        from captioner_app.core.model.process import AnalysisProcess, ProcessEngine

        _shared_processes = (ProcessEngine(), AnalysisProcess())
    return _shared_processes


@pytest.hookimpl(trylast=True)
def pytest_runtest_teardown(item: pytest.Item, nextitem: pytest.Item | None) -> None:
    """After the last test of this folder (the next one is elsewhere, or none), close the shared children
    (a session-scoped fixture would keep them until the end of the whole run) and give garbage collection
    back to the interpreter."""
    global _shared_processes
    here = Path(__file__).parent
    if nextitem is not None and here in Path(nextitem.path).parents:
        return
    shared, _shared_processes = _shared_processes or (), None
    for process in shared:
        process.close()  # type: ignore[attr-defined]
    from captioner_app.gui.threads import stop_collecting_on_gui_thread

    stop_collecting_on_gui_thread()


@pytest.fixture
def make_window(qtbot, tiny_model_dir: Path, model_process) -> Iterator[Callable[..., object]]:
    """Build main windows wired to the tiny model; each is shut down (threads joined) afterwards."""
    from captioner_app.gui.main_window import MainWindow
    from captioner_app.gui.workers import WorkerPool

    windows: list[MainWindow] = []

    def make(check_recovery: bool = False, own_processes: bool = False, **settings: object) -> MainWindow:
        # fixed windows unless a test asks otherwise: automatic placement (the app's default) waits for the
        # speech analysis, which tests that are not about placement need not wait for
        values: dict[str, object] = {"window_s": 2.0, "autosave_s": 600.0, "placement": "windows"}
        values.update(settings)
        pool = None
        if not own_processes:
            pool = WorkerPool(None, model_process=model_process[0], analysis_process=model_process[1])
        window = MainWindow(
            Settings(**values),
            model=str(tiny_model_dir),
            device="cpu",  # type: ignore[arg-type]
            check_recovery=check_recovery,
            pool=pool,
        )
        # pytest-qt closes the window after the test: answer the unsaved-edits question as "quit"
        # (the edits stay as an autosave) instead of showing a modal box nobody clicks
        window._ask_about_unsaved = lambda dirty: "quit"  # type: ignore[method-assign]
        # captioning again over existing cues asks replace / add / cancel: tests that are not about that
        # question add (test_app_caption_again.py answers it each way)
        window._ask_about_existing_cues = lambda count: "add"  # type: ignore[method-assign]
        qtbot.addWidget(window)
        window.show()
        windows.append(window)
        return window

    yield make
    for window in windows:
        window.shutdown()


@pytest.fixture
def wait_opened(qtbot) -> Callable[..., None]:
    """``wait_opened(window)``: wait until the window's current video is probed and its first frame shown."""

    def wait(window, timeout: int = 20000) -> None:
        qtbot.waitUntil(lambda: window.doc is not None and not window.doc.probing, timeout=timeout)
        assert window.doc.info is not None, window.messages
        qtbot.waitUntil(lambda: window.last_frame is not None, timeout=timeout)

    return wait


@pytest.fixture
def ready_window(qtbot, make_window, small_video: Path, wait_opened) -> Callable[..., object]:
    """``ready_window(cues=None)``: a window (no automatic analysis) with ``small_video`` open, ``cues``
    (when given) in place of its track, active, its cue table focused: where keyboard tests start."""

    def ready(cues: list[object] | None = None) -> object:
        w = make_window(auto_analyze=False)
        w.open_paths([str(small_video)])
        wait_opened(w)
        if cues is not None:
            w.doc.model.replace_all(cues, "test cues")
        w.activateWindow()
        qtbot.waitUntil(lambda: w.isActiveWindow())
        w.table.setFocus()
        qtbot.waitUntil(w.table.hasFocus)
        return w

    return ready


@pytest.fixture
def press_button(qtbot) -> Callable[[object], None]:
    """``press_button(button)``: a button pressed from the keyboard, focused then Space (its Alt+letter is
    the platform's: the offscreen one has none)."""
    from PySide6.QtCore import Qt

    def press(button) -> None:
        button.setFocus()
        qtbot.waitUntil(button.hasFocus)
        qtbot.keyClick(button, Qt.Key.Key_Space)

    return press


@pytest.fixture
def captioning_window(qtbot, make_window, long_video: Path, wait_opened) -> Callable[[int], object]:
    """``captioning_window(cues)``: a window captioning ``long_video`` in one-second windows, returned
    once ``cues`` cues have come in (the run goes on)."""

    def captioning(cues: int) -> object:
        w = make_window(window_s=1.0)
        w.open_paths([str(long_video)])
        wait_opened(w)
        w.caption_video()
        qtbot.waitUntil(lambda: len(w.doc.model.track) >= cues, timeout=120000)
        return w

    return captioning
