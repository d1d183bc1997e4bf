"""Tile limits (docs/limits.md): zoom levels, tile sizes, URL templates, attributions, the disk
cache's size and freshness, GCJ-02 providers, and sources that shut their threads down."""

from __future__ import annotations

import io
import os
import sqlite3
import threading
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from pyproj import CRS

from terrain_viewer.core.common.errors import DataError
from terrain_viewer.core.data import tiles
from terrain_viewer.core.data.tilecache import DiskCache, freshness
from terrain_viewer.core.render import basemap


def _png(size: int, colour=(200, 30, 30, 255)) -> bytes:
    out = io.BytesIO()
    Image.new("RGBA", (size, size), colour).save(out, "PNG")
    return out.getvalue()


def _mbtiles(path: Path, zooms: list, attribution: str = "") -> Path:
    with sqlite3.connect(path) as db:
        db.executescript("CREATE TABLE metadata (name text, value text);"
                         "CREATE TABLE tiles (zoom_level integer, tile_column integer, tile_row integer, "
                         "tile_data blob);")
        db.execute("INSERT INTO metadata VALUES ('attribution', ?)", (attribution,))
        for z in zooms:
            db.execute("INSERT INTO tiles VALUES (?, 0, 0, ?)", (z, _png(256)))
    db.close()
    return path


@pytest.mark.parametrize("zoom", [30, 99, -1, "ten", 2.5])
def test_mbtiles_zoom_levels_outside_0_to_24_are_one_line(tmp_path, zoom):
    path = _mbtiles(tmp_path / f"z{zoom}.mbtiles", [3, zoom])
    with pytest.raises(DataError, match=r"z.*\.mbtiles: .*zoom level .* from 0 to 24") as err:
        tiles.MBTilesSource(path)
    assert "\n" not in str(err.value)


def test_a_source_whose_lowest_zoom_is_too_fine_for_the_view_asks_for_nothing(tmp_path):
    path = _mbtiles(tmp_path / "fine.mbtiles", [22, 24])
    view = (-5e6, -5e6, 5e6, 5e6)  # a continent in web mercator
    image = basemap.basemap_image({"mbtiles": str(path)}, view, (320, 240), CRS.from_epsg(3857))
    assert image.rgba.shape == (240, 320, 4) and not image.rgba.any()


def test_tiles_that_are_not_256_pixels_are_refused_from_their_header():
    assert tiles.decode_png(_png(256)).shape == (256, 256, 4)
    assert tiles.decode_png(_png(2048)) is None
    assert tiles.decode_png(_bomb(60000, 60000)) is None  # 3.6 gigapixels announced in a few bytes


def _bomb(width: int, height: int) -> bytes:
    """A PNG whose header announces ``width`` x ``height`` pixels (1-bit) with one row of data."""
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    row = zlib.compress(b"\0" * (1 + width // 8))
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", row) + chunk(b"IEND", b"")


@pytest.mark.parametrize("url", ["https://t.invalid/{z}/{x:>200000000}/{y}.png", "https://t.invalid/{z.foo}/{x}/{y}",
                                 "https://t.invalid/{z}/{x}/{y}/{0}", "https://t.invalid/{z}/{x}/{y}{"])
def test_url_templates_accept_only_the_plain_placeholders(url):
    with pytest.raises(DataError, match="cannot fill"):
        tiles.check_url(url)


def test_tms_rows_and_subdomains_fill_in():
    assert tiles.tile_url("https://{s}.t.invalid/{z}/{x}/{-y}.png{r}", 3, 2, 1) == "https://a.t.invalid/3/2/6.png"


def test_attributions_are_plain_text(tmp_path):
    html = '<a href="https://osm.org">&copy; OSM</a>\n<script>x</script>'
    path = _mbtiles(tmp_path / "a.mbtiles", [3], html)
    assert tiles.MBTilesSource(path).attribution == "© OSM x"


def test_the_disk_cache_drops_least_recently_used_tiles_above_its_cap(tmp_path):
    cache = DiskCache(tmp_path, "src", cap_bytes=10_000)
    for i in range(8):
        cache.write((5, i, 0), bytes(2_000), {})
        os.utime(cache.path((5, i, 0)), (1000 + i, 1000 + i))
    cache.read((5, 0, 0))  # used now: kept
    freed = cache.prune()
    kept = sorted(int(p.parent.name) for p in tmp_path.rglob("*.tile"))
    assert freed > 0 and sum(p.stat().st_size for p in tmp_path.rglob("*.tile")) <= 9_000
    assert 0 in kept and 1 not in kept


def test_the_disk_cache_honours_cache_control_and_expires(tmp_path):
    now = time.time()
    assert freshness({"Cache-Control": "public, max-age=600"}, now) == now + 600
    assert freshness({"Cache-Control": "no-store"}, now) is None
    assert freshness({"Expires": "Thu, 01 Dec 1994 16:00:00 GMT"}, now) < now
    cache = DiskCache(tmp_path, "src")
    cache.write((1, 0, 0), b"x", {"Cache-Control": "max-age=0"})
    cache.write((1, 1, 0), b"y", {"Cache-Control": "max-age=3600"})
    cache.write((1, 1, 1), b"z", {"Cache-Control": "no-store"})
    assert cache.read((1, 0, 0)) == (b"x", True) and cache.read((1, 1, 0)) == (b"y", False)
    assert cache.read((1, 1, 1)) == (None, False)


def test_gcj02_providers_are_hidden_and_refused():
    assert not [name for name in tiles.providers() if name.startswith("Gaode")]
    assert "OpenStreetMap.Mapnik" in tiles.providers()
    with pytest.raises(DataError, match="GCJ-02"):
        tiles.source_for({"provider": "Gaode.Normal"})


def test_a_source_owns_its_download_threads_and_closes_them(tmp_path, monkeypatch):
    monkeypatch.delenv("TERRAIN_VIEWER_OFFLINE", raising=False)
    source = tiles.XyzSource("http://127.0.0.1:9/{z}/{x}/{y}.png", "nowhere", cache_dir=tmp_path, timeout=0.5)
    assert not [t for t in threading.enumerate() if t.name.startswith("tiles")]  # none before a download
    assert source.tile(1, 0, 0) is None
    source.wait_for([(1, 0, 0)], 5)
    assert source.failures == 1
    source.close()
    deadline = time.monotonic() + 5
    while [t for t in threading.enumerate() if t.name.startswith("tiles")] and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not [t for t in threading.enumerate() if t.name.startswith("tiles")]
    registry = tiles.TileSources()
    first = registry.get({"mbtiles": str(_mbtiles(tmp_path / "r.mbtiles", [3]))})
    assert registry.get({"mbtiles": str(tmp_path / "r.mbtiles")}) is first
    registry.close()
    assert np.asarray(first.tile(3, 0, 7)).shape == (256, 256, 4)  # usable again after close
