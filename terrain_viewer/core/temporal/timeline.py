"""Time: ISO 8601 parsing, a per-day index of features, and the viewer's time state.

Time is a float number of days since 1970-01-01 00:00 (matplotlib's date epoch), so
``t = day(1944-07-11) + 0.5`` is noon on 11 July 1944. A date-only ``end_date`` is
inclusive (the feature is there all that day); a date-time bound is exact. A date-time at
midnight (what a GeoPackage DATETIME column holds for a date) counts as a date, and so does one
at 23:59:59.999 (a date-only end written as DATETIME for QGIS), so TEXT and DATETIME columns mean
the same. An ``end_date`` in year 9000 or later (``9999-12-31``) is an open end and a
``start_date`` in year 1 an open start: neither stretches the time extent.
"""

from __future__ import annotations

import calendar
import datetime as dt
import math
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

EPOCH = dt.datetime(1970, 1, 1)
EPOCH_DATE = EPOCH.date()
OPEN_END_DAY = float((dt.date(9000, 1, 1) - EPOCH_DATE).days)  # ends from here on are "still there"
OPEN_START_DAY = float((dt.date(2, 1, 1) - EPOCH_DATE).days)  # starts before this are "always was"
END_OF_DAY = (23, 59, 59, 999000)  # last millisecond of a day: a date-only end stored as DATETIME
BAD = "bad"  # a text that did not parse, in _parse_column's cache
MAX_INDEX_ENTRIES = 2_000_000  # (row, bucket) pairs a TimeIndex may hold; buckets widen beyond


def day_number(value: dt.date | dt.datetime) -> float:
    """Days since 1970-01-01 as a float (naive local time; time zones are dropped)."""
    if isinstance(value, dt.datetime):
        value = value.replace(tzinfo=None)
        return (value - EPOCH).total_seconds() / 86400.0
    return float((value - EPOCH_DATE).days)


def to_date(t: float) -> dt.date:
    """The calendar day that contains time ``t``."""
    return EPOCH_DATE + dt.timedelta(days=math.floor(t))


def to_datetime(t: float) -> dt.datetime:
    """Time ``t`` as a naive datetime (to the second)."""
    return EPOCH + dt.timedelta(seconds=round(t * 86400))


def parse_iso(value: object, end: bool = False) -> tuple[float, bool] | None:
    """Parse one date or date-time; return ``(days, is_datetime)``, or None when empty. A year
    (``1944``) or a month (``1944-07``), ISO 8601's reduced precision, is its first day, or with
    ``end`` its last (an end date is inclusive: the whole year or month).

    Raises ValueError for text that is not ISO 8601.
    """
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if hasattr(value, "to_pydatetime"):  # pandas Timestamp
        if value != value:  # NaT
            return None
        value = value.to_pydatetime()
    if isinstance(value, np.datetime64):
        if np.isnat(value):
            return None
        value = value.astype("datetime64[us]").item()
    if isinstance(value, dt.datetime):
        clock = (value.hour, value.minute, value.second, value.microsecond)
        if clock == END_OF_DAY:  # a date-only end stored as a DATETIME (QGIS): that date, inclusive
            return day_number(value.date()), False
        return day_number(value), clock != (0, 0, 0, 0)
    if isinstance(value, dt.date):
        return day_number(value), False
    text = str(value).strip()
    if not text:
        return None
    if DATE.fullmatch(text):
        return day_number(dt.date.fromisoformat(text)), False
    if REDUCED.fullmatch(text):
        return day_number(_period_day(text, end)), False
    if not DATETIME.fullmatch(text):  # Python reads "19440714xx" and "19440715.5" as 14 and 15 July
        raise ValueError(f"not an ISO 8601 date: {text!r}")
    return day_number(dt.datetime.fromisoformat(text.replace(" ", "T", 1))), True


DATE = re.compile(r"\d{4}-\d{2}-\d{2}")  # the calendar date written out (not 19440714: a number)
REDUCED = re.compile(r"\d{4}(-\d{2})?")  # a year or a year and month (not "194407": a number)
DATETIME = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}(:?\d{2})?)?")


def _period_day(text: str, last: bool) -> dt.date:
    """The first (or ``last``) day of the year ``YYYY`` or the month ``YYYY-MM``."""
    year, month = int(text[:4]), int(text[5:7]) if len(text) == 7 else None
    if month is None:
        return dt.date(year, 12, 31) if last else dt.date(year, 1, 1)
    return dt.date(year, month, calendar.monthrange(year, month)[1] if last else 1)  # ValueError: month 13


