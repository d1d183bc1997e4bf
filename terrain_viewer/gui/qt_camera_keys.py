"""The Export dialog's small timeline: camera keyframes by date (add the map's view at a date, edit
the date and ease, reorder, delete) and a preview scrubbed through the export, rendered on demand
off the GUI thread."""

from __future__ import annotations

import datetime as dt

import numpy as np
from PyQt6.QtCore import QDate, QDateTime, QThread, QTime, pyqtSignal
from PyQt6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QListWidget,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from terrain_viewer.core.common.errors import TerrainViewerError
from terrain_viewer.core.common.logs import log_exception
from terrain_viewer.core.temporal.camera import EASINGS
from terrain_viewer.gui.qt_date_edit import TypedDateTimeEdit


class CameraKeys(QWidget):
    """A list of camera keys ``{"date", "extent", "ease"}`` kept in date order."""

    changed = pyqtSignal()

    def __init__(self, current_view, current_date, parent: QWidget | None = None):
        super().__init__(parent)
        self.current_view, self.current_date = current_view, current_date  # callables
        self.keys: list[dict] = []
        self.list = QListWidget()
        self.list.setMaximumHeight(110)
        self.date_edit = TypedDateTimeEdit(calendarPopup=True, displayFormat="d MMM yyyy HH:mm")
        today = dt.datetime.fromisoformat(_iso(current_date()))  # the session's date, not Qt's 2000
        self.date_edit.setDate(QDate(today.year, today.month, today.day))
        self.ease = QComboBox()
        self.ease.addItems(list(EASINGS))
        self.add_button = QPushButton("Add current view", clicked=self.add_current)
        self.add_button.setToolTip("The map's view now, as a key at the date bar's date (within the "
                                   "export's days); choose the key in the list to change its date or ease")
        self.delete_button = QPushButton("Delete", clicked=self.delete_selected)
        self.up_button = QPushButton("▲", clicked=lambda: self.move_selected(-1))
        self.down_button = QPushButton("▼", clicked=lambda: self.move_selected(1))
        row = QHBoxLayout()
        for widget in (self.date_edit, self.ease, self.add_button, self.up_button, self.down_button,
                       self.delete_button):
            row.addWidget(widget)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.list)
        layout.addLayout(row)
        self.list.currentRowChanged.connect(self._show_selected)
        self.date_edit.dateTimeChanged.connect(self._edit_selected)
        self.ease.currentTextChanged.connect(self._edit_selected)

    def set_keys(self, keys: list[dict]) -> None:
        self.keys = [dict(k) for k in keys]
        self._refresh()

    def add_current(self) -> None:
        """The map's current view as a key at the session's current date (the date bar's)."""
        extent = [float(v) for v in self.current_view()]
        ease = self.ease.currentText()
        self.keys.append({"date": _iso(self.current_date()), "extent": extent, "ease": ease})
        self._refresh(len(self.keys) - 1)

    def delete_selected(self) -> None:
        row = self.list.currentRow()
        if 0 <= row < len(self.keys):
            del self.keys[row]
            self._refresh(min(row, len(self.keys) - 1))

    def move_selected(self, step: int) -> None:
        """Move a key earlier or later: it takes the date of the key it passes (they swap dates)."""
        row = self.list.currentRow()
        other = row + step
        if 0 <= row < len(self.keys) and 0 <= other < len(self.keys):
            a, b = self.keys[row], self.keys[other]
            a["date"], b["date"] = b["date"], a["date"]
            self._refresh(other)

    def _edit_selected(self, *_args) -> None:
        row = self.list.currentRow()
        if 0 <= row < len(self.keys) and not self.signalsBlocked():
            self.keys[row]["date"] = _iso(self.date_edit.dateTime().toPyDateTime())
            self.keys[row]["ease"] = self.ease.currentText()
            self._refresh(row)

    def _show_selected(self, row: int) -> None:
        if 0 <= row < len(self.keys):
            key = self.keys[row]
            self.blockSignals(True)
            self.date_edit.blockSignals(True)
            self.ease.blockSignals(True)
            moment = dt.datetime.fromisoformat(key["date"])  # and its time: the key shown before
            day = QDate(moment.year, moment.month, moment.day)  # left its own, saved on the next edit
            self.date_edit.setDateTime(QDateTime(day, QTime(moment.hour, moment.minute)))
            self.ease.setCurrentText(key.get("ease", "in-out"))
            self.date_edit.blockSignals(False)
            self.ease.blockSignals(False)
            self.blockSignals(False)

    def _refresh(self, select: int = -1) -> None:
        self.keys.sort(key=lambda k: k["date"])
        self.list.blockSignals(True)
        self.list.clear()
        for key in self.keys:
            x0, y0, x1, y1 = key["extent"]
            self.list.addItem(f"{key['date']}  {key.get('ease', 'in-out')}  "
                              f"{(x1 - x0) / 1000:.1f} × {(y1 - y0) / 1000:.1f} km")
        self.list.blockSignals(False)
        if 0 <= select < self.list.count():
            self.list.setCurrentRow(select)
        self.changed.emit()


def _iso(moment: dt.datetime | dt.date) -> str:
    if isinstance(moment, dt.datetime) and (moment.hour or moment.minute):
        return moment.strftime("%Y-%m-%dT%H:%M:%S")
    return (moment.date() if isinstance(moment, dt.datetime) else moment).isoformat()


class PreviewThread(QThread):
    """Renders one frame of an export off the GUI thread; the newest request wins."""

    rendered = pyqtSignal(int, object)  # frame number, RGBA array
    failed = pyqtSignal(str)

    def __init__(self, model, settings, frame: int):
        super().__init__()
        self.model, self.settings, self.frame = model, settings, frame

    def run(self) -> None:
        from terrain_viewer.core.export.run import FrameSource

        try:
            source = FrameSource(self.model.to_dict(), self.settings, dataset=self.model.dataset)
            rgba = source.frame(min(self.frame, len(source) - 1))
        except TerrainViewerError as exc:
            self.failed.emit(exc.message)
            return
        except Exception as exc:  # noqa: BLE001 - a bug must not kill the preview thread: logged, shown
            log_exception(exc, "export preview")
            self.failed.emit(f"No preview: {exc}")
            return
        self.rendered.emit(self.frame, np.ascontiguousarray(rgba))
