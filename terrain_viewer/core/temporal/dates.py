"""Dates as people read them: one place for every date text the window, captions and exports show."""

from __future__ import annotations

import calendar
import datetime as dt
import re

from terrain_viewer.core.temporal.timeline import to_date, to_datetime

# dates as people type them (the window's date fields take the same): 14 July 1944, 14 Jul 1944,
# July 14, 1944, 14/7/1944, 14.7.1944, 1944-07-14
DAY_FORMATS = ("%Y-%m-%d", "%d %B %Y", "%d %b %Y", "%B %d %Y", "%B %d, %Y", "%b %d %Y", "%b %d, %Y",
               "%d/%m/%Y", "%d.%m.%Y")


def date_text(t: float) -> str:
    """``23 June 1944`` (no leading zero)."""
    day = to_date(t)
    return f"{day.day} {day:%B %Y}"


def time_text(t: float) -> str:
    """The hour of day, ``05:00``."""
    return f"{to_datetime(t):%H:%M}"


def short_date(t: float, with_year: bool = True) -> str:
    """``05 Jan 1943`` (or ``05 Jan``) for range ends and compact lists."""
    day = to_date(t)
    return f"{day:%d %b %Y}" if with_year else f"{day:%d %b}"


def range_ends(start: float, end: float) -> tuple[str, str]:
    """Texts for the two ends of a span: the start shows its year when the span crosses a year."""
    return short_date(start, to_date(start).year != to_date(end).year), short_date(end)


def typed_words(text: str) -> str:
    """A typed date's words as the parsers read them: one space between words, and "Sept" (as
    September is often shortened) as "Sep" (``%b``, Qt's ``MMM``)."""
    return re.sub(r"\bSept\b", "Sep", " ".join(str(text).split()), flags=re.IGNORECASE)


def read_day(text: str) -> dt.date | None:
    """The day ``text`` spells in one of ``DAY_FORMATS`` (English month names, "Sept" too), or None."""
    words = typed_words(text)
    for fmt in DAY_FORMATS:
        try:
            return dt.datetime.strptime(words, fmt).date()
        except ValueError:
            continue
    return None


def split_time(text: str) -> tuple[str, float | None]:
    """``text`` without a time of day at its end, and that time in days: "10 July 1944 14:00",
    "1944-07-10T14:00" and "10 July 1944, 14:30" give the day's text and 14/24 (14.5/24); a text
    with no time (or one past 23:59) is given back whole, with None."""
    found = re.fullmatch(r"\s*(.*?\S)(?:\s*(?:,|\bat\b)\s*|\s+|T)([01]?\d|2[0-3]):([0-5]\d)(?::[0-5]\d)?\s*",
                         str(text))
    if found is None:
        return text, None
    day, hours, minutes = found.groups()
    return day, (int(hours) * 60 + int(minutes)) / 1440.0


def why_not_a_day(text: str) -> str:
    """Why ``text`` is no day: ``30 June 1944 is not a date: June 1944 has 30 days``."""
    return f"{' '.join(str(text).split())} is not a date{month_days(text)}"


def iso_problem(text: str) -> str:
    """Why ``text`` (from a date column) is no date: the month or day that does not exist in a date
    written as ISO 8601 (``1944-13-45``: "there is no month 13"), else "not an ISO 8601 date such as …"."""
    shape = re.fullmatch(r"\s*(\d{4})-(\d{1,2})-(\d{1,2})(?:[T ].*)?", str(text))
    if shape:
        year, month, day = (int(g) for g in shape.groups())
        if not 1 <= month <= 12:
            return f"there is no month {month}"
        if not 1 <= day <= calendar.monthrange(year, month)[1]:
            return _month_length(year, month)
    return "not an ISO 8601 date such as 1944-07-14"


def _month_length(year: int, month: int) -> str:
    """``June 1944 has 30 days``."""
    return f"{calendar.month_name[month]} {year} has {calendar.monthrange(year, month)[1]} days"


def month_days(text: str) -> str:
    """``: June 1944 has 30 days`` when ``text`` is a 29th, 30th or 31st its month has not, else ""."""
    words = " ".join(str(text).split())
    for number in sorted(set(re.findall(r"\b(?:29|30|31)\b", words))):
        first = read_day(re.sub(rf"\b{number}\b", "01" if "-" in words else "1", words, count=1))
        if first is not None:
            return f": {_month_length(first.year, first.month)}"
    return ""
