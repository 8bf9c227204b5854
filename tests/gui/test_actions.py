"""The actions table: one binding per shortcut, one item per mnemonic at each level, every handler there,
and window-wide shortcuts that still work while a text field or a spin box has the focus."""

from __future__ import annotations

from collections.abc import Iterable

import pytest
from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QAbstractButton, QLabel, QLineEdit, QMenu, QWidget

from captioner_app.gui.actions import (
    ACTIONS,
    MENUS,
    TEXT_EDITING,
    Action,
    key_sequences,
    mnemonic,
    mnemonic_clashes,
    resolve,
    shortcut_clashes,
)
from captioner_app.gui.dialogs.shortcuts import shortcut_rows


def test_no_shortcut_is_bound_twice(qapp):
    assert shortcut_clashes(ACTIONS) == {}
    # the check itself finds a clash (so the assertion above can fail)
    twice = (Action("a", "&A", "file", "close", ("Ctrl+E",)), Action("b", "&B", "edit", "close", ("Ctrl+E",)))
    assert shortcut_clashes(twice) == {"Ctrl+E": ["a", "b"]}


def test_mnemonics():
    assert mnemonic("Export SR&T…") == "t" and mnemonic("&Copy WebVTT <track>") == "c"
    assert mnemonic("Save && quit") is None and mnemonic("Q&&A &x") == "x"
    assert mnemonic_clashes(["&View", "De&vice:", "&Quit"]) == {"v": ["&View", "De&vice:"]}


def test_no_mnemonic_twice_in_one_menu_of_the_table(qapp):
    assert mnemonic_clashes(title for _, title in MENUS) == {}
    for menu_id, _ in MENUS:
        assert mnemonic_clashes(a.text for a in ACTIONS if a.menu == menu_id) == {}, menu_id


def test_ids_are_unique_and_menus_known():
    assert len({a.id for a in ACTIONS}) == len(ACTIONS)
    assert {a.menu for a in ACTIONS} <= {m for m, _ in MENUS}


def window_mnemonic_texts(window: QWidget) -> list[str]:
    """Everything Alt+letter reaches in the window: menu bar titles, buttons and labels with a buddy."""
    texts = [a.text() for a in window.menuBar().actions()]
    for widget in window.findChildren(QWidget):
        if isinstance(widget, QAbstractButton) or (isinstance(widget, QLabel) and widget.buddy() is not None):
            texts.append(widget.text())
    return [t for t in texts if mnemonic(t)]


def menu_levels(menu: QMenu) -> Iterable[tuple[str, list[str]]]:
    yield menu.title(), [a.text() for a in menu.actions() if not a.isSeparator()]
    for action in menu.actions():
        if action.menu() is not None:
            yield from menu_levels(action.menu())


def test_the_built_window_has_one_item_per_mnemonic_at_each_level(qtbot, make_window):
    w = make_window()
    # the window level: Alt+V was View and Device, Alt+C Caption and Caption video, Alt+R Stride and Restore
    texts = window_mnemonic_texts(w)
    assert "&View" in texts and "Dev&ice:" in texts and "Re&store" in texts
    assert mnemonic_clashes(texts) == {}
    for top in w.menuBar().actions():
        for title, items in menu_levels(top.menu()):
            assert mnemonic_clashes(items) == {}, title
    w.show_model_dialog("test")
    assert mnemonic_clashes(window_mnemonic_texts_dialog(w.model_dialog)) == {}
    w.model_dialog.reject()


def window_mnemonic_texts_dialog(dialog: QWidget) -> list[str]:
    return [
        wdg.text()
        for wdg in dialog.findChildren(QWidget)
        if (isinstance(wdg, QAbstractButton) or (isinstance(wdg, QLabel) and wdg.buddy() is not None))
        and mnemonic(wdg.text())
    ]


def test_every_handler_exists_and_the_menus_and_help_come_from_the_table(qtbot, make_window):
    w = make_window()
    for action in ACTIONS:
        assert callable(resolve(w, action.handler)), action.id
    built = [a.objectName() for a in w.all_actions]
    assert built == [a.id for a in ACTIONS if not a.submenu]
    assert [a.text() for a in w.all_actions] == [a.text for a in ACTIONS if not a.submenu]
    rows = shortcut_rows(ACTIONS)
    assert len(rows) == sum(1 for a in ACTIONS if key_sequences(a))
    w.show_shortcuts()
    table = w.shortcuts_dialog.table
    commands = [a for a in ACTIONS if not a.submenu]  # every command, with its keys or none
    assert [table.item(r, 2).text() for r in range(len(commands))] == [a.label for a in commands]
    by_label = {table.item(r, 2).text(): table.item(r, 1).text() for r in range(len(commands))}
    assert {(label, keys) for _menu, keys, label in rows} <= set(by_label.items())
    w.shortcuts_dialog.reject()


