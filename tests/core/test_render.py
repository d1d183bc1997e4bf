"""The renderer on the shipped Hengyang data and on small GeoPackages: real PNGs, real pixels."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import geopandas as gpd
import matplotlib.image as mpimg
import numpy as np
import pytest
import shapely

from terrain_viewer.core.common.errors import ExportError
from terrain_viewer.core.data.builtin import builtin_paths
from terrain_viewer.core.model import ViewerModel
from terrain_viewer.core.query.identify import identify
from terrain_viewer.core.render.furniture import caption_text, nice_length
from terrain_viewer.core.render.renderer import SIZE_PRESETS, MapRenderer, fit_view
from terrain_viewer.core.temporal.timeline import day_number

SIZE = (1280, 720)
CN_FILL = np.array([128, 224, 255])  # APP-6 friendly fill
JP_FILL = np.array([255, 128, 128])  # APP-6 hostile fill


def day(text) -> float:
    """The day number of an ISO date, or of a date read from the data (a Timestamp since DATETIME)."""
    return day_number(dt.date.fromisoformat(str(text)[:10]))


@pytest.fixture(scope="module")
def model() -> ViewerModel:
    return ViewerModel.open(builtin_paths())


@pytest.fixture(scope="module")
def renderer(model: ViewerModel) -> MapRenderer:
    return MapRenderer(model)


@pytest.fixture(autouse=True)
def _fresh_options(model: ViewerModel):
    """Each test starts from the default options, all layers visible, no style overrides."""
    yield
    model.options.__init__()
    for state in model.layer_states:
        state.visible, state.opacity, state.style = True, 1.0, {}


def colour_mask(rgba: np.ndarray, colour, tolerance: int = 12) -> np.ndarray:
    return (np.abs(rgba[..., :3].astype(int) - np.asarray(colour)) <= tolerance).all(axis=-1)


def water_colour(rgba: np.ndarray) -> np.ndarray:
    rgb = rgba[..., :3].astype(int)
    return (rgb[..., 2] - rgb[..., 0] > 30) & (rgb[..., 2] > 150)


def points_inside(geom, n: int, seed: int = 1) -> list[shapely.Point]:
    """``n`` seeded random points inside ``geom``, at least 40 m from its edge."""
    inner = geom.buffer(-40)
    rng = np.random.default_rng(seed)
    x0, y0, x1, y1 = inner.bounds
    out = []
    while len(out) < n:
        p = shapely.Point(rng.uniform(x0, x1), rng.uniform(y0, y1))
        if inner.contains(p):
            out.append(p)
    return out


def xiang(model: ViewerModel):
    water = model.dataset.layer("water_areas").gdf
    return water.loc[water["name_en"] == "Xiang River"].geometry.iloc[0]


def pixel(renderer, x, y, view, size=SIZE) -> tuple[int, int]:
    px, py = renderer.map_to_pixel(x, y, view, size)
    return int(px), int(py)


# ---- geometry of the frame ---------------------------------------------------------------------
def test_fit_view_expands_to_the_pixel_aspect_and_keeps_the_centre():
    view = fit_view((0, 0, 100, 100), (1920, 1080))
    assert view[2] - view[0] == pytest.approx((view[3] - view[1]) * 1920 / 1080)
    assert view[3] - view[1] == pytest.approx(100)
    assert ((view[0] + view[2]) / 2, (view[1] + view[3]) / 2) == pytest.approx((50, 50))
    tall = fit_view((0, 0, 400, 100), (100, 100))
    assert tall == pytest.approx((0, -150, 400, 250))


def test_map_to_pixel_and_back(renderer: MapRenderer, model: ViewerModel):
    view = model.view
    x, y = (view[0] + view[2]) / 2 + 1234.5, (view[1] + view[3]) / 2 - 321.0
    px, py = renderer.map_to_pixel(x, y, view, SIZE)
    assert renderer.pixel_to_map(px, py, view, SIZE) == pytest.approx((x, y))
    fitted = fit_view(view, SIZE)
    assert renderer.map_to_pixel(fitted[0], fitted[3], view, SIZE) == pytest.approx((0, 0))


def test_render_returns_rgba_of_the_requested_size(renderer: MapRenderer):
    rgba = renderer.render(t=day("1944-07-11"), size=(640, 360))
    assert rgba.shape == (360, 640, 4) and rgba.dtype == np.uint8
    assert SIZE_PRESETS["1080p"] == (1920, 1080)


# ---- cartography ------------------------------------------------------------------------------
def clear_of_other_layers(model: ViewerModel, geom, t: float):
    """``geom`` minus what other layers draw over it at ``t`` (symbols 600 m, lines and areas 250 m),
    read from the data (the river runs through the city, its units, fronts and events)."""
    covers = []
    for layer in model.dataset.layers:
        if layer.name in ("water_areas", "rivers", "hills"):  # the water itself; hills are outlines
            continue
        geoms = layer.features_at(t).geometry.values
        points = shapely.get_type_id(geoms) == 0
        covers += [shapely.buffer(geoms[points], 600), shapely.buffer(geoms[~points], 250)]
    return geom.difference(shapely.union_all(np.concatenate(covers)))


def test_the_xiang_is_water_coloured_and_land_is_not(renderer: MapRenderer, model: ViewerModel):
    view, t = model.view, day("1944-07-11")
    rgba = renderer.render(t=t, size=SIZE, view=view)
    water = water_colour(rgba)
    river = xiang(model)
    clear = clear_of_other_layers(model, river, t)
    assert clear.area > 0.5 * river.area  # most of the river is open water on the map
    inside = [pixel(renderer, p.x, p.y, view) for p in points_inside(clear, 60)]
    labels = renderer.last_label_boxes  # display boxes, y up: the river's own name is written on it
    inside = [(px, py) for px, py in inside
              if not any(b.contains(px + 0.5, SIZE[1] - py - 0.5) for b in labels)]
    assert len(inside) >= 30
    hits = sum(water[py, px] for px, py in inside)
    assert hits >= 0.9 * len(inside)  # label halos may still graze a few points
    corner = pixel(renderer, view[0] + 300, view[3] - 2500, view)  # west of everything: plain land
    assert not water[corner[1], corner[0]]


def test_style_override_recolours_a_layer(renderer: MapRenderer, model: ViewerModel):
    view = model.view
    model.set_style("water_areas", color="#ff0000")
    rgba = renderer.render(t=day("1944-07-11"), size=SIZE, view=view, layers={"water_areas"})
    inside = [pixel(renderer, p.x, p.y, view) for p in points_inside(xiang(model), 30)]
    red = colour_mask(rgba, (255, 0, 0), 20)
    assert sum(red[py, px] for px, py in inside) >= 0.8 * len(inside)


def test_hiding_a_layer_removes_its_pixels(renderer: MapRenderer, model: ViewerModel):
    t = day("1944-07-11")
    shown = renderer.render(t=t, size=SIZE)
    model.set_visible("water_areas", False)
    model.set_visible("rivers", False)
    hidden = renderer.render(t=t, size=SIZE)
    fill = (0xA8, 0xCB, 0xDC)  # the water fill
    assert colour_mask(shown, fill, 6).sum() > 5000
    assert colour_mask(hidden, fill, 6).sum() < 0.05 * colour_mask(shown, fill, 6).sum()
    model.set_visible("units", False)
    no_units = renderer.render(t=t, size=SIZE)
    assert colour_mask(shown, CN_FILL).sum() > 200
    assert colour_mask(no_units, CN_FILL).sum() == 0


def _late_unit(model: ViewerModel) -> tuple[str, float, float]:
    """A hostile unit that arrives after the start, and a day before it with no hostile unit near."""
    units = model.dataset.layer("units")
    gdf = units.gdf
    firsts = gdf.groupby("unit_id")["start_date"].min().sort_values()
    start = day(firsts.iloc[0])
    for unit_id, first in firsts.items():
        if not unit_id.startswith("jp_") or day(first) <= start + 3:
            continue
        t_on = day(first) + 3
        here = units.features_at(t_on)
        pos = here.loc[here["unit_id"] == unit_id].geometry.iloc[0]
        before = units.features_at(start)
        hostile = before[before["side"] == "jp"]
        if hostile.empty or hostile.distance(pos).min() > 1500:
            return unit_id, t_on, start
    pytest.fail("no late-arriving hostile unit in the shipped data")


def test_a_unit_symbol_stands_where_the_unit_is_and_not_before_it_arrives(renderer: MapRenderer,
                                                                         model: ViewerModel):
    unit_id, t_on, t_off = _late_unit(model)
    view = model.view
    here = model.dataset.layer("units").features_at(t_on)
    pos = here.loc[here["unit_id"] == unit_id].geometry.iloc[0]
    px, py = pixel(renderer, pos.x, pos.y, view)
    window = np.s_[max(py - 14, 0):py + 14, max(px - 14, 0):px + 14]
    on = renderer.render(t=t_on, size=SIZE, view=view)
    off = renderer.render(t=t_off, size=SIZE, view=view)
    assert colour_mask(on[window], JP_FILL).sum() > 20
    assert colour_mask(off[window], JP_FILL).sum() == 0


def test_units_glide_between_keyframes(renderer: MapRenderer, model: ViewerModel):
    """At noon a moving unit's symbol is drawn at the interpolated position, not at a keyframe."""
    units = model.dataset.layer("units")
    t0 = day("1944-06-23")
    for offset in range(45):
        noon = units.features_at(t0 + offset + 0.5).set_index("unit_id")
        dawn = units.features_at(t0 + offset).set_index("unit_id")
        shared = noon.index.intersection(dawn.index)
        moved = noon.loc[shared].geometry.distance(dawn.loc[shared].geometry)
        if len(moved) and moved.max() > 300:
            break
    unit_id = moved.idxmax()
    row = noon.loc[unit_id]
    model.set_visible("events", False)
    model.set_visible("front_lines", False)
    rgba = renderer.render(t=t0 + offset + 0.5, size=SIZE, layers={"units"})
    fill = CN_FILL if row["side"] == "cn" else JP_FILL
    px, py = pixel(renderer, row.geometry.x, row.geometry.y, model.view)
    assert colour_mask(rgba[py - 6:py + 7, px - 6:px + 7], fill).sum() > 10


