"""Model download against a fake hub on 127.0.0.1: fetch, offline use, resume, filters and errors."""

from __future__ import annotations

import os
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from captioner_app.core.errors import CancelledError, ModelError
from captioner_app.core.model.hub import download_model
from captioner_app.testing.cli import run_cli
from captioner_app.testing.fake_hub import FakeHub

REPO = "someone/tiny-molmo2"
BIG = "someone/big-weights"
WEIGHTS = "model.safetensors"
PICKLE = b"not a real pickle: a file the app must never fetch"


@pytest.fixture
def hub(tiny_model_dir: Path) -> Iterator[FakeHub]:
    with FakeHub() as server:
        server.add_repo(REPO, tiny_model_dir, extra={"pytorch_model.bin": PICKLE, "README.md": b"# tiny\n"})
        yield server


@pytest.fixture(scope="module")
def big_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A repo whose weights span several of huggingface_hub's read chunks: what it received before a cut
    reaches the disk one whole chunk at a time, so a smaller file would leave nothing to resume."""
    import random

    from huggingface_hub import constants

    folder = tmp_path_factory.mktemp("big-repo")
    (folder / "config.json").write_text('{"model_type": "none"}', encoding="utf-8")
    (folder / WEIGHTS).write_bytes(random.Random(0).randbytes(3 * constants.DOWNLOAD_CHUNK_SIZE + 12345))
    return folder


@pytest.fixture
def big_hub(big_folder: Path) -> Iterator[FakeHub]:
    with FakeHub(chunk_size=256 * 1024) as server:
        server.add_repo(BIG, big_folder)
        yield server


@pytest.fixture
def online(monkeypatch: pytest.MonkeyPatch) -> None:
    """Lift the test suite's HF_HUB_OFFLINE for this process (huggingface_hub read it at import time)."""
    from huggingface_hub import constants

    monkeypatch.setenv("HF_HUB_OFFLINE", "0")
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)


def cli(
    *args: str, endpoint: str, offline: bool = False, cache: Path | None = None, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "HF_ENDPOINT": endpoint,
        "HF_HUB_OFFLINE": "1" if offline else "0",
        "PYTHONWARNINGS": "ignore",
        "CAPTIONER_MODEL": "",
    }
    if cache is not None:
        env["HF_HUB_CACHE"] = str(cache)
    return run_cli(*args, env=env, timeout=timeout)


def caption_cli(
    clip: Path, out: Path, *, endpoint: str, cache: Path, offline: bool = False
) -> subprocess.CompletedProcess[str]:
    """``captioner caption CLIP --model REPO`` at low detail, quietly, into ``out``."""
    return cli(
        "caption",
        str(clip),
        "--model",
        REPO,
        "--detail",
        "low",
        "-q",
        "-o",
        str(out),
        endpoint=endpoint,
        offline=offline,
        cache=cache,
    )


def wanted_files(folder: Path) -> dict[str, bytes]:
    return {
        p.name: p.read_bytes()
        for p in folder.iterdir()
        if p.suffix in (".json", ".safetensors", ".jinja") and p.is_file()
    }


def test_cli_download_then_caption_offline(hub: FakeHub, tiny_model_dir: Path, tmp_path: Path):
    from captioner_app.testing.media import make_video

    cache = tmp_path / "cache"
    done = cli("download", REPO, "--cache-dir", str(cache), endpoint=hub.url)
    assert done.returncode == 0, done.stderr
    snapshot = Path(done.stdout.strip())
    assert snapshot.parent.parent == cache / "models--someone--tiny-molmo2"
    assert {p.name: p.read_bytes() for p in snapshot.iterdir()} == wanted_files(tiny_model_dir)
    fetched = {r.path for r in hub.requests if r.method == "GET" and r.path}
    assert WEIGHTS in fetched and "pytorch_model.bin" not in {r.path for r in hub.requests}

    before = len(hub.requests)
    clip = make_video(tmp_path / "clip.mp4", 2.0)
    done = caption_cli(clip, tmp_path / "clip.srt", endpoint=hub.url, cache=cache, offline=True)
    assert done.returncode == 0, done.stderr
    assert "-->" in (tmp_path / "clip.srt").read_text(encoding="utf-8")
    assert len(hub.requests) == before, "captioning offline must not talk to the hub"


def test_interrupted_download_fails_in_one_line_and_resumes(big_hub: FakeHub, tmp_path: Path):
    cache = tmp_path / "cache"
    size = len(big_hub.file_bytes(BIG, WEIGHTS))
    cut = size * 3 // 4
    big_hub.interrupt(WEIGHTS, cut, then_down=True)  # the connection drops, then the hub stays unreachable
    done = cli("download", BIG, "--cache-dir", str(cache), endpoint=big_hub.url)
    assert done.returncode == 4, done.stderr
    # Before the error, huggingface_hub logs its own in-run retry ("Trying to resume download...") because
    # importing it resets its logger to WARNING after cli/main.py quieted it; the error itself is one line.
    lines = done.stderr.strip().splitlines()
    assert lines[-1] == (
        f"captioner: error: model {BIG} cannot be downloaded (the hub answered 503 Service "
        "Unavailable); partial files are kept and the next try resumes"
    ), lines
    assert not [line for line in lines[:-1] if "error:" in line or "Traceback" in line], lines
    partial = list(cache.rglob("*.part"))
    assert len(partial) == 1
    kept = partial[0].stat().st_size
    assert 0 < kept <= cut

    big_hub.restore()
    before = len(big_hub.file_requests(WEIGHTS))
    done = cli("download", BIG, "--cache-dir", str(cache), endpoint=big_hub.url)
    assert done.returncode == 0, done.stderr
    gets = big_hub.file_requests(WEIGHTS)[before:]
    assert [(r.range_start, r.status) for r in gets] == [(kept, 206)], "one request, for the missing bytes only"
    assert (Path(done.stdout.strip()) / WEIGHTS).read_bytes() == big_hub.file_bytes(BIG, WEIGHTS)
    assert not list(cache.rglob("*.part"))


