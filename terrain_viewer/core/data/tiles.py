"""Map tiles (web mercator, 256 px): XYZ services with a disk cache, MBTiles and GeoPackage tiles.

``TileSource.tile(z, x, y)`` never waits for the network: it answers from memory or the disk cache
and otherwise queues a download on a small thread pool, returning None; listeners hear
``on_tile()`` when a tile arrives, so the window re-renders. ``wait_for(tiles, timeout)`` lets a
headless render or an export wait until what it needs is there (or has failed). With
``TERRAIN_VIEWER_OFFLINE`` set, only cached tiles are used (the test suite sets it).
"""

from __future__ import annotations

import contextlib
import hashlib
import inspect
import io
import logging
import os
import re
import sqlite3
import threading
import time
import urllib.error
import urllib.request
import weakref
from collections import OrderedDict
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

from terrain_viewer.core.common.errors import DataError
from terrain_viewer.core.common.files import temp_file_beside

log = logging.getLogger(__name__)

TILE = 256
ORIGIN = 20037508.342789244  # half the web mercator world width in metres
USER_AGENT = "terrain_viewer/0.1 (desktop battle-terrain viewer; +https://github.com/terrain-viewer)"
MEMORY_TILES = 256  # decoded tiles kept in memory (~64 MB)
RETRY_AFTER = 60.0  # seconds before a tile that failed is asked for again (the network may be back)
HEADLESS_WAIT = 30.0  # seconds a headless render (CLI, export) may wait for tile downloads
Tile = tuple[int, int, int]  # z, x, y (XYZ: y from the top)


def decode_png(data: bytes) -> np.ndarray | None:
    """Tile bytes (PNG/JPEG/WebP) as (256, 256, 4) uint8 RGBA; None when they are not an image."""
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(data)) as image:
            rgba = np.asarray(image.convert("RGBA"))
    except (UnidentifiedImageError, OSError, ValueError):
        return None
    return rgba if rgba.shape[:2] == (TILE, TILE) else None


class TileSource:
    """Where tiles come from; subclasses implement ``_load`` (bytes or None)."""

    name = "tiles"
    attribution = ""
    min_zoom, max_zoom = 0, 19

    def __init__(self) -> None:
        self._memory: OrderedDict[Tile, np.ndarray | None] = OrderedDict()
        self._lock = threading.Lock()
        self._listeners: list[Callable[[], Callable[[], None] | None]] = []  # references
        self.failures = 0  # tiles that could not be had (network errors, garbage)
        self.version = 0  # grows whenever a tile arrives or fails: renders key their caches on it

    def on_tile(self, listener: Callable[[], None]) -> None:
        """Call ``listener()`` (from a download thread) when a tile arrives or fails.

        A bound method is held weakly, so a renderer that is gone stops listening; a listener that
        raises (e.g. a closed window's signal) is logged once and dropped.
        """
        self._listeners.append(weakref.WeakMethod(listener) if inspect.ismethod(listener)
                               else (lambda: listener))

    def tile(self, z: int, x: int, y: int) -> np.ndarray | None:
        """The tile as RGBA if it is at hand (memory, disk, file); else None."""
        key = (z, x, y)
        with self._lock:
            if key in self._memory:
                self._memory.move_to_end(key)
                return self._memory[key]
        rgba = self._load(z, x, y)
        if rgba is not None or not self.is_remote:
            self._remember(key, rgba)
        return rgba

    is_remote = False

    def pending(self) -> int:
        return 0

    def wait_for(self, tiles: Iterable[Tile], timeout: float) -> None:
        """Block until ``tiles`` are at hand or have failed (remote sources only)."""

    def _remember(self, key: Tile, rgba: np.ndarray | None) -> None:
        with self._lock:
            self._memory[key] = rgba
            while len(self._memory) > MEMORY_TILES:
                self._memory.popitem(last=False)

    def _notify(self) -> None:
        self.version += 1
        for ref in list(self._listeners):
            listener = ref()
            try:
                if listener is not None:
                    listener()
                    continue
            except Exception:  # noqa: BLE001 - a listener must not kill the fetch thread
                log.exception("tile listener failed; it is dropped")
            with contextlib.suppress(ValueError):
                self._listeners.remove(ref)

    def _load(self, z: int, x: int, y: int) -> np.ndarray | None:
        raise NotImplementedError


