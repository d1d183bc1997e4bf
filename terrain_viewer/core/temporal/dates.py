"""Dates as people read them: one place for every date text the window, captions and exports show."""

from __future__ import annotations

from terrain_viewer.core.temporal.timeline import to_date, to_datetime


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
