"""Issues 12 and 19 in the renderer, on real renders: the legend follows the styles in effect, a
line above a moving layer is drawn whole, label placement stays bounded and never overlaps, and
the north arrow's convergence is 0 where grid north is true north."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import shapely
from legend_alone import legend_alone
from pyproj import CRS, Transformer

from terrain_viewer.core.data.builtin import builtin_paths
from terrain_viewer.core.model import ViewerModel
from terrain_viewer.core.render.furniture import grid_convergence
from terrain_viewer.core.render.renderer import MapRenderer
from terrain_viewer.core.temporal.timeline import day_number

SIZE = (960, 540)
MAGENTA = (255, 0, 255)
T = day_number(dt.date(1944, 7, 11))


def near(rgba: np.ndarray, colour, tolerance: int = 40) -> np.ndarray:
    return (np.abs(rgba[..., :3].astype(int) - np.asarray(colour)) <= tolerance).all(axis=-1)


def no_furniture(model: ViewerModel) -> None:
    model.set_options(legend=False, caption=False, scale_bar=False, north_arrow=False, credits=False)


def user_layer(model: ViewerModel, path: Path) -> str:
    assert model.add_files([path]) == []
    return next(s.name for s in model.layer_states if s.group == "added")


# ---- the legend is derived from the styles in effect ---------------------------------------------
def test_the_legend_follows_a_style_override():
    model = ViewerModel.open(builtin_paths())
    model.set_options(caption=False, scale_bar=False, north_arrow=False)
    renderer = MapRenderer(model)
    before, legend = legend_alone(renderer, model, t=T, size=SIZE)
    model.set_style("defense_lines", color="#ff00ff")
    after, legend = legend_alone(renderer, model, t=T, size=SIZE)
    assert near(before, MAGENTA, 30).sum() == 0
    swatch = near(after, MAGENTA, 30) & legend
    assert swatch.sum() > 15
    rows, cols = np.nonzero(swatch)
    assert cols.min() > SIZE[0] * 0.4 and rows.min() > SIZE[1] * 0.5  # in the legend, lower right
    model.set_style("defense_lines", color="#00ff00")  # and again: the legend is not stale
    again, legend = legend_alone(renderer, model, t=T, size=SIZE)
    assert (near(again, MAGENTA, 30) & legend).sum() == 0
    assert (near(again, (0, 255, 0), 30) & legend).sum() > 15


def test_a_generic_layer_legend_takes_its_colour_override(tmp_path: Path):
    path = tmp_path / "roads.gpkg"
    gpd.GeoDataFrame({"name": ["road"]}, geometry=[shapely.LineString([(112.57, 26.88), (112.64, 26.91)])],
                     crs=4326).to_file(path, layer="roads", engine="pyogrio")
    model = ViewerModel.open(builtin_paths())
    name = user_layer(model, path)
    model.set_style(name, color="#ff00ff")
    rgba, legend = legend_alone(MapRenderer(model), model, t=T, size=SIZE)
    assert (near(rgba, MAGENTA, 30) & legend).sum() > 15


# ---- issue 19: lines above a moving layer are drawn whole ---------------------------------------
@pytest.fixture
def long_line(tmp_path: Path) -> Path:
    path = tmp_path / "long_line.gpkg"
    line = shapely.LineString([(112.555, 26.865), (112.60, 26.91), (112.655, 26.925)])
    gpd.GeoDataFrame({"kind": ["track"]}, geometry=[line], crs=4326).to_file(path, layer="long_line",
                                                                             engine="pyogrio")
    return path


def test_a_line_above_the_units_is_drawn_whole(long_line: Path):
    model = ViewerModel.open(builtin_paths())
    no_furniture(model)
    model.set_options(labels=False)  # place names may sit over another layer's line (in their halo)
    name = user_layer(model, long_line)
    model.set_style(name, color="#ff00ff", linewidth=2.0)
    names = [s.name for s in model.layer_states]
    assert names.index(name) > names.index("units")  # above a moving layer: drawn as a sprite
    assert model.state("units").visible
    renderer = MapRenderer(model)
    alone = near(renderer.render(t=T, size=SIZE, layers={name}), MAGENTA).sum()
    over = near(renderer.render(t=T, size=SIZE), MAGENTA).sum()
    again = near(renderer.render(t=T + 1, size=SIZE), MAGENTA).sum()  # from the sprite cache
    assert alone > 500
    assert over == pytest.approx(alone, rel=0.05)
    assert again == pytest.approx(alone, rel=0.05)


def test_a_polygon_above_the_units_is_drawn_whole(tmp_path: Path):
    path = tmp_path / "zone.gpkg"
    zone = shapely.Polygon([(112.56, 26.87), (112.65, 26.87), (112.65, 26.92), (112.56, 26.92)]).exterior
    gpd.GeoDataFrame({"kind": ["zone"]}, geometry=[shapely.Polygon(zone)], crs=4326).to_file(
        path, layer="zone", engine="pyogrio")
    model = ViewerModel.open(builtin_paths())
    no_furniture(model)
    name = user_layer(model, path)
    model.set_style(name, edgecolor="#ff00ff", linewidth=2.0)
    renderer = MapRenderer(model)
    alone = near(renderer.render(t=T, size=SIZE, layers={name}), MAGENTA).sum()
    over = near(renderer.render(t=T, size=SIZE), MAGENTA).sum()
    assert alone > 500 and over == pytest.approx(alone, rel=0.05)


# ---- issue 19: label placement is bounded and never overlaps -------------------------------------
def named_points(path: Path, n: int, seed: int = 3) -> Path:
    rng = np.random.default_rng(seed)
    xs, ys = rng.uniform(112.55, 112.66, n), rng.uniform(26.86, 26.93, n)
    gpd.GeoDataFrame({"name_en": [f"Point {i}" for i in range(n)]}, geometry=shapely.points(xs, ys),
                     crs=4326).to_file(path, layer="crowd", engine="pyogrio")
    return path


def overlapping_pairs(boxes) -> int:
    ext = np.array([b.extents for b in boxes])
    x0, y0, x1, y1 = (ext[:, i] for i in range(4))
    hit = ((x0[:, None] < x1[None]) & (x0[None] < x1[:, None]) & (y0[:, None] < y1[None])
           & (y0[None] < y1[:, None]))
    np.fill_diagonal(hit, False)
    return int(hit.sum() // 2)


def test_ten_thousand_named_points_render_with_no_overlapping_labels(tmp_path: Path):
    model = ViewerModel.open(builtin_paths())
    name = user_layer(model, named_points(tmp_path / "crowd.gpkg", 10_000))
    renderer = MapRenderer(model)
    rgba = renderer.render(t=T, size=SIZE)  # over the built-in data
    assert rgba.shape == (SIZE[1], SIZE[0], 4) and len(renderer.last_label_boxes) > 50
    renderer.render(t=T, size=SIZE, layers={name})
    boxes = renderer.last_label_boxes
    assert 50 < len(boxes) < 2_000  # labels are placed, and thinned
    assert overlapping_pairs(boxes) == 0
    width, height = SIZE
    assert all(b.x0 >= 0 and b.x1 <= width and b.y0 >= 0 and b.y1 <= height for b in boxes)


def test_a_crowd_of_points_does_not_push_out_the_city_label(tmp_path: Path):
    """Thinned by priority: the walled city's name is placed before thousands of plain names."""
    model = ViewerModel.open(builtin_paths())
    model.set_options(legend=False)
    renderer = MapRenderer(model)
    renderer.render(t=T, size=SIZE, layers={"city"})
    (city,) = renderer.last_label_boxes
    user_layer(model, named_points(tmp_path / "crowd.gpkg", 10_000))
    renderer.render(t=T, size=SIZE, layers={"city", model.layer_states[-1].name})
    assert any(np.allclose(b.extents, city.extents) for b in renderer.last_label_boxes)


