"""Every menu command as data: one table of id, text (with its mnemonic), menu, keys and handler.

The table builds the menu bar (:func:`build_menus`) and Help > Keyboard Shortcuts
(:mod:`captioner_app.gui.dialogs.shortcuts`); tests read it to refuse a shortcut bound twice or a mnemonic
used twice in one menu. A new command is one row here plus its handler: ``handler`` is an attribute path
on the main window (``"caption_video"``, ``"session.jobs.reanalyze"``, ``"timeline.zoom"``), called with
``args`` when the command is chosen.

:class:`KeyGuard` keeps window-wide shortcuts working while a text field or spin box has the focus: Qt
lets such a field claim any key it could use (Ctrl+E moves a line edit's cursor to the end on Linux), so
without it Ctrl+E in the find field did nothing and the next keys went into the field.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QEvent, QObject
from PySide6.QtGui import QAction, QGuiApplication, QKeyEvent, QKeySequence
from PySide6.QtWidgets import (
    QAbstractSpinBox,
    QApplication,
    QComboBox,
    QLineEdit,
    QMenu,
    QMenuBar,
    QPlainTextEdit,
    QTextEdit,
    QWidget,
)

Std = QKeySequence.StandardKey
Keys = str | QKeySequence.StandardKey

MENUS: tuple[tuple[str, str], ...] = (
    ("file", "&File"),
    ("edit", "&Edit"),
    ("timing", "Timin&g"),
    ("playback", "&Playback"),
    ("caption", "&Caption"),
    ("view", "&View"),
    ("help", "&Help"),
)


@dataclass(frozen=True)
class Action:
    id: str
    text: str  # as shown in the menu, "&" before the mnemonic
    menu: str  # one of MENUS' ids
    handler: str  # attribute path on the main window
    keys: tuple[Keys, ...] = ()
    args: tuple[Any, ...] = ()
    tip: str = ""
    separator_before: bool = False
    submenu: bool = False  # the handler fills the submenu each time it is shown: handler(menu)

    @property
    def label(self) -> str:
        return self.text.replace("&", "")


A = Action
ACTIONS: tuple[Action, ...] = (
    A("file.open", "&Open Video…", "file", "files.open_dialog", (Std.Open,)),
    A("file.recent", "Open &Recent", "file", "files.fill_recent_menu", submenu=True),
    A("file.open_project", "Open &Project…", "file", "files.open_project_dialog", ("Ctrl+Shift+O",)),
    A("file.save_project", "&Save Project", "file", "files.save_project_action", (Std.Save,)),
    A("file.save_project_as", "Save Project &As…", "file", "files.save_project_as_dialog", ("Ctrl+Shift+S",)),
    A("file.import", "&Import Subtitles…", "file", "files.import_dialog", ("Ctrl+I",), separator_before=True),
    A("file.export_srt", "Export SR&T…", "file", "files.export_dialog", ("Ctrl+E",), ("srt",)),
    A("file.export_vtt", "Export &WebVTT…", "file", "files.export_dialog", ("Ctrl+Shift+E",), ("vtt",)),
    A("file.export_json", "Export &JSON…", "file", "files.export_dialog", (), ("json",)),
    A(
        "file.export_described",
        "Export &Described Video…",
        "file",
        "files.export_described_dialog",
        ("Ctrl+Shift+D",),
        tip="Speak the track with the narration voice and mix it into the video (or audio)",
    ),
    A("file.copy_snippet", "&Copy WebVTT <track> Snippet", "file", "files.copy_track_snippet", ("Ctrl+Shift+C",)),
    A("file.close", "C&lose Video", "file", "close_document", (Std.Close,), separator_before=True),
    A("file.quit", "&Quit", "file", "close", (Std.Quit,)),
    A("edit.undo", "&Undo", "edit", "undo", (Std.Undo,)),
    A("edit.redo", "&Redo", "edit", "redo", ("Ctrl+Shift+Z", "Ctrl+Y")),
    A("edit.add_cue", "&Add Cue at Playhead", "edit", "add_cue", ("Ctrl+N",), separator_before=True),
    A("edit.delete", "&Delete Cue", "edit", "delete_cues", ("Ctrl+Delete",)),
    A("edit.split", "S&plit Cue at Playhead", "edit", "split_cue", ("Ctrl+B",)),
    A("edit.merge", "&Merge Cues", "edit", "merge_cues", ("Ctrl+M",)),
    A("edit.text", "Edit Cue &Text", "edit", "edit_text", ("Ctrl+T",)),
    A(
        "edit.extended",
        "Mark Cue E&xtended / Not Extended",
        "edit",
        "toggle_extended",
        ("Ctrl+Shift+X",),
        tip="Extended: the player pauses the video while the description is spoken",
    ),
    A(
        "edit.speak",
        "Spea&k Cue",
        "edit",
        "speak_cue",
        ("Ctrl+Shift+Space",),
        tip="Speak the selected cue with the narration voice and say how long it takes",
    ),
    A("edit.voice", "Narration &Voice", "edit", "fill_voice_menu", submenu=True),
    A("edit.find", "&Find…", "edit", "panels.find.focus", (Std.Find,), separator_before=True),
    A("edit.find_next", "Find &Next", "edit", "find_next", (Std.FindNext,)),
    A("edit.find_previous", "Find Pr&evious", "edit", "find_previous", ("Shift+F3",)),
    A("edit.replace", "Rep&lace…", "edit", "panels.find.show_replace", ("Ctrl+H",)),
    A(
        "edit.replace_all",
        "Repla&ce All",
        "edit",
        "panels.find.replace_all",
        ("Ctrl+Alt+Return", "Ctrl+Alt+Enter"),
        tip="Replace every match of the find bar's text in the track (one undo step)",
    ),
    A(
        "edit.spell_check",
        "&Spell Check…",
        "edit",
        "spell_check",
        ("Ctrl+F7",),
        tip="Go through the unknown words from the selected cue: change, change all, skip, add to dictionary",
    ),
    # timing from the keyboard (gui/timing_commands.py); an edge stops at its neighbour unless "over"
    A("timing.set_start", "Set &Start to Playhead", "timing", "timing.set_start", ("F11",)),
    A("timing.set_end", "Set &End to Playhead", "timing", "timing.set_end", ("F12",)),
    A(
        "timing.set_start_over",
        "Set Start to Playhead &over the Previous Cue",
        "timing",
        "timing.set_start",
        ("Ctrl+F11",),
        (True,),
        tip="The start may overlap the previous cue",
    ),
    A(
        "timing.set_end_over",
        "Set End to Playhead o&ver the Next Cue",
        "timing",
        "timing.set_end",
        ("Ctrl+F12",),
        (True,),
        tip="The end may overlap the next cue",
    ),
    A(
        "timing.start_earlier_frame",
        "Start One &Frame Earlier",
        "timing",
        "timing.nudge",
        ("F5",),
        ("start", -1, "frames"),
        separator_before=True,
    ),
    A("timing.start_later_frame", "Start One Frame &Later", "timing", "timing.nudge", ("F6",), ("start", 1, "frames")),
    A("timing.start_earlier", "Start &100 ms Earlier", "timing", "timing.nudge", ("Shift+F5",), ("start", -100)),
    A("timing.start_later", "Start 100 ms L&ater", "timing", "timing.nudge", ("Shift+F6",), ("start", 100)),
    A(
        "timing.end_earlier_frame",
        "End One Frame Ea&rlier",
        "timing",
        "timing.nudge",
        ("F7",),
        ("end", -1, "frames"),
        separator_before=True,
    ),
    A("timing.end_later_frame", "End One Frame La&ter", "timing", "timing.nudge", ("F8",), ("end", 1, "frames")),
    A("timing.end_earlier", "End 100 ms Earlier", "timing", "timing.nudge", ("Shift+F7",), ("end", -100)),
    A("timing.end_later", "End 100 ms Later", "timing", "timing.nudge", ("Shift+F8",), ("end", 100)),
    A(
        "timing.move_earlier",
        "&Move Cue 100 ms Earlier",
        "timing",
        "timing.move",
        ("Ctrl+Shift+Left",),
        (-100,),
        separator_before=True,
    ),
    A("timing.move_later", "Move Cue 100 ms Later", "timing", "timing.move", ("Ctrl+Shift+Right",), (100,)),
    A("playback.play", "&Play/Pause", "playback", "toggle_play", ("Ctrl+P",)),
    A("playback.next_frame", "&Next Frame", "playback", "step_frames", ("Alt+Right",), (1,)),
    A("playback.previous_frame", "P&revious Frame", "playback", "step_frames", ("Alt+Left",), (-1,)),
    A("playback.forward", "&Forward 1 s", "playback", "session.playback.skip", ("Alt+Shift+Right",), (1000,)),
    A("playback.back", "&Back 1 s", "playback", "session.playback.skip", ("Alt+Shift+Left",), (-1000,)),
    A(
        "playback.play_cue",
        "Play &Current Cue",
        "playback",
        "timing.play_cue",
        ("Ctrl+Shift+P",),
        tip="Play the selected cue with a second before and after it",
    ),
    A(
        "playback.loop",
        "&Loop Cue or Marked Range",
        "playback",
        "timing.loop",
        ("Ctrl+L",),
        tip="Play the marked range (or the selected cue) over and over; again to stop",
    ),
    A(
        "playback.describe",
        "Preview with &Descriptions",
        "playback",
        "timing.play_described",
        ("Ctrl+D",),
        tip="Play from the playhead speaking each cue over the lowered programme; extended cues hold the picture",
    ),
    A(
        "playback.slower",
        "Slo&wer",
        "playback",
        "session.playback.change_rate",
        ("Alt+Shift+Down",),
        (-1,),
        tip="Playback rate one step slower (down to 0.5x, pitch kept)",
        separator_before=True,
    ),
    A(
        "playback.faster",
        "Fas&ter",
        "playback",
        "session.playback.change_rate",
        ("Alt+Shift+Up",),
        (1,),
        tip="Playback rate one step faster (up to 2x, pitch kept)",
    ),
    A("playback.normal_rate", "Nor&mal Speed", "playback", "session.playback.change_rate", ("Alt+1",), (0,)),
    A("playback.volume_up", "Volume &Up", "playback", "session.playback.change_volume", ("Alt+=",), (0.1,)),
    A("playback.volume_down", "Volume Down", "playback", "session.playback.change_volume", ("Alt+-",), (-0.1,)),
    A("playback.mute", "Mut&e", "playback", "session.playback.toggle_mute", ("Alt+0",)),
    A(
        "playback.previous_cue",
        "Pre&vious Cue",
        "playback",
        "timing.goto_cue",
        ("Alt+Up",),
        (-1,),
        separator_before=True,
    ),
    A("playback.next_cue", "Ne&xt Cue", "playback", "timing.goto_cue", ("Alt+Down",), (1,)),
    A("playback.next_gap", "Next &Gap", "playback", "timing.goto_point", ("Alt+PgDown",), ("gap", 1)),
    A("playback.previous_gap", "Previous Gap", "playback", "timing.goto_point", ("Alt+PgUp",), ("gap", -1)),
    A("playback.next_shot", "Next S&hot Change", "playback", "timing.goto_point", ("Alt+Shift+PgDown",), ("shot", 1)),
    A(
        "playback.previous_shot",
        "Previous Shot Change",
        "playback",
        "timing.goto_point",
        ("Alt+Shift+PgUp",),
        ("shot", -1),
    ),
    A("playback.goto", "Go to &Selected Cue", "playback", "goto_selected", ("Ctrl+J",)),
    A("playback.zoom_in", "Zoom Timeline &In", "playback", "timeline.zoom", ("Ctrl+=",), (1.5,)),
    A("playback.zoom_out", "Zoom Timeline &Out", "playback", "timeline.zoom", ("Ctrl+-",), (1 / 1.5,)),
    A("caption.video", "&Caption Video", "caption", "caption_video", ("Ctrl+R",)),
    A("caption.selection", "Caption &Selection Again", "caption", "choices.caption_selection", ("Ctrl+Shift+R",)),
    A(
        "caption.mark_in",
        "Mark Range &In at Playhead",
        "caption",
        "session.jobs.mark_in",
        ("Ctrl+[",),
        tip="Start of a time range to caption",
    ),
    A(
        "caption.mark_out",
        "Mark Range &Out at Playhead",
        "caption",
        "session.jobs.mark_out",
        ("Ctrl+]",),
        tip="End of a time range to caption",
    ),
    A(
        "caption.range",
        "Caption Marked &Range",
        "caption",
        "caption_range",
        ("Ctrl+Shift+G",),
        tip="Describe the marked time range as one new cue",
    ),
    A("caption.cancel", "C&ancel", "caption", "session.jobs.cancel_caption", ("Ctrl+.",)),
    A(
        "caption.model",
        "Choose &Model…",
        "caption",
        "show_model_dialog",
        ("Ctrl+Shift+M",),
        ("chosen from the Caption menu",),
    ),
    A(
        "caption.restart_model",
        "Restart Mode&l",
        "caption",
        "session.jobs.restart_model",
        ("Ctrl+Shift+L",),
        tip="Start the model's process again and load the model (after it stopped)",
    ),
    A(
        "caption.unload_model",
        "&Unload Model",
        "caption",
        "session.jobs.unload_model",
        ("Ctrl+Shift+U",),
        tip="Free the memory the model holds; the next caption run loads it again",
    ),
    A(
        "caption.analyze",
        "Analy&ze Video (Speech and Shots)",
        "caption",
        "session.jobs.reanalyze",
        ("Ctrl+Shift+A",),
        tip="Find speech, gaps and shot changes again",
        separator_before=True,
    ),
    A("caption.stop_analysis", "Stop Anal&ysis", "caption", "session.jobs.cancel_analysis", ("Ctrl+Shift+K",)),
    A("view.table", "Focus Cue &Table", "view", "table.setFocus", ("Ctrl+1",)),
    A("view.timeline", "Focus T&imeline", "view", "timeline.setFocus", ("Ctrl+2",)),
    A("view.preview", "Focus &Preview", "view", "preview.setFocus", ("Ctrl+3",)),
    A("view.queue", "Focus &Queue", "view", "focus_dock", ("Ctrl+4",), ("queue",)),
    A("view.history", "Show &History", "view", "focus_dock", ("Ctrl+Shift+H",), ("history",)),
    A("view.checks", "Show Chec&ks", "view", "focus_dock", ("Ctrl+5",), ("checks",)),
    A("view.items", "Show Timeline It&ems", "view", "focus_dock", ("Ctrl+6",), ("timeline_items",)),
    A("help.shortcuts", "&Keyboard Shortcuts", "help", "shortcuts.show_dialog", (Std.HelpContents,)),
    A("help.about", "&About", "help", "show_about"),
)
del A

# commands that act on a video (its picture, playhead, audio or model run): disabled while no opened video is
# current; and those that act on a document's cues (also a project whose video is missing): disabled without one
NEEDS_VIDEO = frozenset(
    {"file.export_described", "caption.video", "caption.selection", "caption.mark_in", "caption.mark_out"}
    | {"caption.range", "caption.analyze", "timing.set_start", "timing.set_end", "timing.set_start_over"}
    | {"timing.set_end_over", "playback.play", "playback.next_frame", "playback.previous_frame", "playback.forward"}
    | {"playback.back", "playback.play_cue", "playback.next_gap", "playback.previous_gap", "playback.next_shot"}
    | {"playback.previous_shot"}
)
NEEDS_DOCUMENT = frozenset(
    {"file.save_project", "file.save_project_as", "file.import", "file.export_srt", "file.export_vtt"}
    | {"file.export_json", "file.copy_snippet", "file.close", "edit.add_cue", "edit.delete", "edit.split"}
    | {"edit.merge", "edit.text", "edit.extended", "edit.speak", "edit.find", "edit.find_next"}
    | {a.id for a in ACTIONS if a.id.startswith("timing.")}
    | {"playback.previous_cue", "playback.next_cue", "playback.goto"}
)


def enable_for(actions: dict[str, QAction], has_document: bool, has_video: bool) -> None:
    """Enable the commands that need a document or a video only when there is one."""
    for action_id, action in actions.items():
        if action_id in NEEDS_VIDEO:
            action.setEnabled(has_video)
        elif action_id in NEEDS_DOCUMENT:
            action.setEnabled(has_document)


# -- reading the table ---------------------------------------------------------------------------


def key_sequences(action: Action) -> list[QKeySequence]:
    """The action's shortcuts on this platform (a standard key may stand for several; needs the app object)."""
    if QGuiApplication.instance() is None:
        raise RuntimeError("key_sequences needs a QGuiApplication: standard keys depend on the platform")
    sequences: list[QKeySequence] = []
    for keys in action.keys:
        if isinstance(keys, QKeySequence.StandardKey):
            sequences.extend(QKeySequence.keyBindings(keys))
        else:
            sequences.append(QKeySequence(keys))
    return [s for s in sequences if not s.isEmpty()]


