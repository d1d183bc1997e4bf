"""The shipped geography against the evidence: heights, the gazetteer, rivers, units on land, variants.

Reads the committed geodata/hengyang_1944.gpkg (test_build.py checks it equals a fresh build).
The gazetteer test needs ../shared/reference/gazetteer.csv and is skipped without it.
"""

from __future__ import annotations

import csv
import datetime as dt
import subprocess
import sys
from pathlib import Path

import geopandas as gpd
import numpy as np
import pyogrio
import pytest
import rasterio
from pyproj import Geod
from shapely.geometry import Point

ROOT = Path(__file__).resolve().parents[2]
GPKG = ROOT / "geodata" / "hengyang_1944.gpkg"
DEM = ROOT / "geodata" / "hengyang_dem.tif"
GAZETTEER = ROOT.parent / "shared" / "reference" / "gazetteer.csv"
GEOD = Geod(ellps="WGS84")
POINT_LAYERS = ("hills", "spot_heights", "city", "gates", "stations", "airfield", "places")

sys.path.insert(0, str(ROOT))
from geodata.checks import units_in_water  # noqa: E402
from terrain_viewer.core.data.layers import open_dataset  # noqa: E402
from terrain_viewer.core.temporal.timeline import day_number, to_date  # noqa: E402


def _read(layer: str) -> gpd.GeoDataFrame:
    return pyogrio.read_dataframe(GPKG, layer=layer)


def _metres(a: Point, b: Point) -> float:
    return GEOD.inv(a.x, a.y, b.x, b.y)[2]


