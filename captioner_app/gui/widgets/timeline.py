"""The timeline: a time ruler, the audio's waveform, speech regions, shot-change marks, cue blocks and
the playhead.

The waveform (min/max per pixel from the core's envelope, partial while it is computed in a worker) is
drawn in a band under the ruler; speech regions shade it and usable gaps are outlined under it.

Click or drag on the ruler to move the playhead; drag a cue's left or right edge to retime it (one
undoable edit on release); click a cue to select it. With an analysis set, a dragged edge snaps to
the nearest shot change or gap edge within a few pixels (hold Shift to place it freely).
Ctrl+wheel or +/- zoom around the playhead; arrow keys step frames (the main window's shortcuts).
Colours come from the palette, so high contrast themes stay readable.

Everything but the playhead and the focus frame is painted once into a cached pixmap, repainted only when
what it shows changes: moving the playhead (every frame while playing or scrubbing) then costs a copy and
a line on the GUI thread, not the ruler's labels, every cue's text and the waveform again.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import QEvent, QLineF, QPointF, QRectF, QSize, Qt, Signal
from PySide6.QtGui import (
    QColor,
    QFocusEvent,
    QKeyEvent,
    QMouseEvent,
    QPainter,
    QPaintEvent,
    QPalette,
    QPen,
    QPixmap,
    QResizeEvent,
    QWheelEvent,
)
from PySide6.QtWidgets import QSizePolicy, QWidget

from captioner_app.core.analysis.analyze import Analysis, snap
from captioner_app.core.timecode import format_ms
from captioner_app.core.tracks.track import Cue

EDGE_PX = 5
RULER_H = 22
REGION_H = 8
WAVE_H = 32  # the waveform band under the speech band
SNAP_PX = 8  # a dragged cue edge snaps to a shot change or gap edge this close (in pixels)


class Timeline(QWidget):
    seekRequested = Signal(int)  # ms
    cueClicked = Signal(int)  # row
    cueTimesEdited = Signal(int, int, int)  # row, start_ms, end_ms
    contentChanged = Signal()  # new cues or a new analysis (the Timeline Items list mirrors them)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setMouseTracking(True)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.duration_ms = 0
        self.position_ms = 0
        self.cues: list[Cue] = []
        self.selected: set[int] = set()
        self.regions: list[tuple[int, int]] = []  # e.g. speech: (start_ms, end_ms)
        self.marks: list[int] = []  # e.g. shot changes
        self.analysis: Analysis | None = None  # speech, gaps and shots: drawn, and snapped to
        self.envelope: Any = None  # core.media.waveform.Envelope of the audio (possibly partial), or None
        self.snap_px = SNAP_PX
        self.snapped_to: int | None = None  # the point the edge being dragged snapped to
        self.view_start = 0
        self.view_end = 0
        self._drag: tuple[str, int, int, int] | None = None  # ("start"|"end"|"seek", row, start, end)
        self.drag_label: str | None = None  # the dragged edge's time, drawn beside it
        self._lanes: list[int] = []  # overlapping cues are drawn in separate lanes, one above the other
        self._lane_count = 1
        self._layer: QPixmap | None = None  # everything but the playhead and the focus frame

    def sizeHint(self) -> QSize:
        return QSize(600, RULER_H + REGION_H + WAVE_H + 56)

    def minimumSizeHint(self) -> QSize:
        return QSize(200, RULER_H + REGION_H + WAVE_H + 40)

    # -- data --------------------------------------------------------------------------------

    def set_duration(self, duration_ms: int) -> None:
        self.duration_ms = max(0, int(duration_ms))
        self.view_start, self.view_end = 0, self.duration_ms
        self._changed()

    def set_cues(self, cues: Sequence[Cue]) -> None:
        self.cues = list(cues)
        self._assign_lanes()
        self.contentChanged.emit()
        if self._drag is None:
            self._changed()

    def _assign_lanes(self) -> None:
        """Give each cue the first lane where it overlaps no cue, so neither of two overlapping cues hides
        the other (cues that do not overlap all sit in lane 0)."""
        ends: list[int] = []  # per lane, the end of its last cue
        self._lanes = [0] * len(self.cues)
        for row in sorted(range(len(self.cues)), key=lambda r: (self.cues[r].start_ms, self.cues[r].end_ms)):
            cue = self.cues[row]
            lane = next((i for i, end in enumerate(ends) if end <= cue.start_ms), len(ends))
            if lane == len(ends):
                ends.append(cue.end_ms)
            else:
                ends[lane] = cue.end_ms
            self._lanes[row] = lane
        self._lane_count = max(1, len(ends))

    def set_selected(self, rows: Sequence[int]) -> None:
        self.selected = set(rows)
        self._changed()

    def set_position(self, ms: int) -> None:
        self.position_ms = int(ms)
        if self.view_end > self.view_start and not self.view_start <= ms <= self.view_end:
            span = self.view_end - self.view_start
            self.view_start = max(0, min(int(ms) - span // 4, self.duration_ms - span))
            self.view_end = self.view_start + span
            self._layer = None
        self.update()

    def _changed(self) -> None:
        """What the cached layer shows has changed: paint it again at the next paint."""
        self._layer = None
        self.update()

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._layer = None

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() in (QEvent.Type.PaletteChange, QEvent.Type.StyleChange, QEvent.Type.FontChange):
            self._layer = None

    def set_regions(self, regions: Sequence[tuple[int, int]]) -> None:
        self.regions = [(int(s), int(e)) for s, e in regions]
        self._changed()

    def set_marks(self, marks: Sequence[int]) -> None:
        self.marks = [int(m) for m in marks]
        self._changed()

    def set_analysis(self, analysis: Analysis | None) -> None:
        """Draw ``analysis``'s speech as regions and its shot changes as marks; snap edges to them."""
        self.analysis = analysis
        self.regions = [(s.start_ms, s.end_ms) for s in analysis.speech] if analysis else []
        self.marks = list(analysis.cuts_ms) if analysis else []
        self.contentChanged.emit()
        self._changed()

    def set_envelope(self, envelope: Any) -> None:
        """Draw ``envelope``'s waveform (a partial one shows what is computed so far; None: none)."""
        self.envelope = envelope
        self._changed()

    def waveform_peaks(self) -> tuple[Any, Any] | None:
        """The (mins, maxs) drawn, one pair per pixel of the current view; None without a waveform."""
        if self.envelope is None or self.view_end <= self.view_start:
            return None
        return self.envelope.peaks(self.view_start, self.view_end, max(1, self.width()))

    def snap_ms(self, ms: int) -> int:
        """``ms`` moved to the nearest shot change or gap edge within :attr:`snap_px` pixels."""
        span = max(1, self.view_end - self.view_start)
        tolerance = int(self.snap_px * span / max(1, self.width() - 1))
        return snap(ms, self.analysis, tolerance)

    def zoom(self, factor: float, around_ms: int | None = None) -> None:
        if self.duration_ms <= 0:
            return
        around = self.position_ms if around_ms is None else around_ms
        span = max(1000, min(self.duration_ms, int((self.view_end - self.view_start) / factor)))
        frac = (around - self.view_start) / max(1, self.view_end - self.view_start)
        start = int(around - frac * span)
        self.view_start = max(0, min(start, self.duration_ms - span))
        self.view_end = self.view_start + span
        self._changed()

    # -- geometry ----------------------------------------------------------------------------

    def x_for(self, ms: float) -> float:
        span = max(1, self.view_end - self.view_start)
        return (ms - self.view_start) / span * max(1, self.width() - 1)

    def ms_for(self, x: float) -> int:
        span = max(1, self.view_end - self.view_start)
        ms = self.view_start + x / max(1, self.width() - 1) * span
        return int(min(max(0, ms), self.duration_ms))

    def cue_rect(self, cue: Cue, row: int | None = None) -> QRectF:
        """Where ``cue`` (at ``row``, for its lane when cues overlap) is drawn."""
        top, bottom = float(RULER_H + REGION_H + WAVE_H + 4), float(self.height() - 4)
        if row is not None and self._lane_count > 1 and row < len(self._lanes):
            height = (bottom - top) / self._lane_count
            top += self._lanes[row] * height
            bottom = top + height - 1
        return QRectF(
            QPointF(self.x_for(cue.start_ms), top),
            QPointF(max(self.x_for(cue.end_ms), self.x_for(cue.start_ms) + 2), bottom),
        )

    def _hit(self, pos: QPointF) -> tuple[str, int] | None:
        for row in sorted(range(len(self.cues)), key=lambda r: r not in self.selected):
            rect = self.cue_rect(self.cues[row], row)
            if not rect.top() <= pos.y() <= rect.bottom():
                continue
            if abs(pos.x() - rect.left()) <= EDGE_PX:
                return "start", row
            if abs(pos.x() - rect.right()) <= EDGE_PX:
                return "end", row
            if rect.left() <= pos.x() <= rect.right():
                return "body", row
        return None

    # -- painting ----------------------------------------------------------------------------

    def paintEvent(self, event: QPaintEvent) -> None:
        ratio = self.devicePixelRatioF()
        if self._layer is None or self._layer.devicePixelRatioF() != ratio:
            self._layer = QPixmap(max(1, round(self.width() * ratio)), max(1, round(self.height() * ratio)))
            self._layer.setDevicePixelRatio(ratio)
            layer = QPainter(self._layer)
            self._paint_layer(layer)
            layer.end()
        p = QPainter(self)
        p.drawPixmap(0, 0, self._layer)
        pal = self.palette()
        h = self.height()
        if self.duration_ms > 0:  # the playhead
            x = self.x_for(self.position_ms)
            p.setPen(QPen(pal.color(QPalette.ColorRole.Text), 2))
            p.drawLine(QPointF(x, 0), QPointF(x, h))
        if self.hasFocus():
            p.setPen(QPen(pal.color(QPalette.ColorRole.Highlight), 2))
            p.setBrush(Qt.BrushStyle.NoBrush)
            p.drawRect(self.rect().adjusted(1, 1, -1, -1))
        p.end()

    def _paint_layer(self, p: QPainter) -> None:
        pal = self.palette()
        w, h = self.width(), self.height()
        p.fillRect(self.rect(), pal.color(QPalette.ColorRole.Base))
        p.fillRect(QRectF(0, 0, w, RULER_H), pal.color(QPalette.ColorRole.Window))
        text_pen = QPen(pal.color(QPalette.ColorRole.WindowText))
        p.setPen(text_pen)
        if self.duration_ms > 0:
            span = max(1, self.view_end - self.view_start)
            steps = [100, 250, 500, 1000, 2000, 5000, 10_000, 15_000, 30_000, 60_000, 120_000, 300_000, 600_000]
            min_px = p.fontMetrics().horizontalAdvance("0:00:00") + 16
            step = next((s for s in steps if s / span * w >= min_px), steps[-1])
            t = (self.view_start // step) * step
            while t <= self.view_end:
                x = self.x_for(t)
                p.drawLine(QPointF(x, RULER_H - 6), QPointF(x, RULER_H))
                label = format_ms(t, decimals=1 if step < 1000 else 0, hours=None, minute_digits=1)
                p.drawText(QPointF(x + 3, RULER_H - 8), label)
                t += step
            # speech regions (a strip, and a shade over the waveform) and shot marks
            band_bottom = RULER_H + REGION_H + WAVE_H
            if self.regions:
                colour = QColor(pal.color(QPalette.ColorRole.Link))
                shade = QColor(colour)
                shade.setAlpha(60)
                for s, e in self.regions:
                    p.fillRect(
                        QRectF(QPointF(self.x_for(s), RULER_H + 2), QPointF(self.x_for(e), RULER_H + REGION_H)), colour
                    )
                    p.fillRect(
                        QRectF(QPointF(self.x_for(s), RULER_H + REGION_H), QPointF(self.x_for(e), band_bottom)), shade
                    )
            self._paint_waveform(p, RULER_H + REGION_H, band_bottom)
            if self.analysis is not None:  # usable gaps: an outline under the waveform band
                p.setPen(QPen(pal.color(QPalette.ColorRole.Link), 1))
                for gap in self.analysis.gaps:
                    y = band_bottom + 1
                    p.drawLine(QPointF(self.x_for(gap.start_ms), y), QPointF(self.x_for(gap.end_ms), y))
            if self.marks:
                p.setPen(QPen(pal.color(QPalette.ColorRole.WindowText), 1, Qt.PenStyle.DashLine))
                for m in self.marks:
                    p.drawLine(QPointF(self.x_for(m), RULER_H), QPointF(self.x_for(m), h))
            # cue blocks
            fill = pal.color(QPalette.ColorRole.Button)
            sel = pal.color(QPalette.ColorRole.Highlight)
            for row, cue in enumerate(self.cues):
                rect = self.cue_rect(cue, row)
                if rect.right() < 0 or rect.left() > w:
                    continue
                chosen = row in self.selected
                ink = pal.color(QPalette.ColorRole.HighlightedText if chosen else QPalette.ColorRole.ButtonText)
                # an extended cue (the player pauses for it) has a dashed outline and says so
                style = Qt.PenStyle.DashLine if cue.extended else Qt.PenStyle.SolidLine
                p.setPen(QPen(ink, 2 if chosen or cue.extended else 1, style))
                p.setBrush(sel if chosen else fill)
                p.drawRect(rect)
                p.setPen(ink)
                label = cue.text or "(empty)"
                if cue.extended:
                    label = "[extended] " + label
                p.drawText(
                    rect.adjusted(4, 2, -4, -2),
                    int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop | Qt.TextFlag.TextWordWrap),
                    label,
                )
            if self.snapped_to is not None:
                p.setPen(QPen(pal.color(QPalette.ColorRole.Highlight), 3))
                x = self.x_for(self.snapped_to)
                p.drawLine(QPointF(x, RULER_H), QPointF(x, h))
            if self.drag_label is not None and self._drag is not None:
                edge_ms = self._drag[2] if self._drag[0] == "start" else self._drag[3]
                metrics = p.fontMetrics()
                box = QRectF(0, 0, metrics.horizontalAdvance(self.drag_label) + 8, metrics.height() + 4)
                box.moveTo(min(max(0.0, self.x_for(edge_ms) + 4), w - box.width()), RULER_H + REGION_H + 2)
                p.setPen(QPen(pal.color(QPalette.ColorRole.ToolTipText)))
                p.setBrush(pal.color(QPalette.ColorRole.ToolTipBase))
                p.drawRect(box)
                p.drawText(box, int(Qt.AlignmentFlag.AlignCenter), self.drag_label)

    def _paint_waveform(self, p: QPainter, top: int, bottom: int) -> None:
        peaks = self.waveform_peaks()
        if peaks is None:
            return
        mins, maxs = peaks
        mid = (top + bottom) / 2
        half = (bottom - top) / 2 - 1
        p.setPen(QPen(self.palette().color(QPalette.ColorRole.Text), 1))
        lines = [
            QLineF(x + 0.5, mid - float(hi) * half, x + 0.5, mid - float(lo) * half + 0.01)
            for x, (lo, hi) in enumerate(zip(mins, maxs, strict=True))
            if hi > lo or hi != 0
        ]
        if lines:
            p.drawLines(lines)

    def focusInEvent(self, event: QFocusEvent) -> None:
        super().focusInEvent(event)
        self.update()

    def focusOutEvent(self, event: QFocusEvent) -> None:
        super().focusOutEvent(event)
        self.update()

    # -- mouse -------------------------------------------------------------------------------

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() != Qt.MouseButton.LeftButton or self.duration_ms <= 0:
            return
        pos = event.position()
        hit = self._hit(pos) if pos.y() > RULER_H + REGION_H + WAVE_H else None
        if hit and hit[0] in ("start", "end"):
            cue = self.cues[hit[1]]
            self._drag = (hit[0], hit[1], cue.start_ms, cue.end_ms)
            return
        if hit:
            self.cueClicked.emit(hit[1])
        self._drag = ("seek", -1, 0, 0)
        self.seekRequested.emit(self.ms_for(pos.x()))

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        pos = event.position()
        if self._drag is None:
            hit = self._hit(pos)
            edge = hit is not None and hit[0] in ("start", "end")
            self.setCursor(Qt.CursorShape.SizeHorCursor if edge else Qt.CursorShape.ArrowCursor)
            return
        kind, row, start, end = self._drag
        ms = self.ms_for(pos.x())
        if kind == "seek":
            self.seekRequested.emit(ms)
            return
        self.snapped_to = None
        if not event.modifiers() & Qt.KeyboardModifier.ShiftModifier:
            snapped = self.snap_ms(ms)
            if snapped != ms:
                self.snapped_to = ms = snapped
        if kind == "start":
            start = min(ms, end)
        else:
            end = max(ms, start)
        self._drag = (kind, row, start, end)
        self.drag_label = f"{'Start' if kind == 'start' else 'End'} {format_ms(start if kind == 'start' else end)}"
        self.setToolTip(self.drag_label)
        if 0 <= row < len(self.cues):
            self.cues[row] = self.cues[row].with_(start_ms=start, end_ms=end)
        self._changed()

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        drag, self._drag = self._drag, None
        if self.drag_label is not None:
            self.drag_label = None
            self.setToolTip("")
            self._changed()
        if self.snapped_to is not None:
            self.snapped_to = None
            self._changed()
        if drag is None or drag[0] == "seek":
            return
        _, row, start, end = drag
        self.cueTimesEdited.emit(row, start, end)

    def wheelEvent(self, event: QWheelEvent) -> None:
        if event.modifiers() & Qt.KeyboardModifier.ControlModifier:
            self.zoom(1.25 if event.angleDelta().y() > 0 else 0.8, self.ms_for(event.position().x()))
            event.accept()
        else:
            super().wheelEvent(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() in (Qt.Key.Key_Plus, Qt.Key.Key_Equal):
            self.zoom(1.5)
        elif event.key() == Qt.Key.Key_Minus:
            self.zoom(1 / 1.5)
        else:
            super().keyPressEvent(event)