def menu_title(menu_id: str) -> str:
    return dict(MENUS)[menu_id]


def mnemonic(text: str) -> str | None:
    """The letter after a single "&" ("&&" is a literal ampersand), lower-cased; None without one."""
    match = re.search(r"(?<!&)&([^&\s])", text.replace("&&", ""))
    return match.group(1).lower() if match else None


def mnemonic_clashes(texts: Iterable[str]) -> dict[str, list[str]]:
    """Mnemonics used by more than one of ``texts`` (one menu level, or one window's buttons and labels)."""
    seen: dict[str, list[str]] = {}
    for text in texts:
        letter = mnemonic(text)
        if letter is not None:
            seen.setdefault(letter, []).append(text)
    return {letter: texts for letter, texts in seen.items() if len(texts) > 1}


def shortcut_clashes(actions: Sequence[Action]) -> dict[str, list[str]]:
    """Key sequences bound to more than one action."""
    seen: dict[str, list[str]] = {}
    for action in actions:
        for seq in key_sequences(action):
            seen.setdefault(seq.toString(QKeySequence.SequenceFormat.PortableText), []).append(action.id)
    return {keys: ids for keys, ids in seen.items() if len(ids) > 1}


def resolve(root: object, path: str) -> Callable[..., Any]:
    """``root.a.b.c`` for ``path`` "a.b.c" (raises AttributeError naming the missing part)."""
    target: Any = root
    for part in path.split("."):
        target = getattr(target, part)
    return target


