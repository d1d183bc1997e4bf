"""Saving a basemap's tiles for offline use: an area and zoom range of an XYZ service into MBTiles.

Polite by construction: one request at a time, at most ``rate`` a second, the viewer's User-Agent,
a cap on the number of tiles (counted before anything is fetched; a lower one for OpenStreetMap's
own servers, whose tile policy forbids bulk downloading), a stop at the first HTTP 429 or 403, and
no network at all under ``TERRAIN_VIEWER_OFFLINE`` (except a server on this machine).

The MBTiles file is written under a hidden ``.partial`` name and renamed when complete
(``core/common/atomic.py``); resuming copies the existing file and fetches only the tiles it lacks.
Rows are stored in TMS order (counted from the bottom), as the MBTiles spec and ``MBTilesSource`` say.
"""

from __future__ import annotations

import contextlib
import math
import os
import shutil
import sqlite3
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from terrain_viewer.core.common.atomic import atomic_path
from terrain_viewer.core.common.errors import DataError, TerrainViewerError
from terrain_viewer.core.data.tileformat import (
    MAX_TILE_BYTES,
    MAX_ZOOM,
    check_url,
    decode_png,
    is_gcj02,
    plain_text,
    tile_url,
)
from terrain_viewer.core.data.tiles import USER_AGENT, Tile, provider_service

BBox = tuple[float, float, float, float]  # lon/lat WGS 84: west, south, east, north
MAX_LAT = 85.0511287798  # web mercator's edge
DEFAULT_MAX_TILES = 20_000
OSM_MAX_TILES = 2_000  # OpenStreetMap's servers: small areas only (their tile usage policy)
OSM_MAX_ZOOM = 16  # the policy forbids offline copies of significant areas at zoom 17 and above
OSM_HOSTS = ("tile.openstreetmap.org",)
OSM_POLICY = "https://operations.osmfoundation.org/policies/tiles/"
MAX_RATE = 10.0  # requests a second, at most
TILE_KB = 25  # a rough size of one tile, for the estimate said before starting
STOP_CODES = (403, 429)  # the server asks us to stop
MISSING_CODES = (404, 204)  # no tile there (sea, outside the service): not an error
MAX_FAILURES_IN_A_ROW = 10
LOCAL_HOSTS = ("127.0.0.1", "localhost", "::1")
Progress = Callable[[int, int, Tile, str], None]  # (i, n, tile, "fetched" | "missing" | "failed")


class DownloadStopped(DataError):
    """The tile server asked us to stop (HTTP 429/403) or kept failing; nothing was written."""


@dataclass(frozen=True)
class TileService:
    """An XYZ tile service to download from."""

    url: str
    name: str
    attribution: str = ""
    max_zoom: int = MAX_ZOOM

    @property
    def host(self) -> str:
        return (urllib.parse.urlsplit(self.url).hostname or "").lower()

    @property
    def is_osm(self) -> bool:
        """OpenStreetMap's own tile servers (bulk downloading forbidden by their policy)."""
        return any(self.host == h or self.host.endswith("." + h) for h in OSM_HOSTS)

    @property
    def policy(self) -> str:
        """A reminder of the service's tile usage policy, one line."""
        if self.is_osm:
            return (f"OpenStreetMap's tile policy ({OSM_POLICY}) forbids bulk downloading: only small "
                    f"areas are acceptable (at most {OSM_MAX_TILES} tiles, zoom {OSM_MAX_ZOOM} or below, "
                    "without permission)")
        return f"check {self.host or 'the provider'}'s terms of use allow saving its tiles for offline use"


def service(provider: str | None = None, url: str | None = None, attribution: str = "") -> TileService:
    """The service a provider name (xyzservices) or a URL template names; DataError when unusable."""
    if provider:
        template, name, attr, max_zoom = provider_service(provider)
        return TileService(template, name, plain_text(attribution or attr), max_zoom)
    if not url:
        raise DataError("give a tile provider or a tile URL template")
    check_url(url)
    if is_gcj02(url, url):
        raise DataError("the tile URL serves China's GCJ-02 shifted coordinates; its streets would be "
                        "hundreds of metres off the data")
    return TileService(url, "custom", plain_text(attribution))


