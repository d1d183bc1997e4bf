"""A date field that takes a whole typed date ("30 June 1944", "30 Jun 1944", "1944-06-30",
"30/6/1944"), as well as its calendar and its sections' arrow keys.

Qt's QDateEdit edits one section at a time: with all its text selected, a typed date was refused
at its first digit and the field kept its old date."""

from __future__ import annotations

from PyQt6.QtCore import QDate, QDateTime, QTime
from PyQt6.QtGui import QValidator
from PyQt6.QtWidgets import QDateEdit

FORMATS = ("d MMMM yyyy", "d MMM yyyy", "yyyy-MM-dd", "d/M/yyyy", "d.M.yyyy", "MMMM d yyyy", "MMMM d, yyyy",
           "MMM d yyyy", "MMM d, yyyy")


def parse_date(text: str, first: str = "") -> QDate:
    """The date ``text`` spells in one of ``FORMATS`` (``first`` tried before them); invalid if none."""
    words = " ".join(text.split())
    for fmt in (first, *FORMATS) if first else FORMATS:
        day = QDate.fromString(words, fmt)
        if day.isValid():
            return day
    return QDate()


class TypedDateEdit(QDateEdit):
    """A QDateEdit that also accepts a whole date typed over its text."""

    def _typed(self, text: str) -> QDate:
        return parse_date(text, self.displayFormat())

    def validate(self, text: str, pos: int):  # noqa: D102 (Qt's)
        day = self._typed(text)
        if day.isValid() and self.minimumDate() <= day <= self.maximumDate():
            return QValidator.State.Acceptable, text, pos
        state, text, pos = super().validate(text, pos)
        return (QValidator.State.Intermediate if state == QValidator.State.Invalid else state), text, pos

    def dateTimeFromText(self, text: str) -> QDateTime:  # noqa: N802 (Qt's)
        day = self._typed(text)
        return QDateTime(day, QTime(0, 0)) if day.isValid() else super().dateTimeFromText(text)
