"""Edit > Find, Find Next / Previous, Replace, Replace All over the active track's cue text.

Creates no widgets: the find bar gives the query (:class:`~captioner_app.core.tracks.search.Query`) and
the replacement; ``rows()`` gives the table's selected rows and ``select(row)`` selects one. A found cue is
selected and the playhead moves to its start; every result (which match of how many, nothing found, how
many replaced) is said on the session's status line, which the status bar shows and screen readers hear.
Replace changes one match (one undo step); Replace All changes every match in the track as one undo step.
"""

from __future__ import annotations

import re

from captioner_app.core.tracks import search
from captioner_app.core.tracks.search import Match, Query
from captioner_app.gui.selection import SelectionCommands


class FindReplace(SelectionCommands):
    current: Match | None = None  # the last match found, where Find Next goes on from

    def _say(self, text: str) -> None:
        self.session.status.emit(text)

    def _all(self, query: Query) -> tuple[list[Match], re.Pattern[str]] | None:
        doc = self.session.doc
        if doc is None:
            self._say("Open a video to find in its cues")
            return None
        try:
            pattern = query.pattern()
        except ValueError as err:
            self._say(str(err))
            return None
        return search.matches(doc.model.track.cues, pattern), pattern

    def find(self, query: Query, backward: bool = False) -> Match | None:
        """Select the cue of the next (or previous) match after the current one; says "match i of n"."""
        result = self._all(query)
        if result is None:
            return None
        found, _pattern = result
        if not found:
            self.current = None
            self._say(f"{query.describe()} is not in any cue")
            return None
        row, offset = self._origin(backward)
        hit = search.next_match(found, row, offset, backward)
        assert hit is not None
        match, wrapped = hit
        self._go(match)
        cues = len({m.row for m in found})
        where = f"match {found.index(match) + 1} of {len(found)} in {cues} cue{'s' if cues != 1 else ''}"
        again = "; searched from the " + ("end" if backward else "start") if wrapped else ""
        self._say(f"{query.describe()}: {where}, cue {match.row + 1}{again}")
        return match

    def _origin(self, backward: bool) -> tuple[int, int]:
        """Where a search starts: just past (or before) the current match when its cue is still selected,
        else the start of the selected cue (the first cue when none is)."""
        rows = self.rows()
        current = self.current
        if current is not None and rows and rows[0] == current.row:
            return (current.row, current.start) if backward else (current.row, current.start + 1)
        if not rows:
            return (len(self.session.doc.model.track), 0) if backward and self.session.doc else (0, 0)
        return (rows[0] + 1, 0) if backward else (rows[0], 0)

    def _go(self, match: Match) -> None:
        self.current = match
        doc = self.session.doc
        self.select(match.row)
        if doc is not None:
            self.session.playback.seek(doc.model.track[match.row].start_ms)

    def replace(self, query: Query, replacement: str) -> bool:
        """Replace the current match (one undo step) and find the next one; with no current match in the
        selected cue, find one first (a second Replace then replaces it), as text editors do."""
        result = self._all(query)
        if result is None:
            return False
        found, pattern = result
        current, rows = self.current, self.rows()
        if current is None or current not in found or not rows or rows[0] != current.row:
            self.find(query)
            return False
        doc = self.session.doc
        assert doc is not None
        try:
            cue = search.replace_one(doc.model.track[current.row], current, pattern, replacement, query.regex)
        except ValueError as err:
            self._say(str(err))
            return False
        new_end = current.end + len(cue.text) - len(doc.model.track[current.row].text)
        doc.model.replace_cue(current.row, cue, f"Replace {query.describe()} in cue {current.row + 1}")
        self.current = None
        remaining = search.matches(doc.model.track.cues, pattern)
        if not remaining:
            self.current = None
            self._say(f"Replaced the last match of {query.describe()}")
            return True
        # go on after the replaced text (a replacement that matches again is not found again at once)
        hit = search.next_match(remaining, current.row, max(current.start + 1, new_end))
        assert hit is not None
        self._go(hit[0])
        self._say(f"Replaced 1 match; {len(remaining)} left, next in cue {hit[0].row + 1}")
        return True

    def replace_all(self, query: Query, replacement: str) -> int:
        """Replace every match in the track as one undo step; says how many in how many cues."""
        result = self._all(query)
        if result is None:
            return 0
        _found, pattern = result
        doc = self.session.doc
        assert doc is not None
        try:
            cues, total, changed = search.replace_all(doc.model.track.cues, pattern, replacement, query.regex)
        except ValueError as err:
            self._say(str(err))
            return 0
        if not total:
            self._say(f"{query.describe()} is not in any cue: nothing replaced")
            return 0
        doc.model.replace_all(cues, f"Replace all {query.describe()} ({total})")
        self.current = None
        self._say(f"Replaced {total} match{'es' if total != 1 else ''} in {changed} cue{'s' if changed != 1 else ''}")
        return total