def test_layers_argument_restricts_what_is_drawn(renderer: MapRenderer, model: ViewerModel):
    t = day("1944-07-11")
    model.set_options(legend=False)  # the legend lists every visible layer, drawn or not
    only_water = renderer.render(t=t, size=SIZE, layers={"water_areas"})
    only_units = renderer.render(t=t, size=SIZE, layers={"units"})
    assert water_colour(only_water).sum() > 1000
    assert colour_mask(only_water, CN_FILL).sum() == 0
    assert colour_mask(only_units, CN_FILL).sum() > 200


# ---- furniture ----------------------------------------------------------------------------------
def test_date_caption_differs_between_dates_and_follows_the_format(renderer: MapRenderer,
                                                                   model: ViewerModel):
    a = renderer.render(t=day("1944-07-11"), size=SIZE, layers=set())
    b = renderer.render(t=day("1944-07-12"), size=SIZE, layers=set())
    noon = renderer.render(t=day("1944-07-11") + 0.5, size=SIZE, layers=set())
    top_left = np.s_[:80, :400]
    assert not np.array_equal(a[top_left], b[top_left])
    assert np.array_equal(a[top_left], noon[top_left])  # fractional t shows its day
    assert caption_text(day("1944-07-11") + 0.5, "{day} {month} {year}") == "11 July 1944"
    model.set_options(caption=False)
    none = renderer.render(t=day("1944-07-11"), size=SIZE, layers=set())
    assert not np.array_equal(a[top_left], none[top_left])


