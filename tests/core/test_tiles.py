"""Basemaps: tiles from a local server (cached, reused offline, failures degrade), MBTiles and
GeoPackage tiles in the right place, attribution on the map."""

from __future__ import annotations

import time

import numpy as np
import pytest
from pyproj import Transformer

from terrain_viewer.core.common.errors import DataError
from terrain_viewer.core.data import tiles
from terrain_viewer.core.data.builtin import builtin_paths
from terrain_viewer.core.model import ViewerModel
from terrain_viewer.core.render.renderer import BASEMAP, MapRenderer

SIZE = (480, 360)
RED = np.array([230, 20, 20])


@pytest.fixture(scope="module")
def hengyang() -> ViewerModel:
    return ViewerModel.open(builtin_paths())


def target_pixel(model: ViewerModel, renderer: MapRenderer, lonlat: tuple[float, float]) -> tuple[int, int]:
    x, y = Transformer.from_crs(4326, model.dataset.map_crs, always_xy=True).transform(*lonlat)
    px, py = renderer.map_to_pixel(x, y, model.view, SIZE)
    return int(py), int(px)


def red_at(rgba: np.ndarray, row: int, col: int) -> bool:
    return bool(np.abs(rgba[row, col, :3].astype(int) - RED).max() < 40)


def basemap_only(model: ViewerModel, spec: dict, wait: float = 0.0) -> tuple[np.ndarray, MapRenderer]:
    model.set_basemap(spec)
    renderer = MapRenderer(model)
    renderer.wait_for_tiles = wait
    model.set_options(legend=False, caption=False, scale_bar=False, north_arrow=False)
    try:
        return renderer.render(size=SIZE, layers={BASEMAP}), renderer
    finally:
        model.set_options(legend=True, caption=True, scale_bar=True, north_arrow=True)
        model.set_basemap(None)


def test_tiles_from_a_server_appear_in_place_are_cached_and_reused_offline(hengyang, tile_server, tmp_path,
                                                                          target_lonlat):
    rgba, renderer = basemap_only(hengyang, {"url": tile_server.url, "attribution": "Local"}, wait=20)
    row, col = target_pixel(hengyang, renderer, target_lonlat)
    assert red_at(rgba, row, col) and not red_at(rgba, 5, 5)
    assert np.abs(rgba[5, 5, :3].astype(int) - (200, 200, 205)).max() < 30  # tiles cover the view
    cached = list((tmp_path / "tile-cache").rglob("*.tile"))
    assert len(cached) == len(tile_server.requests) > 0
    tile_server.stop()  # offline from here on
    tiles.close_sources()
    again, _ = basemap_only(hengyang, {"url": tile_server.url, "attribution": "Local"}, wait=0)
    assert np.array_equal(again, rgba)  # everything came from the disk cache, no waiting


def test_render_never_waits_for_a_hanging_server(hengyang, tile_server):
    tile_server.mode = "hang"
    rgba, _ = basemap_only(hengyang, {"url": tile_server.url}, wait=0)
    deadline = time.monotonic() + 10
    while not tile_server.requests and time.monotonic() < deadline:
        time.sleep(0.02)
    assert tile_server.requests  # tiles were asked for …
    assert not tile_server.release.is_set()  # … and the render returned while the server still hangs
    assert rgba[..., :3].std() > 0  # the map itself was drawn


def test_a_headless_wait_has_one_deadline_for_all_tiles(hengyang, tile_server):
    tile_server.mode = "hang"
    start = time.monotonic()
    basemap_only(hengyang, {"url": tile_server.url}, wait=1.0)  # six tiles, a server that never answers
    assert time.monotonic() - start < 5.0  # 1 s in all (not 1 s per tile); the bound only catches a hang
    assert not tile_server.release.is_set()


@pytest.mark.parametrize("mode", ["error", "garbage"])
def test_failing_servers_degrade_to_tiles_unavailable(hengyang, tile_server, mode):
    tile_server.mode = mode
    spec = {"url": tile_server.url}
    hengyang.set_basemap(spec)
    renderer = MapRenderer(hengyang)
    renderer.wait_for_tiles = 20  # waits for the failures, then draws without tiles
    with_note = renderer.render(size=SIZE)
    hengyang.set_basemap(None)
    plain = MapRenderer(hengyang).render(size=SIZE)
    source = tiles.source_for(spec)
    assert source.failures > 0 and source.pending() == 0
    note = (slice(0, int(SIZE[1] * 0.2)), slice(int(SIZE[0] * 0.35), int(SIZE[0] * 0.65)))
    assert not np.array_equal(with_note[note], plain[note])  # "… basemap tiles unavailable", at the top
    #                                                          centre, clear of the attribution and legend


def test_mbtiles_render_in_the_right_place_with_attribution(hengyang, mbtiles_file, target_lonlat):
    rgba, renderer = basemap_only(hengyang, {"mbtiles": str(mbtiles_file)})
    row, col = target_pixel(hengyang, renderer, target_lonlat)
    assert red_at(rgba, row, col)
    assert not red_at(rgba, row, min(col + 60, SIZE[0] - 1))  # 60 px ≈ 2 km east: not red
    assert tiles.source_for({"mbtiles": str(mbtiles_file)}).attribution == "Test tiles © the tests"
    hengyang.set_basemap({"mbtiles": str(mbtiles_file), "opacity": 1.0})
    hengyang.set_options(legend=False)
    with_attr = MapRenderer(hengyang).render(size=SIZE, layers={BASEMAP})
    hengyang.set_options(legend=True)
    hengyang.set_basemap(None)
    bottom = (slice(int(SIZE[1] * 0.93), SIZE[1]), slice(int(SIZE[0] * 0.35), int(SIZE[0] * 0.75)))
    assert (with_attr[bottom][..., :3] > 240).all(axis=2).sum() > 50  # the white attribution box