def test_connection_lost_mid_file_is_resumed_within_the_same_run(big_hub: FakeHub, tmp_path: Path, online: None):
    size = len(big_hub.file_bytes(BIG, WEIGHTS))
    big_hub.interrupt(WEIGHTS, size // 2, then_down=False)
    path = download_model(BIG, cache_dir=str(tmp_path), endpoint=big_hub.url)
    starts = [r.range_start for r in big_hub.file_requests(WEIGHTS)]
    assert len(starts) == 2 and starts[0] is None and 0 < starts[1] <= size // 2
    assert (path / WEIGHTS).read_bytes() == big_hub.file_bytes(BIG, WEIGHTS)


def test_only_safetensors_json_and_tokenizer_files_are_fetched(
    hub: FakeHub, tiny_model_dir: Path, tmp_path: Path, online: None
):
    path = download_model(REPO, cache_dir=str(tmp_path), endpoint=hub.url)
    assert sorted(p.name for p in path.iterdir()) == sorted(wanted_files(tiny_model_dir))
    asked = {r.path for r in hub.requests if r.path}
    assert asked == set(wanted_files(tiny_model_dir)), "pytorch_model.bin and README.md are never requested"
    # a second run finds everything in the cache and downloads nothing
    before = len(hub.requests)
    assert download_model(REPO, cache_dir=str(tmp_path), endpoint=hub.url) == path
    assert not [r for r in hub.requests[before:] if r.path]


def test_unknown_revision_and_unknown_repo_are_one_line(hub: FakeHub, tmp_path: Path, online: None):
    with pytest.raises(ModelError) as err:
        download_model(REPO, revision="v9-nope", cache_dir=str(tmp_path), endpoint=hub.url)
    assert str(err.value) == f"model {REPO} has no revision 'v9-nope'"
    with pytest.raises(ModelError) as err:
        download_model("someone/no-such-model", cache_dir=str(tmp_path), endpoint=hub.url)
    assert str(err.value) == "model someone/no-such-model does not exist on the hub (check the spelling)"
    assert not [r for r in hub.requests if r.path], "no file is requested"


def test_cli_unknown_revision_exits_4_with_one_line(hub: FakeHub, tmp_path: Path):
    done = cli("download", REPO, "--revision", "v9-nope", "--cache-dir", str(tmp_path), endpoint=hub.url)
    assert done.returncode == 4
    assert done.stderr.strip().splitlines() == [f"captioner: error: model {REPO} has no revision 'v9-nope'"]


def test_hub_that_went_away_is_a_one_line_error(tiny_model_dir: Path, tmp_path: Path, online: None):
    with FakeHub() as gone:
        url = gone.url
    with pytest.raises(ModelError) as err:
        download_model(REPO, cache_dir=str(tmp_path), endpoint=url)
    assert "the hub cannot be reached: no network connection" in str(err.value)


def test_gui_download_reports_progress_cancels_and_resumes(big_hub: FakeHub, tmp_path: Path, online: None):
    from captioner_app.gui.workers import download_with_progress

    size = len(big_hub.file_bytes(BIG, WEIGHTS))
    cancel = threading.Event()
    reports: list[tuple[int, int]] = []
    cancel_at = [size // 2]  # the user presses Cancel once half the weights are in; not on the second try

    def report(done: int, total: int) -> None:
        reports.append((done, total))
        if cancel_at and done > cancel_at[0]:
            cancel.set()

    with pytest.raises(CancelledError):
        download_with_progress(BIG, None, cancel, report, cache_dir=str(tmp_path), endpoint=big_hub.url)
    dones = [d for d, _ in reports]
    assert dones == sorted(dones) and len(set(dones)) >= 3 and dones[-1] > size // 2
    total = reports[0][1]
    assert total >= size and all(t == total for _, t in reports)
    partial = list(tmp_path.rglob("*.part"))
    assert len(partial) == 1 and size // 2 < partial[0].stat().st_size < size
    kept = partial[0].stat().st_size
    gets = len(big_hub.file_requests(WEIGHTS))

    cancel.clear()
    cancel_at.clear()
    reports.clear()
    path = download_with_progress(BIG, None, cancel, report, cache_dir=str(tmp_path), endpoint=big_hub.url)
    assert [r.range_start for r in big_hub.file_requests(WEIGHTS)[gets:]] == [kept]
    assert (path / WEIGHTS).read_bytes() == big_hub.file_bytes(BIG, WEIGHTS)
    dones = [d for d, _ in reports]
    assert dones[0] == kept and dones == sorted(dones) and reports[-1][0] == reports[-1][1] == size


def test_caption_fetches_a_missing_model_itself_then_works_offline(hub: FakeHub, tiny_model_dir: Path, tmp_path: Path):
    from captioner_app.testing.media import make_video

    cache = tmp_path / "cache"
    clip = make_video(tmp_path / "clip.mp4", 2.0)
    done = caption_cli(clip, tmp_path / "a.srt", endpoint=hub.url, cache=cache)
    assert done.returncode == 0, done.stderr
    assert WEIGHTS in {r.path for r in hub.requests if r.method == "GET"}
    before = len(hub.requests)
    done = caption_cli(clip, tmp_path / "b.srt", endpoint=hub.url, cache=cache, offline=True)
    assert done.returncode == 0, done.stderr
    assert len(hub.requests) == before
    assert (tmp_path / "a.srt").read_text(encoding="utf-8") == (tmp_path / "b.srt").read_text(encoding="utf-8")
