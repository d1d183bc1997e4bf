"""Build geodata/ into a temp dir and check the shipped-data contract (docs/data-model.md)."""

from __future__ import annotations

import datetime as dt
import importlib.util
from pathlib import Path

import milsymbol
import pandas as pd
import pyogrio
import pytest
import rasterio

ROOT = Path(__file__).resolve().parents[2]
BUILD = ROOT / "geodata" / "build.py"

REQUIRED = {
    "water_areas": "Polygon",
    "rivers": "LineString",
    "hills": "Polygon",
    "spot_heights": "Point",
    "flooded_fields": "Polygon",
    "city": "Polygon",
    "gates": "Point",
    "railways": "LineString",
    "stations": "Point",
    "airfield": "Polygon",
    "places": "Point",
    "defense_lines": "LineString",
    "moats": "LineString",
    "pillboxes": "Point",
    "units": "Point",
    "front_lines": "LineString",
    "events": "Point",
}


def _load_build():
    spec = importlib.util.spec_from_file_location("geodata_build", BUILD)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@pytest.fixture(scope="module")
def builds(tmp_path_factory):
    mod = _load_build()
    outs = []
    for name in ("a", "b"):
        out = tmp_path_factory.mktemp(name)
        assert mod.main(["--out", str(out)]) == 0
        outs.append(out)
    return outs


@pytest.fixture(scope="module")
def gpkg(builds):
    return builds[0] / "hengyang_1944.gpkg"


def _read(path, layer):
    """A layer with its dates as naive UTC datetimes (an all-NULL column is read without a zone)."""
    df = pyogrio.read_dataframe(path, layer=layer)
    for col in ("start_date", "end_date"):
        if col in df.columns and getattr(df[col].dtype, "tz", None) is not None:
            df[col] = df[col].dt.tz_convert(None)
    return df


def test_required_layers_exist_with_geometry_types(gpkg):
    layers = dict(pyogrio.list_layers(gpkg))
    for name, geom in REQUIRED.items():
        assert name in layers, name
        assert layers[name] == geom, (name, layers[name])
        info = pyogrio.read_info(gpkg, layer=name)
        assert info["crs"] == "EPSG:4326", name
        assert info["features"] > 0, name


def test_every_feature_has_evidence(gpkg):
    for name in REQUIRED:
        df = _read(gpkg, name)
        for col in ("source", "confidence", "estimated", "name_en"):
            assert col in df.columns, (name, col)
        assert df["source"].notna().all() and (df["source"].str.strip() != "").all(), name
        assert df["confidence"].isin(["high", "medium", "low"]).all(), name
        assert df["estimated"].isin([0, 1]).all(), name
        assert df.geometry.is_valid.all(), name


def test_dates_are_datetimes(gpkg):
    """GeoPackage DATETIME (read as datetimes): a start at a date's 00:00 or at the source's hour and
    minute, an end at the last millisecond of its day or at the source's hour and minute."""
    for name in REQUIRED:
        df = _read(gpkg, name)
        for col in ("start_date", "end_date"):
            if col not in df.columns:
                continue
            assert str(df[col].dtype).startswith("datetime64"), (name, col, df[col].dtype)
            for value in df[col].dropna():
                end_of_day = col == "end_date" and value.time() == END_OF_DAY
                assert value.second == 0 or end_of_day, (name, col, value)
                assert value.microsecond == 0 or value.time() == END_OF_DAY, (name, col, value)
        if "start_date" in df.columns and "end_date" in df.columns:
            both = df.dropna(subset=["start_date", "end_date"])
            assert (both["end_date"] >= both["start_date"]).all(), name
            # a date-time start never meets an end before it on the same day
            assert (both["end_date"].dt.date >= both["start_date"].dt.date).all(), name


END_OF_DAY = dt.time(23, 59, 59, 999000)


def test_units_are_keyframes_covering_every_day(gpkg):
    """One row per keyframe (the viewer interpolates, terrain_viewer/core/tracks.py); together the
    units cover every day of the battle, each row lasting until the day before the next keyframe."""
    units = _read(gpkg, "units")
    assert (units["row_kind"] == "keyframe").all()
    assert not units.duplicated(["unit_id", "start_date"]).any()
    assert set(units["side"]) == {"cn", "jp"}
    covered = set()
    for _uid, g in units.groupby("unit_id"):
        g = g.sort_values("start_date")
        starts, ends = list(g["start_date"]), list(g["end_date"])
        for nxt, end in zip(starts[1:], ends[:-1], strict=True):
            assert end.time() == END_OF_DAY, _uid  # a keyframe row lasts to the end of its last day
            assert (nxt.date() - end.date()).days == 1, _uid  # no gap, no overlap
        covered |= set(pd.date_range(starts[0].date(), ends[-1].date()).strftime("%Y-%m-%d"))
    assert set(pd.date_range("1944-06-23", "1944-08-08").strftime("%Y-%m-%d")) <= covered
    # the HQ is captured on 8 Aug: nothing after, and the 10th Division moves back on 16/17 July
    assert units[units.unit_id == "cn_10c_hq"]["end_date"].max() == pd.Timestamp("1944-08-08T23:59:59.999")
    tenth = units[units.unit_id == "cn_10d_30r"]
    tenth = tenth.set_index(tenth["start_date"].dt.strftime("%Y-%m-%d")).geometry
    assert tenth["1944-07-17"].y > tenth["1944-07-16"].y