def tile_url(template: str, z: int, x: int, y: int) -> str:
    """The URL of one tile: ``{z}/{x}/{y}``, a subdomain for ``{s}``, nothing for ``{r}`` (retina)."""
    return template.format(z=z, x=x, y=y, s="a", r="")


def check_url(url: str) -> None:
    """DataError unless ``url`` is an http(s) template with {z}, {x} and {y} and nothing else to fill."""
    if not re.match(r"https?://", url, re.IGNORECASE):
        raise DataError(f"a tile URL starts with http:// or https://: {url}")
    if not all(k in url for k in ("{z}", "{x}", "{y}")):
        raise DataError(f"tile URL needs {{z}}, {{x}} and {{y}}: {url}")
    try:
        tile_url(url, 0, 0, 0)
    except (KeyError, IndexError, ValueError) as exc:
        raise DataError(f"tile URL has a placeholder the viewer cannot fill ({exc}): {url}") from None


class XyzSource(TileSource):
    """An XYZ tile service (``https://…/{z}/{x}/{y}.png``) with an on-disk cache."""

    is_remote = True

    def __init__(self, url: str, name: str, attribution: str = "", max_zoom: int = 19,
                 cache_dir: Path | None = None, timeout: float = 6.0, workers: int = 4):
        super().__init__()
        check_url(url)
        self.url, self.name, self.attribution = url, name, attribution
        self.max_zoom, self.timeout = max_zoom, timeout
        folder = re.sub(r"[^\w.-]+", "_", name)[:60] + "-" + hashlib.sha1(url.encode()).hexdigest()[:8]
        self.cache_dir = (cache_dir or default_cache_dir()) / folder
        self._pool = ThreadPoolExecutor(workers, thread_name_prefix="tiles")
        self._inflight: dict[Tile, threading.Event] = {}
        self._failed: dict[Tile, float] = {}  # when each failed

    def _path(self, z: int, x: int, y: int) -> Path:
        return self.cache_dir / str(z) / str(x) / f"{y}.tile"

    def _load(self, z: int, x: int, y: int) -> np.ndarray | None:
        path = self._path(z, x, y)
        if path.exists():
            with contextlib.suppress(OSError):
                rgba = decode_png(path.read_bytes())
                if rgba is not None:
                    return rgba
        key = (z, x, y)
        if os.environ.get("TERRAIN_VIEWER_OFFLINE"):  # cached tiles only, never the network
            return None
        with self._lock:
            retry = time.monotonic() - self._failed.get(key, -RETRY_AFTER) >= RETRY_AFTER
            if key not in self._inflight and retry:
                self._inflight[key] = threading.Event()
                self._pool.submit(self._fetch, key)
        return None

    def pending(self) -> int:
        with self._lock:
            return len(self._inflight)

    def wait_for(self, tiles: Iterable[Tile], timeout: float) -> None:
        with self._lock:
            events = [self._inflight[t] for t in tiles if t in self._inflight]
        deadline = time.monotonic() + timeout  # one deadline for all, however many tiles
        for event in events:
            event.wait(max(deadline - time.monotonic(), 0.0))

    def _fetch(self, key: Tile) -> None:
        url = tile_url(self.url, *key)
        rgba = None
        try:
            request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT})
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                data = response.read(4_000_000)
            rgba = decode_png(data)
            if rgba is None:
                log.warning("tile %s is not an image", url)
            else:
                self._store(key, data)
        except (urllib.error.URLError, OSError, ValueError) as exc:
            log.warning("tile %s unavailable: %s", url, exc)
        except Exception:  # noqa: BLE001 - a bug must not leave the tile pending for ever
            log.exception("tile %s failed", url)
        with self._lock:
            event = self._inflight.pop(key, None)
            if rgba is None:
                self._failed[key] = time.monotonic()
                self.failures += 1
        if rgba is not None:
            self._remember(key, rgba)
        if event is not None:
            event.set()
        self._notify()

    def _store(self, key: Tile, data: bytes) -> None:
        """Write a tile to the disk cache atomically (a failure only costs a later download)."""
        path = self._path(*key)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = temp_file_beside(path.parent, ".tile-", ".tmp")
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
            os.replace(tmp, path)
        except OSError as exc:
            log.warning("cannot cache tile %s: %s", path, exc)

    def retry_failed(self) -> None:
        with self._lock:
            self._failed.clear()