def test_furniture_switches_change_their_corner(renderer: MapRenderer, model: ViewerModel):
    t = day("1944-07-11")
    drawn = {"railways"}  # one layer: the legend lists what the frame draws
    full = renderer.render(t=t, size=SIZE, layers=drawn)
    corners = {"legend": np.s_[-300:, -300:], "scale_bar": np.s_[-80:, :300],
               "north_arrow": np.s_[:100, -100:]}
    for option, corner in corners.items():
        model.set_options(**{option: False})
        off = renderer.render(t=t, size=SIZE, layers=drawn)
        assert not np.array_equal(full[corner], off[corner]), option
        model.set_options(**{option: True})


def test_title_and_credits_are_drawn_when_asked(renderer: MapRenderer, model: ViewerModel):
    t = day("1944-07-11")
    plain = renderer.render(t=t, size=SIZE)
    model.set_options(title="The Siege of Hengyang", credits=True)
    dressed = renderer.render(t=t, size=SIZE)
    assert not np.array_equal(plain[:60, 400:880], dressed[:60, 400:880])
    assert not np.array_equal(plain[-50:, 350:950], dressed[-50:, 350:950])


def test_chinese_names_change_the_labels(renderer: MapRenderer, model: ViewerModel):
    t = day("1944-07-11")
    english = renderer.render(t=t, size=SIZE)
    model.set_options(chinese_names=True)
    both = renderer.render(t=t, size=SIZE)
    assert (english != both).any(axis=-1).sum() > 500