def _gazetteer() -> list[dict]:
    if not GAZETTEER.exists():
        pytest.skip(f"no gazetteer at {GAZETTEER}")
    with open(GAZETTEER, encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def gazetteer_distances() -> dict[str, float | None]:
    """Metres from each high/medium gazetteer place to the nearest data feature of that name_zh."""
    feats = [(str(r.name_zh), r.geometry.centroid) for layer in POINT_LAYERS
             for r in _read(layer).itertuples() if r.name_zh]
    out = {}
    for g in _gazetteer():
        if g["confidence"] not in ("high", "medium"):
            continue
        p = Point(float(g["lon"]), float(g["lat"]))
        ds = [_metres(p, c) for zh, c in feats if zh == g["name_zh"]]
        out[g["name"]] = min(ds) if ds else None
    return out


def test_no_height_above_the_siege_hills_and_labels_kept_apart():
    for layer in ("hills", "spot_heights"):
        df = _read(layer)
        assert (df["elev_m"] <= 110).all(), df.loc[df["elev_m"] > 110, "feature_id"].tolist()
        est = df["elev_estimated"] == 1
        assert df.loc[est, "elev_m"].between(55, 100).all()
        assert (df.loc[est, "elev_source"] == "estimate").all()
        assert df.loc[~est, "elev_source"].str.len().gt(20).all()  # a named source, not a word
    heights = _read("spot_heights").set_index("feature_id")
    assert heights.loc["h227_7", "label"] == "Hill 227.7" and heights.loc["h227_7", "elev_m"] < 100
    assert heights.loc["h221", "label"] == "Hill 221"
    assert {"huiyan", "yueping", "shigu"} <= set(heights.index)
    assert heights.loc["huiyan", "elev_m"] == 98 and heights.loc["yueping", "elev_m"] == 93
    with rasterio.open(DEM) as r:
        assert r.read(1).max() <= 120
        assert r.tags()["reconstructed"] == "yes" and "not a survey" in r.tags()["description"]


def test_gazetteer_places_are_in_the_data():
    d = gazetteer_distances()
    missing = [name for name, v in d.items() if v is None]
    assert not missing, f"gazetteer places missing from the data: {missing}"
    values = np.array(list(d.values()), dtype=float)
    assert np.median(values) <= 250, d
    assert values.max() <= 600, d


def test_river_mouths_at_the_gazetteer_points():
    gaz = {g["name"]: Point(float(g["lon"]), float(g["lat"])) for g in _gazetteer()}
    rivers = _read("rivers").set_index("feature_id").geometry
    zheng_mouth = Point(rivers["zheng"].coords[-1])
    lei_mouth = Point(rivers["lei"].coords[-1])
    assert _metres(zheng_mouth, gaz["Zheng-Xiang confluence"]) <= 500
    assert _metres(lei_mouth, gaz["Lei River mouth"]) <= 500
    # Shigu Hill lies south of the Zheng (outside the North Gate), west of the Xiang
    shigu = _read("hills").set_index("feature_id").geometry["shigu"].centroid
    zheng = rivers["zheng"]
    assert zheng.interpolate(zheng.project(shigu)).y > shigu.y


def test_every_feature_has_uncertainty_and_places_then_and_now():
    for layer, _geom in pyogrio.list_layers(GPKG):
        if _geom is None:
            continue
        df = _read(str(layer))
        assert "uncertainty_m" in df.columns and (df["uncertainty_m"] > 0).all(), layer
    for layer in POINT_LAYERS + ("rivers",):
        df = _read(layer)
        assert df["modern_name"].notna().all() and df["today"].notna().all(), layer
    hills = _read("hills").set_index("feature_id")
    assert "Shengli" in hills.loc["zhangjia", "today"]
    assert "memorial" in hills.loc["yueping", "today"].lower()


def test_variants_table_records_the_conflicts():
    v = pyogrio.read_dataframe(GPKG, layer="variants", read_geometry=False)
    assert list(v.columns) == ["feature_id", "layer", "field", "value", "source", "note"]
    start = set(v.loc[v["field"] == "start_date", "value"])
    assert {"1944-06-21", "1944-06-22", "1944-06-23"} <= start
    strength = set(v.loc[v["field"] == "strength", "value"])
    assert {"16275", "17600", "18000"} <= strength
    assert v["source"].str.strip().str.len().gt(0).all()


def test_no_unit_stands_in_water():
    assert units_in_water(GPKG) == []


def test_units_in_water_finds_a_unit_in_the_river_and_spares_the_bridge(tmp_path):
    water = _read("water_areas")
    rail = _read("railways")
    bridge = rail[rail["kind"] == "bridge"]
    xiang = _read("rivers").set_index("feature_id").geometry["xiang"]
    wet = xiang.interpolate(0.5, normalized=True)
    on_bridge = bridge.geometry.iloc[0].interpolate(0.5, normalized=True)
    units = gpd.GeoDataFrame(
        {"unit_id": ["swimmer", "swimmer", "crosser"],
         "start_date": ["1944-07-01", "1944-07-03", "1944-07-01"],
         "end_date": ["1944-07-02", "1944-07-03", "1944-07-01"]},
        geometry=[Point(wet.x - 0.02, wet.y), Point(wet.x + 0.02, wet.y), on_bridge], crs="EPSG:4326")
    path = tmp_path / "swim.gpkg"
    for name, frame in (("units", units), ("water_areas", water), ("railways", bridge)):
        frame.to_file(path, layer=name, driver="GPKG")
    found = units_in_water(path)
    assert [(w.unit_id, w.date, w.water) for w in found] == [("swimmer", "1944-07-02", "xiang")]
    layer = next(lyr for lyr in open_dataset([path]).layers if lyr.name == "units")
    first = day_number(dt.date(1944, 6, 29))
    days = [to_date(first + i).isoformat() for i in range(8)
            if "swimmer" in set(layer.features_at(first + i)["unit_id"])]
    assert days == ["1944-07-01", "1944-07-02", "1944-07-03"]


def test_checks_import_without_qt():
    code = "import sys; import geodata.checks; assert not any(m.startswith('PyQt') for m in sys.modules)"
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True)


NOT_LOCATED = ("141 Heights", "Waixin Street", "Municipal Hospital", "Catholic church")  # the notes


