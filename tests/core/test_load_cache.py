"""Datasets kept on disk between runs (``load_cache``): a second open of unchanged files gives the
same layers from the cache; any change to a file (content, size, times, its -wal), another map
CRS or a damaged entry loads the files again; files changed a moment ago are not kept."""

from __future__ import annotations

import os
from pathlib import Path

import geopandas as gpd
import pytest
import shapely

from terrain_viewer.core.common.caches import cache_root
from terrain_viewer.core.data import load_cache
from terrain_viewer.core.data.builtin import builtin_paths
from terrain_viewer.core.data.layers import open_dataset
from terrain_viewer.core.model import ViewerModel


@pytest.fixture
def cache(tmp_path, monkeypatch) -> Path:
    monkeypatch.setenv("TERRAIN_VIEWER_CACHE_DIR", str(tmp_path / "cache"))
    cache_root.cache_clear()
    yield tmp_path / "cache" / "datasets"
    cache_root.cache_clear()


def places(path: Path, names: list[str]) -> Path:
    points = [shapely.Point(112.6 + i / 100, 26.9) for i in range(len(names))]
    gdf = gpd.GeoDataFrame({"name": names}, geometry=points, crs=4326)
    gdf.to_file(path, layer="places", engine="pyogrio")
    return path


def names(paths) -> list[str]:
    return list(open_dataset(paths).layer("places").gdf["name"])


def test_the_built_in_data_comes_back_the_same_from_the_cache(cache):
    first = ViewerModel.open(builtin_paths())
    assert len(list(cache.glob("*.pickle"))) == 1
    again = ViewerModel.open(builtin_paths())
    assert [layer.name for layer in again.dataset.layers] == [layer.name for layer in first.dataset.layers]
    for a, b in zip(first.dataset.layers, again.dataset.layers, strict=True):
        assert a.gdf.geometry.geom_equals_exact(b.gdf.geometry, 0).all() and a.role == b.role
        assert list(a.gdf.columns) == list(b.gdf.columns)
    assert again.dataset.map_crs == first.dataset.map_crs and again.time.start == first.time.start
    assert (again.dataset.rasters[0].data == first.dataset.rasters[0].data).all()
    assert again.dataset.problems == first.dataset.problems


def test_a_file_changed_since_is_read_again(cache, tmp_path, monkeypatch):
    monkeypatch.setattr(load_cache, "RACY_S", 0.0)
    path = places(tmp_path / "p.gpkg", ["Yanwuping", "Zhangjiashan"])
    assert names([path]) == ["Yanwuping", "Zhangjiashan"]
    assert names([path]) == ["Yanwuping", "Zhangjiashan"] and len(list(cache.glob("*.pickle"))) == 1
    stat = path.stat()
    places(path, ["Yanwuping", "Zhangjiashan 张家山"])  # another size
    assert names([path]) == ["Yanwuping", "Zhangjiashan 张家山"]
    places(path, ["Yanwuping", "Zhangjiashan 虎形巢"])  # the same size, the old modification time
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert names([path]) == ["Yanwuping", "Zhangjiashan 虎形巢"]
    wal = path.with_name(path.name + "-wal")
    wal.write_bytes(b"")  # QGIS wrote to the GeoPackage's log only: not trusted as unchanged
    before = load_cache.entry([path], None)
    wal.write_bytes(b"x" * 10)
    assert load_cache.entry([path], None) != before


def test_another_map_crs_or_spelling_is_another_entry(cache, tmp_path, monkeypatch):
    monkeypatch.setattr(load_cache, "RACY_S", 0.0)
    path = places(tmp_path / "p.gpkg", ["Yanwuping"])
    utm = open_dataset([path], "EPSG:32649")
    assert open_dataset([path]).map_crs == utm.map_crs  # the UTM zone it picks
    assert str(open_dataset([path], "EPSG:3857").map_crs) == "EPSG:3857"
    monkeypatch.chdir(tmp_path)
    assert open_dataset(["p.gpkg"]).layers[0].path == Path("p.gpkg")  # as the person gave it
    assert len(list(cache.glob("*.pickle"))) == 4  # 32649 asked, none asked, 3857, "p.gpkg"


def test_files_changed_a_moment_ago_are_not_kept(cache, tmp_path):
    path = places(tmp_path / "p.gpkg", ["Yanwuping"])
    assert names([path]) == ["Yanwuping"]
    assert not cache.exists() or not list(cache.glob("*.pickle"))


def test_a_damaged_entry_is_loaded_again_and_replaced(cache, tmp_path, monkeypatch):
    monkeypatch.setattr(load_cache, "RACY_S", 0.0)
    path = places(tmp_path / "p.gpkg", ["Yanwuping"])
    names([path])
    (entry,) = cache.glob("*.pickle")
    entry.write_bytes(entry.read_bytes()[:1000])  # truncated
    assert names([path]) == ["Yanwuping"]
    assert entry.stat().st_size > 1000