def test_label_boxes_come_back_from_the_cache():
    model = ViewerModel.open(builtin_paths())
    model.set_visible("events", False)  # a dated layer above the units labels over the background
    renderer = MapRenderer(model)
    renderer.render(t=T, size=SIZE)
    first = [tuple(b.extents) for b in renderer.last_label_boxes]
    renderer.render(t=T, size=SIZE)  # background and sprites from the caches
    second = [tuple(b.extents) for b in renderer.last_label_boxes]
    assert first and sorted(first) == sorted(second)
    assert overlapping_pairs(renderer.last_label_boxes) == 0


# ---- the north arrow ---------------------------------------------------------------------------------
def test_grid_convergence_is_zero_in_a_geographic_crs_and_known_in_utm():
    assert grid_convergence(CRS(4326), (112.55, 26.86, 112.66, 26.93)) == 0.0
    turn = grid_convergence(CRS(32649), (650_000, 2_970_000, 670_000, 2_980_000))
    assert 0.5 < turn < 1.0  # east of the zone's central meridian (111°E)


# ---- an area's name over another layer's lines rather than not at all ---------------------------
def test_a_lake_crossed_by_a_layer_of_lines_is_still_named_inside_it(tmp_path: Path):
    """A researcher's lake under a dense layer of lines (contours, a grid): every position near
    its name is on a line, so the name goes over them (in its halo); no unit or label is covered."""
    lakes, lines = tmp_path / "lakes.gpkg", tmp_path / "lines.gpkg"
    lake = shapely.Point(112.70, 26.84).buffer(0.02)
    gpd.GeoDataFrame({"name": ["Lake Mirror"]}, geometry=[lake], crs=4326).to_file(lakes, layer="lakes",
                                                                                     engine="pyogrio")
    grid = [shapely.LineString([(112.66, 26.82 + i * 0.002), (112.74, 26.82 + i * 0.002)]) for i in range(21)]
    gpd.GeoDataFrame({"kind": ["grid"] * 21}, geometry=grid, crs=4326).to_file(lines, layer="grid",
                                                                               engine="pyogrio")
    model = ViewerModel.open(builtin_paths())
    no_furniture(model)
    user_layer(model, lakes)
    assert model.add_files([lines]) == []
    renderer = MapRenderer(model)
    renderer.render(t=T, size=SIZE)
    placed = {p.spec.text: p for p in renderer.last_labels}
    assert "Lake Mirror" in placed
    assert (placed["Lake Mirror"].dx, placed["Lake Mirror"].dy) == (0, 0)  # inside, on its middle
    box = placed["Lake Mirror"].box
    others = [p for p in renderer.last_labels if p.spec.text != "Lake Mirror"]
    assert not [p.spec.text for p in others if p.box[0] < box[2] and box[0] < p.box[2]
                and p.box[1] < box[3] and box[1] < p.box[3]]
    assert not [b for b in renderer.last_symbol_boxes if len(b) == 4 and b[0] < box[2] and box[0] < b[2]
                and b[1] < box[3] and box[1] < b[3]]  # no marker or unit under it


