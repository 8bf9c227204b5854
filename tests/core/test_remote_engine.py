"""The remote engine against real ``transformers serve`` processes running the tiny Molmo2 on loopback.

Three servers start once for the module (in parallel): ``a`` and ``b`` serve the tiny Molmo2 (``a``
writes down the model inputs it makes: serve_capture.py), ``text`` a tiny text-only model. The tests
run in file order: ``b`` is killed mid-run by the pool test, ``a`` by the test after it.
"""

from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import requests

from captioner_app.cli.main import main
from captioner_app.core.errors import CancelledError, ModelError, UsageError
from captioner_app.core.media.video import Frame, probe
from captioner_app.core.model import EngineOptions, load_engine
from captioner_app.core.model.clips import WindowVideo, encode_clip
from captioner_app.core.model.engine import ClipRequest
from captioner_app.core.model.prompts import window_prompt
from captioner_app.core.model.remote import (
    IN_FLIGHT_PER_SERVER,
    RemoteEngine,
    is_loopback_host,
    parse_engine_urls,
)
from captioner_app.core.pipeline import CaptionOptions, caption_track, caption_windows, plan
from captioner_app.testing.model_server import ModelServer, build_tiny_text_model, free_port

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def servers(tiny_model_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, ModelServer]]:
    logs = tmp_path_factory.mktemp("serve-logs")
    text_model = build_tiny_text_model(tmp_path_factory.mktemp("tiny-text") / "model")
    started = {name: ModelServer(tiny_model_dir, logs) for name in ("b",)}
    started["a"] = ModelServer(tiny_model_dir, logs, capture=logs / "a-inputs.jsonl")
    started["text"] = ModelServer(text_model, logs)
    try:
        for server in started.values():
            server.wait_ready()
        yield started
    finally:
        for server in started.values():
            server.stop()


@pytest.fixture(scope="module")
def video_20s(media_dir: Path) -> Path:
    from captioner_app.testing.media import make_video

    return make_video(media_dir / "twenty.mp4", 20.0, scene_cuts_s=[5.0, 10.0, 15.0])


def kill_when(server: ModelServer, ready: Callable[[], bool]) -> threading.Thread:
    """Kill ``server`` (as a crash would) once ``ready()`` is true."""

    def watch() -> None:
        deadline = time.monotonic() + 120
        while not ready() and time.monotonic() < deadline:
            time.sleep(0.01)
        server.kill()

    thread = threading.Thread(target=watch, daemon=True)
    thread.start()
    return thread


def after_started(server: ModelServer, count: int) -> Callable[[], bool]:
    """True once ``server`` has started answering ``count`` more chat requests than now."""
    target = server.answered() + count
    return lambda: server.answered() >= target


