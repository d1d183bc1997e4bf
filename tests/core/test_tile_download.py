"""Saving tiles for offline use (core): counting before fetching, the rate limiter, TMS rows read back
by the viewer's MBTiles reader, resuming, stopping on 429, refusals (offline, OSM, GCJ-02, zooms)."""

from __future__ import annotations

import math
import sqlite3
import time
from pathlib import Path

import numpy as np
import pytest

from terrain_viewer.core.common.errors import DataError
from terrain_viewer.core.data import tile_download as td
from terrain_viewer.core.data.tileformat import decode_png
from terrain_viewer.core.data.tiles import USER_AGENT, MBTilesSource

SMALL = (112.58, 26.87, 112.64, 26.91)  # around the red target of the test tiles


def centre(z: int, x: int, y: int) -> tuple[float, float]:
    """The lon/lat of a tile's centre."""
    n = 1 << z
    lon = (x + 0.5) / n * 360 - 180
    lat = math.degrees(math.atan(math.sinh(math.pi * (1 - 2 * (y + 0.5) / n))))
    return lon, lat


def bbox_of_tiles(z: int, x0: int, y0: int, x1: int, y1: int) -> td.BBox:
    """A lon/lat box from the centre of tile (x0, y0) to the centre of tile (x1, y1)."""
    (w, n), (e, s) = centre(z, x0, y0), centre(z, x1, y1)
    return w, s, e, n


def refuse_after(tile_server, monkeypatch, served: int, code: int) -> None:
    """The local server answers ``code`` once it has served ``served`` tiles."""
    base = tile_server.httpd.RequestHandlerClass

    class Refusing(base):
        def do_GET(self) -> None:  # noqa: N802 (http.server name)
            if len(tile_server.requests) >= served:
                tile_server.requests.append(self.path)
                self.send_error(code)
                return
            super().do_GET()

    monkeypatch.setattr(tile_server.httpd, "RequestHandlerClass", Refusing)


def test_tiles_are_counted_before_they_are_listed():
    for zooms in ((0, 0), (10, 12), (14, 16)):
        assert td.count_tiles(SMALL, *zooms) == len(list(td.tiles_in(SMALL, *zooms)))
    assert td.count_tiles((-180, -85, 180, 85), 0, 2) == 1 + 4 + 16
    assert td.count_tiles(bbox_of_tiles(12, 3328, 1729, 3332, 1730), 12, 12) == 10
    assert td.count_tiles((-170, -80, 170, 80), 20, 24) > 10**12  # counted, not listed


def test_the_rate_limiter_spaces_requests():
    now, slept = [100.0], []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        now[0] += seconds

    limiter = td.RateLimiter(4.0, clock=lambda: now[0], sleep=sleep)
    starts = []
    for _ in range(5):
        limiter.wait()
        starts.append(now[0])
        now[0] += 0.05  # a quick request
    assert np.allclose(np.diff(starts), 0.25)
    now[0] += 10  # a pause: no sleeping to catch up, and no burst after it
    limiter.wait()
    assert len(slept) == 4
    for bad in (0, -1, math.nan, td.MAX_RATE * 2):
        with pytest.raises(DataError, match="rate"):
            td.RateLimiter(bad)


def test_download_writes_tms_rows_the_viewer_reads_back(tile_server, tmp_path: Path):
    svc = td.service(url=tile_server.url, attribution="<b>Local</b> &copy; tests")
    out = tmp_path / "area.mbtiles"
    seen = []
    result = td.download(svc, SMALL, (10, 12), out, rate=10, progress=lambda *a: seen.append(a))
    n = td.count_tiles(SMALL, 10, 12)
    assert result.fetched == n == len(tile_server.requests) == len(seen) and seen[-1][:2] == (n, n)
    source = MBTilesSource(out)
    assert (source.min_zoom, source.max_zoom, source.attribution) == (10, 12, "Local © tests")
    for z, x, y in td.tiles_in(SMALL, 10, 12):
        from_server = decode_png(tile_server_tile(tile_server, z, x, y))
        assert np.array_equal(source.tile(z, x, y), from_server)
    with sqlite3.connect(out) as db:
        meta = dict(db.execute("SELECT name, value FROM metadata"))
        rows = {r for (r,) in db.execute("SELECT tile_row FROM tiles WHERE zoom_level = 12")}
    assert meta["format"] == "png" and (meta["minzoom"], meta["maxzoom"]) == ("10", "12")
    assert [float(v) for v in meta["bounds"].split(",")] == pytest.approx(SMALL)
    ys = {y for z, _x, y in td.tiles_in(SMALL, 12, 12)}
    assert rows == {(1 << 12) - 1 - y for y in ys}  # TMS: counted from the bottom
    assert [p.name for p in tmp_path.iterdir()] == ["area.mbtiles"]  # no partial left


def tile_server_tile(tile_server, z: int, x: int, y: int) -> bytes:
    import urllib.request

    url = tile_server.url.format(z=z, x=x, y=y)
    with urllib.request.urlopen(urllib.request.Request(url, headers={"User-Agent": USER_AGENT})) as r:
        return r.read()


