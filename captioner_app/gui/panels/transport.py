"""Transport: Play/Pause, the scrub slider and the playhead time; and the frame keys (Left/Right step a
frame, Page Up/Down a second, Space plays) for the widgets that show the picture or the time."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QHBoxLayout, QSlider, QToolButton, QWidget

from captioner_app.gui.accessibility import ValueLabel
from captioner_app.gui.models.cues import format_ms
from captioner_app.gui.panels.common import named
from captioner_app.gui.playback import Playback


class Transport(QWidget):
    playRequested = Signal()  # play or pause
    seekRequested = Signal(int)  # the slider moved (ms)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        self.play_button = named(QToolButton(), "Play or pause", "Play or pause (Ctrl+P)")
        self.play_button.setText("Play")
        self.slider = named(
            QSlider(Qt.Orientation.Horizontal),
            "Playhead (no video)",
            "Position in the video; arrow keys step frames, Page Up/Down a second",
        )
        self.slider.setRange(0, 0)
        self.time_label = ValueLabel("Playhead time", "0:00:00.000 / 0:00:00.000")
        row.addWidget(self.play_button)
        row.addWidget(self.slider, 1)
        row.addWidget(self.time_label)
        self.play_button.clicked.connect(self.playRequested)
        self.slider.valueChanged.connect(self.seekRequested)

    def set_video(self, duration_ms: int, fps: float | None, position_ms: int) -> None:
        """A video became current (duration 0: none)."""
        self.slider.blockSignals(True)
        self.slider.setRange(0, max(0, duration_ms - 1))
        if fps:
            self.slider.setSingleStep(max(1, int(round(1000 / fps))))
        self.slider.setPageStep(1000)
        self.slider.setValue(position_ms)
        self.slider.blockSignals(False)
        self._say_position(position_ms, duration_ms)

    def _say_position(self, ms: int, duration_ms: int) -> None:
        """The slider's value as a time: screen readers read its name with the value (not milliseconds)."""
        name = f"Playhead {format_ms(ms)} of {format_ms(duration_ms)}" if duration_ms else "Playhead (no video)"
        if self.slider.accessibleName() != name:
            self.slider.setAccessibleName(name)

    def set_position(self, ms: int, duration_ms: int) -> None:
        if self.slider.value() != ms:
            self.slider.blockSignals(True)
            self.slider.setValue(ms)
            self.slider.blockSignals(False)
        self.time_label.setText(f"{format_ms(ms)} / {format_ms(duration_ms)}")
        self._say_position(ms, duration_ms)

    def set_playing(self, playing: bool) -> None:
        self.play_button.setText("Pause" if playing else "Play")

    def set_enabled(self, has_video: bool) -> None:
        self.play_button.setEnabled(has_video)
        self.slider.setEnabled(has_video)


class FrameKeys(QObject):
    """Event filter: on the widgets it is installed on, Left/Right step a frame, Page Up/Down jump a second
    and Space plays or pauses."""

    def __init__(self, playback: Playback, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.playback = playback

    def install(self, *widgets: QWidget) -> None:
        for widget in widgets:
            widget.installEventFilter(self)

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:
        if isinstance(event, QKeyEvent) and event.type() == QEvent.Type.KeyPress:
            key = event.key()
            if key in (Qt.Key.Key_Left, Qt.Key.Key_Right):
                self.playback.step_frames(1 if key == Qt.Key.Key_Right else -1)
                return True
            if key in (Qt.Key.Key_PageUp, Qt.Key.Key_PageDown):
                self.playback.seek(self.playback.position + (1000 if key == Qt.Key.Key_PageDown else -1000))
                return True
            if key == Qt.Key.Key_Space:
                self.playback.toggle()
                return True
        return super().eventFilter(obj, event)