def test_every_sidc_is_valid_in_milsymbol(gpkg):
    units = _read(gpkg, "units")
    for sidc in units["sidc"].unique():
        assert len(sidc) == 20 and sidc.isdigit(), sidc
        assert milsymbol.Symbol(sidc, size=40).is_valid(), sidc
    side_digit = units["sidc"].str[3]
    assert (side_digit[units.side == "cn"] == "3").all()
    assert (side_digit[units.side == "jp"] == "6").all()


def test_front_line_keyframes_morphable(gpkg):
    fl = _read(gpkg, "front_lines")
    for _lid, g in fl.groupby("line_id"):
        assert len({len(geom.coords) for geom in g.geometry}) == 1


def test_events_and_geography(gpkg):
    ev = _read(gpkg, "events")
    assert 40 <= len(ev) <= 90
    assert ev["title"].notna().all() and ev["description"].notna().all()
    assert pd.Timestamp("1944-08-08T05:00") in set(ev["start_date"])
    city = _read(gpkg, "city").geometry.iloc[0]
    water = _read(gpkg, "water_areas").set_index("feature_id").geometry
    assert not city.intersects(water["xiang"].buffer(-1e-5))
    # the city lies on the west bank: west of the Xiang's centre line at its latitude
    xiang = _read(gpkg, "rivers").set_index("feature_id").geometry["xiang"]
    assert city.centroid.x < xiang.interpolate(xiang.project(city.centroid)).x
    # the battle hills lie south or south-west of the walled city
    hills = _read(gpkg, "hills")
    pts = hills[hills.feature_id != "shigu"].geometry.representative_point()
    minx, miny = city.bounds[:2]
    assert ((pts.y < miny + 0.001) | (pts.x < minx)).all()


def test_dem_is_small_tagged_and_reconstructed(builds):
    path = builds[0] / "hengyang_dem.tif"
    assert path.stat().st_size < 2 * 1024 * 1024
    with rasterio.open(path) as r:
        assert r.crs.to_epsg() == 32649
        assert r.dtypes[0] == "float32"
        assert abs(r.res[0] - 30) < 1e-6
        tags = r.tags()
        assert "not a survey" in tags["description"]
        assert tags["source"]
        z = r.read(1)
    assert 45 < z.min() < 60 and 90 < z.max() <= 120  # the siege hills are 60-100 m


def test_build_is_deterministic(builds):
    a, b = (p / "hengyang_1944.gpkg" for p in builds)
    for name in REQUIRED:
        da, db = _read(a, name), _read(b, name)
        pd.testing.assert_frame_equal(da.drop(columns="geometry"), db.drop(columns="geometry"))
        assert list(da.geometry.to_wkb()) == list(db.geometry.to_wkb()), name
    ta, tb = (p / "hengyang_dem.tif" for p in builds)
    assert ta.read_bytes() == tb.read_bytes()


def test_shipped_files_match_a_fresh_build(builds):
    """geodata/hengyang_1944.gpkg must be rebuilt and committed after editing geodata/src/."""
    shipped = ROOT / "geodata" / "hengyang_1944.gpkg"
    fresh = builds[0] / "hengyang_1944.gpkg"
    assert shipped.exists(), "run python geodata/build.py"
    for name in REQUIRED:
        a, b = _read(shipped, name), _read(fresh, name)
        pd.testing.assert_frame_equal(a.drop(columns="geometry"), b.drop(columns="geometry"))
        assert list(a.geometry.to_wkb()) == list(b.geometry.to_wkb()), name
    with (
        rasterio.open(ROOT / "geodata" / "hengyang_dem.tif") as s,
        rasterio.open(builds[0] / "hengyang_dem.tif") as f,
    ):
        assert (s.read(1) == f.read(1)).all()
        assert s.tags() == f.tags()


def test_the_build_refuses_a_unit_in_the_river_and_keeps_the_old_file(tmp_path):
    """A keyframe in the Xiang stops the build with the unit, the day and the river; nothing is replaced."""
    import sys

    sys.path.insert(0, str(ROOT))
    from geodata.builder import BuildError, build_layers, write_checked_gpkg

    layers, variants = build_layers()
    units = layers["units"].copy()
    xiang = _read(ROOT / "geodata" / "hengyang_1944.gpkg", "water_areas").set_index("feature_id")
    row = units.index[(units["unit_id"] == "cn_10c_hq") & (units["start_date"] == "1944-06-23")][0]
    units.loc[row, "geometry"] = xiang.geometry["xiang"].representative_point()
    layers["units"] = units
    target = tmp_path / "hengyang_1944.gpkg"
    target.write_bytes(b"old")
    with pytest.raises(BuildError, match=r"unit-days in water.*cn_10c_hq on 1944-06-23 in the xiang"):
        write_checked_gpkg(target, layers, variants)
    assert target.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["hengyang_1944.gpkg"]
