"""Dates as TEXT or as GeoPackage DATETIME mean the same; open ends (9999-12-31) stay intervals and
do not stretch the slider; data without dates has no time extent."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from terrain_viewer.core.data.layers import open_dataset
from terrain_viewer.core.temporal.timeline import MAX_INDEX_ENTRIES, TimeIndex, day_number, parse_times

STARTS = ["1944-06-23", "1944-06-28", "1944-07-01T06:00:00", "1944-07-10", None]
ENDS = ["1944-06-30", "1944-07-04", "1944-07-02T18:00:00", "9999-12-31", "1944-07-05"]


def _write(path: Path, starts, ends) -> Path:
    n = len(starts)
    frame = gpd.GeoDataFrame({"name": [f"f{i}" for i in range(n)], "start_date": starts, "end_date": ends},
                             geometry=shapely.points(np.linspace(112.55, 112.65, n), np.full(n, 26.9)),
                             crs=4326)
    frame.to_file(path, layer="positions", engine="pyogrio")
    return path


def _days(layer, first: dt.date, last: dt.date) -> dict[dt.date, list[str]]:
    out, day = {}, first
    while day <= last:
        for hour in (0, 7, 12, 19):
            names = sorted(layer.features_at(day_number(day) + hour / 24)["name"])
            out[(day, hour)] = names
        day += dt.timedelta(days=1)
    return out


def test_text_and_datetime_columns_give_the_same_features_every_day(tmp_path):
    text = _write(tmp_path / "text.gpkg", STARTS, ENDS)
    starts, ends = (pd.to_datetime(pd.Series(v), format="ISO8601") for v in (STARTS, ENDS))
    as_datetime = _write(tmp_path / "datetime.gpkg", starts, ends)
    zone = "Asia/Shanghai"  # +09:00 and +08:00 in 1944: pyogrio reads the column back as UTC
    aware = _write(tmp_path / "aware.gpkg", starts.dt.tz_localize(zone), ends.dt.tz_localize(zone))
    layers = [open_dataset([p]).layer("positions") for p in (text, as_datetime, aware)]
    assert str(gpd.read_file(as_datetime).dtypes["end_date"]).startswith("datetime64")
    expected = _days(layers[0], dt.date(1944, 6, 20), dt.date(1944, 7, 15))
    assert expected[(dt.date(1944, 6, 30), 19)] == ["f0", "f1", "f4"]  # a date-only end lasts all day
    assert expected[(dt.date(1944, 7, 1), 0)] == ["f1", "f4"]
    assert expected[(dt.date(1944, 7, 14), 12)] == ["f3"]  # 9999-12-31: still there
    for layer in layers[1:]:
        assert _days(layer, dt.date(1944, 6, 20), dt.date(1944, 7, 15)) == expected


def test_an_open_end_does_not_stretch_the_slider(tmp_path):
    ds = open_dataset([_write(tmp_path / "open.gpkg", STARTS, ENDS)])
    start, end = ds.animation_extent
    assert (start, end) == (day_number(dt.date(1944, 6, 23)), day_number(dt.date(1944, 7, 10)))
    assert ds.time_extent == (start, end) and ds.has_time


def test_data_without_dates_has_no_time(tmp_path):
    path = tmp_path / "static.gpkg"
    gpd.GeoDataFrame({"name": ["a"]}, geometry=[shapely.Point(112.6, 26.9)], crs=4326).to_file(path)
    ds = open_dataset([path])
    assert ds.time_extent is None and ds.animation_extent is None and not ds.has_time


def test_a_thousand_open_ended_features_keep_a_small_index(tmp_path):
    n = 1000
    starts = [(dt.date(1944, 6, 23) + dt.timedelta(days=i % 47)).isoformat() for i in range(n)]
    path = _write(tmp_path / "many.gpkg", starts, ["9999-12-31"] * n)
    layer = open_dataset([path]).layer("positions")
    assert layer.index.nbytes < 200_000  # 47 days x 1000 rows at most, not 2.9 million days each
    assert len(layer.features_at(day_number(dt.date(1944, 8, 8)))) == n
    assert len(layer.features_at(day_number(dt.date(2000, 1, 1)))) == n  # beyond the extent: still there


def test_centuries_long_intervals_are_bucketed_within_the_entry_cap():
    n = 2000
    parsed = parse_times(["1000-01-01"] * n, ["8999-12-31"] * n, n)
    index = TimeIndex(parsed.start, parsed.end)
    assert index.width > 1 and index.nbytes <= 8 * (MAX_INDEX_ENTRIES + 1)
    t = day_number(dt.date(1944, 7, 1))
    assert np.array_equal(index.active(t), np.arange(n))
    assert len(index.active(day_number(dt.date(9000, 1, 1)))) == 0
