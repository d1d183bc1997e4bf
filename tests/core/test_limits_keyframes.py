"""Point keyframes (a unit_id or line_id and a start_date per row) may have up to
MAX_KEYFRAME_POINTS rows, since one point per id is shown at a time; their ids, and every other
layer's features, stay within MAX_FEATURES (docs/limits.md)."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import shapely

from terrain_viewer.core.data import readers
from terrain_viewer.core.data.layers import open_dataset

pytestmark = pytest.mark.usefixtures("no_dataset_cache")  # they count or limit reads


def write(path, layer: str, n: int, ids: int, columns: tuple[str, ...] = ("unit_id", "start_date")):
    frame = {}
    if "unit_id" in columns:
        frame["unit_id"] = np.char.add("u", (np.arange(n) % ids).astype(str))
    if "start_date" in columns:
        frame["start_date"] = np.array(["1944-07-01", "1944-07-02", "1944-07-03"])[np.arange(n) // ids % 3]
    xy = np.c_[np.linspace(112.5, 112.7, n), np.full(n, 26.9)]
    gpd.GeoDataFrame(frame, geometry=shapely.points(xy), crs=4326).to_file(path, layer=layer)


def test_point_keyframes_have_their_own_row_limit(tmp_path, monkeypatch):
    path = tmp_path / "limits.gpkg"
    write(path, "units", 60, ids=20)  # 60 keyframes of 20 units
    write(path, "many_units", 60, ids=30)  # 30 units: above the 20 features allowed on the map
    write(path, "too_many_keyframes", 90, ids=20)
    write(path, "plain_points", 60, ids=20, columns=("unit_id",))  # no start_date: not keyframes
    lines = [shapely.LineString([(112.5, 26.9 + i / 1000), (112.6, 26.9)]) for i in range(60)]
    gpd.GeoDataFrame({"line_id": ["a", "b"] * 30, "start_date": ["1944-07-01"] * 60}, geometry=lines,
                     crs=4326).to_file(path, layer="line_keyframes")
    monkeypatch.setattr(readers, "MAX_FEATURES", 20)
    monkeypatch.setattr(readers, "MAX_KEYFRAME_POINTS", 80)
    ds = open_dataset([path])
    assert [layer.name for layer in ds.layers] == ["units"]
    assert ds.layer("units").role == "keyframes" and len(ds.layer("units").features_at(
        ds.layer("units").dated_extent[0])) == 20
    text = " | ".join(ds.problems)
    assert "layer 'many_units': 30 distinct unit_id values; the limit is 20 per layer" in text
    assert "layer 'too_many_keyframes': 90 features; the limit is 80 per layer of point keyframes" in text
    assert "layer 'plain_points': 60 features; the limit is 20 per layer (split" in text
    assert "layer 'line_keyframes': 60 features; the limit is 20 per layer (split" in text
    assert len(ds.problems) == 4 and all("\n" not in p for p in ds.problems)


def test_the_keyframe_limit_is_the_vertex_limit():
    from terrain_viewer.core.data import layers

    assert readers.MAX_KEYFRAME_POINTS == layers.MAX_VERTICES == 5_000_000
    assert readers.MAX_FEATURES == 200_000