# -- building the menus ----------------------------------------------------------------------------


def build_menus(
    bar: QMenuBar,
    parent: QWidget,
    run: Callable[[Action], None],
    fill: Callable[[Action, QMenu], None],
    actions: Sequence[Action] = ACTIONS,
) -> dict[str, QAction]:
    """Add the table's menus to ``bar``; ``run(action)`` is called when one is chosen, ``fill(action,
    submenu)`` each time a submenu opens. Returns the QActions by id."""
    menus = {menu_id: bar.addMenu(title) for menu_id, title in MENUS}
    built: dict[str, QAction] = {}
    for spec in actions:
        menu = menus[spec.menu]
        if spec.separator_before:
            menu.addSeparator()
        if spec.submenu:
            sub = menu.addMenu(spec.text)
            sub.aboutToShow.connect(lambda spec=spec, sub=sub: fill(spec, sub))
            built[spec.id] = sub.menuAction()
            continue
        qaction = QAction(spec.text, parent)
        qaction.setObjectName(spec.id)
        qaction.setShortcuts(key_sequences(spec))
        qaction.setProperty("menu", menu_title(spec.menu).replace("&", ""))
        if spec.tip:
            qaction.setStatusTip(spec.tip)
        qaction.triggered.connect(lambda checked=False, spec=spec: run(spec))
        menu.addAction(qaction)
        built[spec.id] = qaction
    return built


