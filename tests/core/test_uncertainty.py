"""Positional uncertainty on the map (``options.uncertainty``): real renders of small GeoPackages,
halos counted in pixels; the option through a project file and the export settings."""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import shapely

from terrain_viewer.core.export.settings import ExportSettings
from terrain_viewer.core.model import ViewerModel
from terrain_viewer.core.project import load_project, save_project
from terrain_viewer.core.render.renderer import MapRenderer

UTM = "EPSG:32649"
X0, Y0 = 650_000.0, 2_970_000.0
SIZE = (500, 500)
VIEW = (X0 - 5000.0, Y0 - 5000.0, X0 + 5000.0, Y0 + 5000.0)  # 20 m a pixel
M_PER_PX = 10_000.0 / SIZE[0]
LOW, HIGH = (X0 - 2500, Y0 + 2500), (X0 + 2500, Y0 + 2500)
NONE, GIVEN = (X0 - 2500, Y0 - 2500), (X0 + 2500, Y0 - 2500)


def _site_rows() -> gpd.GeoDataFrame:
    """Four sites: low confidence (1000 m), high (150 m), neither, and a figure given (300 m, low)."""
    return gpd.GeoDataFrame(
        {"name_en": ["low", "high", "none", "given"], "confidence": ["low", "high", None, "low"],
         "uncertainty_m": [np.nan, np.nan, np.nan, 300.0]},
        geometry=shapely.points([LOW, HIGH, NONE, GIVEN]), crs=UTM)


@pytest.fixture
def sites(tmp_path: Path) -> Path:
    path = tmp_path / "sites.gpkg"
    _site_rows().to_file(path, layer="sites", engine="pyogrio")
    return path


def _render(model: ViewerModel, renderer: MapRenderer | None = None, t: float = 0.0) -> np.ndarray:
    model.set_options(legend=False, scale_bar=False, north_arrow=False, caption=False, labels=False)
    return (renderer or MapRenderer(model)).render(t=t, size=SIZE, view=VIEW)


