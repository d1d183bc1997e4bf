"""Shared fixtures: small real GeoPackages written by the tests, and the shipped data."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("MPLBACKEND", "Agg")
os.environ["TERRAIN_VIEWER_OFFLINE"] = "1"  # never the internet; tile tests use a local server
if "TERRAIN_VIEWER_LOG_DIR" not in os.environ:  # tests never write the user's real log folder
    import tempfile

    os.environ["TERRAIN_VIEWER_LOG_DIR"] = tempfile.mkdtemp(prefix="terrain_viewer_test_logs_")
    os.environ["TERRAIN_VIEWER_TILE_CACHE"] = tempfile.mkdtemp(prefix="terrain_viewer_test_tiles_")
    os.environ["TERRAIN_VIEWER_CACHE_DIR"] = tempfile.mkdtemp(prefix="terrain_viewer_test_cache_")

from collections.abc import Iterator  # noqa: E402
from pathlib import Path  # noqa: E402

import geopandas as gpd  # noqa: E402
import pytest  # noqa: E402
import shapely  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
SHIPPED = REPO / "geodata" / "hengyang_1944.gpkg"


@pytest.fixture
def shipped_gpkg() -> Path:
    if not SHIPPED.exists():
        pytest.fail(f"the shipped GeoPackage is missing: {SHIPPED} (run python geodata/build.py)")
    return SHIPPED


@pytest.fixture
def no_dataset_cache(monkeypatch) -> Iterator[None]:
    """Every open reads its files: for tests that count or limit the reading itself (a dataset
    another test loaded earlier would otherwise come back from the cache unread)."""
    from terrain_viewer.core.common.caches import cache_root

    monkeypatch.setenv("TERRAIN_VIEWER_CACHE_DIR", "off")
    cache_root.cache_clear()  # the folder is looked up once a process
    yield
    monkeypatch.undo()
    cache_root.cache_clear()


@pytest.fixture
def own_cache(tmp_path, monkeypatch) -> Iterator[Path]:
    """A cache folder of the test's own (what other tests kept there is not in it)."""
    from terrain_viewer.core.common.caches import cache_root

    monkeypatch.setenv("TERRAIN_VIEWER_CACHE_DIR", str(tmp_path / "cache"))
    cache_root.cache_clear()
    yield tmp_path / "cache"
    monkeypatch.undo()
    cache_root.cache_clear()


@pytest.fixture
def small_gpkg(tmp_path: Path) -> Path:
    """Units with keyframes, dated events and a static river, in lon/lat (EPSG:4326)."""
    path = tmp_path / "small.gpkg"
    units = gpd.GeoDataFrame(
        {
            "unit_id": ["a", "a", "a", "b"],
            "start_date": ["1944-06-23", "1944-06-24", "1944-06-26", "1944-06-23"],
            "end_date": ["1944-06-23", "1944-06-24", "1944-06-26", "1944-06-30"],
            "source": ["test"] * 4,
            "confidence": ["low"] * 4,
        },
        geometry=shapely.points([112.60, 112.61, 112.63, 112.50], [26.90, 26.90, 26.90, 26.80]),
        crs=4326,
    )
    events = gpd.GeoDataFrame(
        {
            "start_date": ["1944-06-23", "1944-07-01T05:00", "1944-06-24"],
            "end_date": ["1944-06-25", "1944-07-01T06:00", None],
            "source": ["test"] * 3,
            "confidence": ["high"] * 3,
        },
        geometry=shapely.points([112.6] * 3, [26.9] * 3),
        crs=4326,
    )
    river = gpd.GeoDataFrame(
        {"name_en": ["Xiang"], "source": ["test"], "confidence": ["medium"]},
        geometry=[shapely.LineString([(112.62, 26.85), (112.63, 26.95)])],
        crs=4326,
    )
    units.to_file(path, layer="units", engine="pyogrio")
    events.to_file(path, layer="events", engine="pyogrio")
    river.to_file(path, layer="rivers", engine="pyogrio")
    return path


# ---- map tiles: generated tiles, a local tile server, an MBTiles file --------------------------
TARGET_LONLAT = (112.61, 26.89)  # Hengyang: tiles paint it red so placement can be checked


