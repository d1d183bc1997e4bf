"""Loaded datasets kept on disk between runs, so that a start does not read and prepare its files again.

Reading and preparing the built-in GeoPackage's 17 layers, and importing rasterio for its elevation
grid, is ≈0.7 s of every start (window, export, helper process); the prepared ``Dataset`` loads
back in ≈10 ms. It is kept as a pickle in the user's cache folder (``caches.cache_root()``), keyed by

- every file's path as given and resolved, size, modification and change times, and those of every
  file beside it that GDAL may read with it: the names that start with its stem and a dot (a
  shapefile's ``.dbf``, ``.cpg`` and ``.prj``, a scan's world file and ``.aux.xml``, a GeoPackage's
  ``-wal``, where QGIS may write only); a folder (a FileGDB) or a VRT (which names other files) is
  never kept; and the map CRS asked for;
- the code that reads them (this package's data, temporal and common modules, by content) and the
  versions of Python and the libraries that read (GDAL comes with pyogrio's and rasterio's wheels).

A file changed within the last ``RACY_S`` seconds is not kept (its clock may not yet tell a second
change from the first: git's "racily clean" files); nor are sessions whose files exceed
``MAX_BYTES`` or whose pickle ``MAX_PICKLE``. The ``KEEP`` most recently used entries are kept. A damaged,
unreadable or unwritable entry only costs the time it was meant to save. The pickles are the app's
own, in the user's own cache folder (made 0700); the app reads nothing else from there.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import os
import pickle
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from terrain_viewer.core.common.atomic import atomic_write_bytes
from terrain_viewer.core.common.caches import cache_folder, keep_newest
from terrain_viewer.core.common.errors import TerrainViewerError

log = logging.getLogger(__name__)

RACY_S = 2.0
MAX_BYTES = 64 * 2**20  # files of a session kept, together
MAX_PICKLE = 64 * 2**20  # a pickle kept (the folder stays under KEEP × MAX_PICKLE)
KEEP = 8
LIBRARIES = ("numpy", "pandas", "pyarrow", "geopandas", "shapely", "pyproj", "pyogrio", "rasterio")
NEVER = (".vrt",)  # files that name other files
CODE = ("core/data", "core/temporal", "core/common")
PACKAGE = Path(__file__).resolve().parents[2]  # terrain_viewer/


def folder() -> Path | None:
    return cache_folder("datasets")


def library_version(name: str) -> str:
    """An imported library's ``__version__`` (the readers have imported most: no metadata scan,
    ≈ 2 ms a library on every start), else its installed distribution's ("?" when none)."""
    found = getattr(sys.modules.get(name), "__version__", None)
    if found is not None:
        return str(found)
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(name)
    except PackageNotFoundError:
        return "?"


@functools.cache
def code_version() -> str:
    """The reading code and the libraries it rests on, hashed."""
    digest = hashlib.sha1(sys.version.encode())
    for name in LIBRARIES:
        digest.update(library_version(name).encode())
    for sub in CODE:
        for source in sorted((PACKAGE / sub).glob("*.py")):
            digest.update(source.name.encode() + source.read_bytes())
    return digest.hexdigest()


def _stamp(path: Path) -> tuple | None:
    """What says a file and the files GDAL reads beside it are unchanged; None when it is not a
    plain file, may name other files, or one of them changed too recently to tell."""
    stamps, now = [], time.time()
    try:
        if path.suffix.lower() in NEVER or not path.is_file():
            return None
        with os.scandir(path.parent) as entries:
            prefixes = (path.stem + ".", path.name + "-")
            beside = sorted(e.name for e in entries if (e.name == path.name or e.name.startswith(prefixes))
                            and not e.name.endswith("-shm"))  # SQLite's WAL index: a read touches it
        for name in beside:
            st = (path.parent / name).stat()
            if now - st.st_mtime < RACY_S or now - st.st_ctime < RACY_S:
                return None
            stamps.append((name, st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino))
    except OSError:
        return None
    return tuple(stamps)


def entry(paths: Sequence[str | Path], map_crs) -> Path | None:
    """The cache file of these files opened in ``map_crs``; None when they may not be kept."""
    where = folder()
    if where is None or not paths:
        return None
    key = [code_version(), str(map_crs)]
    total = 0
    for given in paths:
        try:
            path = Path(given).resolve()
        except (OSError, RuntimeError):  # a name too long, a symlink loop: its load says so
            return None
        stamp = _stamp(path)
        if stamp is None:
            return None
        total += sum(part[1] for part in stamp)
        key.append((str(given), str(path), stamp))
    if total > MAX_BYTES:
        return None
    return where / f"{hashlib.sha1(repr(key).encode()).hexdigest()}.pickle"


def cached(paths: Sequence[str | Path], map_crs, load: Callable[[], object]) -> object:
    """``load()``'s dataset, from the cache when these files were loaded so before."""
    path = entry(paths, map_crs)
    if path is None:
        return load()
    try:
        data = path.read_bytes()
    except OSError:
        pass
    else:
        try:
            dataset = pickle.loads(data)
            os.utime(path)  # most recently used
            return dataset
        except Exception as exc:  # noqa: BLE001 - a damaged entry is loaded again
            log.debug("dataset cache entry %s unreadable (%s)", path.name, exc)
    dataset = load()
    _keep(path, dataset)
    return dataset


def _keep(path: Path, dataset: object) -> None:
    try:
        data = pickle.dumps(dataset, protocol=pickle.HIGHEST_PROTOCOL)
        if len(data) > MAX_PICKLE:
            return
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        atomic_write_bytes(path, data)
        keep_newest(path.parent, ".pickle", KEEP)
    except (OSError, TerrainViewerError, pickle.PicklingError, TypeError, AttributeError) as exc:
        log.debug("dataset cache not written (%s)", exc)
