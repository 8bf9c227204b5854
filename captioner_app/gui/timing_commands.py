"""Timing from the keyboard, as in Aegisub and Subtitle Edit: set the selected cue's start or end to the
playhead, nudge an edge by one frame or 100 ms, move the whole cue, go to the previous or next cue, gap or
shot change, and play the current cue.

Every retime is one undoable edit of the cue model. An edge never crosses its neighbouring cue's edge
(it stops there and the status bar says so) unless the command asks for it (Set Start/End over the
neighbour). Creates no widgets: ``rows()`` gives the selected rows, the session does the rest.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from captioner_app.core.timecode import format_ms
from captioner_app.core.tracks.track import Cue
from captioner_app.gui.selection import SelectionCommands

MIN_CUE_MS = 1  # an edge never passes the cue's other edge


def bounds(cues: Sequence[Cue], row: int, duration_ms: int | None) -> tuple[int, int]:
    """How far ``cues[row]``'s edges may go without crossing a neighbour: (lowest start, highest end).

    A neighbour is a cue that ends at or before this one's start (or starts at or after its end); cues that
    already overlap it do not hold it back.
    """
    cue = cues[row]
    low = max((c.end_ms for i, c in enumerate(cues) if i != row and c.end_ms <= cue.start_ms), default=0)
    last = max(c.end_ms for c in cues)
    high = min(
        (c.start_ms for i, c in enumerate(cues) if i != row and c.start_ms >= cue.end_ms), default=duration_ms or last
    )
    if duration_ms:
        high = min(high, max(duration_ms, cue.end_ms))
    return low, high


class TimingCommands(SelectionCommands):
    # -- helpers -------------------------------------------------------------------------------

    def _current(self, what: str) -> tuple[int, Cue] | None:
        doc = self.session.doc
        rows = self.rows()
        if doc is None or not rows or rows[0] >= len(doc.model.track):
            self.session.status.emit(f"Select a cue to {what}")
            return None
        return rows[0], doc.model.track[rows[0]]

    def _duration(self) -> int | None:
        doc = self.session.doc
        return doc.info.duration_ms if doc is not None and doc.info is not None else None

    def frame_ms(self) -> float:
        doc = self.session.doc
        fps = doc.info.fps if doc is not None and doc.info is not None and doc.info.fps > 0 else 25.0
        return 1000.0 / fps

    def _frame_step(self, ms: int, n: int) -> int:
        """``ms`` moved ``n`` frames, landing on a frame boundary."""
        step = self.frame_ms()
        return math.ceil(round((int(round(ms / step)) + n) * step, 6))  # 60 * (1000 / 30) is 2000.0000000000002

    def _apply(self, row: int, cue: Cue, start: int, end: int, label: str, cross: bool = False) -> bool:
        """Retime ``cue`` to ``start``..``end`` (clamped to its neighbours unless ``cross``): one undo step."""
        doc = self.session.doc
        assert doc is not None
        duration = self._duration()
        if cross:
            low, high = 0, duration if duration else max(end, cue.end_ms)
        else:
            low, high = bounds(doc.model.cues(), row, duration)
        clamped = (max(low, start) if start != cue.start_ms else start, min(high, end) if end != cue.end_ms else end)
        start, end = clamped[0], clamped[1]
        if end - start < MIN_CUE_MS:
            self.session.status.emit(f"Cue {row + 1} cannot be shorter than that")
            return False
        if (start, end) == (cue.start_ms, cue.end_ms):
            self.session.status.emit(f"Cue {row + 1} is against its neighbour: not moved")
            return False
        new_row = doc.model.replace_cue(row, cue.with_(start_ms=start, end_ms=end), f"{label} (cue {row + 1})")
        self.session.status.emit(f"Cue {new_row + 1}: {format_ms(start)} to {format_ms(end)}")
        return True

    # -- retiming the selected cue ---------------------------------------------------------------

    def set_start(self, cross: bool = False) -> bool:
        """The selected cue starts at the playhead (``cross``: even over the previous cue)."""
        current = self._current("set its start")
        if current is None:
            return False
        row, cue = current
        at = self.session.position
        if at >= cue.end_ms:
            self.session.status.emit(f"The playhead is not before cue {row + 1}'s end: start not set")
            return False
        return self._apply(row, cue, at, cue.end_ms, "Set start", cross)

    def set_end(self, cross: bool = False) -> bool:
        """The selected cue ends at the playhead (``cross``: even over the next cue)."""
        current = self._current("set its end")
        if current is None:
            return False
        row, cue = current
        at = self.session.position
        if at <= cue.start_ms:
            self.session.status.emit(f"The playhead is not after cue {row + 1}'s start: end not set")
            return False
        return self._apply(row, cue, cue.start_ms, at, "Set end", cross)

    def nudge(self, edge: str, amount: int, unit: str = "ms") -> bool:
        """Move the selected cue's ``edge`` ("start" or "end") by ``amount`` milliseconds or frames."""
        current = self._current(f"nudge its {edge}")
        if current is None:
            return False
        row, cue = current
        old = cue.start_ms if edge == "start" else cue.end_ms
        new = self._frame_step(old, amount) if unit == "frames" else old + amount
        new = max(0, new)
        if edge == "start":
            return self._apply(row, cue, min(new, cue.end_ms - MIN_CUE_MS), cue.end_ms, "Nudge start")
        return self._apply(row, cue, cue.start_ms, max(new, cue.start_ms + MIN_CUE_MS), "Nudge end")

    def move(self, amount_ms: int) -> bool:
        """Move the whole selected cue by ``amount_ms`` (it stops against its neighbour)."""
        current = self._current("move it")
        if current is None:
            return False
        row, cue = current
        doc = self.session.doc
        assert doc is not None
        low, high = bounds(doc.model.cues(), row, self._duration())
        shift = max(low - cue.start_ms, min(amount_ms, high - cue.end_ms))
        return self._apply(row, cue, cue.start_ms + shift, cue.end_ms + shift, "Move cue")

    # -- moving the playhead -------------------------------------------------------------------

    def goto_cue(self, step: int) -> bool:
        """Select the next (``step`` 1) or previous (-1) cue and move the playhead to its start."""
        doc = self.session.doc
        if doc is None or not len(doc.model.track):
            self.session.status.emit("No cues")
            return False
        cues = doc.model.cues()
        rows = self.rows()
        pos = self.session.position
        if rows:
            row = rows[0] + step
        elif step > 0:
            row = next((i for i, c in enumerate(cues) if c.start_ms > pos), len(cues))
        else:
            row = max((i for i, c in enumerate(cues) if c.start_ms < pos), default=-1)
        if not 0 <= row < len(cues):
            self.session.status.emit("No next cue" if step > 0 else "No previous cue")
            return False
        self.select(row)
        self.session.playback.seek(cues[row].start_ms)
        self.session.status.emit(f"Cue {row + 1}: {format_ms(cues[row].start_ms)}")
        return True

    def goto_point(self, kind: str, step: int) -> bool:
        """Move the playhead to the next (``step`` 1) or previous (-1) gap ("gap") or shot change ("shot")."""
        doc = self.session.doc
        if doc is None or doc.info is None:
            return False
        analysis = doc.analysis
        if analysis is None:
            self.session.status.emit("No analysis yet: Caption > Analyze Video (Ctrl+Shift+A) finds gaps and shots")
            return False
        points = sorted(g.start_ms for g in analysis.gaps) if kind == "gap" else sorted(analysis.cuts_ms)
        pos = self.session.position
        name = "gap" if kind == "gap" else "shot change"
        if step > 0:
            target = next((p for p in points if p > pos), None)
        else:
            target = max((p for p in points if p < pos), default=None)
        if target is None:
            self.session.status.emit(f"No {'next' if step > 0 else 'previous'} {name}")
            return False
        self.session.playback.seek(target)
        self.session.status.emit(f"{name.capitalize()} at {format_ms(target)}")
        return True

    def _cue_row(self) -> int | None:
        """The selected cue, or the cue under the playhead."""
        doc = self.session.doc
        if doc is None:
            return None
        rows = self.rows()
        cues = doc.model.cues()
        pos = self.session.position
        row = rows[0] if rows else next((i for i, c in enumerate(cues) if c.start_ms <= pos < c.end_ms), None)
        return row if row is not None and row < len(cues) else None

    def play_cue(self) -> bool:
        """Play the selected cue (or the cue under the playhead) with a second before and after it."""
        doc = self.session.doc
        if doc is None or doc.info is None:
            return False
        row = self._cue_row()
        if row is None:
            self.session.status.emit("Select a cue to play it")
            return False
        cue = doc.model.cues()[row]
        self.session.playback.play_cue(cue.start_ms, cue.end_ms)
        return True

    def loop(self) -> bool:
        """Loop the marked range (Mark In/Out) if both marks are set, else the selected cue; again: stop."""
        doc, playback = self.session.doc, self.session.playback
        if playback.mode == "loop":
            playback.stop()
            self.session.status.emit("Loop stopped")
            return False
        if doc is None or doc.info is None:
            return False
        start, end = self.session.jobs.range_marks
        what = "the marked range"
        if start is None or end is None or end <= start:
            row = self._cue_row()
            if row is None:
                self.session.status.emit("Select a cue or mark a range (Ctrl+[ and Ctrl+]) to loop it")
                return False
            cue = doc.model.cues()[row]
            start, end, what = cue.start_ms, cue.end_ms, f"cue {row + 1}"
        if not playback.loop(start, end):
            return False
        self.session.status.emit(f"Looping {what} ({format_ms(start)}-{format_ms(end)}); Ctrl+L again stops")
        return True

    def play_described(self) -> bool:
        """Preview with descriptions from the playhead (each cue spoken over the ducked programme); again: stop."""
        doc, playback = self.session.doc, self.session.playback
        if playback.mode == "describe":
            playback.stop()
            return False
        if doc is None or doc.info is None:
            return False
        from captioner_app.core.speech import VoiceOptions, speak, voice_for_language
        from captioner_app.core.speech.player import Describe

        options = VoiceOptions(
            self.session.settings.narration_voice or voice_for_language(doc.model.track.language),
            self.session.narration.wpm,
        )
        cues = tuple(sorted(doc.model.cues(), key=lambda c: (c.start_ms, c.end_ms)))
        playback.play_described(Describe(cues, lambda cue: speak(cue.text, options)))
        self.session.status.emit(f"Preview with descriptions (voice {options.voice}, {options.wpm} wpm)")
        return True
