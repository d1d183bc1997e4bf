"""The window's first frame, kept on disk and shown at the next launch while that frame is drawn.

Drawing a session's first frame builds everything it needs (the relief and static layers at the
window's size, the legend, every label's text): ≈ 0.5 s of a 2 s start on a 2-core machine. A
window that starts on the same state as last time draws the same pixels again, so the last start's
frame is kept in the user's cache folder (``caches.cache_folder``) and shown at once; the frame
drawn now replaces it (the same pixels) and the map works as always.

A frame is kept by everything it is drawn from (``frame_key``): the session (``ViewerModel.to_dict``:
files, layers and their styles, time, view, options), the data files as the dataset cache knows them
(``load_cache.entry``: path, size, times and inode of each file and the files read beside it; a
session that cache will not keep has no launch frame), the frame's size, view, pixel ratio, layers,
date and look, the drawing code (this package's ``core`` modules and ``resources``, by content or
stamp), the libraries' versions and matplotlib's font list. A session with a tile basemap has none
(its tiles come later). ``KEEP`` frames are kept; a damaged or unreadable one is only not shown.
"""

from __future__ import annotations

import functools
import hashlib
import io
import json
import logging
from pathlib import Path

import numpy as np

from terrain_viewer.core.common.atomic import atomic_write_bytes
from terrain_viewer.core.common.caches import cache_folder, keep_newest
from terrain_viewer.core.common.errors import TerrainViewerError
from terrain_viewer.core.data import load_cache

log = logging.getLogger(__name__)

KEEP = 4  # frames kept (the most recently shown or written)
MOST_PIXELS = 3840 * 2400  # a bigger canvas keeps no frame (tens of MB a start)
LIBRARIES = ("matplotlib", "PIL")  # the drawing libraries beyond the reading code's (load_cache.LIBRARIES)
PACKAGE = Path(__file__).resolve().parents[2]  # terrain_viewer/


def folder() -> Path | None:
    return cache_folder("frames")


@functools.cache
def code_version() -> str:
    """The drawing code, its resources, the libraries and the fonts matplotlib knows, hashed."""
    digest = hashlib.sha1(load_cache.code_version().encode())  # the reading code and its libraries
    for name in LIBRARIES:
        digest.update(load_cache.library_version(name).encode())
    for source in sorted((PACKAGE / "core").rglob("*.py")):
        digest.update(str(source.relative_to(PACKAGE)).encode() + source.read_bytes())
    for path in sorted((PACKAGE.parent / "resources").rglob("*")):
        stat = path.stat()
        digest.update(f"{path.name} {stat.st_size} {stat.st_mtime_ns}".encode())
    digest.update(_fonts().encode())
    return digest.hexdigest()


def _fonts() -> str:
    """matplotlib's font list file (its name, size and time): the fonts labels may fall back on."""
    import matplotlib

    try:
        found = sorted(Path(matplotlib.get_cachedir()).glob("fontlist-v*.json"))
        return " ".join(f"{p.name} {p.stat().st_size} {p.stat().st_mtime_ns}" for p in found)
    except OSError:
        return "?"


def frame_key(model, size: tuple[int, int], view, ratio: float, layers, t: float, look) -> str | None:
    """The name of the frame of this state (see the module); None when it may not be kept."""
    width, height = size
    if model.basemap or width * height > MOST_PIXELS:
        return None
    data = load_cache.entry(model.paths, model.dataset.map_crs)
    if data is None:
        return None
    try:
        session = json.dumps(model.to_dict(), sort_keys=True, default=repr)
    except (TypeError, ValueError):
        return None
    state = (code_version(), data.name, session, tuple(size), [float(v) for v in view], float(ratio),
             None if layers is None else sorted(layers), float(t), repr(look))
    return hashlib.sha1(repr(state).encode()).hexdigest()


def read(key: str) -> np.ndarray | None:
    """The kept frame of ``key`` (rows of 32-bit pixels as the window paints them), or None."""
    where = folder()
    if where is None:
        return None
    path = where / f"{key}.npy"
    try:
        if not path.is_file():  # a pipe or a folder of that name would block or fail the read
            return None
        pixels = np.load(path, allow_pickle=False)
        path.touch()  # most recently used
    except (OSError, ValueError, EOFError):
        return None
    if pixels.dtype != np.uint8 or pixels.ndim != 3 or pixels.shape[2] != 4:
        return None
    return np.ascontiguousarray(pixels)  # rows one after another, as an image is (a file may say
    #                                     otherwise: a Fortran-ordered array crashed the first paint)


def kept(key: str) -> bool:
    """Whether a frame of ``key`` is kept (not whether it reads back whole)."""
    where = folder()
    return where is not None and (where / f"{key}.npy").is_file()


def keep(key: str, pixels: np.ndarray) -> None:
    """Keep ``pixels`` (height × width × 4 bytes) as the frame of ``key``; the oldest frames go.
    Written whole or not at all; a full disk or a read-only folder only costs the next start."""
    where = folder()
    if where is None:
        return
    try:
        where.mkdir(parents=True, exist_ok=True, mode=0o700)
        buffer = io.BytesIO()
        np.save(buffer, np.ascontiguousarray(pixels, dtype=np.uint8), allow_pickle=False)
        atomic_write_bytes(where / f"{key}.npy", buffer.getvalue())
        keep_newest(where, ".npy", KEEP)
    except (OSError, TerrainViewerError) as exc:
        log.debug("launch frame not kept (%s)", exc)