def test_the_cache_can_be_turned_off(tmp_path, monkeypatch):
    monkeypatch.setenv("TERRAIN_VIEWER_CACHE_DIR", "off")
    monkeypatch.setattr(load_cache, "RACY_S", 0.0)
    cache_root.cache_clear()
    try:
        path = places(tmp_path / "p.gpkg", ["Yanwuping"])
        assert names([path]) == ["Yanwuping"] and load_cache.entry([path], None) is None
    finally:
        cache_root.cache_clear()


def test_only_the_last_entries_are_kept(cache, tmp_path, monkeypatch):
    monkeypatch.setattr(load_cache, "RACY_S", 0.0)
    monkeypatch.setattr(load_cache, "KEEP", 2)
    for k in range(4):
        names([places(tmp_path / f"p{k}.gpkg", ["Yanwuping"])])
    assert len(list(cache.glob("*.pickle"))) == 2


def test_a_write_cut_short_is_removed_and_never_counts_among_the_entries(cache, tmp_path, monkeypatch):
    """A hidden partial pickle is never counted as an entry (one being written pushed a real entry
    out), and goes once a minute old (its process ended mid-write)."""
    monkeypatch.setattr(load_cache, "RACY_S", 0.0)
    monkeypatch.setattr(load_cache, "KEEP", 2)
    names([places(tmp_path / "p0.gpkg", ["Yanwuping"])])
    cut, writing = cache / ".x.partial-1-abc.pickle", cache / ".y.partial-2-def.pickle"
    cut.write_bytes(b"cut")
    os.utime(cut, (1000, 1000))
    for k in range(1, 3):
        names([places(tmp_path / f"p{k}.gpkg", ["Yanwuping"])])
        writing.write_bytes(b"still being written")  # the newest file in the folder
    assert not cut.exists() and writing.exists()
    assert len([p for p in cache.glob("*.pickle") if not p.name.startswith(".")]) == 2


def test_a_file_gdal_reads_beside_it_is_part_of_what_is_kept(cache, tmp_path, monkeypatch):
    """A shapefile whose Cyrillic names read wrong until its ``.cpg`` is added, and a scanned map
    moved by editing its world file: both are read again (a new user found the old names and the
    old place served from the cache)."""
    monkeypatch.setattr(load_cache, "RACY_S", 0.0)
    shp = tmp_path / "battle.shp"
    gpd.GeoDataFrame({"name": ["Прохоровка"]}, geometry=[shapely.Point(36.5, 51.0)], crs=4326).to_file(
        shp, engine="pyogrio", encoding="cp1251")
    shp.with_suffix(".cpg").unlink(missing_ok=True)
    assert open_dataset([shp]).layers[0].gdf["name"].iloc[0] != "Прохоровка"  # no code page: misread
    shp.with_suffix(".cpg").write_text("1251")
    assert open_dataset([shp]).layers[0].gdf["name"].iloc[0] == "Прохоровка"
    from PIL import Image

    scan = tmp_path / "map1944.png"
    Image.new("RGB", (40, 40), "white").save(scan)
    world = scan.with_suffix(".pgw")
    world.write_text("0.001\n0\n0\n-0.001\n112.55\n26.95\n")
    scan.with_suffix(".prj").write_text(pyproj_wkt())
    west = open_dataset([scan]).rasters[0].extent
    world.write_text("0.001\n0\n0\n-0.001\n112.60\n26.95\n")  # 0.05° east
    east = open_dataset([scan]).rasters[0].extent
    assert east[0] - west[0] > 4000  # metres, in the UTM zone


def pyproj_wkt() -> str:
    from pyproj import CRS

    return CRS.from_epsg(4326).to_wkt("WKT1_ESRI")


def test_a_folder_or_a_vrt_is_never_kept(cache, tmp_path, monkeypatch):
    monkeypatch.setattr(load_cache, "RACY_S", 0.0)
    (tmp_path / "b.gdb").mkdir()
    vrt = tmp_path / "layers.vrt"
    vrt.write_text("<OGRVRTDataSource/>")
    assert load_cache.entry([tmp_path / "b.gdb"], None) is None
    assert load_cache.entry([vrt], None) is None
    assert load_cache.entry([places(tmp_path / "p.gpkg", ["Yanwuping"])], None) is not None


def test_a_session_whose_pickle_is_too_large_is_not_kept(cache, tmp_path, monkeypatch):
    monkeypatch.setattr(load_cache, "RACY_S", 0.0)
    monkeypatch.setattr(load_cache, "MAX_PICKLE", 2_000)  # a pickle of 200 places: ~15 KB
    path = places(tmp_path / "p.gpkg", [f"Place {i}" for i in range(200)])
    assert len(names([path])) == 200
    assert not cache.exists() or not list(cache.glob("*.pickle"))
