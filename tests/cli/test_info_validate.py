"""`terrain-viewer info` and `validate` on real files, through the CLI entry point."""

from terrain_viewer.cli import main


def test_info_lists_layers_roles_and_time_extent(small_gpkg, capsys):
    assert main(["info", str(small_gpkg)]) == 0
    out = capsys.readouterr().out
    assert "units" in out and "keyframes" in out
    assert "time extent 1944-06-23..1944-07-01T06:00; animation 1944-06-23..1944-06-30" in out


def test_validate_passes_clean_data_and_fails_bad_dates(small_gpkg, tmp_path, capsys):
    import geopandas as gpd
    import shapely

    assert main(["validate", str(small_gpkg)]) == 0
    bad = tmp_path / "bad.gpkg"
    gpd.GeoDataFrame(
        {"start_date": ["1944-07-02", "yesterday"], "end_date": ["1944-07-01", None],
         "source": ["x", "x"], "confidence": ["low", "low"]},
        geometry=shapely.points([112.6, 112.6], [26.9, 26.9]), crs=4326,
    ).to_file(bad, layer="events")
    assert main(["validate", str(bad)]) == 1
    out = capsys.readouterr().out
    assert "unreadable date" in out and "end_date before start_date" in out
    assert "Traceback" not in out and out.strip().endswith("2 errors")
    gpd.GeoDataFrame({"start_date": ["yesterday"], "source": ["x"], "confidence": ["low"]},
                     geometry=shapely.points([112.6], [26.9]), crs=4326).to_file(bad, layer="events")
    assert main(["validate", str(bad)]) == 1
    assert capsys.readouterr().out.strip().endswith("\n1 error")


def test_a_timed_start_with_a_date_only_end_that_day_is_not_backwards(tmp_path, capsys):
    import geopandas as gpd
    import shapely

    path = tmp_path / "events.gpkg"
    gpd.GeoDataFrame(
        {"start_date": ["1944-08-06T03:00"], "end_date": ["1944-08-06"], "source": ["x"],
         "confidence": ["low"]},
        geometry=shapely.points([112.6], [26.9]), crs=4326,
    ).to_file(path, layer="events")
    assert main(["validate", str(path)]) == 0, capsys.readouterr().out


def test_info_on_a_missing_file_is_one_line_and_nonzero(tmp_path, capsys):
    missing = tmp_path / "nope.gpkg"
    assert main(["info", str(missing)]) == 3  # bad input
    err = capsys.readouterr().err
    assert f"{missing}: file not found" in err


def test_validate_skips_a_qgis_style_table_with_a_note_and_exits_0(tmp_path, capsys):
    import sqlite3

    import geopandas as gpd
    import shapely

    path = tmp_path / "styled.gpkg"
    gpd.GeoDataFrame({"source": ["x"], "confidence": ["low"]}, geometry=[shapely.Point(112.6, 26.9)],
                     crs=4326).to_file(path, layer="positions")
    with sqlite3.connect(path) as db:  # as QGIS saves a style into the GeoPackage
        db.execute("CREATE TABLE layer_styles (id INTEGER PRIMARY KEY, f_table_name TEXT, styleQML TEXT)")
        db.execute("INSERT INTO layer_styles VALUES (1, 'positions', '<qgis/>')")
        db.execute("INSERT INTO gpkg_contents (table_name, data_type, identifier) "
                   "VALUES ('layer_styles', 'attributes', 'layer_styles')")
    db.close()
    assert main(["validate", str(path)]) == 0
    out = capsys.readouterr().out
    assert "0 errors" in out and "no geometry column" not in out


def test_info_on_a_fifo_is_one_line_and_nonzero(tmp_path, capsys):
    import os

    fifo = tmp_path / "pipe.gpkg"
    os.mkfifo(fifo)
    assert main(["info", str(fifo)]) != 0  # returns at once: the FIFO is never opened
    err = capsys.readouterr().err
    assert f"{fifo}: not a regular file" in err and len(err.strip().splitlines()) == 1


def test_info_gives_a_rasters_own_size_and_crs(tmp_path, capsys):
    """A 1100x780 scan in UTM 49N was reported as 'raster image 1098x811x3' with no CRS (the grid
    it is warped to). Found by a second new-user test."""
    import json

    import numpy as np
    import rasterio
    from rasterio.transform import from_origin

    path = tmp_path / "scan_utm.tif"
    with rasterio.open(path, "w", driver="GTiff", width=1100, height=780, count=3, dtype="uint8",
                       crs="EPSG:32649", transform=from_origin(650000, 2985000, 10, 10)) as dst:
        dst.write(np.zeros((3, 780, 1100), np.uint8) + 90)
    assert main(["info", str(path)]) == 0
    assert "1100x780x3 cells  EPSG:32649" in capsys.readouterr().out
    assert main(["info", "--json", str(path)]) == 0
    (described,) = json.loads(capsys.readouterr().out)["files"]
    (raster,) = described["rasters"]
    assert (raster["width"], raster["height"], raster["crs"]) == (1100, 780, "EPSG:32649")
    assert described["map_crs"] == "EPSG:32649"  # a scan alone is drawn in its UTM zone (was web
    assert raster["map_grid"] == [1100, 780]  #     mercator, its grid warped to 1108x796)