def check_offline(svc: TileService) -> None:
    """Refuse the network under ``TERRAIN_VIEWER_OFFLINE`` (a server on this machine is allowed)."""
    if os.environ.get("TERRAIN_VIEWER_OFFLINE") and svc.host not in LOCAL_HOSTS:
        raise DataError(f"TERRAIN_VIEWER_OFFLINE is set: not downloading tiles from {svc.host}")


# ---- the area -------------------------------------------------------------------------------------
def check_bbox(bbox: BBox) -> BBox:
    """``bbox`` as finite lon/lat within the web mercator world, west < east and south < north."""
    w, s, e, n = (float(v) for v in bbox)
    if not all(math.isfinite(v) for v in (w, s, e, n)):
        raise DataError(f"bbox {bbox}: the numbers must be finite")
    if not (-180 <= w < e <= 180 and -MAX_LAT <= s < n <= MAX_LAT):
        raise DataError(f"bbox {w:g},{s:g},{e:g},{n:g}: give west,south,east,north in degrees, west < east "
                        f"(-180..180) and south < north (-{MAX_LAT:.2f}..{MAX_LAT:.2f})")
    return w, s, e, n


def check_zooms(zmin: int, zmax: int, svc: TileService | None = None) -> None:
    """Zoom levels 0..MAX_ZOOM, min <= max, and none beyond what the service has."""
    if not 0 <= zmin <= zmax <= MAX_ZOOM:
        raise DataError(f"zoom {zmin}-{zmax}: give levels from 0 to {MAX_ZOOM}, the first not above the last")
    if svc is not None and zmax > svc.max_zoom:
        raise DataError(f"zoom {zmax}: {svc.name} serves zoom levels up to {svc.max_zoom}")


