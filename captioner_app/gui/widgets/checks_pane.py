"""The checks pane: every finding of :func:`core.checks.check_track` for the current track.

Each line names the cue, the severity, the rule, what is wrong and what to do. Clicking a finding
(or pressing Enter on it) asks the main window to select its cue. The track kind (description or
caption) decides whether characters per second are checked.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QStyle,
    QVBoxLayout,
    QWidget,
)

from captioner_app.core.timecode import format_ms
from captioner_app.core.tracks.checks import ERROR, KINDS, Finding
from captioner_app.gui.accessibility import ValueLabel

FINDING_ROLE = Qt.ItemDataRole.UserRole


def finding_text(finding: Finding) -> str:
    """One line: ``Cue 3 (0:12.4–0:15.0) · error · over-budget: … — …``."""

    def clock(ms: int) -> str:
        return format_ms(ms, decimals=1, hours=None, minute_digits=1)

    return (
        f"Cue {finding.cue_index + 1} ({clock(finding.start_ms)}–{clock(finding.end_ms)}) · "
        f"{finding.severity} · {finding.rule}: {finding.message} — {finding.advice}"
    )


class ChecksPane(QWidget):
    findingActivated = Signal(int)  # the cue's row
    kindChanged = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        row = QHBoxLayout()
        self.summary = ValueLabel("Checks summary", "No video")
        self.summary.setWordWrap(True)
        self.kind_combo = QComboBox()
        self.kind_combo.addItems(KINDS)
        self.kind_combo.setAccessibleName("Track kind")
        self.kind_combo.view().setAccessibleName("Track kind choices")
        self.kind_combo.setToolTip("A caption track is also checked for characters per second")
        kind_label = QLabel("Track &kind:")
        kind_label.setBuddy(self.kind_combo)
        kind_label.setAccessibleName("Track kind")
        row.addWidget(self.summary, 1)
        row.addWidget(kind_label)
        row.addWidget(self.kind_combo)
        layout.addLayout(row)
        self.list = QListWidget()
        self.list.setAccessibleName("Check findings")
        self.list.setAccessibleDescription("Problems found in the track; click or press Enter to select the cue")
        self.list.setWordWrap(True)
        layout.addWidget(self.list, 1)
        self.findings: list[Finding] = []
        self.list.itemClicked.connect(self._activate)
        self.list.itemActivated.connect(self._activate)
        self.kind_combo.currentTextChanged.connect(self.kindChanged)

    @property
    def kind(self) -> str:
        return self.kind_combo.currentText()

    def set_findings(self, findings: Sequence[Finding], note: str = "") -> None:
        """Show ``findings``; ``note`` says what was not checked (e.g. speech, before the analysis)."""
        self.findings = list(findings)
        current = self.list.currentRow()
        self.list.clear()
        style = self.style()  # each icon made once per call, not once per finding
        error_icon = style.standardIcon(QStyle.StandardPixmap.SP_MessageBoxCritical)
        warning_icon = style.standardIcon(QStyle.StandardPixmap.SP_MessageBoxWarning)
        for finding in self.findings:
            text = finding_text(finding)
            item = QListWidgetItem(error_icon if finding.severity == ERROR else warning_icon, text)
            item.setData(FINDING_ROLE, finding.cue_index)
            item.setData(Qt.ItemDataRole.AccessibleTextRole, text)
            item.setToolTip(text)
            self.list.addItem(item)
        if 0 <= current < self.list.count():
            self.list.setCurrentRow(current)
        errors = sum(1 for f in self.findings if f.severity == ERROR)
        warnings = len(self.findings) - errors
        if self.findings:
            text = f"{errors} error{'s' if errors != 1 else ''}, {warnings} warning{'s' if warnings != 1 else ''}"
        else:
            text = "No problems found"
        self.summary.setText(f"{text}{'; ' + note if note else ''}")

    def clear(self, message: str) -> None:
        self.findings = []
        self.list.clear()
        self.summary.setText(message)

    def _activate(self, item: QListWidgetItem) -> None:
        row = item.data(FINDING_ROLE)
        if isinstance(row, int):
            self.findingActivated.emit(row)