def test_info_columns_line_up_after_a_chinese_layer_name(tmp_path):
    """A layer named in Chinese pushed the geometry and count columns 4 columns right: the names
    were padded by characters, and a CJK character takes two terminal columns. Found by a new user."""
    import os
    import subprocess
    import sys
    import unicodedata
    from pathlib import Path

    import geopandas as gpd
    import shapely

    def width(text: str) -> int:  # terminal columns (no combining marks in these names)
        return sum(2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1 for ch in text)

    path = tmp_path / "mixed.gpkg"
    for name in ("部队位置", "positions"):
        gpd.GeoDataFrame({"source": ["x"], "confidence": ["low"]}, geometry=[shapely.Point(112.6, 26.9)],
                         crs=4326).to_file(path, layer=name, engine="pyogrio")
    repo = Path(__file__).resolve().parents[2]
    done = subprocess.run([sys.executable, "-m", "terrain_viewer.cli", "info", str(path)], cwd=tmp_path,
                          capture_output=True, timeout=120,
                          env={**os.environ, "PYTHONPATH": str(repo), "PYTHONIOENCODING": "utf-8"})
    assert done.returncode == 0, done.stderr.decode("utf-8", "replace")
    rows = {}
    for line in done.stdout.decode("utf-8").splitlines():
        for name in ("部队位置", "positions"):
            if line.startswith(f"  {name} "):
                after = line[2 + len(name):]
                gap = len(after) - len(after.lstrip())
                rows[name] = (2 + width(name) + gap, width(line[:line.index(" feature")]))
    assert set(rows) == {"部队位置", "positions"}, done.stdout.decode("utf-8")
    # the geometry type, and the count after it, start and end at the same column in both rows
    assert rows["部队位置"] == rows["positions"], rows


def test_display_width_counts_wide_characters_twice():
    from terrain_viewer.cli.common import display_width, pad

    assert display_width("部队位置") == 8 and display_width("units") == 5
    assert display_width("ｕｎｉｔ") == 8 and display_width("cafe\u0301") == 4  # fullwidth; combining
    assert pad("部队", 6) == "部队  " and pad("a long name", 4) == "a long name"


ONE_POINT_LINE = """{"type": "FeatureCollection", "features": [
{"type": "Feature", "properties": {"name": "bad", "source": "x", "confidence": "low"},
 "geometry": {"type": "LineString", "coordinates": [[112.6, 26.9]]}},
{"type": "Feature", "properties": {"name": "good", "source": "x", "confidence": "low"},
 "geometry": {"type": "LineString", "coordinates": [[112.6, 26.9], [112.62, 26.91]]}}]}"""


def test_a_line_of_one_point_is_skipped_with_a_line_naming_the_file_and_the_rest_is_read(
        small_gpkg, tmp_path, capsys):
    """GEOS cannot make a line of one point: validate named no file and stopped with 'unexpected
    error'; the window dropped the whole file."""
    bad = tmp_path / "one point.geojson"
    bad.write_text(ONE_POINT_LINE, encoding="utf-8")
    assert main(["validate", str(bad), str(small_gpkg)]) == 1
    out = capsys.readouterr().out
    assert "one point.geojson" in out and "1 feature skipped: geometry that cannot be read" in out
    assert str(small_gpkg.name) in out and "unexpected" not in out  # the next file is checked too
    assert main(["info", str(bad)]) == 0
    captured = capsys.readouterr()
    assert "1 feature " in captured.out and "one point.geojson" in captured.err

    from terrain_viewer.core.data.layers import open_dataset

    layer = open_dataset([bad]).layers[0]
    assert list(layer.gdf["name"]) == ["good"]


def test_a_year_or_a_month_is_a_date_covering_that_year_or_month(tmp_path, capsys):
    """start_date '1944' was "unparseable (not ISO 8601)" and its features hidden; ISO 8601 allows
    a year and a year-month. Found by a new user (historians often know only the year)."""
    import datetime as dt

    import geopandas as gpd
    import shapely

    from terrain_viewer.core.data.layers import open_dataset
    from terrain_viewer.core.temporal.timeline import day_number

    path = tmp_path / "years.gpkg"
    posts = {"name": ["garrison", "depot"], "start_date": ["1944", "1944-07"],
             "end_date": ["1944", "1944-07"], "source": ["x", "x"], "confidence": ["low", "low"]}
    points = shapely.points([112.6, 112.61], [26.9, 26.91])
    gpd.GeoDataFrame(posts, geometry=points, crs=4326).to_file(path, layer="posts")
    assert main(["validate", str(path)]) == 0, capsys.readouterr().out
    layer = open_dataset([path]).layer("posts")

    def names_on(day: dt.date) -> list[str]:
        return sorted(layer.features_at(day_number(day) + 0.5)["name"])

    assert names_on(dt.date(1944, 1, 1)) == ["garrison"]
    assert names_on(dt.date(1944, 7, 1)) == names_on(dt.date(1944, 7, 31)) == ["depot", "garrison"]
    assert names_on(dt.date(1944, 8, 1)) == names_on(dt.date(1944, 12, 31)) == ["garrison"]
    assert names_on(dt.date(1945, 1, 1)) == []