# -- window-wide keys in text fields -----------------------------------------------------------------

# keys a text field keeps even when an action has them: what editing text means everywhere
TEXT_EDITING = (
    Std.Undo,
    Std.Redo,
    Std.Cut,
    Std.Copy,
    Std.Paste,
    Std.SelectAll,
    Std.Delete,
    Std.DeleteEndOfWord,
    Std.DeleteStartOfWord,
    Std.MoveToNextWord,
    Std.MoveToPreviousWord,
    Std.SelectNextWord,
    Std.SelectPreviousWord,
)
TEXT_INPUTS = (QLineEdit, QAbstractSpinBox, QTextEdit, QPlainTextEdit)


class KeyGuard(QObject):
    """Application event filter: a window-wide shortcut pressed in one of ``window``'s text fields (line
    edits, spin boxes, editable combo boxes, the cue table's editor) triggers its action instead of being
    taken by the field, except the keys of :data:`TEXT_EDITING`."""

    def __init__(self, window: QWidget, actions: Sequence[Action] = ACTIONS) -> None:
        super().__init__(window)
        self.window = window
        self._watched: QWidget | None = None
        self.set_keys(seq for action in actions for seq in key_sequences(action))

    def set_keys(self, sequences: Iterable[QKeySequence]) -> None:
        """The window-wide keys (after the user changed them in Help > Keyboard Shortcuts)."""
        kept = {seq.toString() for std in TEXT_EDITING for seq in QKeySequence.keyBindings(std)}
        self.keys = {seq.toString() for seq in sequences} - kept

    def watch(self, app: QApplication) -> None:
        """Filter the events of the focused text field only. An application-wide Python event filter
        would run for every event the app handles (paints, timers, signals across threads), each call
        taking the interpreter lock on the GUI thread: while a worker thread holds it, every event waits."""
        app.focusChanged.connect(self._focus_changed)
        self._focus_changed(None, app.focusWidget())

    def unwatch(self, app: QApplication) -> None:
        """Stop following the focus (the window is closing)."""
        try:
            app.focusChanged.disconnect(self._focus_changed)
        except (RuntimeError, TypeError):  # not connected
            pass
        self._focus_changed(self._watched, None)

    def _focus_changed(self, old: QWidget | None, new: QWidget | None) -> None:
        if old is not None and old is self._watched:
            self._watched = None
            try:
                old.removeEventFilter(self)
            except RuntimeError:  # the field is already gone
                pass
        if new is not None and self._text_input(new):
            new.installEventFilter(self)
            self._watched = new

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:
        if (
            event.type() == QEvent.Type.ShortcutOverride
            and isinstance(event, QKeyEvent)
            and self._text_input(obj)
            and QKeySequence(event.keyCombination()).toString() in self.keys
        ):
            event.ignore()
            return True  # not overridden: the shortcut map gives the key to the action
        return False

    def _text_input(self, obj: QObject) -> bool:
        if not isinstance(obj, QWidget) or obj.window() is not self.window:
            return False
        return isinstance(obj, TEXT_INPUTS) or (isinstance(obj, QComboBox) and obj.isEditable())