def run_cli(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    code = main(args)
    return code, capsys.readouterr().err


def late_window() -> ClipRequest:
    """A window 20 s into a 60 s, 25 fps video: four frames 0.5 s apart, as the pipeline samples them."""
    import numpy as np

    y, x = np.mgrid[0:56, 0:80]
    frames = [
        Frame(
            20_000 + 500 * i,
            np.stack([(x * 3 + 40 * i) % 256, (y * 4) % 256, (x + y + 60 * i) % 256], -1).astype(np.uint8),
        )
        for i in range(4)
    ]
    return ClipRequest(frames, window_prompt("low"), native_fps=25.0, video_duration_ms=60_000)


def frame_times(tokenizer: object, ids: list[int]) -> tuple[list[str], str]:
    """The frame times written into a prompt, and the prompt with each of them replaced by ``T``."""
    import re

    text = tokenizer.decode(ids)  # type: ignore[attr-defined]
    pattern = r"\d+\.\d(?= <frame_start>)"
    return re.findall(pattern, text), re.sub(pattern, "T", text)


# -- without a server -----------------------------------------------------------------------------


def test_engine_urls_are_checked_before_any_connection() -> None:
    assert parse_engine_urls(" http://gpu1:8000/v1/ ,https://gpu2/v1,http://gpu1:8000/v1") == [
        "http://gpu1:8000/v1",
        "https://gpu2/v1",
    ]
    for bad in ("", " , ", "gpu1:8000", "ftp://gpu1/v1", "http:///v1", "http://gpu1:99999/v1", "http://h/v1?x=1"):
        with pytest.raises(UsageError):
            parse_engine_urls(bad)
    assert is_loopback_host("127.0.0.1") and is_loopback_host("localhost") and is_loopback_host("::1")
    assert not is_loopback_host("10.0.0.5") and not is_loopback_host("gpu1")


def test_a_clip_keeps_every_frame_at_its_spacing_with_a_silent_track() -> None:
    import av
    import numpy as np

    frames = [Frame(120_000 + 500 * i, np.full((45, 81, 3), 30 * i, np.uint8)) for i in range(6)]
    data = encode_clip(frames)
    with av.open(io.BytesIO(data)) as container:
        assert len(container.streams.audio) == 1
        stream = container.streams.video[0]
        decoded = list(container.decode(stream))
    assert len(decoded) == 6
    assert (decoded[0].width, decoded[0].height) == (82, 46)  # padded to even sizes for yuv420p
    times = [round(float(f.time) * 1000) for f in decoded]
    assert [t - times[0] for t in times] == [0, 500, 1000, 1500, 2000, 2500]
    # what transformers serve's decoder (torchcodec) reports: the model is told index / average_fps
    from torchcodec.decoders import VideoDecoder

    assert VideoDecoder(data, seek_mode="exact").metadata.average_fps == pytest.approx(2.0)
    # greys survive the encoding closely: the model sees (nearly) what the local engine sees
    means = [float(f.to_ndarray(format="rgb24")[:45, :81].mean()) for f in decoded]
    assert all(abs(m - 30 * i) < 4 for i, m in enumerate(means)), means


def test_a_refused_connection_is_one_line_naming_the_server(
    tmp_path: Path, video_short: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"http://127.0.0.1:{free_port()}/v1"
    out = tmp_path / "out.srt"
    started = time.monotonic()
    code, err = run_cli(["caption", str(video_short), "--engine", url, "-o", str(out), "-q"], capsys)
    assert code == 4 and time.monotonic() - started < 20
    assert err.strip() == f"captioner: error: model server {url} refused the connection (is it running?)"
    assert not out.exists()


def test_errors_a_server_answers_are_named_for_what_to_fix() -> None:
    # transformers serve takes no key, so the key's error is checked on the answer alone
    engine = RemoteEngine(["http://127.0.0.1:9/v1"], "m")
    server = engine.servers[0]
    assert str(engine._status_error(server, 401, '{"error": {"message": "invalid key"}}')) == (
        "model server http://127.0.0.1:9/v1 refused the API key (HTTP 401); pass --api-key or set CAPTIONER_ENGINE_KEY"
    )
    assert "does not serve model 'm' (The model `m` does not exist.)" in str(
        engine._status_error(server, 404, '{"error": {"message": "The model `m` does not exist."}}')
    )
    busy = engine._status_error(server, 429, "slow down", retry_after="2")
    assert getattr(busy, "retry_after", None) == 2.0  # retried after the server's delay
    assert "has no OpenAI chat API" in str(engine._status_error(server, 404, '{"detail": "Not Found"}'))
    engine.close()


def test_vllm_gets_the_frames_with_the_times_the_local_engine_gives_them(tiny_engine: object) -> None:
    """The request for a vLLM server, read as vLLM reads it (``data:video/jpeg`` is comma-separated base64
    JPEGs; ``media_io_kwargs["video"]`` is the video's metadata), gives Molmo2's processor the same prompt
    as the local engine's, real frame times included. No vLLM here (it needs a GPU build): this checks
    our side of its documented contract (docs/remote.md)."""
    import base64

    import numpy as np
    from PIL import Image
    from transformers.video_utils import VideoMetadata

    request = late_window()
    engine = RemoteEngine(["http://127.0.0.1:9/v1"], "m")
    server = engine.servers[0]
    server.vllm = server.times = True
    video = WindowVideo(request.frames, request.video_metadata())
    url, token = engine._video_url(server, video)
    body = engine._chat_body(server, url, video, request.prompt.text, 10)
    engine.close()
    assert token is None and url.startswith("data:video/jpeg;base64,")
    frames = np.stack(
        [np.asarray(Image.open(io.BytesIO(base64.b64decode(part)))) for part in url.split(",", 1)[1].split(",")]
    )
    kwargs = dict(body["media_io_kwargs"]["video"])
    assert kwargs.pop("num_frames") == 4 and kwargs.pop("do_sample_frames") is False
    processor = tiny_engine.processor  # type: ignore[attr-defined]
    messages = [{"role": "user", "content": [{"type": "video"}, {"type": "text", "text": request.prompt.text}]}]
    text = processor.apply_chat_template(messages, add_generation_prompt=True, tokenize=False)
    remote = processor(
        text=[text],
        videos=[frames],
        video_metadata=[VideoMetadata(**kwargs, height=56, width=80)],
        do_sample_frames=False,
        return_tensors="pt",
    )
    local = tiny_engine.build_inputs([request])  # type: ignore[attr-defined]
    assert remote["input_ids"].tolist() == local["input_ids"].tolist()
    assert frame_times(processor.tokenizer, local["input_ids"][0].tolist())[0] == ["20.0", "20.5", "21.0", "21.5"]
    # the pixels: JPEG at quality 95, close to the frames themselves
    pixels = [x["pixel_values_videos"].float() for x in (remote, local)]
    scale = float(pixels[1].abs().max())  # 255 for uint8 pixels, about 1 for normalised ones
    difference = float((pixels[0] - pixels[1]).abs().mean()) / scale
    assert difference < 0.01, difference


# -- one server -------------------------------------------------------------------------------------


def test_transformers_serve_is_told_a_late_windows_frame_times_from_0_at_their_spacing(
    servers: dict[str, ModelServer], tiny_engine: object
) -> None:
    """What ``transformers serve``'s processor made of a window 20 s into the video, against the local
    engine's inputs for it: the same prompt and frame grid, and the same frame spacing, but times from 0.
    It decodes the clip with torchcodec and tells the model ``index / fps``: a start time cannot reach
    it (neither the container's start offset nor video_metadata in chat_template_kwargs; docs/remote.md)."""
    server = servers["a"]
    request = late_window()
    engine = RemoteEngine([server.url], server.model_dir)
    seen = len(server.captured())
    try:
        assert engine.caption([request])[0]
    finally:
        engine.close()
    new = server.captured()[seen:]
    assert len(new) == 1
    tokenizer = tiny_engine.processor.tokenizer  # type: ignore[attr-defined]
    local = tiny_engine.build_inputs([request])  # type: ignore[attr-defined]
    local_times, local_rest = frame_times(tokenizer, local["input_ids"][0].tolist())
    served_times, served_rest = frame_times(tokenizer, new[0]["input_ids"])
    assert local_times == ["20.0", "20.5", "21.0", "21.5"]
    assert served_times == ["0.0", "0.5", "1.0", "1.5"]
    assert served_rest == local_rest
    assert new[0]["video_grids"] == local["video_grids"].tolist()


def test_caption_through_a_server_writes_the_local_engines_windows(
    servers: dict[str, ModelServer],
    tiny_model_dir: Path,
    tiny_engine: object,
    video_short: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    url = servers["a"].url
    out = tmp_path / "remote.json"
    code, err = run_cli(
        [
            "caption",
            str(video_short),
            "--engine",
            url,
            "--model",
            str(tiny_model_dir),
            "--window",
            "1",
            "--detail",
            "low",
            "-o",
            str(out),
            "-q",
        ],
        capsys,
    )
    assert code == 0, err
    warned = f"model server {url} is told frame times from 0 in each window (docs/remote.md)"  # not vLLM
    assert warned in [r.getMessage() for r in caplog.records]
    remote = json.loads(out.read_text())["cues"]
    info = probe(video_short)
    options = CaptionOptions(detail="low", window_ms=1000, wpm=180)
    local = caption_track(info, tiny_engine, options)  # type: ignore[arg-type]
    assert [(c["start_ms"], c["end_ms"]) for c in remote] == [(c.start_ms, c.end_ms) for c in local]
    assert len(remote) == len(plan(info, options)) == 4
    for cue, here in zip(remote, local, strict=True):
        assert cue["text"].strip()
        p = cue["provenance"]
        assert p["engine"] == url and p["model"] == str(tiny_model_dir)
        assert p["frame_times_ms"] == list(here.provenance.frame_times_ms)
        assert p["detail"] == here.provenance.detail
        assert "engine" not in here.provenance.to_dict()  # a local cue names no server


def test_the_model_defaults_to_the_servers_only_one_and_describe_works(
    servers: dict[str, ModelServer],
    tiny_model_dir: Path,
    video_short: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("CAPTIONER_MODEL", raising=False)
    monkeypatch.setenv("CAPTIONER_ENGINE", servers["a"].url)
    code = main(["describe", str(video_short), "--detail", "low", "--max-frames", "6"])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert captured.out.strip()
    engine = load_engine(EngineOptions(model="", engine=servers["a"].url))
    try:
        assert engine.model_id == str(tiny_model_dir)
    finally:
        engine.close()


def test_a_wrong_model_name_is_one_line_naming_server_and_model(
    servers: dict[str, ModelServer], video_short: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = servers["a"].url
    out = tmp_path / "out.srt"
    out.write_text("old\n")
    code, err = run_cli(
        ["caption", str(video_short), "--engine", url, "--model", "no/such-model", "-o", str(out)], capsys
    )
    assert code == 4
    line = err.strip()
    assert "\n" not in line and url in line and "does not serve model 'no/such-model'" in line, line
    assert out.read_text() == "old\n"


def test_a_server_without_video_input_is_refused_at_start(
    servers: dict[str, ModelServer], video_short: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = servers["text"].url
    code, err = run_cli(["describe", str(video_short), "--engine", url], capsys)
    assert code == 4
    assert err.strip() == (
        f"captioner: error: model server {url} ignores video input: its model "
        f"'{servers['text'].model_dir}' reads text only"
    )


def test_cancel_mid_run_stops_outstanding_requests(
    servers: dict[str, ModelServer], tiny_model_dir: Path, video_20s: Path
) -> None:
    server = servers["a"]
    engine = load_engine(EngineOptions(model=str(tiny_model_dir), engine=server.url, batch_size=3))
    cancel = threading.Event()
    cancelled_at: list[float] = []
    seen = server.answered()

    def cancel_in_flight() -> None:  # while the second batch's requests are being answered
        deadline = time.monotonic() + 120
        while server.answered() < seen + 4 and time.monotonic() < deadline:
            time.sleep(0.01)
        cancelled_at.append(time.monotonic())
        cancel.set()

    canceller = threading.Thread(target=cancel_in_flight, daemon=True)
    got = []
    try:
        canceller.start()
        with pytest.raises(CancelledError):
            for result in caption_windows(
                probe(video_20s), engine, CaptionOptions(detail="medium", window_ms=1000), cancel=cancel
            ):
                got.append(result)
        assert time.monotonic() - cancelled_at[0] < 3  # closed, not waited for
        assert len(got) < 20
        assert not [t for t in threading.enumerate() if t.name.startswith("captioner-remote")]
    finally:
        canceller.join(10)
        engine.close()


def test_ctrl_c_keeps_the_done_cues_apart_and_the_output_untouched(
    servers: dict[str, ModelServer], tiny_model_dir: Path, video_20s: Path, tmp_path: Path
) -> None:
    out = tmp_path / "film.srt"
    out.write_text("1\n00:00:00,000 --> 00:00:01,000\nkept\n\n")
    before = out.read_bytes()
    server = servers["a"]
    seen = server.answered()
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    proc = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "from captioner_app.cli.main import main; raise SystemExit(main())",
            "caption",
            str(video_20s),
            "--engine",
            server.url,
            "--model",
            str(tiny_model_dir),
            "--window",
            "1",
            "--detail",
            "low",
            "--batch-size",
            "1",
            "-o",
            str(out),
            "-q",
        ],
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    deadline = time.monotonic() + 120
    while server.answered() < seen + 5 and time.monotonic() < deadline and proc.poll() is None:  # 2 probes, 3 windows
        time.sleep(0.05)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 130, err
    assert out.read_bytes() == before
    partial = tmp_path / "film.partial.srt"
    assert "cancelled; the" in err and str(partial) in err, err
    assert partial.read_text().count(" --> ") >= 1


# -- a pool -------------------------------------------------------------------------------------


def test_captioner_serve_fronts_a_pool(
    servers: dict[str, ModelServer], tiny_model_dir: Path, video_short: Path, tmp_path: Path
) -> None:
    from captioner_app.server.config import MODEL_PATH, ServerConfig
    from captioner_app.server.service import CaptionServer

    a, b = servers["a"], servers["b"]
    pool = f"{a.url},{b.url}"
    engine = load_engine(EngineOptions(model=str(tiny_model_dir), engine=pool))
    config = ServerConfig(token="pool-token-0123456789", data_dir=tmp_path / "data", port=free_port())
    server = CaptionServer(config, engine)
    server.start()
    headers = {"Authorization": f"Bearer {config.token}"}
    try:
        ticket = requests.post(
            f"{server.url}/api/v3/media/uploads",
            headers=headers,
            timeout=10,
            json={"filename": video_short.name, "size": video_short.stat().st_size},
        ).json()["data"]
        requests.put(
            ticket["upload"]["url"], data=video_short.read_bytes(), headers=ticket["upload"]["headers"], timeout=30
        ).raise_for_status()
        job = requests.post(
            f"{server.url}/api/v3/{MODEL_PATH}",
            headers=headers,
            timeout=10,
            json={"video": ticket["download_url"], "detail_level": "low", "format": "json", "window": 1},
        ).json()["data"]
        result = _wait(
            lambda: requests.get(
                f"{server.url}/api/v3/predictions/{job['id']}/result", headers=headers, timeout=10
            ).json()["data"]
        )
        assert result["status"] == "completed", result
        assert result["outputs"][0].strip()
        track = requests.get(f"{server.url}/api/v3/predictions/{job['id']}/track", headers=headers, timeout=10).json()
        assert len(track["cues"]) == 4
        assert {c["provenance"]["engine"] for c in track["cues"]} == {pool}
    finally:
        server.stop()
        engine.close()
    stats = engine.stats()
    assert stats[a.url] + stats[b.url] == 5 and min(stats.values()) >= 1  # the description and four windows


def _wait(poll: Callable[[], dict[str, object]], timeout_s: float = 120) -> dict[str, object]:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        data = poll()
        if data["status"] in ("completed", "failed"):
            return data
        time.sleep(0.1)
    raise AssertionError("the job did not finish")


def test_a_pool_spreads_windows_and_loses_none_when_a_server_stops(
    servers: dict[str, ModelServer], tiny_model_dir: Path, video_20s: Path
) -> None:
    a, b = servers["a"], servers["b"]
    engine = load_engine(EngineOptions(model=str(tiny_model_dir), engine=f"{a.url},{b.url}"))
    assert isinstance(engine, RemoteEngine) and engine.batch_size == 2 * IN_FLIGHT_PER_SERVER
    info = probe(video_20s)
    options = CaptionOptions(detail="low", window_ms=2000)
    try:  # b is killed once it has written one window, with more in flight
        killer = kill_when(b, lambda: engine.stats()[b.url] >= 1)
        results = list(caption_windows(info, engine, options))
        killer.join(30)
        stats = engine.stats()
    finally:
        engine.close()
    assert b.process.poll() is not None  # it really was stopped mid-run
    windows = plan(info, options)
    assert [(r.cue.start_ms, r.cue.end_ms) for r in results] == [(w.start_ms, w.end_ms) for w in windows]
    assert all(r.cue.text.strip() for r in results)
    assert stats[a.url] + stats[b.url] == len(windows) == 10
    assert stats[b.url] >= 1 and stats[a.url] > stats[b.url]
    assert engine.retries >= 1  # the windows in flight on b were asked again, of a


def test_a_server_killed_mid_run_is_a_clear_error_and_nothing_is_half_written(
    servers: dict[str, ModelServer],
    tiny_model_dir: Path,
    video_20s: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    server = servers["a"]  # the last test to need it
    out = tmp_path / "film.vtt"
    out.write_text("WEBVTT\n\nold\n")
    killer = kill_when(server, after_started(server, 3))
    started = time.monotonic()
    code, err = run_cli(
        [
            "caption",
            str(video_20s),
            "--engine",
            server.url,
            "--model",
            str(tiny_model_dir),
            "--window",
            "1",
            "--detail",
            "medium",
            "-o",
            str(out),
            "-q",
        ],
        capsys,
    )
    killer.join(30)
    assert code == 4, err
    assert time.monotonic() - started < 90
    line = err.strip()
    assert "\n" not in line and server.url in line and "gave up after" in line, line
    assert out.read_text() == "WEBVTT\n\nold\n"
    assert not list(tmp_path.glob("*.partial.*"))


def test_a_pool_with_every_server_down_fails_at_start(servers: dict[str, ModelServer], tiny_model_dir: Path) -> None:
    dead = [servers["a"].url, servers["b"].url]  # both were killed above
    with pytest.raises(ModelError, match="no model server answered"):
        load_engine(EngineOptions(model=str(tiny_model_dir), engine=",".join(dead)))