def test_nice_scale_lengths():
    assert nice_length(2300) == 2000
    assert nice_length(999) == 500
    assert nice_length(7.5) == 5


# ---- determinism, caching and files -------------------------------------------------------------
def test_same_inputs_give_identical_pixels(model: ViewerModel, renderer: MapRenderer):
    t1, t2 = day("1944-07-11") + 0.25, day("1944-08-06")
    first = renderer.render(t=t1, size=SIZE)
    renderer.render(t=t2, size=SIZE)  # a different frame in between (background cache in use)
    again = renderer.render(t=t1, size=SIZE)
    fresh = MapRenderer(model).render(t=t1, size=SIZE)
    assert np.array_equal(first, again)
    assert np.array_equal(first, fresh)


def test_save_png_writes_the_frame_atomically(renderer: MapRenderer, tmp_path: Path):
    out = renderer.save_png(tmp_path / "frame.png", t=day("1944-06-23"), size=(640, 360))
    image = mpimg.imread(out)
    assert image.shape[:2] == (360, 640)
    assert [p.name for p in tmp_path.iterdir()] == ["frame.png"]
    with pytest.raises(ExportError, match="folder does not exist"):
        renderer.save_png(tmp_path / "missing" / "frame.png", size=(64, 64))


# ---- identify -----------------------------------------------------------------------------------
def test_identify_returns_the_attributes_of_the_feature_under_a_point(model: ViewerModel):
    t = day("1944-07-11")
    units = model.dataset.layer("units").features_at(t)
    unit = units.iloc[0]
    hits = identify(model, t, unit.geometry.x, unit.geometry.y, 5.0)
    names = [name for name, _ in hits]
    assert "units" in names
    attrs = dict(hits)["units"] if names.count("units") == 1 else next(
        a for n, a in hits if n == "units" and a["unit_id"] == unit["unit_id"])
    assert attrs["source"] and attrs["confidence"] in {"high", "medium", "low"}
    assert "geometry" not in attrs
    assert names.index("units") < names.index("water_areas") if "water_areas" in names else True
    model.set_visible("units", False)
    assert "units" not in [n for n, _ in identify(model, t, unit.geometry.x, unit.geometry.y, 5.0)]


def test_identify_orders_topmost_first_and_finds_nothing_far_away(model: ViewerModel):
    t = day("1944-07-11")
    city = model.dataset.layer("city").gdf.geometry.iloc[0].representative_point()
    hits = identify(model, t, city.x, city.y, 1.0)
    order = [s.name for s in reversed(model.layer_states)]
    names = [n for n, _ in hits]
    assert "city" in names
    assert names == sorted(names, key=order.index)
    x0, y0, _, _ = model.full_extent()
    assert identify(model, t, x0 - 50_000, y0 - 50_000, 10.0) == []