def _changed(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.any(a != b, axis=2)


def _pixel(x: float, y: float) -> tuple[float, float]:
    return (x - VIEW[0]) / M_PER_PX, (VIEW[3] - y) / M_PER_PX


def _reach(changed: np.ndarray, x: float, y: float, box_m: float) -> tuple[int, float]:
    """Changed pixels within ``box_m`` of (x, y) and the farthest of them from it, in metres."""
    px, py = _pixel(x, y)
    rows, cols = np.nonzero(changed)
    dist = np.hypot(cols + 0.5 - px, rows + 0.5 - py) * M_PER_PX
    near = dist <= box_m
    return int(near.sum()), float(dist[near].max()) if near.any() else 0.0


def test_off_the_map_is_pixel_identical_and_on_it_differs(sites: Path):
    model = ViewerModel.open([sites])
    renderer = MapRenderer(model)
    before = _render(model, renderer)
    model.set_options(uncertainty=True)
    on = _render(model, renderer)
    assert _changed(before, on).sum() > 1000
    model.set_options(uncertainty=False)
    assert np.array_equal(_render(model, renderer), before)  # the cache is keyed by the option
    assert np.array_equal(_render(ViewerModel.open([sites])), before)  # a fresh renderer: the same


def test_a_low_confidence_point_has_a_halo_of_about_its_radius(sites: Path):
    model = ViewerModel.open([sites])
    off = _render(model)
    model.set_options(uncertainty=True)
    changed = _changed(off, _render(model))
    count, farthest = _reach(changed, *LOW, box_m=2000.0)  # its neighbours lie 5 km away
    assert count > 0.5 * np.pi * (1000 / M_PER_PX) ** 2  # a disc, most of it changed
    assert 850.0 < farthest < 1000.0 + 3 * M_PER_PX  # out to its 1000 m, not beyond


def test_a_high_confidence_halo_is_smaller_and_a_given_figure_wins_over_the_confidence(sites: Path):
    model = ViewerModel.open([sites])
    off = _render(model)
    model.set_options(uncertainty=True)
    changed = _changed(off, _render(model))
    low, _ = _reach(changed, *LOW, box_m=2000.0)
    high, high_reach = _reach(changed, *HIGH, box_m=2000.0)
    given, given_reach = _reach(changed, *GIVEN, box_m=2000.0)
    assert 0 < high < low / 10
    assert high_reach < 150.0 + 3 * M_PER_PX
    assert 250.0 < given_reach < 300.0 + 3 * M_PER_PX  # its 300 m, not the 1000 m of 'low'
    assert _reach(changed, *NONE, box_m=2000.0)[0] == 0  # neither figure nor confidence: no halo


def test_lines_get_a_band_and_polygons_an_edge_band(tmp_path: Path):
    path = tmp_path / "shapes.gpkg"
    line = shapely.LineString([(X0 - 4000, Y0 + 2000), (X0 + 4000, Y0 + 2000)])
    square = shapely.box(X0 - 2000, Y0 - 4000, X0 + 2000, Y0)
    gpd.GeoDataFrame({"uncertainty_m": [400.0]}, geometry=[line], crs=UTM).to_file(path, layer="road")
    gpd.GeoDataFrame({"uncertainty_m": [400.0]}, geometry=[square], crs=UTM).to_file(path, layer="field")
    model = ViewerModel.open([path])
    off = _render(model)
    model.set_options(uncertainty=True)
    changed = _changed(off, _render(model))
    column = changed[:, int(_pixel(X0 - 3000, Y0)[0])]  # across the line, away from the square
    rows = np.flatnonzero(column) * M_PER_PX  # metres from the top
    line_row = VIEW[3] - (Y0 + 2000)
    assert rows.min() > line_row - 400 - 2 * M_PER_PX and rows.max() < line_row + 400 + 2 * M_PER_PX
    assert rows.max() - rows.min() > 700  # a band both sides of the line
    cx, cy = _pixel(X0, Y0 - 2000)
    assert not changed[int(cy) - 10:int(cy) + 10, int(cx) - 10:int(cx) + 10].any()  # the middle is clear
    ex, _ = _pixel(X0 - 2000, Y0)
    outside = changed[int(cy), :int(ex)]  # the band round the edge (under the field's own fill inside)
    assert outside[-15:].all() and 300 < (len(outside) - np.flatnonzero(outside).min()) * M_PER_PX < 420


def test_a_moving_units_halo_follows_its_interpolated_position(tmp_path: Path):
    path = tmp_path / "moving.gpkg"
    gpd.GeoDataFrame({"unit_id": ["u1", "u1"], "name_en": ["Rifles", "Rifles"], "confidence": ["low", "high"],
                      "start_date": ["1944-06-23", "1944-06-25"], "end_date": ["1944-06-25", "1944-06-30"]},
                     geometry=shapely.points([(X0 - 3000, Y0), (X0 + 3000, Y0)]), crs=UTM
                     ).to_file(path, layer="columns", engine="pyogrio")
    model = ViewerModel.open([path])
    layer = model.dataset.layer("columns")
    assert layer.role == "keyframes"
    t = model.time.start + 1.0  # halfway between the keyframes
    x = layer.features_at(t).geometry.iloc[0].x
    assert abs(x - X0) < 500
    off = _render(model, t=t)
    model.set_options(uncertainty=True)
    changed = _changed(off, _render(model, t=t))
    count, farthest = _reach(changed, x, Y0, box_m=1500.0)
    assert count > 0 and 850.0 < farthest < 1000.0 + 3 * M_PER_PX  # the larger figure of the two keyframes
    assert _reach(changed, X0 - 3000, Y0, box_m=300.0)[0] == 0  # nothing left at the first keyframe


def test_the_option_goes_through_a_project_file_and_the_export_settings(sites: Path, tmp_path: Path):
    model = ViewerModel.open([sites])
    model.set_options(uncertainty=True)
    target = tmp_path / "halos.tvproj"
    save_project(model, target)
    assert json.loads(target.read_text(encoding="utf-8"))["options"]["uncertainty"] is True
    loaded, _info = load_project(target)
    assert loaded.options.uncertainty is True
    ExportSettings().apply_to(loaded)  # the export's furniture switches leave the option as it is
    assert loaded.options.uncertainty is True
    assert ViewerModel.open([sites]).options.uncertainty is False  # off unless asked for