def tile_xy(lon: float, lat: float, z: int) -> tuple[int, int]:
    """The XYZ column and row (from the top) of the tile holding lon/lat at zoom ``z``."""
    n = 1 << z
    x = int((lon + 180.0) / 360.0 * n)
    y = int((1.0 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2.0 * n)
    return min(max(x, 0), n - 1), min(max(y, 0), n - 1)


def _ranges(bbox: BBox, z: int) -> tuple[int, int, int, int]:
    x0, y0 = tile_xy(bbox[0], bbox[3], z)  # north-west corner
    x1, y1 = tile_xy(bbox[2], bbox[1], z)  # south-east corner
    return x0, x1, y0, y1


def count_tiles(bbox: BBox, zmin: int, zmax: int) -> int:
    """How many tiles cover ``bbox`` at zooms zmin..zmax (counted, not listed)."""
    total = 0
    for z in range(zmin, zmax + 1):
        x0, x1, y0, y1 = _ranges(bbox, z)
        total += (x1 - x0 + 1) * (y1 - y0 + 1)
    return total


def tiles_in(bbox: BBox, zmin: int, zmax: int) -> Iterator[Tile]:
    """The XYZ tiles covering ``bbox``, zoom by zoom, row by row."""
    for z in range(zmin, zmax + 1):
        x0, x1, y0, y1 = _ranges(bbox, z)
        for y in range(y0, y1 + 1):
            for x in range(x0, x1 + 1):
                yield z, x, y


def tile_cap(svc: TileService, max_tiles: int | None, permission: bool) -> int:
    """The most tiles one run may fetch: ``max_tiles`` (default 20,000), and for OpenStreetMap's servers
    at most 2,000 unless the user has their permission."""
    cap = DEFAULT_MAX_TILES if max_tiles is None else max_tiles
    return cap if permission or not svc.is_osm else min(cap, OSM_MAX_TILES)


def check_request(svc: TileService, bbox: BBox, zooms: tuple[int, int], cap: int,
                  permission: bool) -> int:
    """The number of tiles asked for; DataError when over ``cap`` or against OpenStreetMap's policy."""
    check_zooms(*zooms, svc)
    if svc.is_osm and not permission and zooms[1] > OSM_MAX_ZOOM:
        raise DataError(f"zoom {zooms[1]}: OpenStreetMap's tile policy forbids offline copies at zoom 17 "
                        f"and above; stop at {OSM_MAX_ZOOM} (or --i-have-permission)")
    n = count_tiles(bbox, *zooms)
    if n > cap:
        osm = svc.is_osm and not permission and cap <= OSM_MAX_TILES  # the policy's cap, not --max-tiles
        why = " (OpenStreetMap's tile policy: small areas only)" if osm else ""
        more = "--i-have-permission (from the tile server's operator)" if osm else "raise --max-tiles"
        raise DataError(f"{n:,} tiles (about {estimate_mb(n):,} MB) is over the limit of {cap:,}{why}; "
                        f"choose a smaller area or fewer zoom levels, or {more}")
    return n


def estimate_mb(n: int) -> int:
    """A rough size in MB of ``n`` tiles."""
    return max(1, round(n * TILE_KB / 1024))


# ---- fetching -------------------------------------------------------------------------------------
class RateLimiter:
    """Spaces calls at least ``1 / rate`` seconds apart (``wait()`` before each request)."""

    def __init__(self, rate: float, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        if not (math.isfinite(rate) and 0 < rate <= MAX_RATE):
            raise DataError(f"rate {rate}: give 0 < requests per second <= {MAX_RATE:g}")
        self.interval, self._clock, self._sleep = 1.0 / rate, clock, sleep
        self._next = -math.inf

    def wait(self) -> None:
        now = self._clock()
        if now < self._next:
            self._sleep(self._next - now)
            now = self._next
        self._next = now + self.interval


def fetch(svc: TileService, tile: Tile, timeout: float = 20.0) -> bytes | None:
    """One tile's bytes; None when the server has no tile there. DownloadStopped on HTTP 429/403;
    OSError (URLError included) or ValueError when this one tile failed."""
    url = tile_url(svc.url, *tile)
    request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            if response.status in MISSING_CODES:
                return None
            return response.read(MAX_TILE_BYTES)
    except urllib.error.HTTPError as exc:
        if exc.code in STOP_CODES:
            raise DownloadStopped(f"{svc.host} answered HTTP {exc.code} ({exc.reason}) at tile "
                                  f"{'/'.join(map(str, tile))}; stopped, nothing written (try later, "
                                  "with a lower --rate, or ask the provider)") from None
        if exc.code in MISSING_CODES:
            return None
        raise


def tile_format(data: bytes) -> str:
    """``png``, ``jpg`` or ``webp`` from a tile's first bytes (MBTiles' ``format`` metadata)."""
    if data.startswith(b"\xff\xd8"):
        return "jpg"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp"
    return "png"


# ---- the MBTiles file -----------------------------------------------------------------------------
SCHEMA = """CREATE TABLE IF NOT EXISTS metadata (name text, value text);
CREATE TABLE IF NOT EXISTS tiles (zoom_level integer, tile_column integer, tile_row integer, tile_data blob);
CREATE UNIQUE INDEX IF NOT EXISTS tile_index ON tiles (zoom_level, tile_column, tile_row);"""


def _open_mbtiles(path: Path, source: Path | None) -> tuple[sqlite3.Connection, set[Tile], dict[str, str]]:
    """The database at ``path`` (ready to take tiles), the XYZ tiles and metadata it already holds
    (``source`` names the file it was copied from, for messages)."""
    db = sqlite3.connect(path)
    try:
        kinds = dict(db.execute("SELECT name, type FROM sqlite_master WHERE name IN ('tiles', 'metadata')"))
        if kinds.get("tiles", "table") != "table":
            raise DataError("its tiles are a view (written by another tool); --resume cannot add to it",
                            source)
        db.executescript(SCHEMA)
        have = {(z, x, (1 << z) - 1 - row) for z, x, row in
                db.execute("SELECT zoom_level, tile_column, tile_row FROM tiles")}
        meta = {str(k): str(v) for k, v in db.execute("SELECT name, value FROM metadata")}
    except sqlite3.DatabaseError as exc:
        db.close()
        raise DataError(f"not an MBTiles file ({exc}); --resume cannot add to it", source) from None
    except DataError:
        db.close()
        raise
    return db, have, meta


def _write_metadata(db: sqlite3.Connection, meta: dict[str, str], svc: TileService, bbox: BBox,
                    fmt: str | None) -> None:
    w, s, e, n = bbox
    if "bounds" in meta:  # a resumed file: the union of both areas
        with contextlib.suppress(ValueError):
            old = [float(v) for v in meta["bounds"].split(",")]
            w, s, e, n = min(w, old[0]), min(s, old[1]), max(e, old[2]), max(n, old[3])
    zmin, zmax = db.execute("SELECT MIN(zoom_level), MAX(zoom_level) FROM tiles").fetchone()
    values = {"name": meta.get("name") or svc.name, "format": meta.get("format") or fmt or "png",
              "bounds": f"{w:.6f},{s:.6f},{e:.6f},{n:.6f}", "minzoom": str(zmin), "maxzoom": str(zmax),
              "attribution": svc.attribution or meta.get("attribution", ""), "type": "baselayer",
              "description": f"{svc.name} tiles saved by terrain_viewer"}
    for key, value in values.items():
        db.execute("DELETE FROM metadata WHERE name = ?", (key,))
        db.execute("INSERT INTO metadata (name, value) VALUES (?, ?)", (key, value))


@dataclass
class DownloadResult:
    fetched: int = 0  # tiles downloaded and stored
    skipped: int = 0  # already in the file (resumed)
    missing: int = 0  # the server has no tile there
    failed: int = 0  # network errors or not an image; a later --resume asks again


def download(svc: TileService, bbox: BBox, zooms: tuple[int, int], out: Path, *, rate: float = 2.0,
             resume: bool = False, progress: Progress | None = None,
             error: type[TerrainViewerError] = TerrainViewerError) -> DownloadResult:
    """Save the tiles of ``bbox`` at zooms ``zooms`` into the MBTiles ``out`` (atomically; with
    ``resume`` an existing ``out`` is copied and only its missing tiles are fetched). The caller has
    checked the request (``check_request``) and that ``out`` may be written; ``error`` is the error
    type of a write that fails. DownloadStopped when the server says stop (nothing is written)."""
    check_offline(svc)
    limiter, result = RateLimiter(rate), DownloadResult()
    total = count_tiles(bbox, *zooms)
    with atomic_path(out, overwrite=True, error=error) as tmp:
        if resume and out.is_file():
            shutil.copyfile(out, tmp)
        db, have, meta = _open_mbtiles(tmp, out if resume else None)
        try:
            fmt = _fetch_all(svc, bbox, zooms, db, have, limiter, result, total, progress)
            if result.fetched == 0 and not have:
                raise DownloadStopped(f"no tile could be downloaded from {svc.host}; nothing written")
            _write_metadata(db, meta, svc, bbox, fmt)
            db.commit()
        finally:
            db.close()
    return result


def _fetch_all(svc: TileService, bbox: BBox, zooms: tuple[int, int], db: sqlite3.Connection,
               have: set[Tile], limiter: RateLimiter, result: DownloadResult, total: int,
               progress: Progress | None) -> str | None:
    """Fetch and store every tile not in ``have``; the format of the first tile stored."""
    fmt, in_a_row = None, 0
    for i, tile in enumerate(tiles_in(bbox, *zooms), 1):
        if tile in have:
            result.skipped += 1
            status = "skipped"
        else:
            limiter.wait()
            status, data = _fetch_one(svc, tile, db)
            setattr(result, status, getattr(result, status) + 1)
            in_a_row = in_a_row + 1 if status == "failed" else 0
            if in_a_row >= MAX_FAILURES_IN_A_ROW:
                raise DownloadStopped(f"{in_a_row} tiles in a row failed from {svc.host} (is the network "
                                      "down?); stopped, nothing written")
            fmt = fmt or (tile_format(data) if data else None)
        if progress is not None:
            progress(i, total, tile, status)
        if i % 200 == 0:
            db.commit()
    return fmt


def _fetch_one(svc: TileService, tile: Tile, db: sqlite3.Connection) -> tuple[str, bytes | None]:
    """Fetch one tile and store it (TMS row): (``fetched``, its bytes), or ``missing`` or ``failed``."""
    try:
        data = fetch(svc, tile)
    except (OSError, ValueError):  # URLError, timeouts, HTTP 5xx: this tile only
        return "failed", None
    if data is None:
        return "missing", None
    if decode_png(data) is None:  # an error page, or not 256x256
        return "failed", None
    z, x, y = tile
    db.execute("INSERT OR REPLACE INTO tiles VALUES (?, ?, ?, ?)", (z, x, (1 << z) - 1 - y, data))
    return "fetched", data