# ---- any user layer ----------------------------------------------------------------------------
def test_a_user_layer_is_drawn_generically_with_style_overrides(tmp_path: Path):
    path = tmp_path / "user.gpkg"
    zone = gpd.GeoDataFrame({"name_en": ["Zone"], "source": ["me"], "confidence": ["low"]},
                            geometry=[shapely.box(112.55, 26.85, 112.65, 26.95)], crs=4326)
    zone.to_file(path, layer="my_zone", engine="pyogrio")
    model = ViewerModel.open([path])
    model.set_style("my_zone", color="#00ff00")
    renderer = MapRenderer(model)
    rgba = renderer.render(t=0.0, size=(400, 400))
    x0, y0, x1, y1 = model.dataset.layer("my_zone").gdf.total_bounds  # in the map's CRS
    inside = (x0 + 0.2 * (x1 - x0), y0 + 0.2 * (y1 - y0))  # in the zone, clear of its name (in its middle)
    px, py = pixel(renderer, *inside, model.view, (400, 400))
    r, g, b = rgba[py, px, :3].astype(int)
    assert g > r + 40 and g > b + 40
    zone_label = next(p for p in renderer.last_labels if p.spec.text == "Zone")
    assert (zone_label.dx, zone_label.dy) == (0, 0)  # an area's name goes inside it


def test_small_geopackage_with_keyframed_units_without_sidc(small_gpkg: Path):
    model = ViewerModel.open([small_gpkg])
    renderer = MapRenderer(model)
    rgba = renderer.render(t=day("1944-06-24") + 0.5, size=(320, 240))
    assert rgba.shape == (240, 320, 4)
    assert np.array_equal(rgba, renderer.render(t=day("1944-06-24") + 0.5, size=(320, 240)))


def test_bad_style_values_are_ignored_with_a_warning(renderer: MapRenderer, model: ViewerModel, caplog):
    t = day("1944-07-11")
    plain = renderer.render(t=t, size=SIZE)
    model.set_style("water_areas", color="not-a-colour", linewidth="thick")
    with caplog.at_level("WARNING"):
        styled = renderer.render(t=t, size=SIZE)
    assert np.array_equal(plain, styled)
    messages = [r.getMessage() for r in caplog.records]
    assert any("water_areas" in m and "not-a-colour" in m for m in messages)


def test_views_far_from_the_data_or_very_close_still_render(renderer: MapRenderer, model: ViewerModel):
    far = renderer.render(t=day("1944-07-11"), size=(320, 180), view=(0, 0, 10, 10), layers=set())
    assert far.shape == (180, 320, 4)
    city = model.dataset.layer("city").gdf.geometry.iloc[0].centroid
    close = (city.x - 5, city.y - 5, city.x + 5, city.y + 5)
    assert renderer.render(t=day("1944-07-11"), size=(320, 180), view=close).shape == (180, 320, 4)


def test_identify_reports_the_reconstructed_elevation_under_a_point(model: ViewerModel):
    dem = model.dataset.rasters[0]
    heights = model.dataset.layer("spot_heights").gdf
    peak = heights.loc[heights["elev_m"].idxmax()]
    hits = dict(identify(model, day("1944-07-11"), peak.geometry.x, peak.geometry.y, 1.0))
    assert dem.name in hits
    value = hits[dem.name]
    assert abs(value["elevation_m"] - peak["elev_m"]) < 25  # the DEM is fitted to the spot heights
    assert value["source"] and value["confidence"] == "low"
    nearest = dict(identify(model, day("1944-07-11"), peak.geometry.x, peak.geometry.y, 1.0))["spot_heights"]
    assert nearest["elev_m"] == peak["elev_m"]


def _scan(path: Path) -> Path:
    """A 20x20 pure-magenta RGB GeoTIFF (a stand-in for a scanned map) near Hengyang."""
    import rasterio
    from affine import Affine

    data = np.zeros((3, 20, 20), dtype=np.uint8)
    data[0], data[2] = 255, 255
    transform = Affine(50.0, 0.0, 659000.0, 0.0, -50.0, 2977000.0)
    with rasterio.open(path, "w", driver="GTiff", width=20, height=20, count=3, dtype="uint8",
                       crs="EPSG:32649", transform=transform) as dst:
        dst.write(data)
    return path


