"""The date bar: a slider over the model's time extent, play/pause, steps, speed, loop, big date
(a click on it, or Time ▸ Go to date…, opens it for a typed date).

Model → widget and widget → model, as napari's Dims/QtDims: the slider writes only through
``model.time`` and redraws itself when the model says "time".
"""

from __future__ import annotations

import datetime as dt
import math
import time as clock

from PyQt6.QtCore import QDate, Qt, QTimer, pyqtSignal
from PyQt6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QSlider,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from terrain_viewer.core.common.events import Links
from terrain_viewer.core.model import ViewerModel
from terrain_viewer.core.temporal.dates import date_text, range_ends, split_time, time_text
from terrain_viewer.core.temporal.timeline import day_number, to_date
from terrain_viewer.gui.qt_date_edit import parse_date, why_not

__all__ = ["QtTimeSlider", "date_text", "time_text"]

STEPS_PER_DAY = 24  # slider resolution: one hour
SPEEDS = (0.5, 1.0, 2.0, 4.0, 8.0)  # days per second
FRAMES_PER_DAY = (1, 4, 12, 24)


class DateLabel(QLabel):
    """The big date; a click on it asks for a typed one."""

    clicked = pyqtSignal()

    def mousePressEvent(self, event) -> None:  # noqa: N802 (Qt's)
        if event.button() == Qt.MouseButton.LeftButton and self.isEnabled():
            self.clicked.emit()
        super().mousePressEvent(event)


class DateField(QLineEdit):
    """A date typed over the big date: Enter takes it; Esc puts the date back; leaving the field
    takes a date it can read and otherwise puts the date back (and says why)."""

    left = pyqtSignal(bool)  # True: left by Esc (nothing taken)

    def keyPressEvent(self, event) -> None:  # noqa: N802 (Qt's)
        if event.key() == Qt.Key.Key_Escape:
            self.left.emit(True)
            return
        super().keyPressEvent(event)

    def focusOutEvent(self, event) -> None:  # noqa: N802 (Qt's)
        super().focusOutEvent(event)
        if self.isVisible():
            self.left.emit(False)


