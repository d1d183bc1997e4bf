"""Date and id columns read from pandas columns (each distinct value parsed once) give exactly what
the value-by-value reading of the same values gives: days, date-or-time, bad rows, track ids."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from terrain_viewer.core.temporal.timeline import parse_times
from terrain_viewer.core.temporal.tracks import Tracks

TEXT = ["1944-07-01", "", None, "1944-07-01T06:00", "9999-12-31", "0001-01-01", "July 4th", "1944-07-01",
        "1944-13-01", " 1944-07-02 ", "1944-07-02 23:59:59.999", "July 4th", "1944-07-03T00:00:00+08:00"]


def same(a, b) -> None:
    for name in ("start", "end", "end_inclusive"):
        assert np.array_equal(getattr(a, name), getattr(b, name), equal_nan=True), name
    assert a.bad_rows == b.bad_rows


@pytest.mark.parametrize("reverse", [False, True])
def test_text_columns_parse_as_their_values(reverse):
    starts = TEXT[::-1] if reverse else TEXT
    ends = list(reversed(starts))
    columns = pd.Series(starts, dtype="str"), pd.Series(ends, dtype="str")
    got = parse_times(*columns, len(starts))
    same(got, parse_times(columns[0].tolist(), columns[1].tolist(), len(starts)))
    bad = [(column, row) for row, column, _ in got.bad_rows]
    assert bad == sorted(bad, key=lambda b: (b[0] != "start_date", b[1]))
    assert len(bad) == 6  # July 4th twice and month 13, in each column: every row, not each text once


def test_datetime_columns_parse_as_their_values():
    texts = ["1944-07-01", None, "1944-07-01 06:00", "1944-07-02 23:59:59.999", "1944-07-01",
             "1500-03-01 12:00"]
    values = pd.Series(pd.to_datetime(texts, format="ISO8601").astype("datetime64[ms]"))
    backwards = values[::-1].reset_index(drop=True)
    same(parse_times(values, backwards, len(values)), parse_times(values.tolist(), backwards.tolist(), 6))
    got = parse_times(values, values, len(values))
    same(got, parse_times(values.tolist(), values.tolist(), len(values)))
    assert np.isinf(got.end[1]) and got.end[3] == got.start[0] + 2  # 23:59:59.999: the whole of 2 July


def test_other_columns_are_read_value_by_value():
    mixed = pd.Series(["1944-07-01", dt.date(1944, 7, 2), 5, pd.NA], dtype=object)
    got = parse_times(mixed, None, 4)
    same(got, parse_times(mixed.tolist(), None, 4))
    assert [row for row, _, _ in got.bad_rows] == [2, 3]


def reference_ids(ids, usable):
    text = np.asarray(ids).astype(str)
    codes = np.full(len(text), -1)
    names, codes[usable] = np.unique(text[usable], return_inverse=True)
    return names, codes


@pytest.mark.parametrize("ids", [
    pd.Series(["b", "a", "", "b", "c", "a"], dtype="str"),
    pd.Series([3, 1, 2, 3, 10, 1]),
    pd.Series([1, "1", 2.5, None, "x", 1], dtype=object),
    np.array(["u2", "u10", "u2", "u1", "u10", "u3"], dtype=object),
])
def test_track_ids_are_the_sorted_text_of_the_usable_rows(ids):
    start = np.array([0.0, 1.0, np.nan, 2.0, 3.0, -np.inf])
    end = np.array([5.0, 2.0, 3.0, 9.0, np.inf, 4.0])
    tracks = Tracks(ids, start, end)
    names, codes = reference_ids(ids, np.isfinite(start))
    assert list(tracks.id_names) == list(names)
    usable = np.flatnonzero(np.isfinite(start))
    order = np.lexsort((start[usable], codes[usable]))
    assert list(tracks.rows) == list(usable[order])
    for code, name in enumerate(names):
        rows = usable[codes[usable] == code]
        assert tracks.item_end[code] == end[rows[np.argmax(start[rows])]]  # the last keyframe's end
        assert list(tracks.keyframe_times(name)) == sorted(start[rows])


def test_a_track_state_asked_again_is_the_same_and_read_only():
    ids = np.array(["a", "a", "b", "b", "b"])
    start = np.array([0.0, 2.0, 0.5, 1.0, 3.0])
    tracks, fresh = Tracks(ids, start, start + 1), Tracks(ids, start, start + 1)
    for t in (0.25, 0.25, 1.5, 2.5, 1.5, 3.5, 3.5):
        got, want = tracks.state(t), fresh._state(t)
        for name in ("rows", "next_rows", "fraction"):
            assert np.array_equal(getattr(got, name), getattr(want, name))
            with pytest.raises(ValueError):
                getattr(got, name)[:] = 0  # a caller cannot change the kept answer
