"""``captioner describe`` and ``caption`` take http(s) URLs (served here by a local http.server)."""

from __future__ import annotations

import http.server
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from captioner_app.cli.main import main


class _Files(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def served(tmp_path: Path, video_short: Path) -> Iterator[str]:
    folder = tmp_path / "served"
    folder.mkdir()
    shutil.copy(video_short, folder / "clip.mp4")
    (folder / "notes.txt").write_text("not a video\n" * 50)

    def handler(*args: object) -> _Files:
        return _Files(*args, directory=str(folder))  # type: ignore[arg-type]

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()
    thread.join(5)


def model_args(tiny_model_dir: Path) -> list[str]:
    return ["--model", str(tiny_model_dir), "--device", "cpu", "--offline"]


def test_caption_a_url(served: str, tiny_model_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out"
    out.mkdir()
    code = main(
        [
            "caption",
            f"{served}/clip.mp4?x=1",
            "--detail",
            "low",
            "--output-dir",
            str(out),
            "-q",
            "--format",
            "vtt",
            *model_args(tiny_model_dir),
        ]
    )
    assert code == 0, capsys.readouterr().err
    assert (out / "clip.vtt").read_text().startswith("WEBVTT")


def test_describe_refuses_bad_urls_in_one_line(
    served: str, tiny_model_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(
        ["describe", "file:///etc/passwd", f"{served}/notes.txt", f"{served}/missing.mp4", *model_args(tiny_model_dir)]
    )
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 3
    assert len(err) == 3
    assert "file:// URLs are not accepted" in err[0]
    assert err[1].startswith(f"captioner: error: {served}/notes.txt: ")
    assert "HTTP 404" in err[2]
