"""Time rules: inclusive date ends, open ends, date vs date-time, the per-day index, TimeState."""

import datetime as dt

import numpy as np
import pytest

from terrain_viewer.core.temporal.timeline import (
    TimeIndex,
    TimeState,
    day_number,
    parse_iso,
    parse_times,
    to_date,
    to_datetime,
)

D = day_number(dt.date(1944, 7, 16))


def active_on(starts, ends, t):
    parsed = parse_times(starts, ends, len(starts))
    return list(TimeIndex(parsed.start, parsed.end).active(t))


def test_day_number_round_trips_before_the_epoch():
    assert to_date(D) == dt.date(1944, 7, 16)
    assert to_date(D + 0.99) == dt.date(1944, 7, 16)
    assert to_date(D - 0.01) == dt.date(1944, 7, 15)
    assert to_datetime(D + 0.25) == dt.datetime(1944, 7, 16, 6, 0)


def test_date_only_end_is_inclusive_for_the_whole_day():
    starts, ends = ["1944-07-10"], ["1944-07-16"]
    assert active_on(starts, ends, D) == [0]
    assert active_on(starts, ends, D + 0.999) == [0]
    assert active_on(starts, ends, D + 1.0) == []
    assert active_on(starts, ends, day_number(dt.date(1944, 7, 9))) == []


def test_datetime_end_is_exact():
    starts, ends = ["1944-07-10"], ["1944-07-16T22:00"]
    assert active_on(starts, ends, D + 21.9 / 24) == [0]
    assert active_on(starts, ends, D + 22.5 / 24) == []


def test_open_end_means_still_there_and_open_start_means_always_was():
    starts, ends = ["1944-07-10", None], [None, "1944-07-01"]
    late = day_number(dt.date(1950, 1, 1))
    assert active_on(starts, ends, late) == [0]
    assert active_on(starts, ends, day_number(dt.date(1900, 1, 1))) == [1]


def test_parse_iso_accepts_dates_datetimes_and_objects():
    assert parse_iso("1944-07-16") == (D, False)
    assert parse_iso("1944-07-16 06:00") == (D + 0.25, True)
    assert parse_iso(dt.datetime(1944, 7, 16, 6)) == (D + 0.25, True)
    assert parse_iso(dt.date(1944, 7, 16)) == (D, False)
    assert parse_iso(np.datetime64("1944-07-16")) == (D, False)
    assert parse_iso("") is None and parse_iso(None) is None and parse_iso(float("nan")) is None
    with pytest.raises(ValueError):
        parse_iso("16/07/1944")


@pytest.mark.parametrize("text", ["19440714xx", "1944071412", "19440716", "19440715.5", "1944-W28",
                                  "1944-07-16T06:00 or so"])
def test_text_that_only_python_reads_as_a_date_is_no_date(text):
    """Python's fromisoformat read "19440714xx" and the number 19440715.5 as July days, and
    ``validate`` said 0 errors (a new user): only the written-out calendar date, a year, a month
    or a date and time are read."""
    with pytest.raises(ValueError):
        parse_iso(text)
    parsed = parse_times(["1944-07-16", text], None, 2)
    assert [(row, col, got) for row, col, got in parsed.bad_rows] == [(1, "start_date", text)]


def test_bad_dates_are_reported_with_row_and_column():
    parsed = parse_times(["1944-07-01", "July 4th"], ["1944-07-02", "1944-13-01"], 2)
    assert [(row, col) for row, col, _ in parsed.bad_rows] == [(1, "start_date"), (1, "end_date")]


def test_index_answers_match_a_brute_force_mask():
    rng = np.random.default_rng(7)
    start = rng.integers(0, 300, 2000).astype(float) + rng.random(2000).round(2)
    end = start + rng.integers(0, 40, 2000)
    start[::50] = -np.inf
    end[::70] = np.inf
    index = TimeIndex(start, end)
    for t in list(rng.random(50) * 360 - 10) + [0.0, 150.5, 999.0, -50.0]:
        expected = np.nonzero((start <= t) & (t < end))[0]
        assert np.array_equal(index.active(t), expected)


def test_time_state_clips_steps_and_loops():
    seen = []
    state = TimeState(D, D + 3)
    state.connect(seen.append)
    state.set_t(D + 10)
    assert state.t == D + 3 and seen == [D + 3]
    assert state.step(1) is False and state.t == D + 3
    assert state.step(1, loop=True) is True and state.t == D
    state.set_t(D + 1.5)
    state.step(-1)
    assert state.t == D + 1
    with pytest.raises(ValueError):
        state.set_t(float("nan"))
    with pytest.raises(ValueError):
        TimeState(D + 1, D)