@dataclass
class ParsedTimes:
    """Start and exclusive end per feature, and the rows whose text did not parse (read-only once
    made: their extents are kept)."""

    start: np.ndarray
    end: np.ndarray
    end_inclusive: np.ndarray
    bad_rows: list[tuple[int, str, str]] = field(default_factory=list)
    ending: np.ndarray | None = None  # the rows whose end ends a feature (a keyframed item's last); None: all
    _extents: dict = field(default_factory=dict, repr=False, compare=False)

    def extent(self, open_ends: bool = True) -> tuple[float, float] | None:
        """``extent_of`` these times, worked out once (the window asks several times a step)."""
        if open_ends not in self._extents:
            self._extents[open_ends] = _extent(self, open_ends)
        return self._extents[open_ends]


def _parse_column(values: Iterable[object], column: str, bad: list,
                  end: bool = False) -> tuple[np.ndarray, np.ndarray]:
    distinct = _distinct(values)
    if distinct is not None:
        return _parse_distinct(*distinct, column, bad, end)
    days, is_dt = [], []
    cache: dict[object, tuple[float, bool] | None | str] = {}
    for row, value in enumerate(values):
        key = value if isinstance(value, str | dt.date) else None
        try:
            parsed = cache[key] if key in cache else parse_iso(value, end)
        except (ValueError, TypeError, OverflowError):
            parsed = BAD
        if parsed is BAD:  # every row of a bad text is reported (and hidden), not only the first
            bad.append((row, column, str(value)[:40]))
        if key is not None:
            cache[key] = parsed
        parsed = None if parsed is BAD else parsed
        days.append(np.nan if parsed is None else parsed[0])
        is_dt.append(False if parsed is None else parsed[1])
    return np.asarray(days, dtype=float), np.asarray(is_dt, dtype=bool)


def _distinct(values: object) -> tuple[list, np.ndarray] | None:
    """The distinct values and each row's code (-1: missing) of a pandas column of text (``str``)
    or naive datetimes, whose missing values all parse as empty; None for anything else."""
    if not isinstance(values, pd.Series):
        return None
    text = isinstance(values.dtype, pd.StringDtype) and values.dtype.na_value is np.nan
    if not (text or (isinstance(values.dtype, np.dtype) and values.dtype.kind == "M")):
        return None
    codes, uniques = pd.factorize(values)
    return pd.Series(uniques, dtype=values.dtype).tolist(), codes