def test_what_lies_under_the_date_caption_is_not_named_beside_it(tmp_path):
    """The caption covers a place's marker and an event's star: their names, put beside the caption
    (the place by the frame's edge, the event's title on a far ring with a leader), would name
    nothing. With the caption off both are named."""
    model = ViewerModel.open(builtin_paths())
    model.set_options(legend=False, scale_bar=False, north_arrow=False, credits=False)
    renderer = MapRenderer(model)
    view = model.view
    caption = renderer.render(t=T, size=SIZE, view=view, layers=set())  # the caption alone
    ink = (np.abs(caption[..., :3].astype(int) - caption[0, 0, :3].astype(int)) > 3).any(-1)
    rows, cols = np.nonzero(ink)
    to_lonlat = Transformer.from_crs(model.dataset.map_crs, 4326, always_xy=True)
    edge = to_lonlat.transform(*renderer.pixel_to_map(cols.max() - 4, rows.mean(), view, SIZE))
    middle = to_lonlat.transform(*renderer.pixel_to_map(cols.mean(), rows.mean(), view, SIZE))
    path = tmp_path / "mine.gpkg"
    gpd.GeoDataFrame({"name": ["By the edge"], "source": ["test"], "confidence": ["low"]},
                     geometry=shapely.points([edge[0]], [edge[1]]), crs=4326).to_file(path, layer="cities")
    event = {"title": ["Under the caption"], "start_date": ["1944-07-11"], "end_date": ["1944-07-11"],
             "source": ["test"], "confidence": ["low"]}
    gpd.GeoDataFrame(event, geometry=shapely.points([middle[0]], [middle[1]]), crs=4326).to_file(
        path, layer="events")
    assert model.add_files([path]) == []
    model.set_view(view)

    def named() -> set[str]:
        renderer.render(t=T + 0.5, size=SIZE, view=view)
        return {p.spec.text for p in renderer.last_labels} & {"By the edge", "Under the caption"}

    assert named() == set()
    model.set_options(caption=False)
    assert named() == {"By the edge", "Under the caption"}


