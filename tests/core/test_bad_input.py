"""Bad input: each case gives one clear line naming the file, the layer and the problem; the rest loads.

Checked through ``open_dataset(...).problems`` and through the ``info``/``validate`` CLI.
"""

from __future__ import annotations

import sqlite3
import warnings
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import shapely

from terrain_viewer.cli import main
from terrain_viewer.core.data.layers import open_dataset


def _points(n: int = 2, **columns) -> dict:
    return {"geometry": shapely.points(np.linspace(112.55, 112.65, n), np.full(n, 26.9)), **columns}


def _write(path: Path, layer: str, crs=4326, **data) -> Path:
    frame = gpd.GeoDataFrame(geometry=list(data.pop("geometry")), crs=crs)
    for column, values in {"source": "test", "confidence": "low", **data}.items():
        frame[column] = values
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # pyogrio warns when writing a layer without a CRS
        frame.to_file(path, layer=layer, engine="pyogrio")
    return path


@pytest.fixture
def good(tmp_path: Path) -> Path:
    """A clean second file: it must load whatever is wrong with the other one."""
    return _write(tmp_path / "good.gpkg", "ok", **_points(3))


def _bad_file(tmp_path: Path, kind: str, shipped: Path) -> Path:
    path = tmp_path / f"{kind}.gpkg"
    if kind == "zero_bytes":
        path.write_bytes(b"")
    elif kind == "truncated":
        raw = shipped.read_bytes()
        path.write_bytes(raw[: len(raw) // 3])
    elif kind == "random_bytes":
        path.write_bytes(np.random.default_rng(1).bytes(8192))
    elif kind == "png":
        path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(4096))
    elif kind == "text":
        path.write_text("name,x,y\nHengyang,112.6,26.9\n" * 50, encoding="utf-8")
    elif kind == "plain_sqlite":
        with sqlite3.connect(path) as con:
            con.execute("CREATE TABLE units (name TEXT, x REAL, y REAL)")
            con.execute("INSERT INTO units VALUES ('10D', 112.6, 26.9)")
        con.close()
    return path


FILE_CASES = {
    "zero_bytes": "empty file (0 bytes)",
    "truncated": "damaged or truncated GeoPackage",
    "random_bytes": "not a GeoPackage (no SQLite header",
    "png": "not a GeoPackage (no SQLite header",
    "text": "not a GeoPackage (no SQLite header",
    "plain_sqlite": "a plain SQLite database, not a GeoPackage",
}


@pytest.mark.parametrize("kind", sorted(FILE_CASES))
def test_broken_files_give_one_line_and_the_other_file_still_loads(tmp_path, good, shipped_gpkg, kind):
    bad = _bad_file(tmp_path, kind, shipped_gpkg)
    ds = open_dataset([bad, good])
    assert [layer.name for layer in ds.layers] == ["ok"]
    assert len(ds.problems) == 1 and ds.problems[0].startswith(f"{bad}: {FILE_CASES[kind]}")
    assert "\n" not in ds.problems[0]


@pytest.mark.parametrize("kind", sorted(FILE_CASES))
def test_cli_info_and_validate_on_broken_files(tmp_path, capsys, shipped_gpkg, kind):
    bad = _bad_file(tmp_path, kind, shipped_gpkg)
    assert main(["info", str(bad)]) == 3  # bad input (exit codes: terrain-viewer --help)
    captured = capsys.readouterr()
    assert f"{bad}: {FILE_CASES[kind]}" in captured.err
    assert "Traceback" not in captured.out + captured.err
    assert main(["validate", str(bad)]) == 1
    out = capsys.readouterr().out
    assert f"ERROR {bad}" in out and FILE_CASES[kind] in out and "\n1 error\n" in out


def test_truncated_anywhere_never_escapes_as_another_exception(tmp_path, shipped_gpkg):
    raw = shipped_gpkg.read_bytes()
    for i, fraction in enumerate((0.001, 0.05, 0.2, 0.5, 0.8, 0.95, 0.999)):
        cut = tmp_path / f"cut{i}.gpkg"
        cut.write_bytes(raw[: int(len(raw) * fraction)])
        ds = open_dataset([cut])  # never raises
        for problem in ds.problems:
            assert problem.startswith(f"{cut}: ") and "\n" not in problem


LAYER_CASES = [
    ("no_crs", dict(crs=None, **_points()), "no CRS (coordinate reference system)", False),
    ("null_geoms", dict(geometry=[None, shapely.Point(112.6, 26.9)]),
     "1 feature with null or empty geometry skipped", True),
    ("empty_geoms", dict(geometry=[shapely.Point(), shapely.Point(112.6, 26.9)]),
     "1 feature with null or empty geometry skipped", True),
    ("invalid_geoms", dict(geometry=[shapely.Polygon([(112.5, 26.8), (112.7, 27.0), (112.7, 26.8),
                                                      (112.5, 27.0)])]),
     "1 invalid geometry repaired (make_valid), the first in row 1: Self-intersection", True),
    ("named_invalid_geom", dict(geometry=[shapely.Point(112.6, 26.8), shapely.Point(112.6, 26.9),  # named
                                          shapely.Polygon([(112.5, 26.8), (112.7, 27.0), (112.7, 26.8),
                                                           (112.5, 27.0)])],
                                name=["lost", "Shigu", "bow-tie redoubt"]),
     "1 invalid geometry repaired (make_valid), the first in row 3 ('bow-tie redoubt'): Self-intersection",
     True),
    ("bad_dates", dict(start_date=["1944-06-23", "next Tuesday"], **_points()),
     "1 unreadable date, e.g. start_date='next Tuesday' in row 2 (not an ISO 8601 date such as 1944-07-14); "
     "that feature is hidden", True),
    ("impossible_date", dict(start_date=["1944-06-23", "1944-13-45"], **_points()),  # was "not ISO 8601"
     "1 unreadable date, e.g. start_date='1944-13-45' in row 2 (there is no month 13); that feature is "
     "hidden", True),
    ("named_bad_date", dict(start_date=["1916-02-21", "1916-13-45"], name=["Fort Douaumont", "Fort Vaux"],
                            **_points()),  # the feature named, not only its row (a new user)
     "1 unreadable date, e.g. start_date='1916-13-45' in row 2 ('Fort Vaux') (there is no month 13); that "
     "feature is hidden", True),
    ("year_0_date", dict(start_date=["1944-06-23", "0000-02-30"], **_points()),  # the layer refused
     "1 unreadable date, e.g. start_date='0000-02-30' in row 2 (February 0 has 29 days); that feature is "
     "hidden", True),
    ("end_before_start", dict(start_date=["1944-07-02", "1944-06-23"], end_date=["1944-07-01", None],
                              **_points()), "1 feature with end_date before start_date", True),
    ("repeated_keyframe", dict(unit_id=["u1", "u1"], start_date=["1944-07-01", "1944-07-01"],
                               **_points()),  # a unit in two places at once: one was drawn, unsaid
     "1 repeated keyframe: unit_id='u1' has two rows at 1944-07-01 (rows 1 and 2); the later row in the "
     "file is drawn", True),
    ("mixed_types", dict(geometry=[shapely.Point(112.6, 26.9),
                                   shapely.LineString([(112.6, 26.9), (112.7, 26.95)])]),
     "mixed geometry types in one layer: LineString, Point", True),
    ("wrong_crs", dict(geometry=shapely.points([652000.0, 653000.0], [2977000.0, 2978000.0])),
     "coordinates up to (653000, 2978000) do not fit its CRS EPSG:4326 (degrees); wrong CRS?", False),
    ("nan_coords", dict(geometry=[shapely.Point(np.nan, 26.9), shapely.Point(112.6, 26.9)]),
     "1 feature with NaN or infinite coordinates skipped", True),
    ("inf_coords", dict(geometry=[shapely.Point(np.inf, 26.9), shapely.Point(112.6, 26.9)]),
     "1 feature with NaN or infinite coordinates skipped", True),
]


def _two_layer_file(tmp_path: Path, layer: str, spec: dict) -> Path:
    path = tmp_path / f"{layer}.gpkg"
    _write(path, "ok", **_points(3))
    _write(path, layer, **dict(spec))
    return path


@pytest.mark.parametrize(("layer", "spec", "problem", "loads"), LAYER_CASES, ids=[c[0] for c in LAYER_CASES])
def test_bad_layers_give_one_line_naming_file_layer_and_problem(tmp_path, layer, spec, problem, loads):
    path = _two_layer_file(tmp_path, layer, spec)
    ds = open_dataset([path])
    assert any(p.startswith(f"{path}: layer '{layer}': {problem}") for p in ds.problems), ds.problems
    assert all("\n" not in p for p in ds.problems)
    names = [x.name for x in ds.layers]
    assert "ok" in names and len(ds.layer("ok").gdf) == 3
    assert (layer in names) is loads


@pytest.mark.parametrize(("layer", "spec", "problem", "loads"), LAYER_CASES, ids=[c[0] for c in LAYER_CASES])
def test_validate_and_info_cli_report_bad_layers(tmp_path, capsys, layer, spec, problem, loads):
    path = _two_layer_file(tmp_path, layer, spec)
    status = main(["validate", str(path)])
    out = capsys.readouterr().out
    assert f"OK    {path}: layer 'ok'" in out
    assert problem in out and "Traceback" not in out
    is_error = not problem.startswith(("mixed geometry", "1 invalid geometry repaired"))  # both drawn
    assert (f"ERROR {path}: layer '{layer}'" in out) is is_error
    assert status == (1 if is_error else 0)
    assert main(["info", str(path)]) == 0  # the good layer loads, so info succeeds
    captured = capsys.readouterr()
    assert f"problem: {path}: layer '{layer}': {problem}" in captured.err
    assert "ok " in captured.out and "Traceback" not in captured.out + captured.err


def test_cjk_layer_and_field_names_load_and_print(tmp_path, capsys):
    path = tmp_path / "衡阳.gpkg"
    _write(path, "衡阳_部队", 名称=["第十军", "预十师"], start_date=["1944-06-23", "1944-06-24"],
           **_points())
    ds = open_dataset([path])
    layer = ds.layer("衡阳_部队")
    assert ds.problems == [] and list(layer.gdf["名称"]) == ["第十军", "预十师"]
    assert len(layer.features_at(layer.time_extent[0])) == 1
    assert main(["info", str(path)]) == 0
    out = capsys.readouterr().out
    assert "衡阳_部队" in out and "temporal" in out
    assert main(["validate", str(path)]) == 0
    assert f"OK    {path}: layer '衡阳_部队' (2 features)" in capsys.readouterr().out


def test_an_empty_layer_loads_as_empty_and_static(tmp_path):
    path = tmp_path / "empty.gpkg"
    _write(path, "ok", **_points(3))
    _write(path, "nothing", **_points(0))
    ds = open_dataset([path])
    assert len(ds.layer("nothing").gdf) == 0 and ds.layer("nothing").features_at(0.0).empty


@pytest.mark.parametrize("kind", ["zero_bytes", "truncated_half", "truncated_header", "random_bytes", "text"])
def test_broken_rasters_give_one_line_and_the_vectors_still_load(tmp_path, good, kind):
    dem = Path(__file__).resolve().parents[2] / "geodata" / "hengyang_dem.tif"
    raw = dem.read_bytes()
    bad = tmp_path / f"{kind}.tif"
    bad.write_bytes({"zero_bytes": b"", "truncated_half": raw[: len(raw) // 2], "truncated_header": raw[:300],
                     "random_bytes": np.random.default_rng(2).bytes(5000),
                     "text": b"elevation: high\n" * 20}[kind])
    ds = open_dataset([good, bad])
    assert [layer.name for layer in ds.layers] == ["ok"] and ds.rasters == []
    assert len(ds.problems) == 1 and ds.problems[0].startswith(f"{bad}: cannot read raster")
    assert "\n" not in ds.problems[0]


def test_hidden_rows_do_not_stretch_the_time_range(tmp_path):
    """A row hidden for an end before its start (its end 1 June) or an unreadable start (its end
    1 September) stretched the date slider and an export's days over days with nothing on them (a
    new user's slider began on 1 June)."""
    bad = _write(tmp_path / "dates.gpkg", "sites", start_date=["1944-07-01", "1944-07-01", "July 1944"],
                 end_date=["1944-07-06", "1944-06-01", "1944-09-01"], name=["Ferry", "Ford", "Mill"],
                 **_points(3))
    good = _write(tmp_path / "good.gpkg", "sites", start_date=["1944-07-01"], end_date=["1944-07-06"],
                  **_points(1))
    ds = open_dataset([bad])
    assert ds.time_extent == open_dataset([good]).time_extent
    assert any("1 feature with end_date before start_date, e.g. row 2 ('Ford'); that feature is hidden" in p
               for p in ds.problems), ds.problems
    assert len(ds.layer("sites").features_at(ds.time_extent[0])) == 1


def test_a_date_column_not_read_as_time_is_said(tmp_path, capsys):
    """A researcher's survey points with a ``date`` column (not start_date) were drawn on every
    day, with no word from the window or ``validate``; a column that only names a date is quiet."""
    path = _write(tmp_path / "survey.gpkg", "sites", date=["1944-07-01", "1944-07-10"],
                  update_note=["date of the last check", "none"], **_points())
    ds = open_dataset([path])
    said = [p for p in ds.problems if "'date' holds dates but is not read as one" in p]
    assert len(said) == 1 and said[0].startswith(f"{path}: layer 'sites': ") and "start_date" in said[0]
    assert main(["validate", str(path)]) == 0  # a warning, not an error: the points are drawn
    assert "warning: column 'date' holds dates" in capsys.readouterr().out
    quiet = _write(tmp_path / "plain.gpkg", "sites", survey_date=["July 1944", "unknown"], **_points())
    assert not [p for p in open_dataset([quiet]).problems if "not read as one" in p]


def test_validate_says_which_evidence_column_is_missing(tmp_path, capsys):
    """A layer with a source and no confidence column was told its "features do not say what they
    rest on" (a new user); each missing column is said for itself."""
    path = tmp_path / "kursk.gpkg"
    gpd.GeoDataFrame({"source": ["Zamulin (2011)"]}, geometry=[shapely.Point(36.6, 51.0)], crs=4326).to_file(
        path, layer="minefields")
    gpd.GeoDataFrame({"name": ["Psel"]}, geometry=[shapely.Point(36.7, 51.0)], crs=4326).to_file(
        path, layer="villages")
    assert main(["validate", str(path)]) == 0
    out = capsys.readouterr().out
    minefields = out.split("layer 'minefields'")[1].split("layer 'villages'")[0]
    assert "no confidence column: features do not say how sure their source is" in minefields
    assert "rest on" not in minefields
    villages = out.split("layer 'villages'")[1]
    assert "no source column: features do not say what they rest on" in villages
    assert "no confidence column" in villages