def test_ten_tiles_at_five_a_second_take_nearly_two_seconds(tile_server, tmp_path: Path):
    svc = td.service(url=tile_server.url)
    bbox = bbox_of_tiles(12, 3328, 1729, 3332, 1730)
    start = time.monotonic()
    result = td.download(svc, bbox, (12, 12), tmp_path / "ten.mbtiles", rate=5)
    elapsed = time.monotonic() - start
    assert result.fetched == len(tile_server.requests) == 10
    assert elapsed >= 1.7  # nine gaps of 0.2 s: the limiter's behaviour, not a speed figure


def test_resume_fetches_only_the_tiles_the_file_lacks(tile_server, tmp_path: Path):
    svc = td.service(url=tile_server.url, attribution="Local")
    out = tmp_path / "area.mbtiles"
    td.download(svc, SMALL, (10, 11), out, rate=10)
    first = len(tile_server.requests)
    result = td.download(svc, SMALL, (10, 12), out, rate=10, resume=True)
    assert result.skipped == first and result.fetched == td.count_tiles(SMALL, 12, 12)
    assert len(tile_server.requests) == first + result.fetched  # nothing asked twice
    assert (MBTilesSource(out).min_zoom, MBTilesSource(out).max_zoom) == (10, 12)


def test_a_server_saying_429_stops_the_run_and_writes_nothing(tile_server, tmp_path: Path, monkeypatch):
    refuse_after(tile_server, monkeypatch, served=2, code=429)
    out = tmp_path / "area.mbtiles"
    with pytest.raises(td.DownloadStopped, match=r"HTTP 429 .*stopped, nothing written"):
        td.download(td.service(url=tile_server.url), SMALL, (10, 12), out, rate=10)
    assert len(tile_server.requests) == 3  # the first refusal ends it
    assert list(tmp_path.iterdir()) == []


def test_an_interrupted_run_leaves_the_old_file_and_no_partial(tile_server, tmp_path: Path):
    out = tmp_path / "area.mbtiles"
    svc = td.service(url=tile_server.url)
    td.download(svc, SMALL, (10, 10), out, rate=10)
    before = out.read_bytes()

    def interrupt(i, n, tile, status):
        if i == 3:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        td.download(svc, SMALL, (10, 12), out, rate=10, resume=True, progress=interrupt)
    assert out.read_bytes() == before and [p.name for p in tmp_path.iterdir()] == ["area.mbtiles"]


def test_offline_refuses_the_network_but_not_this_machine(monkeypatch):
    monkeypatch.setenv("TERRAIN_VIEWER_OFFLINE", "1")
    with pytest.raises(DataError, match="TERRAIN_VIEWER_OFFLINE is set: not downloading tiles from "
                                        r"\S*tile.opentopomap.org"):
        td.check_offline(td.service(provider="OpenTopoMap"))
    td.check_offline(td.service(url="http://127.0.0.1:9/{z}/{x}/{y}.png"))


def test_openstreetmap_allows_small_areas_only():
    osm = td.service(provider="OpenStreetMap.Mapnik")
    assert osm.is_osm and "forbids bulk downloading" in osm.policy
    assert td.tile_cap(osm, None, False) == td.OSM_MAX_TILES
    assert td.tile_cap(osm, 50_000, False) == td.OSM_MAX_TILES  # --max-tiles alone does not lift it
    assert td.tile_cap(osm, 50_000, True) == 50_000
    wide = (112.0, 26.5, 113.0, 27.5)
    with pytest.raises(DataError, match="over the limit of 2,000 .OpenStreetMap's tile policy: small area"):
        td.check_request(osm, wide, (10, 14), td.tile_cap(osm, None, False), False)
    with pytest.raises(DataError, match="zoom 17: OpenStreetMap's tile policy"):
        td.check_request(osm, SMALL, (17, 17), td.OSM_MAX_TILES, False)
    assert td.check_request(osm, SMALL, (17, 17), td.OSM_MAX_TILES, True) == td.count_tiles(SMALL, 17, 17)


def test_bad_requests_are_one_line_refusals():
    other = td.service(url="https://tiles.example.org/{z}/{x}/{y}.png")
    assert not other.is_osm
    cases = [(lambda: td.check_zooms(10, 25), "zoom 10-25"), (lambda: td.check_zooms(12, 10), "zoom 12-10"),
             (lambda: td.check_request(td.service(provider="OpenTopoMap"), SMALL, (10, 18), 10**6, False),
              "serves zoom levels up to 17"),
             (lambda: td.check_bbox((113, 26, 112, 27)), "west < east"),
             (lambda: td.check_bbox((112, 26, 113, math.inf)), "finite"),
             (lambda: td.check_bbox((112, 86, 113, 87)), "south < north"),
             (lambda: td.service(url="https://webrd01.is.autonavi.com/{z}/{x}/{y}"), "GCJ-02"),
             (lambda: td.service(provider="Gaode.Normal"), "GCJ-02"),
             (lambda: td.service(provider="No.Such"), "unknown tile provider"),
             (lambda: td.service(url="ftp://x/{z}/{x}/{y}"), "http")]
    for call, text in cases:
        with pytest.raises(DataError, match=text) as caught:
            call()
        assert "\n" not in caught.value.message
