"""Map tiles (web mercator, 256 px): XYZ services with a disk cache, MBTiles and GeoPackage tiles.

``TileSource.tile(z, x, y)`` never waits for the network: it answers from memory or the disk cache
and otherwise queues a download on a small thread pool, returning None; listeners hear
``on_tile()`` when a tile arrives, so the window re-renders. ``wait_for(tiles, timeout)`` lets a
headless render or an export wait until what it needs is there (or has failed). With
``TERRAIN_VIEWER_OFFLINE`` set, only cached tiles are used (the test suite sets it).

Limits (docs/limits.md): zoom levels 0-24; a tile must be 256x256 pixels and is refused from its
header before it is decoded; URL templates take only ``{x} {y} {z} {s} {r} {-y}``; attributions are
plain text. Sources are kept in a ``TileSources`` registry (``source_for`` uses the default one);
``close()`` shuts a source's download threads down, ``close_sources()`` every source's (at exit too).
"""

from __future__ import annotations

import atexit
import hashlib
import logging
import os
import re
import threading
import time
import urllib.error
import urllib.request
from collections import OrderedDict
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

from terrain_viewer.core.common.errors import DataError
from terrain_viewer.core.data.tilecache import DiskCache
from terrain_viewer.core.data.tilefiles import GpkgTilesSource, MBTilesSource
from terrain_viewer.core.data.tileformat import (  # noqa: F401 - re-exported for callers
    MAX_TILE_BYTES,
    MAX_ZOOM,
    TILE,
    check_url,
    check_zoom,
    decode_png,
    is_gcj02,
    plain_text,
    tile_url,
)
from terrain_viewer.core.data.tilesource import (  # noqa: F401 - re-exported for callers
    MEMORY_TILES,
    ORIGIN,
    Tile,
    TileSource,
)

log = logging.getLogger(__name__)

USER_AGENT = "terrain_viewer/0.1 (desktop battle-terrain viewer; +https://github.com/terrain-viewer)"
RETRY_AFTER = 60.0  # seconds before a tile that failed is asked for again (the network may be back)
HEADLESS_WAIT = 30.0  # seconds a headless render (CLI, export) may wait for tile downloads


class XyzSource(TileSource):
    """An XYZ tile service (``https://…/{z}/{x}/{y}.png``) with a bounded on-disk cache.

    Its download threads start with the first download and stop with ``close()``.
    """

    is_remote = True

    def __init__(self, url: str, name: str, attribution: str = "", max_zoom: int = 19,
                 cache_dir: Path | None = None, timeout: float = 6.0, workers: int = 4):
        super().__init__()
        check_url(url)
        self.url, self.name, self.attribution = url, plain_text(name, 80), plain_text(attribution)
        self.max_zoom, self.timeout = check_zoom(max_zoom, "the source's maximum"), timeout
        folder = re.sub(r"[^\w.-]+", "_", name)[:60] + "-" + hashlib.sha1(url.encode()).hexdigest()[:8]
        self.cache = DiskCache(cache_dir or default_cache_dir(), folder)
        self.cache_dir = self.cache.dir
        self._workers = workers
        self._pool: ThreadPoolExecutor | None = None
        self._inflight: dict[Tile, threading.Event] = {}
        self._failed: dict[Tile, float] = {}  # when each failed

    def _path(self, z: int, x: int, y: int) -> Path:
        return self.cache.path((z, x, y))

    def _load(self, z: int, x: int, y: int) -> np.ndarray | None:
        key = (z, x, y)
        data, stale = self.cache.read(key)
        rgba = decode_png(data) if data is not None else None
        if rgba is not None and not stale:
            return rgba
        if os.environ.get("TERRAIN_VIEWER_OFFLINE"):  # cached tiles only, never the network
            return rgba
        with self._lock:
            retry = time.monotonic() - self._failed.get(key, -RETRY_AFTER) >= RETRY_AFTER
            if key not in self._inflight and retry:
                self._inflight[key] = threading.Event()
                if self._pool is None:
                    self._pool = ThreadPoolExecutor(self._workers, thread_name_prefix="tiles")
                self._pool.submit(self._fetch, key)
        return rgba  # a stale tile is shown until the fresh one arrives

    def close(self) -> None:
        """Stop the download threads (queued downloads are dropped); a later tile starts new ones."""
        with self._lock:
            pool, self._pool = self._pool, None
            events = list(self._inflight.values())
            self._inflight.clear()
        if pool is not None:
            pool.shutdown(wait=False, cancel_futures=True)
        for event in events:
            event.set()

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
                data = response.read(MAX_TILE_BYTES)
                headers = dict(response.headers.items())
            rgba = decode_png(data)
            if rgba is None:
                log.warning("tile %s is not a 256x256 image", url)
            else:
                self.cache.write(key, data, headers)
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

    def retry_failed(self) -> None:
        with self._lock:
            self._failed.clear()


