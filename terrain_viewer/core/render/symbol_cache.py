"""Unit symbols kept on disk between runs, so a start does not pay for milsymbol's data tables.

The first symbol milsymbol draws in a process loads and parses its ~2 MB of JSON (≈0.7 s); each
rasterised symbol is therefore also kept as a small ``.npz`` in the user cache folder, keyed by its
arguments and by the versions of milsymbol, resvg and ``symbols.py``. ``TERRAIN_VIEWER_CACHE_DIR``
moves the folder; ``TERRAIN_VIEWER_CACHE_DIR=off`` turns the disk cache off. A damaged or
unwritable cache only costs the time it was meant to save.

The symbols of the built-in data come with the app in the same form (``resources/symbols``, made by
``python -m geodata.seed_symbols``), so that even the first start after installing does not load
milsymbol's tables; they serve only while the installed milsymbol, resvg and ``symbols.py`` are
the ones they were drawn with (the same file names), else the symbols are drawn as above.
"""

from __future__ import annotations

import functools
import hashlib
import io
import logging
import zipfile
from pathlib import Path

import numpy as np

from terrain_viewer.core.common.atomic import atomic_write_bytes
from terrain_viewer.core.common.caches import cache_folder
from terrain_viewer.core.common.errors import TerrainViewerError
from terrain_viewer.core.render import symbols
from terrain_viewer.core.render.symbols import SymbolImage, unit_symbol

log = logging.getLogger(__name__)

PACKAGE = Path(__file__).resolve().parents[2]  # terrain_viewer/


def cache_dir() -> Path | None:
    """The folder of cached symbols (None: disk cache off)."""
    return cache_folder("symbols")


@functools.cache
def shipped_dir() -> Path | None:
    """The symbols shipped for the built-in data: an installed copy, else the repository's."""
    for candidate in (PACKAGE / "resources" / "symbols", PACKAGE.parent / "resources" / "symbols"):
        if candidate.is_dir():
            return candidate
    return None


@functools.cache
def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    parts = [Path(symbols.__file__).read_bytes()]
    for package in ("milsymbol", "resvg-py"):
        try:
            parts.append(version(package).encode())
        except PackageNotFoundError:
            parts.append(b"?")
    return hashlib.sha1(b"\0".join(parts)).hexdigest()[:12]


def file_name(sidc: str, designation: str = "", higher: str = "", size: int = 30, side: str = "") -> str:
    """The cache file of a symbol: its arguments and the versions that draw it, hashed."""
    key = repr((_version(), sidc, designation, higher, size, side)).encode()
    return f"{hashlib.sha1(key).hexdigest()}.npz"


@functools.lru_cache(maxsize=4096)
def cached_symbol(sidc: str, designation: str = "", higher: str = "", size: int = 30,
                  side: str = "") -> SymbolImage:
    """``symbols.unit_symbol`` of these arguments, from the disk cache or the shipped symbols when
    there."""
    folder = cache_dir()
    name = file_name(sidc, designation, higher, size, side)
    for place in (folder, shipped_dir()):
        if place is not None and (symbol := read(place / name)) is not None:
            return symbol
    symbol = unit_symbol(sidc, designation, higher, size, side)
    if folder is not None:
        write(symbol, folder / name)
    return symbol


def read(path: Path) -> SymbolImage | None:
    """The symbol kept in ``path`` (None: not there, or damaged)."""
    try:
        with np.load(path) as data:
            anchor = data["anchor"]
            return SymbolImage(np.ascontiguousarray(data["rgba"]), (float(anchor[0]), float(anchor[1])),
                               bool(data["valid"]))
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile):
        return None  # not cached yet, or a damaged file: drawn again


def write(symbol: SymbolImage, path: Path) -> None:
    """Keep ``symbol`` in ``path`` (atomically; a failure only costs the time it would save)."""
    buffer = io.BytesIO()
    np.savez(buffer, rgba=symbol.rgba, anchor=np.array(symbol.anchor, float), valid=np.array(symbol.valid))
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_bytes(path, buffer.getvalue())
    except (OSError, TerrainViewerError) as exc:
        log.debug("symbol cache not written (%s)", exc)
