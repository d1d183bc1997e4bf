"""Loading real GeoPackages: reprojection, roles, keyframe interpolation, problems."""

import datetime as dt

import geopandas as gpd
import numpy as np
import pytest
import shapely
from pyproj import Transformer

from terrain_viewer.core.data.layers import open_dataset, utm_crs_for
from terrain_viewer.core.model import ViewerModel
from terrain_viewer.core.temporal.timeline import day_number
from terrain_viewer.core.temporal.tracks import morph_line

T23 = day_number(dt.date(1944, 6, 23))


def test_utm_zone_is_chosen_from_the_data(small_gpkg):
    ds = open_dataset([small_gpkg])
    assert ds.map_crs.to_epsg() == 32649
    assert utm_crs_for(-3.7, 40.4).to_epsg() == 32630
    assert utm_crs_for(151.2, -33.9).to_epsg() == 32756


def test_layers_are_reprojected_to_the_map_crs(small_gpkg):
    ds = open_dataset([small_gpkg])
    river = ds.layer("rivers")
    x, y = Transformer.from_crs(4326, 32649, always_xy=True).transform(112.62, 26.85)
    first = shapely.get_coordinates(river.gdf.geometry.iloc[0])[0]
    assert first == pytest.approx([x, y], abs=0.01)
    assert river.source_crs == "EPSG:4326"


def test_roles_follow_the_columns(small_gpkg):
    ds = open_dataset([small_gpkg])
    assert ds.layer("rivers").role == "static"
    assert ds.layer("events").role == "temporal"
    assert ds.layer("units").role == "keyframes"
    assert ds.time_extent == (T23, day_number(dt.datetime(1944, 7, 1, 6)))


def test_units_glide_between_keyframes(small_gpkg):
    units = open_dataset([small_gpkg]).layer("units")
    xs = units.gdf.geometry.x.to_numpy()
    at = units.features_at(T23 + 0.5)
    a = at[at.unit_id == "a"].geometry.iloc[0]
    assert a.x == pytest.approx((xs[0] + xs[1]) / 2)
    # a two-day gap: a quarter of the way at 24 June + 0.5
    a = units.features_at(T23 + 1.5).query("unit_id == 'a'").geometry.iloc[0]
    assert a.x == pytest.approx(xs[1] + 0.25 * (xs[2] - xs[1]))
    # after the last keyframe's day the unit is gone; b stays until its end date
    assert list(units.features_at(T23 + 4).unit_id) == ["b"]
    assert len(units.features_at(T23 - 0.5)) == 0


def test_morph_line_blends_resampled_lines():
    a = shapely.LineString([(0, 0), (10, 0)])
    b = shapely.LineString([(0, 10), (5, 10), (10, 10)])
    mid = morph_line(a, b, 0.5)
    assert np.allclose(shapely.get_coordinates(mid)[:, 1], 5)
    assert morph_line(a, b, 0) is a and morph_line(a, b, 1) is b


def test_a_bad_file_does_not_stop_the_others(small_gpkg, tmp_path):
    empty = tmp_path / "empty.gpkg"
    empty.write_bytes(b"")
    ds = open_dataset([empty, small_gpkg])
    assert {layer.name for layer in ds.layers} == {"units", "events", "rivers"}
    assert ds.problems == [f"{empty}: empty file (0 bytes)"]


def test_layer_without_crs_is_a_problem_naming_file_and_layer(small_gpkg, tmp_path):
    path = tmp_path / "nocrs.gpkg"
    with pytest.warns(UserWarning):
        gpd.GeoDataFrame({"a": [1]}, geometry=[shapely.Point(1, 2)]).to_file(path, layer="plain")
    ds = open_dataset([path, small_gpkg])
    assert any(p.startswith(f"{path}: layer 'plain': no CRS") for p in ds.problems)
    assert len(ds.layers) == 3


def test_model_round_trips_through_a_dict(small_gpkg):
    model = ViewerModel.open([small_gpkg])
    model.set_visible("rivers", False)
    model.set_opacity("units", 0.5)
    model.move_layer("units", 0)
    model.time.set_t(T23 + 2)
    copy = ViewerModel.from_dict(model.to_dict())
    assert copy.to_dict() == model.to_dict()
    assert copy.layer_states[0].name == "units"
