"""Layer roles come from the data (columns and values), not from layer names; the user can override
them; time shifts, time ranges and styles follow."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import shapely
from matplotlib.colors import rgb_to_hsv
from own_data import CROSSING, make_battle

from terrain_viewer.core.data.builtin import builtin_paths
from terrain_viewer.core.model import ViewerModel
from terrain_viewer.core.render import symbology as sy
from terrain_viewer.core.render.renderer import MapRenderer
from terrain_viewer.core.temporal.timeline import day_number


def day(text: str) -> float:
    return day_number(dt.date.fromisoformat(text))


def _write(path: Path, layer: str, columns: dict, geoms) -> Path:
    gpd.GeoDataFrame(columns, geometry=geoms, crs=4326).to_file(path, layer=layer, engine="pyogrio")
    return path


@pytest.fixture(scope="module")
def shipped() -> ViewerModel:
    return ViewerModel.open(builtin_paths())


def test_the_shipped_layers_get_their_roles_by_the_same_rules(shipped: ViewerModel):
    roles = {layer.name: layer.data_role for layer in shipped.dataset.layers}
    assert roles["units"] == "units" and roles["front_lines"] == "front_lines" and roles["events"] == "events"
    assert roles["spot_heights"] == "spot_heights" and roles["water_areas"] == "water_areas"


def test_roles_come_from_columns_and_values_not_names(tmp_path: Path):
    pts = shapely.points([112.6, 112.61], [26.9, 26.91])
    line = shapely.LineString([(112.6, 26.9), (112.62, 26.92)])
    path = tmp_path / "mine.gpkg"
    _write(path, "troops", {"unit_id": ["a", "a"], "start_date": ["1944-07-01", "1944-07-02"]}, pts)
    _write(path, "lines", {"kind": ["front"]}, [line])
    _write(path, "diary", {"title": ["x", "y"], "start_date": ["1944-07-01", "1944-07-02"]}, pts)
    _write(path, "rivers", {"name_en": ["My river"]}, [line])  # a shipped name, but not the shipped file
    _write(path, "events", {"name": ["no title, no date"]}, [pts[0]])
    roles = {layer.name: layer.data_role for layer in ViewerModel.open([path]).dataset.layers}
    assert roles == {"troops": "units", "lines": "front_lines", "diary": "events", "rivers": "generic",
                     "events": "generic"}


def test_sides_are_named_by_the_data_and_coloured_per_side(tmp_path: Path):
    model = ViewerModel.open([make_battle(tmp_path)])
    front = model.dataset.layer("front_lines")
    assert front.side_names == {"blue": "Blue Army"}
    labels = [label for _, label in sy.layer_symbology(front, {}).entries()]
    assert labels == ["Blue Army front"]
    assert sy.layer_symbology(front, {"side_colors": {"blue": "#00aa00"}})["side:blue"].colour == "#00aa00"
    assert sy.clean_style("x", {"side_colors": {"blue": "not a colour"}}) == {}


def test_role_override_label_field_and_time_offset_through_the_model(tmp_path: Path):
    model = ViewerModel.open([make_battle(tmp_path)])
    model.set_role("events", "generic")
    assert model.dataset.layer("events").data_role == "generic"
    assert model.state("events").style["role"] == "generic"
    model.set_role("events", None)
    assert model.dataset.layer("events").data_role == "events" and "role" not in model.state("events").style
    with pytest.raises(KeyError):
        model.set_label_field("units", "no_such_column")
    units = model.dataset.layer("units")
    before = len(units.features_at(day("1943-01-05")))
    model.set_time_offset("units", 366)  # show 1943 data against 1944
    assert len(units.features_at(day("1944-01-06"))) == before
    assert model.time.end >= day("1944-01-09")
    again = ViewerModel.from_dict(model.to_dict())
    assert again.dataset.layer("units").time_offset == 366


def test_time_range_and_follow_a_layer(shipped: ViewerModel, tmp_path: Path):
    model = ViewerModel.open(builtin_paths() + [make_battle(tmp_path)])
    assert model.time.start == day("1943-01-03") and model.time.end >= day("1944-08-08")
    model.follow_layer("events (river_battle_1943)")
    assert (model.time.start, model.time.end) == (day("1943-01-05"), day("1943-01-08"))
    model.set_time_range(day("1944-07-01"), day("1944-07-31"))
    assert (model.time.start, model.time.end) == (day("1944-07-01"), day("1944-07-31"))
    model.set_time_range(None)
    assert model.time.start == day("1943-01-03")


def test_an_event_with_an_hour_is_on_the_map_all_its_day(tmp_path: Path):
    model = ViewerModel.open([make_battle(tmp_path)])
    events = model.dataset.layer("events")
    titles = lambda t: set(events.features_at(t)["title"])  # noqa: E731
    assert "Crossing" in titles(day("1943-01-05")) and "Crossing" in titles(day("1943-01-05") + 0.99)
    assert "Crossing" not in titles(day("1943-01-06")) and "Crossing" not in titles(day("1943-01-04") + 0.5)
    assert CROSSING.startswith("1943-01-05")


def test_recolouring_flooded_fields_keeps_their_hatching(shipped: ViewerModel):
    look = sy.symbology("flooded_fields", {"color": "#ff0000"})
    assert look["paddy"].hatch == "++" and look["paddy"].face == "#ff0000"
    generic = sy.generic("mine", {"color": "#ff0000", "hatch": "//"}, "Polygon")
    assert generic["area"].hatch == "//" and generic["area"].edge == "#ff0000"


def test_generic_styles_are_visible_on_the_terrain(tmp_path: Path):
    look = sy.generic("mine", {}, "LineString")
    assert look["line"].lw >= 1.2 and look["area"].lw >= 1.2
    assert look["mark"].edge == "white" and look["mark"].lw >= 1.0  # a halo round the marker
    path = _write(tmp_path / "l.gpkg", "tracks", {"lanes": [2]},  # nothing to label
                  [shapely.LineString([(112.55, 26.90), (112.65, 26.90)])])
    model = ViewerModel.open([path])
    model.set_options(legend=False, scale_bar=False, north_arrow=False)
    rgba = MapRenderer(model).render(t=0.0, size=(400, 300), view=(640000, 2970000, 660000, 2985000))
    colour = np.array(sy.to_rgba(sy.generic_colour("tracks"))[:3]) * 255
    solid = np.abs(rgba[..., :3].astype(int) - colour).max(axis=-1) <= 20
    x0, x1 = (MapRenderer(model).map_to_pixel(x, 2977500, (640000, 2970000, 660000, 2985000), (400, 300))[0]
              for x in model.dataset.layer("tracks").gdf.total_bounds[[0, 2]])
    columns = solid[:, int(x0) + 2:int(x1) - 2].any(axis=0)
    assert columns.all()  # the line is drawn in its full colour all along (no hairline)


def test_a_researchers_woods_are_green_and_lakes_blue_whatever_the_hash(tmp_path: Path):
    """Layers of a kind the app has no symbology for take the colour their name implies (woods and
    树林 green, lakes blue); a name that implies nothing gets a colour that is not water blue (the
    woods of a foreign battle once came out blue) and not a side's colour."""
    path = tmp_path / "belgium.gpkg"
    squares = {"woods": 0, "lakes": 3000, "树林": 6000, "mine": 9000}
    for layer, dx in squares.items():
        x, y = 650_000 + dx, 665_000
        gpd.GeoDataFrame({"kind": ["a"]}, geometry=[shapely.box(x, y, x + 2000, y + 2000)],
                         crs=3812).to_file(path, layer=layer, engine="pyogrio")
    model = ViewerModel.open([path])  # shown in the UTM zone the app picks for it
    model.set_options(legend=False, scale_bar=False, north_arrow=False, labels=False)
    x0, y0, x1, y1 = model.dataset.bounds
    view, size = (x0 - 500, y0 - 1000, x1 + 500, y1 + 1000), (1300, 400)
    renderer = MapRenderer(model)
    rgba = renderer.render(t=0.0, size=size, view=view).astype(int)

    paper = rgba[5, 5, :3]

    def fill(layer: str) -> np.ndarray:
        """The face's own colour: it is a 35 % tint over the paper."""
        centre = model.dataset.layer(layer).gdf.geometry.iloc[0].centroid
        px, py = renderer.map_to_pixel(centre.x, centre.y, view, size)
        seen = rgba[int(py) - 5:int(py) + 5, int(px) - 5:int(px) + 5, :3].reshape(-1, 3).mean(axis=0)
        return (seen - 0.65 * paper) / 0.35

    for green in ("woods", "树林"):
        assert 90 <= hue(fill(green)) <= 150, green
    assert water_blue(fill("lakes"))
    assert not water_blue(fill("mine"))
    for colour in sy.GENERIC_COLOURS:  # whichever the hash picks: no water blue, no side colour
        assert not water_blue(np.array(sy.to_rgba(colour)[:3]) * 255)
        assert colour.lower() not in (sy.CN_BLUE.lower(), sy.JP_RED.lower())


