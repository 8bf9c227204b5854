"""The user's shortcuts without a window: keys refused with a reason, the file read whole or not at all."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from PySide6.QtGui import QKeySequence

from captioner_app.gui.shortcuts import Keymap, load_keymap, parse_key, reserved_reason, save_keymap


def keys(keymap: Keymap, action_id: str) -> list[str]:
    return [s.toString() for s in keymap.keys(action_id)]


def test_a_key_is_refused_with_the_command_that_has_it(qapp):
    keymap = Keymap()
    with pytest.raises(ValueError, match=r"Ctrl\+E is already the key of “Export SRT…” \(File menu\)"):
        keymap.set("edit.add_cue", [QKeySequence("Ctrl+E")])
    assert keys(keymap, "edit.add_cue") == ["Ctrl+N"] and keymap.overrides == {}
    keymap.set("edit.add_cue", [QKeySequence("Ctrl+Alt+N")])
    assert keys(keymap, "edit.add_cue") == ["Ctrl+Alt+N"] and keymap.owner(QKeySequence("Ctrl+N")) is None
    keymap.set("file.export_json", [QKeySequence("Ctrl+N")])  # the freed key may go to another command
    keymap.reset("edit.add_cue")  # its default is taken meanwhile: no key rather than a clash
    assert keys(keymap, "edit.add_cue") == [] and keymap.clash() == ""
    keymap.reset()
    assert keys(keymap, "edit.add_cue") == ["Ctrl+N"] and keymap.overrides == {}


def test_keys_the_window_needs_are_refused(qapp):
    assert reserved_reason(QKeySequence("Space")) == "Space types text"
    assert "moves in the table" in reserved_reason(QKeySequence("Down"))
    assert reserved_reason(QKeySequence("Alt+F")) == "Alt+F opens the File menu"
    assert "editing text" in reserved_reason(QKeySequence("Ctrl+C"))
    assert reserved_reason(QKeySequence("Alt+Down")) == "" and reserved_reason(QKeySequence("Ctrl+Alt+F")) == ""
    keymap = Keymap()
    with pytest.raises(ValueError, match="types text; not given to “Add Cue at Playhead”"):
        keymap.set("edit.add_cue", [QKeySequence("A")])
    keymap.set("edit.undo", [QKeySequence("Ctrl+Z")])  # a command may always have its own default back
    with pytest.raises(ValueError, match="not a key combination"):
        parse_key("Ctrl+Banana")


def test_the_file_is_used_whole_or_not_at_all(qapp, tmp_path: Path):
    path = tmp_path / "shortcuts.json"
    assert load_keymap(path)[1] == ""  # no file: the defaults, nothing to say
    keymap = Keymap()
    keymap.set("edit.add_cue", [QKeySequence("Ctrl+Alt+N")])
    save_keymap(keymap, path)
    assert json.loads(path.read_text()) == {"edit.add_cue": ["Ctrl+Alt+N"]}
    loaded, problem = load_keymap(path)
    assert problem == "" and keys(loaded, "edit.add_cue") == ["Ctrl+Alt+N"]
    # two commands swap their keys in one file: allowed (the file is checked as a whole)
    path.write_text(json.dumps({"file.export_srt": "Ctrl+Shift+E", "file.export_vtt": ["Ctrl+E"]}))
    loaded, problem = load_keymap(path)
    assert problem == "" and keys(loaded, "file.export_vtt") == ["Ctrl+E"]
    for text, reason in (
        ("{bad", "not valid JSON (line 1"),
        ("[]", "not an object of command ids and keys"),
        ('{"edit.nothing": ["F9"]}', "there is no command “edit.nothing”"),
        ('{"edit.add_cue": ["Ctrl+Banana"]}', "“Ctrl+Banana” is not a key combination"),
        ('{"edit.add_cue": [3]}', "are not a key or a list of keys"),
        ('{"edit.add_cue": ["F9"], "edit.delete": "F9"}', "F9 is the key of both"),
    ):
        path.write_text(text)
        loaded, problem = load_keymap(path)
        assert reason in problem and problem.endswith("default shortcuts kept") and "\n" not in problem, text
        assert loaded.overrides == {} and keys(loaded, "edit.add_cue") == ["Ctrl+N"]