class MBTilesSource(TileSource):
    """Offline tiles from an MBTiles file (SQLite; rows are TMS, counted from the bottom)."""

    def __init__(self, path: str | Path):
        super().__init__()
        self.path = Path(path)
        self.name = self.path.stem
        meta = _sqlite_rows(self.path, "SELECT name, value FROM metadata", "an MBTiles file")
        info = {str(k): str(v) for k, v in meta}
        self.attribution = re.sub(r"<[^>]+>", "", info.get("attribution", ""))
        zooms = _sqlite_rows(self.path, "SELECT MIN(zoom_level), MAX(zoom_level) FROM tiles",
                             "an MBTiles file")
        if not zooms or zooms[0][0] is None:
            raise DataError("the MBTiles file holds no tiles", self.path)
        self.min_zoom, self.max_zoom = int(zooms[0][0]), int(zooms[0][1])
        self._local = threading.local()

    def _db(self) -> sqlite3.Connection:
        db = getattr(self._local, "db", None)
        if db is None:
            db = self._local.db = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True,
                                                  check_same_thread=False)
        return db

    def _load(self, z: int, x: int, y: int) -> np.ndarray | None:
        try:
            row = self._db().execute("SELECT tile_data FROM tiles WHERE zoom_level=? AND tile_column=? "
                                     "AND tile_row=?", (z, x, (1 << z) - 1 - y)).fetchone()
        except sqlite3.Error as exc:
            log.warning("%s: %s", self.path, exc)
            return None
        return decode_png(bytes(row[0])) if row else None


class GpkgTilesSource(TileSource):
    """Offline tiles from a GeoPackage tile table in web mercator (GoogleMapsCompatible matrices)."""

    def __init__(self, path: str | Path, table: str | None = None):
        super().__init__()
        self.path = Path(path)
        tables = [r[0] for r in _sqlite_rows(
            self.path, "SELECT table_name FROM gpkg_contents WHERE data_type='tiles'", "a GeoPackage")]
        if not tables:
            raise DataError("the GeoPackage holds no tile tables", self.path)
        self.table = table or tables[0]
        if self.table not in tables:
            raise DataError(f"no tile table '{self.table}' (has {', '.join(tables)})", self.path)
        self.name = self.table
        self._sql_table = '"' + self.table.replace('"', '""') + '"'  # a quoted SQL identifier
        srs = _sqlite_rows(self.path, "SELECT s.organization_coordsys_id, m.min_x, m.max_x FROM "
                           "gpkg_tile_matrix_set m JOIN gpkg_spatial_ref_sys s ON m.srs_id = s.srs_id "
                           "WHERE m.table_name = ?", "a GeoPackage", (self.table,))
        if not srs or int(srs[0][0]) != 3857 or abs(srs[0][1] + ORIGIN) > 1 or abs(srs[0][2] - ORIGIN) > 1:
            raise DataError(f"tile table '{self.table}' is not a web mercator (EPSG:3857) world grid; "
                            "add it as a raster layer instead", self.path)
        zooms = _sqlite_rows(self.path, "SELECT zoom_level, matrix_width FROM gpkg_tile_matrix "
                             "WHERE table_name = ?", "a GeoPackage", (self.table,))
        bad = [z for z, width in zooms if int(width) != 1 << int(z)]
        if bad or not zooms:
            raise DataError(f"tile table '{self.table}' does not use the standard web mercator zoom "
                            "levels; add it as a raster layer instead", self.path)
        held = _sqlite_rows(self.path, f'SELECT MIN(zoom_level), MAX(zoom_level) FROM {self._sql_table}',
                            "a GeoPackage")
        if not held or held[0][0] is None:
            raise DataError(f"tile table '{self.table}' holds no tiles", self.path)
        self.min_zoom, self.max_zoom = int(held[0][0]), int(held[0][1])  # the levels that have tiles
        self._local = threading.local()

    def _load(self, z: int, x: int, y: int) -> np.ndarray | None:
        db = getattr(self._local, "db", None)
        if db is None:
            db = self._local.db = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True)
        try:
            row = db.execute(f'SELECT tile_data FROM {self._sql_table} WHERE zoom_level=? AND tile_column=? '
                             "AND tile_row=?", (z, x, y)).fetchone()
        except sqlite3.Error as exc:
            log.warning("%s: %s", self.path, exc)
            return None
        return decode_png(bytes(row[0])) if row else None