def hue(rgb) -> float:
    """Degrees on the colour wheel (0 red, 120 green, 240 blue)."""
    return float(rgb_to_hsv(np.asarray(rgb, dtype=float) / 255)[0] * 360)


def water_blue(rgb) -> bool:
    return 190 <= hue(rgb) <= 235 and rgb_to_hsv(np.asarray(rgb, dtype=float) / 255)[1] > 0.15


def test_a_researchers_layer_is_labelled_the_same_above_the_moving_units_or_alone(tmp_path: Path):
    """Added to Hengyang, a file's layers sit above the moving units, where their lines and
    outlines keep labels off them; their own names are not kept off (the names of woods vanished:
    each crossed its own wood's edge)."""
    path = tmp_path / "woods.gpkg"
    names = ["Bois du Nord", "Bois du Sud", "Bois de l'Est"]
    centres = [(113.10, 26.95), (113.13, 26.92), (113.16, 26.95)]  # ~50 km east of Hengyang
    gpd.GeoDataFrame({"name": names}, geometry=[shapely.Point(c).buffer(0.008) for c in centres],
                     crs=4326).to_file(path, layer="woods", engine="pyogrio")

    def labels(paths: list) -> set[str]:
        model = ViewerModel.open(paths)
        model.set_options(legend=False, scale_bar=False, north_arrow=False, caption=False)
        x0, y0, x1, y1 = model.dataset.layer("woods").gdf.total_bounds
        renderer = MapRenderer(model)
        renderer.render(t=day_number(dt.date(1944, 7, 1)), size=(800, 500),
                        view=(x0 - 2000, y0 - 2000, x1 + 2000, y1 + 2000))
        return {p.spec.text for p in renderer.last_labels}

    alone = labels([path])
    assert set(names) <= alone
    assert labels([*builtin_paths(), path]) == alone