def window_wide(actions: Iterable[Action]) -> list[tuple[Action, QKeySequence]]:
    """Every (action, keys) a focused text field must not take (text editing keys excepted)."""
    kept = {s.toString() for std in TEXT_EDITING for s in QKeySequence.keyBindings(std)}
    return [(a, s) for a in actions for s in key_sequences(a) if s.toString() not in kept]


class ClaimsEveryKey(QObject):
    """A field that claims every key before a shortcut can have it.

    Under Qt's X11 keyboard scheme (Linux desktops) a line edit, and so a spin box, claims Ctrl+E (end of
    line), Ctrl+A, Ctrl+U and Ctrl+K, which is how Ctrl+E in the find field came to do nothing. The
    offscreen platform the tests run on uses the Windows scheme, where QLineEdit claims fewer keys, so the
    test makes the fields claim every key: the worst a field can do.
    """

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.ShortcutOverride:
            event.accept()
            return True
        return False


def claim_every_key(widget: QWidget) -> ClaimsEveryKey:
    claimer = ClaimsEveryKey(widget)
    for target in (widget, *widget.findChildren(QLineEdit)):
        target.installEventFilter(claimer)
    return claimer


def press(qtbot, widget: QWidget, seq: QKeySequence) -> None:
    combo = seq[0]
    qtbot.keyClick(widget, combo.key(), combo.keyboardModifiers())


@pytest.mark.parametrize("field", ["find_edit", "window_spin", "model_edit"])
def test_window_shortcuts_work_while_a_text_field_has_focus(qtbot, make_window, field, small_video, wait_opened):
    w = make_window()
    w.open_paths([str(small_video)])  # commands that need a video are disabled without one
    wait_opened(w)
    w.activateWindow()
    qtbot.waitUntil(lambda: w.isActiveWindow())
    fired: list[str] = []
    w.run_action = lambda action: fired.append(action.id)  # record instead of opening dialogs
    widget = getattr(w, field)
    claim_every_key(widget)
    widget.setFocus()
    qtbot.waitUntil(widget.hasFocus)
    line = widget if isinstance(widget, QLineEdit) else widget.lineEdit()
    before = line.text()
    pairs = window_wide(ACTIONS)
    assert ("file.export_srt", "Ctrl+E") in [(a.id, s.toString()) for a, s in pairs]
    missed = []
    for action, seq in pairs:
        fired.clear()
        press(qtbot, widget, seq)
        if fired != [action.id]:
            missed.append(f"{seq.toString()} ({action.id}): {fired}")
        widget.setFocus()
    assert missed == []
    assert line.text() == before  # none of the keys went into the field


def test_text_editing_keys_stay_with_the_field(qtbot, make_window):
    w = make_window()
    w.activateWindow()
    qtbot.waitUntil(lambda: w.isActiveWindow())
    fired: list[str] = []
    w.run_action = lambda action: fired.append(action.id)
    claim_every_key(w.find_edit)
    w.find_edit.setFocus()
    qtbot.keyClicks(w.find_edit, "door")
    qtbot.keyClick(w.find_edit, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)  # undo the typing, not the track
    assert fired == [] and w.find_edit.text() == ""


def test_a_new_panel_docks_and_is_reachable_by_handler_paths(qtbot, make_window):
    w = make_window()
    w.activateWindow()
    qtbot.waitUntil(lambda: w.isActiveWindow())
    panel = QLineEdit()
    panel.setAccessibleName("Extra panel")
    dock = w.add_dock("extra", "Extra", panel, Qt.DockWidgetArea.RightDockWidgetArea)
    dock.hide()
    action = Action("view.extra", "Show E&xtra", "view", "focus_dock", ("Ctrl+9",), ("extra",))
    assert shortcut_clashes((*ACTIONS, action)) == {}
    assert resolve(w, "panels.extra") is panel and resolve(w, "panels.find.focus") == w.find_bar.focus
    w.run_action(action)
    assert dock.isVisible()
    qtbot.waitUntil(panel.hasFocus)
