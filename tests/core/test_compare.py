"""Old and modern geography: modern layers in any format and CRS, the swipe
(group A left of the divider, group B right) and side by side, also in exports."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import shapely

from terrain_viewer.core.data.builtin import builtin_paths
from terrain_viewer.core.export.run import ExportSettings, run_export
from terrain_viewer.core.model import ViewerModel
from terrain_viewer.core.render.renderer import BASEMAP, MapRenderer
from terrain_viewer.core.render.swipe import render_side_by_side, sides

SIZE = (640, 400)
GREY = np.array([200, 200, 205])  # the test tiles


@pytest.fixture
def model(mbtiles_file: Path) -> ViewerModel:
    """Hengyang 1944 with a modern basemap, the furniture off so that pixels speak for the map."""
    model = ViewerModel.open(builtin_paths())
    model.set_options(legend=False, caption=False, scale_bar=False, north_arrow=False, labels=False)
    model.set_basemap({"mbtiles": str(mbtiles_file)})
    return model


def is_grey(pixels: np.ndarray) -> np.ndarray:
    return np.abs(pixels[..., :3].astype(int) - GREY).max(axis=-1) < 12


def water(pixels: np.ndarray) -> np.ndarray:
    rgb = pixels[..., :3].astype(int)
    return (rgb[..., 2] - rgb[..., 0] > 40) & (rgb[..., 2] > 180)


def test_the_swipe_shows_1944_left_of_the_divider_and_modern_right(model):
    model.set_swipe(enabled=True, position=0.5)
    rgba = MapRenderer(model).render(size=SIZE)
    left, right = rgba[:, : SIZE[0] // 2 - 2], rgba[:, SIZE[0] // 2 + 2:]
    assert is_grey(right).mean() > 0.9  # the modern basemap fills the right
    assert is_grey(left).mean() < 0.05  # no basemap on the 1944 side …
    assert water(left).sum() > 500  # … which shows the 1944 rivers
    assert water(right).sum() == 0
    model.set_swipe(position=0.8)
    moved = MapRenderer(model).render(size=SIZE)
    assert is_grey(moved[:, : int(SIZE[0] * 0.78)]).mean() < 0.05
    assert is_grey(moved[:, int(SIZE[0] * 0.82):]).mean() > 0.9


def test_the_labels_of_a_side_stay_on_that_side(model):
    model.set_options(labels=True)
    model.set_swipe(enabled=True, position=0.5)
    renderer = MapRenderer(model)
    rgba = renderer.render(size=SIZE)
    view = tuple(renderer._fig.axes[0].viewLim.extents)  # noqa: SLF001
    columns = [renderer.map_to_pixel(p.spec.x, p.spec.y, view, SIZE)[0] for p in renderer.last_labels]
    assert columns and min(columns) < SIZE[0] // 2  # the 1944 side is named …
    assert max(columns) < SIZE[0] // 2  # … and none of its names is put on the modern side
    right = rgba[: int(SIZE[1] * 0.85), SIZE[0] // 2 + 2:]  # above the attribution line
    assert is_grey(right).mean() > 0.999


def test_the_basemap_attribution_is_drawn_once_whatever_side_it_falls_on(model):
    model.set_swipe(enabled=True, position=0.9)  # the attribution (bottom centre) is on the 1944 side
    renderer = MapRenderer(model)
    rgba = renderer.render(size=SIZE)
    left_only = renderer.render(size=SIZE, layers=sides(model)[0])
    # bottom centre, inside the title-safe area (the central 90 % of the frame)
    box = (slice(int(SIZE[1] * 0.88), int(SIZE[1] * 0.97)), slice(int(SIZE[0] * 0.3), int(SIZE[0] * 0.7)))
    dark = lambda pixels: int((pixels[..., :3].max(axis=-1) < 110).sum())  # noqa: E731 - the text
    assert dark(rgba[box]) > 20 + dark(left_only[box])


def test_layers_of_other_groups_show_on_both_sides_and_groups_can_change(model):
    model.set_group("water_areas", "modern")  # now the Xiang is on the modern side only
    left_names, right_names = sides(model)
    assert "water_areas" in right_names and "water_areas" not in left_names
    assert BASEMAP in right_names and BASEMAP not in left_names
    model.set_group("water_areas", "rivers and hills")  # a third group: both sides
    left_names, right_names = sides(model)
    assert "water_areas" in left_names and "water_areas" in right_names
    assert "rivers and hills" in model.groups()


def test_side_by_side_puts_the_groups_next_to_each_other_at_one_scale(model):
    rgba = render_side_by_side(MapRenderer(model), None, SIZE, None, 100.0)
    half = (SIZE[0] - 4) // 2
    assert rgba.shape == (SIZE[1], SIZE[0], 4)
    assert is_grey(rgba[:, half + 4:]).mean() > 0.9 and is_grey(rgba[:, :half]).mean() < 0.05
    assert water(rgba[:, :half]).sum() > 200


def test_an_export_of_a_swipe_keeps_the_divider(model, tmp_path):
    model.set_swipe(enabled=True, position=0.5)
    settings = ExportSettings(start="1944-07-01", end="1944-07-01", frames_per_day=1, size="320x200",
                              workers=1, legend=False, caption=False, scale_bar=False, north_arrow=False,
                              credits=False, labels=False)
    run_export(model, settings, tmp_path / "frames")
    from PIL import Image

    frame = np.asarray(Image.open(tmp_path / "frames" / "frame_00001.png"))
    assert is_grey(frame[:, 165:]).mean() > 0.9 and is_grey(frame[:, :155]).mean() < 0.05


@pytest.mark.parametrize("driver, suffix, crs", [("GeoJSON", ".geojson", 3857),
                                                 ("ESRI Shapefile", ".shp", 4326),
                                                 ("KML", ".kml", 4326),
                                                 ("GPKG", ".gpkg", 32649)])
def test_modern_vector_layers_in_any_format_and_crs_stay_at_every_date(tmp_path, driver, suffix, crs,
                                                                       target_lonlat):
    lon, lat = target_lonlat
    roads = gpd.GeoDataFrame({"name": ["Modern road"]},
                             geometry=[shapely.LineString([(lon - 0.02, lat), (lon + 0.02, lat + 0.01)])],
                             crs=4326).to_crs(crs)
    path = tmp_path / f"roads{suffix}"
    roads.to_file(path, driver=driver, engine="pyogrio")
    model = ViewerModel.open(builtin_paths())
    assert model.add_files([path]) == []
    name = next(s.name for s in model.layer_states if s.group == "added")
    layer = next(layer for layer in model.dataset.layers if layer.name == name)
    assert layer.is_static
    x0, y0, x1, y1 = layer.gdf.total_bounds
    assert 654_000 < x0 < x1 < 666_000 and 2_972_000 < y0 < y1 < 2_979_000  # in place, in UTM 49N
    for day in (model.time.start, model.time.end):
        assert len(layer.features_at(day)) == 1


def test_each_side_by_side_pane_has_the_legend_of_its_own_layers(model):
    """The modern pane drew the 1944 legend over its basemap, though none of those layers is in it."""
    model.set_options(legend=True)
    rgba = render_side_by_side(MapRenderer(model), None, (2400, 900), None, 100.0)  # panes wide enough
    half = (2400 - 4) // 2  #                                                         for a legend
    modern_corner = rgba[450:, half + 4 + half // 2:]  # the lower right of the modern pane
    old_corner = rgba[450:, half // 2:half]
    assert is_grey(modern_corner).mean() > 0.97  # the tiles, no legend box
    assert (old_corner[..., :3] < 100).all(axis=-1).sum() > 200  # the 1944 pane keeps its legend


def test_the_divider_runs_under_the_legend_not_across_its_text(model):
    """The swipe's divider was drawn over the furniture and cut the legend's text. Found by a new
    user dragging the swipe across the legend."""
    from terrain_viewer.core.render.swipe import DIVIDER, divider_column

    model.set_options(legend=True)
    size = (1600, 900)
    renderer = MapRenderer(model)
    renderer.render(size=size)
    legend = max(renderer.furniture_boxes(size), key=lambda b: (b[2] - b[0]) * (b[3] - b[1]))
    position = (legend[0] + legend[2]) / 2 / size[0]
    model.set_swipe(enabled=True, position=position)
    rgba = renderer.render(size=size)
    x = divider_column(position, size[0])
    assert legend[0] < x < legend[2]
    column = (np.abs(rgba[:, x - 1, :3].astype(int) - DIVIDER) < 6).all(axis=-1)
    rows = np.arange(size[1])
    inside = (rows > legend[1] + 2) & (rows < legend[3] - 2)
    assert column[~inside].mean() > 0.5 and not column[inside].any()