def _parse_distinct(uniques: list, codes: np.ndarray, column: str,
                    bad: list, end: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """``_parse_column`` of a column given as distinct values and codes: each value parsed once."""
    days = np.full(len(uniques) + 1, np.nan)  # the last slot is code -1: missing
    is_dt = np.zeros(len(uniques) + 1, dtype=bool)
    failed = []
    for code, value in enumerate(uniques):
        try:
            parsed = parse_iso(value, end)
        except (ValueError, TypeError, OverflowError):
            failed.append(code)
            continue
        if parsed is not None:
            days[code], is_dt[code] = parsed
    if failed:
        rows = np.flatnonzero(np.isin(codes, failed))
        bad.extend((int(row), column, str(uniques[codes[row]])[:40]) for row in rows)
    return days[codes], is_dt[codes]


def parse_times(starts: Iterable[object] | None, ends: Iterable[object] | None, n: int) -> ParsedTimes:
    """Parse start/end columns (either may be None) into float days.

    Missing start is -inf (always was), missing end is +inf (still there). A date-only
    end becomes exclusive by adding one day.
    """
    bad: list[tuple[int, str, str]] = []
    start = np.full(n, -np.inf)
    end = np.full(n, np.inf)
    end_incl = np.full(n, np.nan)
    if starts is not None:
        s, _ = _parse_column(starts, "start_date", bad)
        start = np.where(np.isnan(s) | (s < OPEN_START_DAY), -np.inf, s)
    if ends is not None:
        e, e_is_dt = _parse_column(ends, "end_date", bad, end=True)
        e = np.where(e >= OPEN_END_DAY, np.nan, e)  # 9999-12-31: an open end, not a date
        end_incl = e
        exclusive = np.where(e_is_dt, np.nextafter(e, np.inf), e + 1.0)
        end = np.where(np.isnan(e), np.inf, exclusive)
    return ParsedTimes(start, end, end_incl, bad)


class TimeIndex:
    """Which rows exist at time t, answered from buckets of whole days between the first and
    last finite date.

    Intervals stay intervals: a row is listed only in the buckets its interval meets inside
    ``[lo, hi)``, and buckets widen (2, 4, … days) until at most ``MAX_INDEX_ENTRIES`` pairs are
    held, so open ends (+inf) or centuries-long spans cost bounded memory. A query costs
    O(features in its bucket); outside ``[lo, hi)`` it scans all rows.
    """

    def __init__(self, start: np.ndarray, end: np.ndarray):
        self.start = np.asarray(start, dtype=float)
        self.end = np.asarray(end, dtype=float)
        finite = np.concatenate([self.start[np.isfinite(self.start)], self.end[np.isfinite(self.end)]])
        self.width = 1
        if finite.size == 0:
            self.lo, self.hi = 0, 0
            self._rows = np.array([], dtype=np.int32)
            self._offsets = np.array([0], dtype=np.int64)
            return
        self.lo = math.floor(finite.min())
        self.hi = math.ceil(finite.max()) + 1
        self._build_buckets()

    @property
    def nbytes(self) -> int:
        """Memory held by the bucket arrays (not counting start/end)."""
        return int(self._rows.nbytes + self._offsets.nbytes)

    def _spans(self, width: int) -> tuple[np.ndarray, np.ndarray]:
        s = np.floor((np.clip(self.start, self.lo, self.hi) - self.lo) / width).astype(np.int64)
        e = np.ceil((np.clip(self.end, self.lo, self.hi) - self.lo) / width).astype(np.int64)
        return s, np.maximum(e - s, 0)

    def _build_buckets(self) -> None:
        while True:
            s, lengths = self._spans(self.width)
            n_buckets = -(-(self.hi - self.lo) // self.width)
            if int(lengths.sum()) + n_buckets <= MAX_INDEX_ENTRIES:
                break
            self.width *= 2
        rows = np.repeat(np.arange(len(s), dtype=np.int32), lengths)
        first = np.repeat(s - np.cumsum(lengths) + lengths, lengths)
        buckets = first + np.arange(lengths.sum())
        order = np.argsort(buckets, kind="stable")
        self._rows = rows[order]
        self._offsets = np.searchsorted(buckets[order], np.arange(n_buckets + 1))

    def active(self, t: float) -> np.ndarray:
        """Sorted row indices of the features that exist at time ``t``."""
        b = (math.floor(t) - self.lo) // self.width if math.isfinite(t) else -1
        if self.lo <= t < self.hi and 0 <= b < len(self._offsets) - 1:
            candidates = self._rows[self._offsets[b] : self._offsets[b + 1]]
        else:
            candidates = np.arange(len(self.start))
        keep = (self.start[candidates] <= t) & (t < self.end[candidates])
        return np.sort(candidates[keep]).astype(np.intp)


def extent_of(parsed: ParsedTimes, open_ends: bool = True) -> tuple[float, float] | None:
    """First start and last inclusive end in days; with ``open_ends``, +inf when a dated
    feature never ends. None when no row has a date at all.
    """
    return parsed.extent(open_ends)


def _extent(parsed: ParsedTimes, open_ends: bool) -> tuple[float, float] | None:
    shown = parsed.start != np.inf  # a hidden row (an unreadable date, an end before its start) has none:
    #                                 its other date stretched the slider over days with nothing on them
    if parsed.ending is not None:  # a keyframe's end before the item's last row says nothing
        shown = shown & parsed.ending
    starts = parsed.start[np.isfinite(parsed.start)]
    ends = parsed.end_inclusive[np.isfinite(parsed.end_inclusive) & shown]
    values = np.concatenate([starts, ends])
    if values.size == 0:
        return None
    open_end = open_ends and bool((np.isfinite(parsed.start) & np.isinf(parsed.end) & shown).any())
    return float(values.min()), (np.inf if open_end else float(values.max()))


class TimeState:
    """The current time of the viewer: a validated model that tells listeners of changes.

    ``t`` is clipped to ``[start, end]`` (days); ``step(n)`` moves by whole days.
    """

    def __init__(self, start: float, end: float, t: float | None = None):
        if not (math.isfinite(start) and math.isfinite(end)) or end < start:
            raise ValueError(f"bad time range {start}..{end}")
        self.start, self.end = float(start), float(end)
        self._t = self.start if t is None else self._clip(t)
        self._listeners: list[Callable[[float], None]] = []

    def _clip(self, t: float) -> float:
        if not math.isfinite(t):
            raise ValueError(f"bad time {t}")
        return min(max(float(t), self.start), self.end)

    @property
    def t(self) -> float:
        return self._t

    @property
    def date(self) -> dt.date:
        return to_date(self._t)

    def connect(self, listener: Callable[[float], None]) -> None:
        self._listeners.append(listener)

    def set_t(self, t: float) -> None:
        new = self._clip(t)
        if new != self._t:
            self._t = new
            for listener in list(self._listeners):
                listener(new)

    def set_date(self, value: dt.date | str) -> None:
        if isinstance(value, str):
            value = dt.date.fromisoformat(value)
        self.set_t(day_number(value))

    def step(self, days: int, loop: bool = False) -> bool:
        """Move by whole days; return False when already at the end (and not looping)."""
        base = math.floor(self._t + 1e-9) if days >= 0 else math.ceil(self._t - 1e-9)
        target = base + days
        if target > self.end:
            if not loop:
                self.set_t(self.end)
                return False
            target = self.start
        self.set_t(target)
        return True
