"""``captioner serve`` option checks that answer before the model loads."""

from __future__ import annotations

import socket

import pytest

from captioner_app.cli.main import main


def test_port_in_use_is_one_line_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        code = main(["serve", "--port", str(port), "--model", "/no/such/model"])
    err = capsys.readouterr().err.strip()
    assert code == 2 and "\n" not in err
    assert f"--port {port}: cannot listen there" in err


@pytest.mark.parametrize("argv", [["--port", "70000"], ["--token", "short"], ["--max-upload-mb", "0"]])
def test_bad_options(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        code = main(["serve", *argv, "--model", "/no/such/model"])
        raise SystemExit(code)
    assert info.value.code == 2
    assert capsys.readouterr().err.strip().startswith("captioner: error:")
