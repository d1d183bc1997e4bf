"""`render` stills for researchers: PNG text metadata, a world file and .prj, or a GeoTIFF, all placed
where the map says."""

from __future__ import annotations

import pytest
import rasterio
from PIL import Image
from pyproj import Transformer

from terrain_viewer.cli import main

HUIYAN_PEAK = (112.6092, 26.8910)  # in the gazetteer; the map of the built-in data covers it


def test_a_png_says_what_and_when_it_shows_and_a_world_file_places_it(tmp_path, capsys):
    out = tmp_path / "still.png"
    args = ["render", "--date", "1944-07-11", "--size", "640x360", "--world-file", "--out", str(out)]
    assert main(args) == 0
    assert (tmp_path / "still.pgw").is_file() and (tmp_path / "still.prj").is_file()
    text = Image.open(out).text
    assert text["Date"].startswith("11 July 1944") and "Battle of Hengyang article" in text["Source"]
    with rasterio.open(out) as png:  # GDAL reads the world file and the CRS in the .aux.xml
        assert png.crs.to_epsg() == 32649
        x, y = Transformer.from_crs(4326, 32649, always_xy=True).transform(*HUIYAN_PEAK)
        left, bottom, right, top = png.bounds
        assert left < x < right and bottom < y < top
        assert png.res[0] == pytest.approx(png.res[1])


def test_a_geotiff_and_a_world_filed_png_of_the_same_frame_lie_in_the_same_place(tmp_path):
    png, tif = tmp_path / "a.png", tmp_path / "a.tif"
    args = ["render", "--date", "1944-07-11", "--size", "640x360"]
    assert main([*args, "--world-file", "--out", str(png)]) == 0
    assert main([*args, "--out", str(tif)]) == 0
    with rasterio.open(png) as a, rasterio.open(tif) as b:
        assert b.count == 4 and b.crs == a.crs
        assert list(b.bounds) == pytest.approx(list(a.bounds), abs=1e-3)
        assert b.tags()["DATE"].startswith("11 July 1944")


def test_an_existing_world_file_is_not_replaced_without_overwrite(tmp_path, capsys):
    out = tmp_path / "still.png"
    (tmp_path / "still.pgw").write_text("mine\n")
    assert main(["render", "--size", "320x180", "--world-file", "--out", str(out)]) == 2
    assert (tmp_path / "still.pgw").read_text() == "mine\n" and not out.exists()
    assert "still.pgw" in capsys.readouterr().err
