"""`validate` warns when a unit is drawn in a river on some day; a bridge keeps it dry."""

from __future__ import annotations

import geopandas as gpd
import shapely

from terrain_viewer.core.data.builtin import builtin_paths
from terrain_viewer.core.data.layers import open_dataset
from terrain_viewer.core.data.validate import validate_file
from terrain_viewer.core.data.water import units_in_water

RIVER = shapely.box(112.595, 26.80, 112.605, 27.00)  # about 1 km wide, north-south


def _battle(path, bridge: bool = False):
    units = gpd.GeoDataFrame(
        {"unit_id": ["a", "a", "a"], "start_date": ["1944-06-23", "1944-06-25", "1944-06-27"],
         "end_date": ["1944-06-23", "1944-06-25", "1944-06-27"], "source": ["test"] * 3,
         "confidence": ["low"] * 3},
        geometry=shapely.points([112.58, 112.62, 112.64], [26.90, 26.90, 26.90]), crs=4326)
    units.to_file(path, layer="units")
    gpd.GeoDataFrame({"kind": ["river"], "source": ["test"], "confidence": ["low"]}, geometry=[RIVER],
                     crs=4326).to_file(path, layer="water_areas")
    if bridge:
        crossing = shapely.LineString([(112.57, 26.90), (112.63, 26.90)])
        gpd.GeoDataFrame({"kind": ["bridge"], "source": ["test"], "confidence": ["low"]},
                         geometry=[crossing], crs=4326).to_file(path, layer="railways")
    return path


def test_a_unit_gliding_across_a_river_is_reported_on_the_day_it_is_in_it(tmp_path):
    path = _battle(tmp_path / "wet.gpkg")
    wet = units_in_water(open_dataset([path]).layers)
    assert [(w.unit_id, w.text()) for w in wet] == [("a", "unit a stands in water on 24 June 1944")]
    report = next(r for r in validate_file(path) if r.layer == "units")
    assert report.ok and "unit a stands in water on 24 June 1944" in report.warnings


def test_on_a_bridge_the_unit_is_dry(tmp_path):
    path = _battle(tmp_path / "bridge.gpkg", bridge=True)
    assert units_in_water(open_dataset([path]).layers) == []


def test_the_shipped_units_stay_on_land():
    assert units_in_water(open_dataset(builtin_paths()[:1]).layers) == []