@pytest.mark.parametrize("corner", ["upper left", "upper right", "lower left"])
def test_a_legend_moved_to_a_corner_keeps_clear_of_the_furniture_there(corner):
    """View ▸ Legend corner ▸ Upper left drew the legend under the date caption (found looking at
    the installed app); the north arrow and the scale bar hold the other corners."""
    model = ViewerModel.open(builtin_paths())
    model.set_options(legend_corner=corner)
    renderer = MapRenderer(model)
    _, legend = legend_alone(renderer, model, t=T, size=SIZE)
    model.set_options(labels=False, legend=False, caption=False, scale_bar=False, north_arrow=False)
    bare = renderer.render(t=T, size=SIZE)
    model.set_options(caption=True, scale_bar=True, north_arrow=True)
    furnished = renderer.render(t=T, size=SIZE)
    furniture = (bare[..., :3] != furnished[..., :3]).any(axis=-1)
    rows, cols = np.nonzero(legend)
    assert len(rows) > 1000
    assert not (legend & furniture).any()


@pytest.mark.parametrize("size", [(300, 480), (330, 565), (390, 650)])
def test_a_legend_on_a_narrow_map_keeps_clear_of_the_scale_bar(size):
    """The window's map in a 1024×700 window is ~345 px wide: the legend, wider than half of it,
    was drawn over the scale bar ('2 km' half hidden; a new user). It now sits above it."""
    from terrain_viewer.core.render.furniture import FrameLook
    from terrain_viewer.core.temporal.timeline import parse_iso

    model = ViewerModel.open(builtin_paths())
    renderer = MapRenderer(model)
    renderer.look = FrameLook(legend_form="full")  # the window's: the legend whatever the width
    t = parse_iso("1944-07-28")[0]
    model.set_options(legend=False)
    renderer.render(t=t, size=size)
    others = [sprite.boxes for sprite in renderer.last_furniture]
    model.set_options(legend=True)
    renderer.render(t=t, size=size)
    legend = [sprite for sprite in renderer.last_furniture if sprite.boxes not in others]
    assert len(legend) == 1 and legend[0].boxes
    assert not any(a.x0 < b.x1 and b.x0 < a.x1 and a.y0 < b.y1 and b.y0 < a.y1
                   for a in legend[0].boxes for boxes in others for b in boxes)


def test_the_relief_ends_softly_at_the_edge_of_its_grid():
    """The elevation grid's edge showed as a faint rectangle across the paper (its plain's texture
    stopped there; a new user). Across the grid's west edge the frame now changes by a tenth of a
    level on average (2.3 before), and the relief's own alpha is 0 on its border."""
    from terrain_viewer.core.render.terrain import shaded_relief
    from terrain_viewer.core.render.view import fit_view

    model = ViewerModel.open(builtin_paths())
    model.set_options(legend=False, caption=False, scale_bar=False, north_arrow=False, labels=False)
    for layer in model.dataset.layers:
        model.set_visible(layer.name, False)  # the relief alone
    raster = model.dataset.rasters[0]
    alpha = shaded_relief(raster)[..., 3]
    assert not alpha[0].any() and not alpha[-1].any() and not alpha[:, 0].any() and not alpha[:, -1].any()
    rgba = MapRenderer(model).render(t=model.time.start, size=(1920, 1080)).astype(float)
    v = fit_view(model.view, (1920, 1080))
    x0, y0, _, y1 = raster.extent
    col = int(round((x0 - v[0]) / (v[2] - v[0]) * 1920))
    top, bottom = (int((v[3] - y) / (v[3] - v[1]) * 1080) for y in (y1, y0))
    assert 20 < col < 1900 and bottom - top > 200
    across = np.abs(rgba[top + 50:bottom - 50, col + 3, :3] - rgba[top + 50:bottom - 50, col - 3, :3]).mean()
    assert across < 0.5, across