def test_image_rasters_are_drawn_with_their_opacity(tmp_path: Path, small_gpkg: Path):
    model = ViewerModel.open([small_gpkg, _scan(tmp_path / "scan.tif")])
    model.set_view((658500, 2976000, 660500, 2977500))
    model.set_options(legend=False)  # at 400x300 the legend would cover the middle
    renderer = MapRenderer(model)
    px, py = pixel(renderer, 659500, 2976500, model.view, (400, 300))
    only = {"scan"}  # the small file's markers stand near the same spot
    opaque = renderer.render(t=day("1944-06-23"), size=(400, 300), layers=only)[py, px, :3].astype(int)
    model.set_opacity("scan", 0.5)
    half = renderer.render(t=day("1944-06-23"), size=(400, 300), layers=only)[py, px, :3].astype(int)
    assert np.abs(opaque - [255, 0, 255]).max() <= 3
    assert 100 < half[1] < 200 and half[0] > 200  # green comes through from the paper
    model.set_visible("scan", False)
    hidden = renderer.render(t=day("1944-06-23"), size=(400, 300), layers=only)[py, px, :3].astype(int)
    assert hidden[1] > 200


def test_missing_cjk_font_is_logged_once_and_labels_stay_english(model: ViewerModel, monkeypatch, caplog):
    from terrain_viewer.core.render import furniture
    from terrain_viewer.core.render import symbology as style

    monkeypatch.setattr(style, "CJK_SERIF", "No Such Font CJK")
    monkeypatch.setattr(style, "CJK_SANS", "No Such Font CJK Sans")
    monkeypatch.setattr(furniture, "_warned", set())
    renderer = MapRenderer(model)
    english = renderer.render(t=day("1944-07-11"), size=SIZE)
    model.set_options(chinese_names=True)
    with caplog.at_level("WARNING"):
        fallback = renderer.render(t=day("1944-07-11"), size=SIZE)
        renderer.render(t=day("1944-07-12"), size=SIZE)
    warnings = [r for r in caplog.records if "CJK" in r.getMessage()]
    assert len(warnings) == 1
    assert np.array_equal(english, fallback)  # English names only, no empty boxes


def test_any_layer_with_a_sidc_column_is_drawn_as_unit_symbols(tmp_path: Path):
    path = tmp_path / "orbat.gpkg"
    units = gpd.GeoDataFrame({"sidc": ["10061000171211000000", "bad"], "side": ["jp", "cn"],
                              "designation": ["X", "Y"]},
                             geometry=shapely.points([112.55, 112.65], [26.90, 26.90]), crs=4326)
    units.to_file(path, layer="my_orbat", engine="pyogrio")
    model = ViewerModel.open([path])
    model.set_options(legend=False)
    renderer = MapRenderer(model)
    rgba = renderer.render(t=0.0, size=(400, 300))
    gdf = model.dataset.layer("my_orbat").gdf
    for geom, fill in zip(gdf.geometry, (JP_FILL, CN_FILL), strict=True):  # 'bad' → plain marker
        px, py = pixel(renderer, geom.x, geom.y, model.view, (400, 300))
        assert colour_mask(rgba[py - 8:py + 9, px - 8:px + 9], fill).sum() > 20


def test_labels_switch_removes_place_names(renderer: MapRenderer, model: ViewerModel):
    t = day("1944-07-11")
    model.set_options(legend=False, caption=False, scale_bar=False, north_arrow=False)
    named = renderer.render(t=t, size=SIZE, layers={"places", "spot_heights", "rivers"})
    model.set_options(labels=False)
    bare = renderer.render(t=t, size=SIZE, layers={"places", "spot_heights", "rivers"})
    ink = (named[..., :3].max(axis=-1) < 110).sum()
    assert ink > 2 * (bare[..., :3].max(axis=-1) < 110).sum()
