"""The map in any CRS a user switches to reads true on the ground: the scale bar's label is the
geodesic length of its bar at the view's centre (degrees in EPSG:4326, Web Mercator's stretch at
27° N), the relief is as steep as in UTM, and a CRS that is no map CRS is refused."""

from __future__ import annotations

import pytest
from matplotlib.patches import Rectangle
from pyproj import Geod

from terrain_viewer.core.data.builtin import builtin_paths
from terrain_viewer.core.data.mapcrs import transformer
from terrain_viewer.core.model import ViewerModel
from terrain_viewer.core.render import furniture as fu
from terrain_viewer.core.render import terrain
from terrain_viewer.core.render.renderer import MapRenderer
from terrain_viewer.core.render.terrain import shaded_relief

GEOD = Geod(ellps="WGS84")


@pytest.fixture(scope="module")
def hengyang() -> ViewerModel:
    return ViewerModel.open(builtin_paths())


def drawn(model: ViewerModel, monkeypatch) -> tuple[list, list]:
    """Render ``model``; return the scale bars the renderer drew and the ``ground`` its relief got."""
    bars, grounds = [], []
    scale_bar, relief = fu.scale_bar, terrain.shaded_relief

    def spy_bar(ax, view, *args, **kwargs):
        bars.append(scale_bar(ax, view, *args, **kwargs)[0])
        return [bars[-1]]

    def spy_relief(raster, *args, **kwargs):
        grounds.append(kwargs.get("ground", (1.0, 1.0)))
        return relief(raster, *args, **kwargs)

    monkeypatch.setattr(fu, "scale_bar", spy_bar)
    monkeypatch.setattr(terrain, "shaded_relief", spy_relief)
    MapRenderer(model).render(size=(960, 540))
    return bars, grounds


@pytest.mark.parametrize("crs", [32649, 3857, 4326])
def test_the_scale_bar_says_its_length_on_the_ground(hengyang, crs, monkeypatch):
    model = hengyang if crs == 32649 else hengyang.with_map_crs(crs)
    bars, _ = drawn(model, monkeypatch)
    box, text = bars[0].get_child().get_children()
    length = sum(r.get_width() for r in box.get_children() if isinstance(r, Rectangle))  # map units
    label = text.get_text()
    metres = float(label.split()[0].replace(",", "")) * (1000 if label.endswith("km") else 1)
    view = model.view
    cx, cy = (view[0] + view[2]) / 2, (view[1] + view[3]) / 2
    to_lonlat = transformer(model.dataset.map_crs, 4326)
    lon, lat = to_lonlat.transform([cx - length / 2, cx + length / 2], [cy, cy])
    true = GEOD.inv(lon[0], lat[0], lon[1], lat[1])[2]
    assert metres > 100 and abs(true - metres) / metres < 0.02, (crs, label, true)


def test_the_relief_is_as_steep_in_degrees_as_in_metres(hengyang, monkeypatch):
    def shaded(model: ViewerModel) -> float:  # how much of the map the relief tints (its mean alpha)
        _, grounds = drawn(model, monkeypatch)
        return float(shaded_relief(model.dataset.rasters[0], ground=grounds[0])[..., 3].mean())

    utm, degrees = shaded(hengyang), shaded(hengyang.with_map_crs(4326))
    assert 0.8 < degrees / utm < 1.25, (utm, degrees)  # 8.5x with the grid's degrees taken as metres


@pytest.mark.parametrize("crs, why", [("EPSG:4978", "geocentric"), ("EPSG:5773", "not a 2D")])
def test_a_crs_that_is_no_map_crs_is_refused(hengyang, crs, why):
    with pytest.raises(ValueError, match=why):
        hengyang.with_map_crs(crs)


@pytest.mark.parametrize("crs", [32649, 4326])
def test_a_file_of_one_point_opens_on_its_neighbourhood_not_a_speck(tmp_path, crs, monkeypatch):
    """A researcher's file of a single point has no area: it opened at 1e-9 map units across, its
    scale bar reading "2e-10 m" over a bar with no segments. It opens on 2 km around the point."""
    import geopandas as gpd
    from shapely.geometry import Point

    path = tmp_path / "one.gpkg"
    gpd.GeoDataFrame({"name": ["湘江渡口"]}, geometry=[Point(112.6, 26.9)], crs=4326).to_crs(
        32649 if crs == 32649 else 4326).to_file(path, layer="ford")
    model = ViewerModel.open([path])
    model = model if model.dataset.map_crs.to_epsg() == crs else model.with_map_crs(crs)
    bars, _ = drawn(model, monkeypatch)
    label = bars[0].get_child().get_children()[1].get_text()
    metres = float(label.split()[0].replace(",", "")) * (1000 if label.endswith("km") else 1)
    assert 200 <= metres <= 2000, label
    x0, y0, x1, y1 = model.full_extent()
    to_lonlat = transformer(model.dataset.map_crs, 4326)
    lon, lat = to_lonlat.transform([x0, x1, x0], [y0, y0, y1])
    assert GEOD.inv(lon[0], lat[0], lon[1], lat[1])[2] == pytest.approx(2000, rel=0.01)
    assert GEOD.inv(lon[0], lat[0], lon[2], lat[2])[2] == pytest.approx(2000, rel=0.01)
