"""``captioner describe`` and ``caption`` take http(s) URLs (served here by a local http.server)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from captioner_app.cli.main import main
from captioner_app.testing.loopback import files, serve


@pytest.fixture
def served(tmp_path: Path, video_short: Path) -> Iterator[str]:
    folder = tmp_path / "served"
    folder.mkdir()
    shutil.copy(video_short, folder / "clip.mp4")
    (folder / "notes.txt").write_text("not a video\n" * 50)

    with serve(files(folder)) as url:
        yield url


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