def test_contours_fade_out_with_the_relief_at_the_edge_of_its_grid():
    """Where the elevation grid ends inside the frame (a 16:9 export), its contours stopped in a
    straight cut across the paper (a new user's exported frame). They fade out with the relief:
    no contour pixel stands out in the columns just inside the grid's west and east edges, while
    contours are still drawn deeper inside."""
    from matplotlib.colors import to_rgb

    from terrain_viewer.core.render.symbology import PAPER
    from terrain_viewer.core.render.view import fit_view

    model = ViewerModel.open(builtin_paths())
    model.set_options(legend=False, caption=False, scale_bar=False, north_arrow=False, labels=False)
    for layer in model.dataset.layers:
        model.set_visible(layer.name, False)  # the relief alone
    left, right, bottom, top = model.dataset.rasters[0].extent
    rgba = MapRenderer(model).render(t=model.time.start, size=(1920, 1080)).astype(float)
    v = fit_view(model.view, (1920, 1080))
    west, east = (int(round((x - v[0]) / (v[2] - v[0]) * 1920)) for x in (left, right))
    rows = slice(max(int((v[3] - top) / (v[3] - v[1]) * 1080), 0) + 5,
                 min(int((v[3] - bottom) / (v[3] - v[1]) * 1080), 1080) - 5)
    assert 20 < west < east < 1900
    dark = np.abs(rgba[..., :3] - np.array(to_rgb(PAPER)) * 255).max(axis=2)
    for column in (west + 2, west + 4, east - 3, east - 5):
        assert dark[rows, column].max() < 12, (column, dark[rows, column].max())
    assert (dark[rows, west + 40:east - 40] > 20).sum() > 1000  # the contours inside are drawn


def test_contour_labels_keep_the_reliefs_opacity_and_fade_with_their_lines():
    """The fade of the contours at the grid's edge set the index contours' labels to the fade
    alone: at full strength inside, whatever the relief's opacity (0.8 of it before)."""
    from matplotlib.text import Text

    from terrain_viewer.core.data.raster import RasterLayer
    from terrain_viewer.core.render.sprites import new_figure
    from terrain_viewer.core.render.terrain import draw_elevation

    y, x = np.mgrid[0:200, 0:200]
    hill = 300.0 * np.exp(-((x - 100) ** 2 + (y - 100) ** 2) / 3000.0)  # index contours at 50 m steps
    raster = RasterLayer("hill", Path("hill.tif"), hill[None], (0.0, 0.0, 2000.0, 2000.0), "elevation")
    fig, _ = new_figure(1920, 1080, 100, "white")
    ax = fig.axes[0]
    left, right, bottom, top = raster.extent
    ax.set_xlim(left, right)
    ax.set_ylim(bottom, top)
    labels = [a for a in draw_elevation(ax, raster, opacity=0.5) if isinstance(a, Text)]
    assert labels
    alphas = [label.get_alpha() for label in labels]
    assert max(alphas) == pytest.approx(0.8 * 0.5) and min(alphas) >= 0.0, alphas