@pytest.fixture
def target_lonlat() -> tuple[float, float]:
    """The lon/lat the test tiles paint red (tests must not ``import conftest``: two exist)."""
    return TARGET_LONLAT


def make_tile(z: int, x: int, y: int) -> bytes:
    """A 256 px PNG tile: pale grey, with red where it lies within 400 m of TARGET_LONLAT."""
    import io

    import numpy as np
    from PIL import Image
    from pyproj import Transformer

    origin = 20037508.342789244
    size = 2 * origin / (1 << z)
    cols = -origin + (x + (np.arange(256) + 0.5) / 256) * size
    rows = origin - (y + (np.arange(256) + 0.5) / 256) * size
    tx, ty = Transformer.from_crs(4326, 3857, always_xy=True).transform(*TARGET_LONLAT)
    gx, gy = np.meshgrid(cols, rows)
    near = np.hypot(gx - tx, gy - ty) < 400
    rgb = np.empty((256, 256, 3), np.uint8)
    rgb[...] = (200, 200, 205)
    rgb[near] = (230, 20, 20)
    out = io.BytesIO()
    Image.fromarray(rgb).save(out, format="PNG")
    return out.getvalue()


class TileServer:
    """An HTTP tile server on 127.0.0.1 in a thread. ``mode``: ok | error | garbage | hang."""

    def __init__(self) -> None:
        import http.server
        import threading

        self.mode = "ok"
        self.requests: list[str] = []
        self.release = threading.Event()  # a hanging handler waits for this
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (http.server name)
                server.requests.append(self.path)
                if server.mode == "hang":
                    server.release.wait(30)
                    return
                if server.mode == "error":
                    self.send_error(500, "broken")
                    return
                z, x, y = (int(v) for v in self.path.strip("/").removesuffix(".png").split("/"))
                body = b"<html>not a tile</html>" if server.mode == "garbage" else make_tile(z, x, y)
                self.send_response(200)
                self.send_header("Content-Type", "image/png")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args) -> None:
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/{{z}}/{{x}}/{{y}}.png"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.release.set()
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def tile_server(tmp_path, monkeypatch):
    """A local tile server, a fresh tile cache folder and no shared tile sources left over."""
    from terrain_viewer.core.data import tiles

    monkeypatch.setenv("TERRAIN_VIEWER_TILE_CACHE", str(tmp_path / "tile-cache"))
    monkeypatch.delenv("TERRAIN_VIEWER_OFFLINE")
    tiles._SOURCES.clear()
    server = TileServer()
    yield server
    server.stop()
    tiles._SOURCES.clear()


@pytest.fixture
def mbtiles_file(tmp_path) -> Path:
    """An MBTiles file with zooms 10-14 around Hengyang (TMS rows), made here."""
    import math
    import sqlite3

    path = tmp_path / "modern.mbtiles"
    db = sqlite3.connect(path)
    db.executescript("CREATE TABLE metadata (name text, value text);"
                     "CREATE TABLE tiles (zoom_level integer, tile_column integer, tile_row integer, "
                     "tile_data blob);")
    db.executemany("INSERT INTO metadata VALUES (?, ?)", [("name", "modern"), ("format", "png"),
                                                          ("attribution", "Test tiles © the tests")])
    lon, lat = TARGET_LONLAT
    for z in range(10, 15):
        n = 1 << z
        cx = int((lon + 180) / 360 * n)
        cy = int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)
        r = 4 if z >= 13 else 2
        for x in range(cx - r, cx + r + 1):
            for y in range(cy - r, cy + r + 1):
                db.execute("INSERT INTO tiles VALUES (?, ?, ?, ?)", (z, x, n - 1 - y, make_tile(z, x, y)))
    db.commit()
    db.close()
    return path


def pytest_xdist_auto_num_workers(config) -> int:
    """``-n auto``: one test process per core plus one, since several tests mostly wait (subprocesses,
    Xvfb, a real SIGINT) and a waiting test should not leave a core idle."""
    return (os.cpu_count() or 1) + 1