class QtTimeSlider(QWidget):
    """Slider, play/pause, step buttons, speed, frames per day, loop and the current date."""

    message = pyqtSignal(str)  # what the person should read (a typed date that is not one)

    def __init__(self, model: ViewerModel, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("timeBar")
        self.setFocusPolicy(Qt.FocusPolicy.ClickFocus)  # a click on the bar gives it the date keys
        self.model = model
        self._links = Links()
        self._play_origin: tuple[float, float] | None = None  # (wall clock, model time) at play
        self._played: float | None = None  # the date the player last showed (another: moved by hand)
        self._timer = QTimer(self, singleShot=True)  # set for each frame's moment (``_tick_in``)
        self._timer.setTimerType(Qt.TimerType.PreciseTimer)
        self._timer.timeout.connect(self._on_tick)
        self._build()
        self.set_model(model)

    # ---- layout -----------------------------------------------------------------------------
    def _build(self) -> None:
        self.date_label = DateLabel(objectName="dateLabel", toolTip="Click to type a date (Ctrl+G)")
        self.date_label.setCursor(Qt.CursorShape.IBeamCursor)
        self.date_label.clicked.connect(self.edit_date)
        self.date_field = DateField(objectName="dateField", visible=False,
                                    placeholderText="14 July 1944 or 1944-07-14")
        self.date_field.returnPressed.connect(lambda: self._take_typed(closing=False))
        self.date_field.left.connect(self._on_field_left)
        self.hour_label = QLabel(objectName="hourLabel")
        self.slider = QSlider(Qt.Orientation.Horizontal, objectName="dateSlider")
        self.slider.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.slider.valueChanged.connect(self._on_slider)
        self._resume = False  # playing when the handle was pressed: play on from where it is let go
        self.slider.sliderPressed.connect(self._on_handle_pressed)
        self.slider.sliderReleased.connect(self._on_handle_released)
        self.back_button = self._button("◀", "Back one day (Left)", lambda: self.step(-1))
        self.play_button = self._button("▶", "Play / pause (Space)", self.toggle_play)
        self.play_button.setObjectName("playButton")
        self.forward_button = self._button("▶|", "Forward one day (Right)", lambda: self.step(1))
        self.back_button.setText("|◀")
        self.speed_box = self._combo([f"{s:g} day/s" for s in SPEEDS], 1, "Playback speed")
        self.fpd_box = self._combo([f"{n} frame{'s' if n != 1 else ''}/day" for n in FRAMES_PER_DAY], 2,
                                   "Frames per day: more frames make units glide")
        self.speed_box.currentIndexChanged.connect(self._on_speed)
        self.fpd_box.currentIndexChanged.connect(self._on_speed)
        self.loop_box = QCheckBox("Loop", objectName="loopBox")
        self.loop_box.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.start_label, self.end_label = QLabel(objectName="rangeLabel"), QLabel(objectName="rangeLabel")
        self._lay_out()

    def _lay_out(self) -> None:
        """Big date on the left; the slider over the play controls on the right."""
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        dates = QVBoxLayout()
        dates.setSpacing(0)
        dates.addWidget(self.date_label)
        dates.addWidget(self.date_field)
        dates.addWidget(self.hour_label)
        self.date_label.setMinimumWidth(230)
        track = QHBoxLayout()
        track.addWidget(self.start_label)
        track.addWidget(self.slider, 1)
        track.addWidget(self.end_label)
        controls = QHBoxLayout()
        for widget in (self.back_button, self.play_button, self.forward_button):
            controls.addWidget(widget)
        controls.addStretch(1)
        for widget in (self.speed_box, self.fpd_box, self.loop_box):
            controls.addWidget(widget)
        right = QVBoxLayout()
        right.setSpacing(4)
        right.addLayout(track)
        right.addLayout(controls)
        row = QHBoxLayout(self)
        row.setContentsMargins(14, 6, 14, 6)
        row.addLayout(dates)
        row.addSpacing(12)
        row.addLayout(right, 1)

    def _button(self, text: str, tip: str, slot) -> QToolButton:
        button = QToolButton(text=text, toolTip=tip)
        button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        button.setMinimumSize(34, 30)
        button.clicked.connect(slot)
        return button

    def _combo(self, items: list[str], current: int, tip: str) -> QComboBox:
        box = QComboBox(toolTip=tip)
        box.addItems(items)
        box.setCurrentIndex(current)
        box.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        return box

    # ---- model binding ----------------------------------------------------------------------
    def set_model(self, model: ViewerModel) -> None:
        """Bind to a (new) model: range, labels and listener."""
        self.pause()
        self._links.clear()
        self.model = model
        for signal in (model.events.time_range, model.events.reset):
            self._links.connect(signal, lambda _c: self._sync_range())
        self._links.connect(model.events.time, lambda _c: self._sync_value())
        self._sync_range()

    def _sync_range(self) -> None:
        time = self.model.time
        self.slider.blockSignals(True)
        self.slider.setRange(0, round((time.end - time.start) * STEPS_PER_DAY))
        self.slider.setPageStep(7 * STEPS_PER_DAY)
        self.slider.setSingleStep(STEPS_PER_DAY)
        self.slider.blockSignals(False)
        start, end = range_ends(time.start, time.end) if self.model.has_time else ("", "")  # not 1970
        self.start_label.setText(start)
        self.end_label.setText(end)
        self._sync_value()

    def _sync_value(self) -> None:
        time = self.model.time
        dated = self.model.has_time
        for widget in (self.slider, self.back_button, self.play_button, self.forward_button):
            widget.setEnabled(dated)
        if not dated:  # no date to show: not "1 January 1970"
            self.date_label.setText("No dates")
            self.hour_label.setText("")
            return
        self.slider.blockSignals(True)
        self.slider.setValue(round((time.t - time.start) * STEPS_PER_DAY))
        self.slider.blockSignals(False)
        self.date_label.setText(date_text(time.t))
        fraction = time.t - math.floor(time.t)
        self.hour_label.setText(time_text(time.t) if fraction > 1e-6 else "")

    # ---- a typed date ------------------------------------------------------------------------
    def edit_date(self) -> None:
        """Open the big date for typing (playing stops), all of it selected."""
        if not self.model.has_time:
            return
        self.pause()
        self.date_field.setText(self.date_label.text())
        self.date_field.setMinimumWidth(self.date_label.width())
        self.date_label.hide()
        self.date_field.show()
        self.date_field.setFocus(Qt.FocusReason.OtherFocusReason)
        self.date_field.selectAll()

    def _take_typed(self, closing: bool) -> None:
        """Go to the typed date when it is a day of the time range; otherwise say why (the field stays
        open for another try, unless it was left)."""
        typed = self.date_field.text()
        text, hour = split_time(typed)  # "10 July 1944 14:00": that hour (a researcher's exact moment)
        time = self.model.time
        shown = to_date(time.t)
        day = parse_date(text) if text.strip() else QDate()
        if not day.isValid() and text.strip():  # "14 July": the year shown
            day = parse_date(f"{text} {shown.year}")
        first, last = (QDate(d.year, d.month, d.day) for d in (to_date(time.start), to_date(time.end)))
        if day.isValid() and first <= day <= last:
            self._close_field()
            date = dt.date(day.year(), day.month(), day.day())
            if hour is None:
                time.set_date(date)
            else:
                time.set_t(day_number(date) + hour)
            self.message.emit("")  # a refusal said before is not left under the new date
            return
        if text.strip():
            example = QDate(shown.year, shown.month, shown.day)
            self.message.emit(f"{why_not(typed if hour is None else text, first, last, example)}; the date "
                              f"stays {date_text(time.t)}")
        if closing or not text.strip():
            self._close_field()
        else:
            self.date_field.selectAll()

    def _on_field_left(self, escaped: bool) -> None:
        if escaped:
            self._close_field()
        else:
            self._take_typed(closing=True)

    def _close_field(self) -> None:
        """The big date again; the date keys (←, →, Space) go to the bar."""
        if self.date_field.isVisible():
            refocus = self.date_field.hasFocus()
            self.date_field.hide()
            self.date_label.show()
            if refocus:
                self.setFocus(Qt.FocusReason.OtherFocusReason)

    def _on_slider(self, value: int) -> None:
        self.model.time.set_t(self.model.time.start + value / STEPS_PER_DAY)

    def _on_handle_pressed(self) -> None:
        """A drag of the handle while playing: the handle follows the hand (the player would pull
        it back every frame), and playing goes on from where it is let go, as in a media player."""
        self._resume = self.playing
        if self._resume:
            self.pause()

    def _on_handle_released(self) -> None:
        if self._resume:
            self._resume = False
            self.play()

    # ---- playing ----------------------------------------------------------------------------
    @property
    def playing(self) -> bool:
        return self._play_origin is not None

    @property
    def speed(self) -> float:
        return SPEEDS[self.speed_box.currentIndex()]

    @property
    def frames_per_day(self) -> int:
        return FRAMES_PER_DAY[self.fpd_box.currentIndex()]

    def _tick_in(self) -> int:
        """Milliseconds until the next frame is due by the wall clock (at most ~60 a second).

        Each tick is set for its frame's own moment, not at a fixed interval: an interval rounded
        to whole milliseconds (83 for 83.3) came a little early every frame, so each frame was
        shown a whole frame late, and one was skipped whenever a busy moment pushed a tick past
        its frame's moment."""
        wall0, t0 = self._play_origin
        speed, fpd = self.speed, self.frames_per_day
        now = clock.monotonic()
        due = t0 + (now - wall0) * speed
        after = (math.floor(due * fpd + 1e-6) + 1) / fpd
        ms = math.ceil(((after - t0) / speed - (now - wall0)) * 1000) + 1
        return max(ms, 16 if 1000 / (speed * fpd) < 16 else 1)

    def play(self) -> None:
        time = self.model.time
        if time.t >= time.end and not self.loop_box.isChecked():
            time.set_t(time.start)  # playing from the end starts over
        self._play_origin = (clock.monotonic(), time.t)
        self._played = time.t
        self._timer.start(self._tick_in())
        self.play_button.setText("❚❚")

    def pause(self) -> None:
        self._timer.stop()
        self._play_origin = None
        self.play_button.setText("▶")

    def toggle_play(self) -> None:
        self.pause() if self.playing else self.play()

    def step(self, days: int) -> None:
        self.model.time.step(days)

    def go_first(self) -> None:
        self.model.time.set_t(self.model.time.start)

    def go_last(self) -> None:
        self.model.time.set_t(self.model.time.end)

    def _on_speed(self, _index: int) -> None:
        if self.playing:
            self._play_origin = (clock.monotonic(), self.model.time.t)
            self._timer.start(self._tick_in())

    def _on_tick(self) -> None:
        """Show the frame the wall clock has reached (real time is kept by skipping frames), then
        wait for the next one's moment."""
        if not self.playing:
            return
        time, fpd = self.model.time, self.frames_per_day
        if time.t != self._played:  # moved by the person (the track, a key, a typed date): on from there
            self._play_origin = (clock.monotonic(), time.t)
        wall0, t0 = self._play_origin
        due = t0 + (clock.monotonic() - wall0) * self.speed
        frame = math.floor(due * fpd + 1e-6) / fpd
        if frame > time.end + 1e-9:
            if self.loop_box.isChecked():
                time.set_t(time.start)
                self._play_origin = (clock.monotonic(), time.start)
            else:
                time.set_t(time.end)
                self.pause()
        elif frame > time.t:
            time.set_t(frame)
        self._played = time.t
        if self.playing:  # a change of date may have stopped it (a dialog, the end)
            self._timer.start(self._tick_in())
