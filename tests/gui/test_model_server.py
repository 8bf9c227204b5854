"""The model dialog's "Model server" choice: checked URLs, kept in the settings, used for captioning."""

from __future__ import annotations

from pathlib import Path

import pytest

from captioner_app.testing.model_server import free_port


def test_choosing_model_servers_in_the_dialog(qtbot, make_window, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CAPTIONER_ENGINE", raising=False)
    monkeypatch.delenv("CAPTIONER_ENGINE_KEY", raising=False)
    w = make_window()
    w.show_model_dialog("chosen from the Caption menu")
    dialog = w.model_dialog
    assert not dialog.local_button.isEnabled()  # already on this computer
    dialog.server_edit.setText("gpu1:8000")
    assert not dialog.choose_server()
    assert "not a server URL" in dialog.status.text() and dialog.isVisible()
    dialog.server_edit.setText(" http://gpu1:8000/v1/, http://gpu2:8000/v1 ")
    dialog.served_model_edit.setText("allenai/Molmo2-4B")
    dialog.key_edit.setText("secret-key")
    assert dialog.choose_server()
    options = w.engine_options()
    assert options.engine == "http://gpu1:8000/v1,http://gpu2:8000/v1"
    assert options.model == "allenai/Molmo2-4B" and options.api_key == "secret-key"
    assert w.settings.engine == options.engine and "secret-key" not in str(w.settings.to_dict())

    w.show_model_dialog("chosen from the Caption menu")
    assert w.model_dialog.server_edit.text() == options.engine and w.model_dialog.local_button.isEnabled()
    w.model_dialog.local_button.click()
    assert w.settings.engine == "" and w.engine_options().engine is None


def test_a_server_that_refuses_is_reported_in_one_line(
    qtbot, make_window, small_video: Path, wait_opened, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"http://127.0.0.1:{free_port()}/v1"
    monkeypatch.setenv("CAPTIONER_ENGINE", url)
    w = make_window()
    w.open_paths([str(small_video)])
    wait_opened(w)
    w.caption_video()
    qtbot.waitUntil(lambda: not w.captioning, timeout=60000)
    expected = f"model server {url} refused the connection (is it running?)"
    assert expected in w.messages
    assert len(w.doc.model.track) == 0