def default_cache_dir() -> Path:
    """``TERRAIN_VIEWER_TILE_CACHE`` or the platform's user cache folder + ``/tiles``."""
    override = os.environ.get("TERRAIN_VIEWER_TILE_CACHE")
    if override:
        return Path(override)
    import platformdirs

    return platformdirs.user_cache_path("terrain_viewer", appauthor=False) / "tiles"


# ---- sources from a basemap spec -------------------------------------------------------------------
MAX_OPEN_SOURCES = 16  # sources kept open by a registry; the least recently used one is closed


class TileSources:
    """A registry of open tile sources by spec; ``close()`` shuts all their threads down.

    The default registry (``source_for``) lives as long as the process and is closed at exit;
    a window or an export may keep its own and close it when done.
    """

    def __init__(self) -> None:
        self._sources: OrderedDict[str, TileSource] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, spec: dict) -> TileSource:
        key = repr(sorted((k, str(v)) for k, v in spec.items()
                          if k in ("provider", "url", "mbtiles", "gpkg", "table", "attribution")))
        with self._lock:
            if key not in self._sources:
                self._sources[key] = _make_source(spec)
            self._sources.move_to_end(key)
            source = self._sources[key]
            old = [self._sources.popitem(last=False)[1] for _ in range(len(self._sources) - MAX_OPEN_SOURCES)]
        for stale in old:
            stale.close()
        return source

    def close(self) -> None:
        with self._lock:
            sources = list(self._sources.values())
            self._sources.clear()
        for source in sources:
            source.close()


_DEFAULT = TileSources()
_SOURCES = _DEFAULT._sources  # the default registry's sources (tests clear it between cases)
atexit.register(_DEFAULT.close)


def source_for(spec: dict) -> TileSource:
    """The (shared, cached) tile source a basemap spec names; DataError when it cannot work.

    ``{"provider": "OpenStreetMap.Mapnik"}`` (any xyzservices name), ``{"url": "https://…/{z}/{x}/{y}.png",
    "attribution": "…"}``, ``{"mbtiles": path}`` or ``{"gpkg": path, "table": name}``.
    """
    return _DEFAULT.get(spec)


def close_sources() -> None:
    """Close every source of the default registry (their download threads stop)."""
    _DEFAULT.close()


def _make_source(spec: dict) -> TileSource:
    if spec.get("mbtiles"):
        return MBTilesSource(spec["mbtiles"])
    if spec.get("gpkg"):
        return GpkgTilesSource(spec["gpkg"], spec.get("table"))
    if spec.get("url"):
        return XyzSource(str(spec["url"]), spec.get("name") or "custom", spec.get("attribution", ""),
                         _spec_zoom(spec.get("max_zoom", 19)))
    if spec.get("provider"):
        return XyzSource(*provider_service(str(spec["provider"])))
    raise DataError(f"a basemap needs a provider, url, mbtiles or gpkg: {spec}")


def provider_service(name: str) -> tuple[str, str, str, int]:
    """An xyzservices provider's (URL template, name, attribution, maximum zoom); DataError when it
    is unknown, needs an API key or serves GCJ-02 shifted coordinates."""
    import xyzservices.providers as xyz

    try:
        provider = xyz.query_name(name)
    except ValueError:
        raise DataError(f"unknown tile provider '{name}'") from None
    if provider.requires_token():
        raise DataError(f"tile provider '{name}' needs an API key; use a custom URL")
    url = provider.build_url(scale_factor=None)
    if is_gcj02(provider.name, url):
        raise DataError(f"tile provider '{name}' uses China's GCJ-02 shifted coordinates; "
                        "its streets would be hundreds of metres off the data")
    return url, provider.name, provider.get("attribution", ""), _spec_zoom(provider.get("max_zoom", 19))


def _spec_zoom(value: object) -> int:
    try:
        return check_zoom(int(value), "the basemap's maximum")
    except (TypeError, ValueError):
        raise DataError(f"the basemap's maximum zoom {str(value)[:30]!r} is not a whole number") from None


def providers() -> list[str]:
    """Names of the xyzservices providers that need no API key, without GCJ-02 (shifted) ones."""
    import xyzservices.providers as xyz

    return sorted(name for name, p in xyz.flatten().items()
                  if not p.requires_token() and not is_gcj02(name, str(p.get("url", ""))))
