"""Keyframed layers at any time: the cached, vectorised ``features_at`` gives exactly what the
plain per-call computation gave (rows, attributes, dtypes, index, moved geometry, progress), its
text columns and column names as numpy objects rather than Arrow-backed text (the same values)."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from terrain_viewer.core.data.layers import Layer, open_dataset
from terrain_viewer.core.temporal.tracks import morph_line


def interpolate_points(a: np.ndarray, b: np.ndarray, fraction: np.ndarray) -> np.ndarray:
    """Points moved from ``a`` toward ``b`` by ``fraction`` (shapely arrays), as the loader did."""
    xa, ya = shapely.get_x(a), shapely.get_y(a)
    xb, yb = shapely.get_x(b), shapely.get_y(b)
    f = np.asarray(fraction, dtype=float)
    return shapely.points(xa + (xb - xa) * f, ya + (yb - ya) * f)


def reference(layer: Layer, t: float) -> gpd.GeoDataFrame:
    """``features_at`` of a keyframed layer as it was computed before the cache (one take per call)."""
    state = layer.tracks.state(t - layer.time_offset)
    out = layer.gdf.iloc[state.rows].copy()
    for column in out.columns:
        if isinstance(out[column].dtype, pd.StringDtype | pd.ArrowDtype):
            out[column] = out[column].astype(object)
    out.columns = out.columns.astype(object)
    geoms = layer.gdf.geometry.values
    here = np.asarray(geoms[state.rows])
    moving = state.next_rows >= 0
    if not moving.any():
        return out
    there = here.copy()
    there[moving] = np.asarray(geoms[state.next_rows[moving]])
    if layer.geometry_type.endswith("Point"):
        moved = interpolate_points(here, there, np.where(moving, state.fraction, 0.0))
    else:
        moved = [morph_line(a, b, f) for a, b, f in zip(here, there, state.fraction, strict=True)]
    out["geometry"] = gpd.GeoSeries(moved, index=out.index, crs=layer.gdf.crs)
    out["progress"] = state.fraction
    return out


def assert_same(got: gpd.GeoDataFrame, want: gpd.GeoDataFrame) -> None:
    pd.testing.assert_frame_equal(got, want, check_exact=True)
    assert type(got) is type(want) and got.crs == want.crs and got.geometry.name == want.geometry.name
    a, b = shapely.get_coordinates(got.geometry.values), shapely.get_coordinates(want.geometry.values)
    assert a.shape == b.shape and a.tobytes() == b.tobytes()  # bit for bit


def random_times(ds, n: int, seed: int) -> np.ndarray:
    lo, hi = ds.animation_extent
    rng = np.random.default_rng(seed)
    days = np.arange(np.floor(lo) - 1, hi + 2)  # keyframe instants, before the first and after the last
    return np.r_[rng.uniform(lo - 2, hi + 2, n), days, rng.choice(days, n) + 1 / 12]


def test_shipped_units_and_front_lines_match_the_per_call_computation(shipped_gpkg):
    ds = open_dataset([shipped_gpkg])
    moving = [layer for layer in ds.layers if layer.role == "keyframes"]
    assert {layer.geometry_type for layer in moving} >= {"Point", "LineString"}
    for layer in moving:
        layer.time_offset = 0.25
        for t in random_times(ds, 150, seed=len(layer.name)):
            assert_same(layer.features_at(t), reference(layer, t))


def test_a_changed_result_does_not_change_the_next_one(small_gpkg):
    units = open_dataset([small_gpkg]).layer("units")
    t0, t1 = units.dated_extent
    for t in (t0, t0 + 0.5, t1 - 0.5):
        first = units.features_at(t)
        first["designation"] = "changed"
        first["geometry"] = shapely.points(np.zeros(len(first)), np.zeros(len(first)))
        if "progress" in first.columns:
            first["progress"] = -1.0
        assert_same(units.features_at(t), reference(units, t))


@pytest.mark.parametrize("extra", [None, "progress"])
def test_many_units_match_on_random_dates(tmp_path, extra):
    """200 units over 30 days, some dying early, one column already named ``progress``."""
    rng = np.random.default_rng(7)
    n_units, days = 200, 30
    day = np.repeat(np.arange(days), n_units)
    unit = np.tile(np.arange(n_units), days)
    keep = rng.random(len(day)) > 0.3 + 0.5 * (unit % 5 == 0) * (day > 20)
    dates = pd.date_range("1944-06-23", periods=days).strftime("%Y-%m-%d").to_numpy()
    frame = {"unit_id": np.char.add("u", unit[keep].astype(str)), "start_date": dates[day[keep]],
             "end_date": dates[day[keep]], "strength": rng.random(keep.sum())}
    if extra:
        frame[extra] = rng.random(keep.sum())
    path = tmp_path / "units.gpkg"
    xy = rng.uniform([112.5, 26.8], [112.7, 27.0], size=(keep.sum(), 2))
    gpd.GeoDataFrame(frame, geometry=shapely.points(xy), crs=4326).to_file(path, layer="units")
    ds = open_dataset([path])
    layer = ds.layer("units")
    assert layer.role == "keyframes"
    for t in random_times(ds, 100, seed=3):
        assert_same(layer.features_at(t), reference(layer, t))


def test_a_deep_copied_layer_and_threads_give_the_same_frames(shipped_gpkg):
    import copy
    from concurrent.futures import ThreadPoolExecutor

    ds = open_dataset([shipped_gpkg])
    units = ds.layer("units")
    times = random_times(ds, 40, seed=11)
    units.features_at(times[0])  # frames cached before the copy
    twin = copy.deepcopy(units)
    with ThreadPoolExecutor(4) as pool:  # the render thread and the GUI thread share a layer
        got = list(pool.map(lambda t: (units.features_at(t), twin.features_at(t)), np.r_[times, times]))
    for t, (a, b) in zip(np.r_[times, times], got, strict=True):
        want = reference(units, t)
        assert_same(a, want)
        assert_same(b, want)


def units_layer(path, rows: list[dict]) -> Layer:
    """The ``units`` layer of a GeoPackage of keyframe ``rows`` (dates as ISO text) written at ``path``."""
    gdf = gpd.GeoDataFrame(rows, crs=32637)
    for column in ("start_date", "end_date"):
        gdf[column] = pd.to_datetime(gdf[column])
    gdf.to_file(path, layer="units")
    return open_dataset([path]).layer("units")


def test_a_unit_ends_with_its_last_keyframe_even_when_the_keyframes_before_have_no_end(tmp_path, capsys):
    """A researcher's units had an end_date on the last keyframe only (the rows before it empty, as
    is common): an empty end, "still there", kept every unit on the map for ever after, and `info`
    said the layer was open-ended. The end of an item is its last row's (docs/data-model.md)."""
    from terrain_viewer.cli import main
    from terrain_viewer.core.temporal.timeline import day_number

    rows = [{"unit_id": unit, "start_date": start, "end_date": end,
             "geometry": shapely.Point(340_000 + 500 * k + 300 * n, 5_650_000)}
            for k, unit in enumerate(("a", "b"))
            for n, (start, end) in enumerate((("1943-07-10", None), ("1943-07-12", None),
                                              ("1943-07-13", "1943-07-14")))]
    path = tmp_path / "prokhorovka.gpkg"
    layer = units_layer(path, rows)
    day = day_number(pd.Timestamp("1943-07-14").date())
    assert len(layer.features_at(day + 0.5)) == 2  # all of its last day
    assert len(layer.features_at(day + 1)) == 0  # gone the day after
    assert layer.time_extent == (day - 4, day)  # its last day, inclusive
    assert main(["info", str(path)]) == 0
    assert "keyframes 1943-07-10..1943-07-14" in capsys.readouterr().out  # not "..(open)"


def test_a_units_last_keyframe_with_no_end_is_still_there(tmp_path):
    rows = [{"unit_id": "a", "start_date": start, "end_date": end, "geometry": shapely.Point(n, 0)}
            for n, (start, end) in enumerate((("1943-07-10", "1943-07-11"), ("1943-07-12", None)))]
    layer = units_layer(tmp_path / "open.gpkg", rows)
    assert len(layer.features_at(layer.time_extent[0] + 1000)) == 1 and np.isinf(layer.time_extent[1])