def test_geopackage_tiles_render_like_the_mbtiles(hengyang, mbtiles_file, tmp_path, target_lonlat):
    import sqlite3

    import rasterio

    gpkg = tmp_path / "tiles.gpkg"
    with rasterio.open(mbtiles_file) as src:  # the MBTiles as GeoPackage tiles, by rasterio (no GDAL tools)
        profile = dict(width=src.width, height=src.height, count=src.count, dtype=src.dtypes[0], crs=src.crs,
                       transform=src.transform)
        data = src.read()
    with rasterio.open(gpkg, "w", driver="GPKG", TILING_SCHEME="GoogleMapsCompatible", **profile) as dst:
        dst.write(data)
    with sqlite3.connect(gpkg) as db:
        table = db.execute("SELECT table_name FROM gpkg_contents WHERE data_type='tiles'").fetchone()[0]
    rgba, renderer = basemap_only(hengyang, {"gpkg": str(gpkg), "table": table})
    row, col = target_pixel(hengyang, renderer, target_lonlat)
    assert red_at(rgba, row, col)


def test_bad_basemaps_are_one_line_problems(tmp_path, hengyang):
    bad = tmp_path / "bad.mbtiles"
    bad.write_bytes(b"not sqlite at all" * 100)
    with pytest.raises(DataError, match="bad.mbtiles: not an MBTiles file"):
        tiles.source_for({"mbtiles": str(bad)})
    with pytest.raises(DataError, match="unknown tile provider"):
        tiles.source_for({"provider": "No.Such.Provider"})
    with pytest.raises(DataError, match=r"needs \{z\}"):
        tiles.source_for({"url": "https://example.invalid/tiles.png"})
    with pytest.raises(DataError, match="starts with http"):
        tiles.source_for({"url": "file:///etc/{z}/{x}/{y}"})
    with pytest.raises(DataError, match="cannot fill"):
        tiles.source_for({"url": "https://example.invalid/{variant}/{z}/{x}/{y}.png"})
    hengyang.set_basemap({"mbtiles": str(bad)})
    rgba = MapRenderer(hengyang).render(size=SIZE)  # the map still draws, with a note
    hengyang.set_basemap(None)
    assert rgba.shape == (SIZE[1], SIZE[0], 4)


def test_providers_come_from_xyzservices():
    names = tiles.providers()
    assert "OpenStreetMap.Mapnik" in names and "OpenTopoMap" in names
    for name in names:  # every one offered in the dialog makes a tile source
        tiles.check_url(tiles.source_for({"provider": name}).url)
    source = tiles.source_for({"provider": "OpenStreetMap.Mapnik"})
    assert source.url.startswith("https://") and "OpenStreetMap" in source.attribution


def test_the_render_command_waits_for_the_tiles_of_a_project(tile_server, tmp_path):
    from PIL import Image

    from terrain_viewer.cli import main
    from terrain_viewer.core.project import save_project

    model = ViewerModel.open(builtin_paths())
    model.set_basemap({"url": tile_server.url, "attribution": "Local"})
    model.set_options(legend=False, caption=False, scale_bar=False, north_arrow=False)
    project = save_project(model, tmp_path / "with_tiles.tvproj")
    out = tmp_path / "map.png"
    assert main(["render", str(project), "--size", f"{SIZE[0]}x{SIZE[1]}", "--out", str(out)]) == 0
    rgba = np.asarray(Image.open(out).convert("RGBA"))
    tiled = np.abs(rgba[..., :3].astype(int) - (200, 200, 205)).max(axis=-1) < 12
    assert tile_server.requests and tiled.mean() > 0.3  # the tiles, not the gap of a render that did not wait


def test_failed_tiles_are_asked_for_again_later(hengyang, tile_server, monkeypatch):
    tile_server.mode = "error"
    spec = {"url": tile_server.url}
    first, _ = basemap_only(hengyang, spec, wait=20)
    asked = len(tile_server.requests)
    tile_server.mode = "ok"  # the network is back
    basemap_only(hengyang, spec, wait=20)
    assert len(tile_server.requests) == asked  # not at once: no hammering a failing server
    monkeypatch.setattr(tiles, "RETRY_AFTER", 0.0)  # … but after a while
    later, _ = basemap_only(hengyang, spec, wait=20)
    grey = lambda rgba: (np.abs(rgba[..., :3].astype(int) - (200, 200, 205)).max(axis=-1) < 12).mean()  # noqa: E731
    assert len(tile_server.requests) == 2 * asked and grey(later) > 0.9 > 0.1 > grey(first)


def test_tile_listeners_that_break_or_are_gone_are_dropped(tile_server):
    import gc

    class Window:
        def __init__(self) -> None:
            self.calls = 0

        def tiles_arrived(self) -> None:
            self.calls += 1

    def closed_window() -> None:
        raise RuntimeError("wrapped C/C++ object has been deleted")

    source = tiles.source_for({"url": tile_server.url})
    alive, gone = Window(), Window()
    for listener in (alive.tiles_arrived, gone.tiles_arrived, closed_window):
        source.on_tile(listener)
    del gone
    gc.collect()
    for x in range(2):  # two tiles arrive, one after the other
        source.tile(3, x, 3)
        source.wait_for([(3, x, 3)], 20)
    deadline = time.monotonic() + 10  # listeners hear of a tile just after it is at hand
    while alive.calls < 2 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert alive.calls == 2 and len(source._listeners) == 1
