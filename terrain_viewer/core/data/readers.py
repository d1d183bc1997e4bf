"""Reading vector sources with pyogrio, turning every failure into a one-line DataError."""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import pyogrio

from terrain_viewer.core.common.errors import DataError

RASTER_SUFFIXES = {".tif", ".tiff", ".vrt", ".jp2", ".img"}


@dataclass(frozen=True)
class LayerInfo:
    """What a data source says about one of its layers, before reading it."""

    name: str
    geometry_type: str | None
    crs: str | None
    features: int
    fields: tuple[str, ...]


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


def check_readable(path: Path) -> None:
    """Raise DataError unless ``path`` is an existing, non-empty file."""
    if not path.exists():
        raise DataError("file not found", path)
    if path.is_dir():
        if path.suffix.lower() in {".gdb"}:
            return
        raise DataError("is a folder, not a data file", path)
    size = path.stat().st_size
    if size == 0:
        raise DataError("empty file (0 bytes)", path)
    if path.suffix.lower() == ".gpkg":
        with path.open("rb") as f:
            head = f.read(100)
        if not head.startswith(b"SQLite format 3\x00"):
            raise DataError("not a GeoPackage (no SQLite header; wrong or damaged file)", path)
        if len(head) < 100 or size < 1024:
            raise DataError(f"truncated GeoPackage ({size} bytes)", path)


def list_layers(path: str | Path) -> list[LayerInfo]:
    """The vector layers in a data source, with type, CRS, count and fields."""
    path = Path(path)
    check_readable(path)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            names = pyogrio.list_layers(path)
    except Exception as exc:  # pyogrio raises several types; the message is what matters
        text = _first_line(exc)
        if "malformed" in text or "not a database" in text:
            raise DataError("damaged or truncated GeoPackage (SQLite: database disk image is malformed)",
                            path) from exc
        if _is_sqlite(path) and "required GeoPackage tables" in text:
            raise DataError("a plain SQLite database, not a GeoPackage (no gpkg_contents table)",
                            path) from exc
        raise DataError(f"cannot open as vector data: {text}", path) from exc
    if len(names) == 0:
        kind = "a plain SQLite database, not a GeoPackage" if _is_sqlite(path) else "no layers"
        raise DataError(f"no vector layers ({kind})", path)
    infos = []
    for name, geometry_type in names:
        infos.append(_layer_info(path, str(name), geometry_type))
    return infos


def gpkg_tile_tables(path: str | Path) -> list[str]:
    """Raster (tile) tables of a GeoPackage, e.g. a scanned 1944 map; [] for anything else."""
    import contextlib
    import sqlite3

    path = Path(path)
    if path.suffix.lower() != ".gpkg" or not path.is_file():
        return []
    try:
        with contextlib.closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as db:
            rows = db.execute("SELECT table_name FROM gpkg_contents WHERE data_type = 'tiles'").fetchall()
    except sqlite3.Error:
        return []
    return [str(r[0]) for r in rows]


def _is_sqlite(path: Path) -> bool:
    with path.open("rb") as f:
        return f.read(16) == b"SQLite format 3\x00"


def _layer_info(path: Path, name: str, geometry_type: str | None) -> LayerInfo:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            info = pyogrio.read_info(path, layer=name)
    except Exception as exc:
        raise DataError(f"cannot read layer information: {_first_line(exc)}", path, name) from exc
    return LayerInfo(
        name=name,
        geometry_type=geometry_type,
        crs=info.get("crs"),
        features=int(info.get("features") or 0),
        fields=tuple(str(f) for f in info.get("fields", ())),
    )


def read_layer(path: str | Path, layer: str) -> gpd.GeoDataFrame:
    """Read one layer as a GeoDataFrame in its own CRS."""
    path = Path(path)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return gpd.read_file(path, layer=layer, engine="pyogrio")
    except Exception as exc:
        raise DataError(f"cannot read features: {_first_line(exc)}", path, layer) from exc
