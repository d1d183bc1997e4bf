"""A date field that takes a whole typed date ("30 June 1944", "30 Jun 1944", "1944-06-30",
"30/6/1944"), as well as its calendar and its sections' arrow keys.

Qt's QDateEdit edits one section at a time: with all its text selected, a typed date was refused
at its first digit and the field kept its old date."""

from __future__ import annotations

import re

from PyQt6.QtCore import QDate, QDateTime, Qt, QTime, pyqtSignal
from PyQt6.QtGui import QValidator
from PyQt6.QtWidgets import QDateEdit, QDateTimeEdit

from terrain_viewer.core.temporal.dates import split_time, typed_words

FORMATS = ("d MMMM yyyy", "d MMM yyyy", "yyyy-M-d", "d/M/yyyy", "d.M.yyyy", "MMMM d yyyy", "MMMM d, yyyy",
           "MMM d yyyy", "MMM d, yyyy")  # yyyy-M-d: 1944-07-20 and 1944-7-20


def parse_date(text: str, first: str = "") -> QDate:
    """The date ``text`` spells in one of ``FORMATS`` (``first`` tried before them); invalid if none."""
    words = typed_words(text)
    for fmt in (first, *FORMATS) if first else FORMATS:
        day = QDate.fromString(words, fmt)
        if day.isValid():
            return day
    return QDate()


def why_not(text: str, first: QDate, last: QDate, example: QDate, fmt: str = "d MMMM yyyy") -> str:
    """Why the typed ``text`` is not a date from ``first`` to ``last``: no such day (30 February),
    out of that range, or unreadable (``example`` shows one that is)."""
    shown = " ".join(text.split())
    day = parse_date(text, fmt)
    if day.isValid():
        return f"{shown} is outside {first.toString(fmt)} – {last.toString(fmt)}"
    for number in sorted(set(re.findall(r"\b(?:29|30|31)\b", shown))):
        month = parse_date(re.sub(rf"\b{number}\b", "1", shown, count=1), fmt)  # that month's first day
        if month.isValid():
            return f"{shown} is not a date: {month.toString('MMMM yyyy')} has {month.daysInMonth()} days"
    return f"{shown} is not a date (type one like {example.toString('d MMMM yyyy')})"


class WholeTyping:
    """Lets a date field take a whole date typed over its text: once all of it is selected (Ctrl+A,
    a drag, a double-click), the keys go to the text as in a plain field until the field is left
    or Enter is pressed; otherwise they edit a section, as Qt's. A mixin of a ``QDateTimeEdit``
    subclass that says what a typed text is (``_typed``) and which part of it names the day
    (``_day_text``)."""

    free = False  # typing a whole date
    enter_passes = True  # Enter after a typed date also goes to the dialog (its default button)

    def keyPressEvent(self, event) -> None:  # noqa: N802 (Qt's)
        line = self.lineEdit()
        whole = line.hasSelectedText() and len(line.selectedText()) == len(line.text())
        typing = bool(event.text()) and event.text().isprintable() and not event.modifiers() & (
            Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.AltModifier)
        editing = event.key() in (Qt.Key.Key_Backspace, Qt.Key.Key_Delete, Qt.Key.Key_Left, Qt.Key.Key_Right)
        if (typing and (whole or self.free)) or (editing and self.free):
            self.free = True
            line.blockSignals(True)  # the text is the person's until they are done: no section logic
            {Qt.Key.Key_Backspace: line.backspace, Qt.Key.Key_Delete: line.del_,
             Qt.Key.Key_Left: lambda: line.cursorBackward(False),
             Qt.Key.Key_Right: lambda: line.cursorForward(False)}.get(
                event.key(), lambda: line.insert(event.text()))()
            line.blockSignals(False)
            return
        enter = event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter)
        if self.free and (enter or event.key() in (Qt.Key.Key_Tab, Qt.Key.Key_Backtab, Qt.Key.Key_Escape)):
            self._done(keep=event.key() != Qt.Key.Key_Escape)
        if enter and not self.enter_passes:
            event.accept()  # the date is taken, nothing else is done
            return
        super().keyPressEvent(event)

    def focusNextPrevChild(self, next: bool) -> bool:  # noqa: N802, A002 (Qt's)
        """Tab or Shift+Tab after a typed date: the date is taken (or refused, and said) before Qt's
        section logic, which comes first and put the field's old date back over the typed text."""
        if self.free:
            self._done(keep=True)
        return super().focusNextPrevChild(next)

    def focusOutEvent(self, event) -> None:  # noqa: N802 (Qt's)
        if self.free:
            self._done(keep=True)
        super().focusOutEvent(event)

    def _done(self, keep: bool) -> None:
        """The typed text becomes the date when it is one in range; else the field shows its date again."""
        self.free = False
        text = self.lineEdit().text()
        moment = self._typed(text)
        taken = keep and moment.isValid() and self.minimumDateTime() <= moment <= self.maximumDateTime()
        if taken:
            self.setDateTime(moment)
        self.lineEdit().setText(self.textFromDateTime(self.dateTime()))
        if keep:  # the person is told, not left to notice that the field went back
            self.typed.emit("" if taken else f"{self.why_not(text)}; the date stays {self.text()}")

    def why_not(self, text: str) -> str:
        """Why the typed ``text`` is not a date of this field: no such day, out of range, unreadable."""
        return why_not(self._day_text(text), self.minimumDate(), self.maximumDate(), self.date(),
                       self._day_format())

    def _day_format(self) -> str:
        """The display format's day part (a date-time field's without its " HH:mm")."""
        return self.displayFormat().split(" HH")[0]

    def _day_text(self, text: str) -> str:
        """The part of a typed ``text`` that names the day."""
        return text

    def validate(self, text: str, pos: int):  # noqa: D102 (Qt's)
        moment = self._typed(text)
        if moment.isValid() and self.minimumDateTime() <= moment <= self.maximumDateTime():
            return QValidator.State.Acceptable, text, pos
        state, text, pos = super().validate(text, pos)
        return (QValidator.State.Intermediate if state == QValidator.State.Invalid else state), text, pos

    def dateTimeFromText(self, text: str) -> QDateTime:  # noqa: N802 (Qt's)
        moment = self._typed(text)
        return moment if moment.isValid() else super().dateTimeFromText(text)


class TypedDateEdit(WholeTyping, QDateEdit):
    """A QDateEdit that also takes a whole date typed over its text (``WholeTyping``)."""

    typed = pyqtSignal(str)  # a whole typed date was done with: "" when taken, else why not (it was kept)

    def _typed(self, text: str) -> QDateTime:
        day = parse_date(text, self._day_format())
        return QDateTime(day, QTime(0, 0)) if day.isValid() else QDateTime()


class TypedDateTimeEdit(WholeTyping, QDateTimeEdit):
    """A QDateTimeEdit that also takes a whole date and time typed over its text ("11 Jul 1944
    14:00", "1944-07-11T14:00"; a day alone is its midnight): typed over the camera key's field, Qt's
    section logic made "11 Jul 1944 00:00" into 15 Jul 1944 19:44 (a new user)."""

    typed = pyqtSignal(str)
    enter_passes = False  # a camera key's date: Enter in the Export dialog started the export

    def _day_text(self, text: str) -> str:
        return split_time(text)[0]

    def _typed(self, text: str) -> QDateTime:
        words, clock = split_time(text)
        day = parse_date(words, self._day_format())
        if not day.isValid():
            return QDateTime()
        minutes = round((clock or 0.0) * 1440)
        return QDateTime(day, QTime(minutes // 60, minutes % 60))