def test_a_users_app6_units_are_in_the_legend_by_their_codes_and_named_on_the_map(tmp_path: Path):
    """A researcher's layer with a ``sidc`` and a ``name`` (no unit columns of ours, EPSG:3857):
    drawn as APP-6 symbols, but the legend showed a green dot and the map left them unnamed.
    Found by a second new-user test."""
    from pyproj import Transformer

    from terrain_viewer.core.render import annotations
    from terrain_viewer.core.render.items import visible_items

    to_3857 = Transformer.from_crs(4326, 3857, always_xy=True)
    xs, ys = to_3857.transform([112.58, 112.64], [26.88, 26.92])
    path = tmp_path / "research.gpkg"
    gpd.GeoDataFrame({"name": ["Alpha Regt", "Bravo Bn"], "sidc": ["SFGPUCI----D", "SHGPUCI----E"],
                      "source": ["notes", "notes"], "confidence": ["low", "low"]},
                     geometry=shapely.points(xs, ys), crs=3857).to_file(path, layer="my_units")
    model = ViewerModel.open([path])
    labels = [label for _, label in annotations.legend(visible_items(model))]
    assert labels == ["Friendly unit (APP-6)", "Hostile unit (APP-6)"]
    renderer = MapRenderer(model)
    renderer.render(size=(1280, 720))
    assert {"Alpha Regt", "Bravo Bn"} <= {p.spec.text for p in renderer.last_labels}


def test_a_users_app6_units_are_in_the_legend_by_their_sides_names(tmp_path: Path):
    """Prokhorovka's units with side and side_name columns: the legend said "Friendly unit (APP-6)"
    and "Hostile unit (APP-6)" while the same file's front line was "German front" (a new user)."""
    from terrain_viewer.core.render import annotations
    from terrain_viewer.core.render.items import visible_items

    path = tmp_path / "prokhorovka.gpkg"
    gpd.GeoDataFrame({"name": ["5 GTA", "29 TC", "LSSAH", "mixed"], "side": ["su", "su", "de", "de"],
                      "side_name": ["Soviet", "Soviet", "German", "German"],
                      "sidc": ["SFGPUCA----E", "SFGPUCA----D", "SHGPUCA----D", "SFGPUCI----D"],
                      "source": ["Zamulin (2011)"] * 4, "confidence": ["low"] * 4},
                     geometry=shapely.points([36.6, 36.62, 36.7, 36.72], [51.0] * 4), crs=4326).to_file(
        path, layer="units")
    model = ViewerModel.open([path])
    labels = [label for _, label in annotations.legend(visible_items(model))]
    assert labels == ["Soviet unit (APP-6)", "German unit (APP-6, friendly)", "German unit (APP-6, hostile)"]


def test_chinese_names_take_a_users_chinese_name_column(tmp_path: Path):
    """A historian's temples with ``name_en`` and ``名称``: *Chinese names* added 蒸水 to the built-in
    river and nothing to their points (only ``name_zh`` was read; a new user)."""
    from terrain_viewer.core.render.furniture import text_fonts

    if len(text_fonts()) < 2:
        pytest.skip("no CJK font installed (.ci/install installs fonts-noto-cjk)")
    path = tmp_path / "temples.gpkg"
    gpd.GeoDataFrame({"name_en": ["North Gate", "Huiyan Temple"], "名称": ["北门", "回雁寺"],
                      "source": ["survey"] * 2, "confidence": ["high"] * 2},
                     geometry=shapely.points([112.60, 112.62], [26.93, 26.90]), crs=4326).to_file(
        path, layer="寺庙城门")
    model = ViewerModel.open([path])
    model.set_options(legend=False, chinese_names=True)
    renderer = MapRenderer(model)
    renderer.render(size=(800, 500))
    assert {p.spec.text for p in renderer.last_labels} == {"North Gate 北门", "Huiyan Temple 回雁寺"}
    model.set_options(chinese_names=False)
    renderer.render(size=(800, 500))
    assert {p.spec.text for p in renderer.last_labels} == {"North Gate", "Huiyan Temple"}