def test_the_final_line_is_drawn_on_the_siege_s_last_days():
    """The geography notes' final line (Xichan - Tianma - Suxian Well - Yueping - Taizi Wharf) was
    missing: the last days showed no final line (a new user, a researcher)."""
    lines = _read("defense_lines")
    (final,) = lines[lines["kind"] == "final_line"].itertuples()
    assert "geography notes" in final.source and final.confidence == "low" and final.estimated == 1
    assert (final.start_date.date(), final.end_date.date()) == (dt.date(1944, 8, 6), dt.date(1944, 8, 8))
    ends = [Point(final.geometry.coords[i]) for i in (0, -1)]
    places = {r.name_en: r.geometry for r in _read("places").itertuples()}
    assert _metres(ends[0], places["Xichan Temple"]) < 100 and _metres(ends[1], places["Taizi Wharf"]) < 100
    drawn = open_dataset([GPKG]).layer("defense_lines").features_at(day_number(dt.date(1944, 8, 7)))
    assert "final_line" in set(drawn["kind"])


def test_places_the_notes_do_not_locate_are_marked_and_labelled_with_a_question_mark():
    """141 Heights (placed twice), Waixin Street, the Municipal Hospital and the Catholic church were
    drawn as ordinary places, nothing on the map saying their positions are guesses (a new user)."""
    from terrain_viewer.core.model import ViewerModel
    from terrain_viewer.core.render.renderer import MapRenderer

    rows = [r for layer in ("spot_heights", "places") for r in _read(layer).itertuples()]
    for name in NOT_LOCATED:
        named = [r for r in rows if r.name_en.startswith(name)]
        assert named and all(r.located == 0 for r in named), name
    assert all(r.located == 1 for r in rows if r.name_en in ("Mt. Yueping", "Huiyan Peak", "Shigu Academy"))
    hills = _read("hills")
    assert (hills["label"] == "Hill 141").sum() == 0  # two hills both labelled "Hill 141"
    model = ViewerModel.open([GPKG])
    model.set_options(legend=False)
    for crowd in ("units", "events", "front_lines"):  # room for the places' own labels
        model.set_visible(crowd, False)
    x0, y0, x1, y1 = model.dataset.layer("places").gdf.total_bounds
    renderer = MapRenderer(model)
    renderer.render(t=day_number(dt.date(1944, 7, 20)), size=(3200, 2400),
                    view=(x0 - 300, y0 - 300, x1 + 300, y1 + 300))
    texts = {p.spec.text for p in renderer.last_labels}
    guessed = [t for t in texts if t.startswith(NOT_LOCATED)]
    assert len(guessed) >= 3 and all("(?)" in t for t in guessed), texts
    assert "Suxian Well" in texts and "Wuxian Temple" in texts  # placed by the notes: no "(?)"


def test_no_text_names_a_source_by_its_build_key():
    """Identify showed today "Huiyan Peak park (people_huiyan)": a key of geodata/src/sources.yaml, the
    builder's shorthand, not a name a reader knows (a new user)."""
    import re

    import yaml

    keys = set(yaml.safe_load((ROOT / "geodata" / "src" / "sources.yaml").read_text(encoding="utf-8")))
    found = []
    for layer in pyogrio.list_layers(GPKG)[:, 0]:
        if layer in ("layer_styles",):
            continue
        frame = pyogrio.read_dataframe(GPKG, layer=layer, read_geometry=False)
        for column in frame.columns:
            for value in frame[column].dropna().astype(str).unique():
                found += [(layer, column, value) for key in re.findall(r"\(([a-z][a-z0-9_]*)\)", value)
                          if key in keys]
    assert not found, found


def test_the_relief_has_no_flats_on_a_contour_level():
    """The hills' bumps floored the plain at exactly 60 m: flats the 60 m contour stepped round cell by
    cell (stairs in a 4K frame, a new user). Land cells sitting on a 10 m level are now a handful."""
    with rasterio.open(DEM) as src:
        z = src.read(1)
    land = z > 50.01  # water is level, and drawn blue
    on_level = land & (np.abs(z - np.round(z / 10) * 10) < 1e-4)
    assert on_level.sum() < 100, int(on_level.sum())  # the old relief: 33,427 at exactly 60 m
