"""Bounded costs (docs/limits.md): raster bands and cells, no network from data files, layer sizes,
and the map CRS of data across the antimeridian."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import rasterio
import shapely
from affine import Affine
from pyproj import CRS

from terrain_viewer.core.data import layers, raster, readers
from terrain_viewer.core.data.layers import open_dataset

pytestmark = pytest.mark.usefixtures("no_dataset_cache")  # they count or limit reads


@pytest.fixture
def good(tmp_path: Path) -> Path:
    path = tmp_path / "good.gpkg"
    gpd.GeoDataFrame({"name": ["a", "b"]}, geometry=shapely.points([112.6, 112.62], [26.9, 26.9]),
                     crs=4326).to_file(path, layer="ok", engine="pyogrio")
    return path


def _tif(path: Path, size: int = 200) -> Path:
    with rasterio.open(path, "w", driver="GTiff", width=size, height=size, count=1, dtype="uint8",
                       crs="EPSG:4326", transform=Affine(0.0001, 0, 112.6, 0, -0.0001, 26.9)) as dst:
        dst.write(np.full((1, size, size), 120, np.uint8))
    return path


def _vrt(path: Path, bands: int, size: int, source: str) -> Path:
    band = ('<VRTRasterBand dataType="Byte" band="{i}"><SimpleSource><SourceFilename relativeToVRT="{rel}">'
            '{src}</SourceFilename><SourceBand>1</SourceBand></SimpleSource></VRTRasterBand>')
    rel = "0" if "://" in source else "1"
    body = "".join(band.format(i=i, rel=rel, src=source) for i in range(1, bands + 1))
    path.write_text(f'<VRTDataset rasterXSize="{size}" rasterYSize="{size}"><SRS>EPSG:4326</SRS>'
                    f"<GeoTransform>112.6, 0.0001, 0, 26.9, 0, -0.0001</GeoTransform>{body}</VRTDataset>")
    return path


def test_a_many_band_vrt_reads_four_bands_on_a_bounded_grid(tmp_path, good, monkeypatch):
    _tif(tmp_path / "band.tif")
    vrt = _vrt(tmp_path / "forty.vrt", 40, 200, "band.tif")
    monkeypatch.setattr(raster, "MAX_VALUES", 20_000)
    ds = open_dataset([good, vrt])
    (scan,) = ds.rasters
    assert scan.data.shape[0] == 4 and scan.data.size <= 20_000
    assert "coarser" in scan.tags["note"] and [layer.name for layer in ds.layers] == ["ok"]


@pytest.mark.parametrize("source", ["/vsicurl/http://example.invalid/dem.tif", "https://example.invalid/d.tif"])
def test_a_vrt_that_names_the_network_is_refused_unread(tmp_path, good, source):
    vrt = _vrt(tmp_path / "remote.vrt", 1, 10, source)
    ds = open_dataset([good, vrt])
    assert [layer.name for layer in ds.layers] == ["ok"] and ds.rasters == []
    assert len(ds.problems) == 1 and ds.problems[0].startswith(str(vrt)) and "network" in ds.problems[0]


def test_layers_above_the_feature_and_vertex_limits_are_refused(tmp_path, good, monkeypatch):
    big = tmp_path / "big.gpkg"
    gpd.GeoDataFrame(geometry=shapely.points(np.linspace(112.5, 112.7, 50), np.full(50, 26.9)),
                     crs=4326).to_file(big, layer="many_points", engine="pyogrio")
    line = shapely.linestrings(np.linspace(112.5, 112.7, 400), np.full(400, 26.95))
    gpd.GeoDataFrame(geometry=[line], crs=4326).to_file(big, layer="long_line", engine="pyogrio")
    monkeypatch.setattr(readers, "MAX_FEATURES", 20)
    monkeypatch.setattr(layers, "MAX_VERTICES", 300)
    ds = open_dataset([big, good])
    assert [layer.name for layer in ds.layers] == ["ok"]
    text = " | ".join(ds.problems)
    assert "layer 'many_points': 50 features; the limit is 20" in text
    assert "layer 'long_line': 400 vertices; the limit is 300" in text


def test_data_across_the_antimeridian_gets_the_utm_zone_where_it_is(tmp_path):
    fiji = tmp_path / "fiji.gpkg"
    lons = [178.4, 179.2, 179.9, -179.9, -179.3, -178.6]
    points = shapely.points(lons, np.full(6, -17.0))
    gpd.GeoDataFrame(geometry=points, crs=4326).to_file(fiji, engine="pyogrio")
    ds = open_dataset([fiji])
    assert ds.map_crs.to_epsg() in (32760, 32701)  # zones 60S / 1S, not 31S at 0° longitude
    x0, _, x1, _ = ds.bounds
    assert x1 - x0 < 500_000  # a few hundred km wide, not the whole world


def test_the_map_crs_of_hengyang_is_still_utm_49n(good):
    assert open_dataset([good]).map_crs == CRS.from_epsg(32649)