def _sqlite_rows(path: Path, sql: str, what: str, params: tuple = ()) -> list[tuple]:
    if not path.is_file():
        raise DataError("file not found", path)
    try:
        with contextlib.closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as db:
            return db.execute(sql, params).fetchall()
    except sqlite3.Error as exc:
        raise DataError(f"not {what} ({exc})", path) from None


def default_cache_dir() -> Path:
    """``TERRAIN_VIEWER_TILE_CACHE`` or the platform's user cache folder + ``/tiles``."""
    override = os.environ.get("TERRAIN_VIEWER_TILE_CACHE")
    if override:
        return Path(override)
    import platformdirs

    return platformdirs.user_cache_path("terrain_viewer", appauthor=False) / "tiles"


# ---- sources from a basemap spec -------------------------------------------------------------------
_SOURCES: dict[str, TileSource] = {}
_SOURCES_LOCK = threading.Lock()


def source_for(spec: dict) -> TileSource:
    """The (shared, cached) tile source a basemap spec names; DataError when it cannot work.

    ``{"provider": "OpenStreetMap.Mapnik"}`` (any xyzservices name), ``{"url": "https://…/{z}/{x}/{y}.png",
    "attribution": "…"}``, ``{"mbtiles": path}`` or ``{"gpkg": path, "table": name}``.
    """
    key = repr(sorted((k, str(v)) for k, v in spec.items() if k in ("provider", "url", "mbtiles", "gpkg",
                                                                     "table", "attribution")))
    with _SOURCES_LOCK:
        if key not in _SOURCES:
            _SOURCES[key] = _make_source(spec)
        return _SOURCES[key]


def _make_source(spec: dict) -> TileSource:
    if spec.get("mbtiles"):
        return MBTilesSource(spec["mbtiles"])
    if spec.get("gpkg"):
        return GpkgTilesSource(spec["gpkg"], spec.get("table"))
    if spec.get("url"):
        return XyzSource(str(spec["url"]), spec.get("name") or "custom", spec.get("attribution", ""),
                         int(spec.get("max_zoom", 19)))
    if spec.get("provider"):
        import xyzservices.providers as xyz

        try:
            provider = xyz.query_name(str(spec["provider"]))
        except ValueError:
            raise DataError(f"unknown tile provider '{spec['provider']}'") from None
        if provider.requires_token():
            raise DataError(f"tile provider '{spec['provider']}' needs an API key; use a custom URL")
        return XyzSource(provider.build_url(scale_factor=None), provider.name,
                         provider.get("attribution", ""), int(provider.get("max_zoom", 19)))
    raise DataError(f"a basemap needs a provider, url, mbtiles or gpkg: {spec}")


def providers() -> list[str]:
    """Names of the xyzservices providers that need no API key (for the basemap dialog)."""
    import xyzservices.providers as xyz

    return sorted(name for name, p in xyz.flatten().items() if not p.requires_token())
