"""*Time ▸ Time range…*: the slider's first and last day, or one layer's extent to follow
(default: each file's moving layers' days, else its dated layers', over all files:
``Dataset.animation_extent``)."""

from __future__ import annotations

import datetime as dt

from PyQt6.QtCore import QDate
from PyQt6.QtWidgets import QComboBox, QDateEdit, QDialog, QDialogButtonBox, QFormLayout, QLabel, QWidget

from terrain_viewer.core.model import ViewerModel
from terrain_viewer.core.temporal.timeline import day_number, to_date
from terrain_viewer.gui.qt_date_edit import TypedDateEdit

ALL_LAYERS = "All files (the days of their moving layers, else of their dated ones)"  # "union of
#   their dates" said 23 June for the shipped file, whose flooded fields start on 10 June (a new user)
CUSTOM = "These dates"


def _qdate(t: float) -> QDate:
    day = to_date(t)
    return QDate(day.year, day.month, day.day)


def _day(edit: QDateEdit) -> float:
    q = edit.date()
    return day_number(dt.date(q.year(), q.month(), q.day()))


class QtTimeRange(QDialog):
    """Choose what the date slider covers."""

    def __init__(self, model: ViewerModel, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("timeRangeDialog")
        self.setWindowTitle("Time range")
        self.model = model
        self.follow = QComboBox(objectName="timeFollow")
        self.follow.addItem(ALL_LAYERS, None)
        self.follow.addItem(CUSTOM, "")
        for layer in model.dataset.layers:
            if layer.dated_extent is not None:
                self.follow.addItem(f"Follow {layer.name}", layer.name)
        self.start, self.end = (TypedDateEdit(objectName=name, calendarPopup=True)
                                for name in ("timeStart", "timeEnd"))
        for edit in (self.start, self.end):
            edit.setDisplayFormat("d MMM yyyy")
        self.start.setDate(_qdate(model.time.start))
        self.end.setDate(_qdate(model.time.end))
        index = self.follow.findData(model.follow) if model.follow else (1 if model.time_range else 0)
        self.follow.setCurrentIndex(max(index, 0))
        self.start.dateChanged.connect(lambda _d: self.follow.setCurrentIndex(1))
        self.end.dateChanged.connect(lambda _d: self.follow.setCurrentIndex(1))
        self._refused = ""  # a date typed and not taken: what the dialog says about it
        for name, edit in (("From", self.start), ("To", self.end)):
            edit.typed.connect(lambda problem, name=name: self._on_typed(name, problem))
        self.problem = QLabel(objectName="timeRangeProblem", wordWrap=True)
        self.problem.setStyleSheet("color: #b00020")
        form = QFormLayout(self)
        form.addRow("Slider covers", self.follow)
        form.addRow("From", self.start)
        form.addRow("To", self.end)
        form.addRow(self.problem)
        ok_cancel = QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        buttons = QDialogButtonBox(ok_cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)
        self.ok = buttons.button(QDialogButtonBox.StandardButton.Ok)
        for signal in (self.start.dateChanged, self.end.dateChanged):
            signal.connect(self._on_date)
        self.follow.currentIndexChanged.connect(self._check)
        self._check()

    def _on_typed(self, name: str, problem: str) -> None:
        """A date typed into From or To: a refused one is said (the field went back to its date)."""
        self._refused = f"{name}: {problem}." if problem else ""
        self._check()

    def _on_date(self, *_args) -> None:
        self._refused = ""  # a date taken, typed or picked: the refusal is old news
        self._check()

    def _check(self, *_args) -> None:
        """Dates of their own whose end is before their start are not taken (nor swapped unseen):
        the dialog says so and OK waits for a range; a typed date refused is said too."""
        reversed_ = self.follow.currentData() == "" and self.end.date() < self.start.date()
        text = self._refused or ("“To” is before “From”: choose a last day on or after the first."
                                 if reversed_ else "")
        self.problem.setText(text)
        if self.problem.isVisibleTo(self) != bool(text):
            self.problem.setVisible(bool(text))
            self.adjustSize()  # room for the line (it was drawn clipped under the To field)
        self.ok.setEnabled(not reversed_)

    def apply(self) -> None:
        """Put the choice into the model."""
        choice = self.follow.currentData()
        if choice is None:
            self.model.set_time_range(None)
        elif choice == "":
            self.model.set_time_range(_day(self.start), _day(self.end))
        else:
            self.model.follow_layer(choice)

    def accept(self) -> None:
        self.apply()
        super().accept()