# ---- a translucent face stays translucent ------------------------------------------------------
def test_a_researchers_polygon_shows_what_lies_under_it(tmp_path: Path):
    """A layer of one's own was filled at full strength and hid the map under it (matplotlib's
    ``alpha=1`` replaced the face's own 35 %): the face is a 35 % tint of the layer's colour over
    what lies under it, and half that at 50 % opacity; its edge is drawn in full."""
    path = tmp_path / "plain.gpkg"
    square = shapely.box(112.56, 26.87, 112.65, 26.92)
    gpd.GeoDataFrame({"kind": ["plain"]}, geometry=[square], crs=4326).to_file(path, layer="plain",
                                                                              engine="pyogrio")
    model = ViewerModel.open(builtin_paths())
    no_furniture(model)
    model.set_options(labels=False)
    name = user_layer(model, path)
    model.set_style(name, color="#ff00ff")
    renderer = MapRenderer(model)
    under = renderer.render(t=T, size=SIZE, layers=set()).astype(float)[..., :3]
    over = renderer.render(t=T, size=SIZE, layers={name}).astype(float)[..., :3]
    inside = np.abs(over - under).sum(-1) > 0
    inside[:, :SIZE[0] // 4] = inside[:, -SIZE[0] // 4:] = False  # the middle: face, not edge
    tint = (over[inside] - 0.65 * under[inside]) / 0.35  # what the face adds, as a colour
    assert inside.sum() > 10_000
    assert np.median(np.abs(tint - MAGENTA), axis=0).max() < 6  # magenta at 35 %, not at 100 %
    assert near(over.astype(np.uint8), MAGENTA, 10).sum() < 0.1 * inside.sum()  # only the edge is full
    model.set_opacity(name, 0.5)
    half = renderer.render(t=T, size=SIZE, layers={name}).astype(float)[..., :3]
    tint = (half[inside] - 0.825 * under[inside]) / 0.175
    assert np.median(np.abs(tint - MAGENTA), axis=0).max() < 8


def test_an_events_ring_is_a_tint_the_map_shows_through():
    """The ring round an event was an opaque disc hiding the unit under it (its 15 % face came out
    at 100 %): inside the ring the paper still shows, lightly tinted."""
    from terrain_viewer.core.render.symbology import EVENT

    model = ViewerModel.open(builtin_paths())
    no_furniture(model)
    model.set_options(labels=False)
    rgba = MapRenderer(model).render(t=T, size=SIZE, layers={"events"})
    full = near(rgba, tuple(int(EVENT[i:i + 2], 16) for i in (1, 3, 5)), 12).sum()
    drawn = (np.abs(rgba[..., :3].astype(int) - rgba[0, 0, :3].astype(int)).sum(-1) > 6).sum()
    assert drawn > 500 and full < 0.45 * drawn  # the stars (and the rings' line); before: 0.8


def test_a_researchers_polygon_has_the_tint_of_the_map_in_the_legend(tmp_path: Path):
    """The legend's swatch of one's own polygon layer was solid magenta beside a 35 % tint on the
    map (a reader could not match them): its face is the map's tint, its edge the full colour."""
    path = tmp_path / "plain.gpkg"
    gpd.GeoDataFrame({"kind": ["plain"]}, geometry=[shapely.box(112.56, 26.87, 112.65, 26.92)],
                     crs=4326).to_file(path, layer="plain", engine="pyogrio")
    model = ViewerModel.open(builtin_paths())
    name = user_layer(model, path)
    model.set_style(name, color="#ff00ff")
    rgba, legend = legend_alone(MapRenderer(model), model, t=T, size=(1920, 1080))
    solid = near(rgba, MAGENTA, 30) & legend
    paper = np.array([244, 238, 219])
    tint = near(rgba, 0.35 * np.array(MAGENTA) + 0.65 * paper, 14) & legend
    assert tint.sum() > 40 and solid.sum() < tint.sum()  # a tinted face in a thin full-colour edge


def test_a_style_changed_during_a_render_is_drawn_by_the_next(tmp_path: Path):
    """The window renders on a thread while the GUI thread recolours layers (File ▸ Open gives
    added layers colours apart): a style changed after the legend's entries were made but before
    its cache key was, kept the old colour in the legend for good (a stale sprite under the new
    style's key). Each render works on a copy of the layers' states."""
    path = tmp_path / "bunkers.gpkg"
    gpd.GeoDataFrame({"name": ["a"]}, geometry=[shapely.Point(112.6, 26.9)], crs=4326).to_file(
        path, layer="bunkers", engine="pyogrio")
    model = ViewerModel.open(builtin_paths())
    model.set_options(labels=False)
    name = user_layer(model, path)
    renderer = MapRenderer(model)
    entries = renderer._legends.entries

    def meanwhile(*args, **kw):  # the GUI thread recolours the layer in the middle of the render
        made = entries(*args, **kw)
        model.set_style(name, color="#00aa00")
        return made

    renderer._legends.entries = meanwhile
    renderer.render(t=T, size=(1920, 1080))
    renderer._legends.entries = entries
    rgba, legend = legend_alone(renderer, model, t=T, size=(1920, 1080))
    assert (near(rgba, (0, 0xAA, 0), 30) & legend).sum() > 15


@pytest.mark.parametrize("corner", ["upper right", "lower left"])
def test_a_compact_legend_is_broken_into_rows_that_fit_a_narrow_frame(corner):
    """In an 800×800 export the compact legend was one row 2,100 px wide, cut at the frame's edge
    (a new user, a documentary maker): it takes as few rows as fit."""
    from terrain_viewer.core.export.settings import ExportSettings
    from terrain_viewer.core.render.renderer import MapRenderer

    model = ViewerModel.open(builtin_paths())
    model.time.set_date("1944-07-11")
    renderer = MapRenderer(model)
    renderer.look = ExportSettings(legend_form="compact", legend_corner=corner).look()
    renderer.render(size=(800, 800))
    boxes = [b.extents for sprite in renderer.last_furniture for b in sprite.boxes]
    x0, y0, x1, y1 = max(boxes, key=lambda b: b[2] - b[0])  # the legend: the widest furniture
    assert x0 >= 0 and x1 <= 800 and y0 >= 0 and y1 <= 800
