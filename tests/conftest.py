"""Shared fixtures: the tiny Molmo2 (built once per session) and generated test media."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

# property tests check behaviour, not speed: no per-example time limit (a shared 2-core CI machine is slow)
settings.register_profile("captioner", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("captioner")

os.environ.setdefault("HF_HUB_OFFLINE", "1")  # no test may reach the network
os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Tests that run the tiny Molmo2 (directly or through the app, CLI or server) are marked ``slow``:
    ``pytest -m "not slow"`` is the quick loop, the whole suite is what CI runs."""
    for item in items:
        if "tiny_model_dir" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.slow)


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny random Molmo2 saved as a model folder, loaded by the same code as allenai/Molmo2-4B."""
    from captioner_app.testing.tiny_molmo import build_tiny_model

    return build_tiny_model(tmp_path_factory.mktemp("tiny-molmo2") / "model")


@pytest.fixture(scope="session")
def tiny_engine(tiny_model_dir: Path):
    from captioner_app.core.model import load_engine
    from captioner_app.core.model.engine import EngineOptions

    engine = load_engine(EngineOptions(model=str(tiny_model_dir), device="cpu", batch_size=4))
    yield engine
    engine.close()


@pytest.fixture(scope="session")
def media_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("media")


@pytest.fixture(scope="session")
def video_30s(media_dir: Path) -> Path:
    """A 30 s H.264 video with audio and scene changes at 10 s and 20 s."""
    from captioner_app.testing.media import make_video, tone

    return make_video(media_dir / "thirty.mp4", 30.0, audio=tone(30.0), scene_cuts_s=[10.0, 20.0])


@pytest.fixture(scope="session")
def video_short(media_dir: Path) -> Path:
    from captioner_app.testing.media import make_video

    return make_video(media_dir / "short.mp4", 4.0)


@pytest.fixture(autouse=True)
def _own_data_folder(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test gets its own data folder (settings, analysis cache, autosave, server jobs), never the user's."""
    folder = tmp_path_factory.mktemp("data")
    monkeypatch.setenv("CAPTIONER_DATA_DIR", str(folder))
    return folder


@pytest.fixture(autouse=True)
def _no_leaked_threads():
    """Fail a test that leaves a non-daemon thread running."""
    before = set(threading.enumerate())
    yield
    leaked = [t for t in threading.enumerate() if t not in before and t.is_alive() and not t.daemon]
    for t in leaked:
        t.join(timeout=5)
    leaked = [t.name for t in leaked if t.is_alive()]
    assert not leaked, f"threads left running: {leaked}"
