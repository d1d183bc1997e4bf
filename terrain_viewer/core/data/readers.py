"""Reading vector sources with pyogrio, turning every failure into a one-line DataError.

Only regular files are opened (a FIFO or a device would block or never end), and GDAL may not
reach the network from a data file: a VRT that names a URL or a ``/vsicurl/``-like path is
refused, and GDAL's curl access is switched off for what it opens (basemaps use their own HTTP).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import errno
import importlib.util
import os
import re
import sqlite3
import stat
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely
from pyproj.exceptions import ProjError
from shapely.errors import ShapelyError

from terrain_viewer.core.common.errors import DataError

RASTER_SUFFIXES = {".tif", ".tiff", ".vrt", ".jp2", ".img", ".png", ".jpg", ".jpeg"}  # pictures: with a
#                                                                     world file (.pgw, .jgw) and a .prj
MAX_FEATURES = 200_000  # features per layer; larger layers are refused before they are read
MAX_KEYFRAME_POINTS = 5_000_000  # rows of a layer of point keyframes (one coordinate each)
KEYFRAME_FIELDS = ("unit_id", "line_id")  # with start_date: rows are keyframes of an id
MAX_TABLE_ROWS = 100_000  # rows of an attribute table kept in Dataset.tables
USE_ARROW = importlib.util.find_spec("pyarrow") is not None  # bulk reads of large layers (≈4x faster)
ARROW_FROM = 20_000  # features: smaller layers read faster the plain way (Arrow's set-up per layer)
MAX_VRT_BYTES = 10_000_000  # a VRT (XML) larger than this is refused unread
WALL_TIME_COLUMNS = ("start_date", "end_date")  # read as the local times written (see _wall_clock)
STYLE_TABLES = {"layer_styles", "qgis_projects"}  # QGIS keeps styles/projects in a GeoPackage
# What a failed read of one file or layer may raise besides DataError (pyogrio and pyproj raise
# RuntimeError subclasses; sqlite3 and decoding errors from damaged files).
LOAD_ERRORS = (OSError, UnicodeError, ValueError, RuntimeError, ProjError, sqlite3.Error, ShapelyError)
NETWORK_MARKERS = re.compile(r"/vsi(curl|s3|gs|az|adls|oss|swift|hdfs|webhdfs)|https?://|ftps?://|"
                             r"\bWMS:|\bWMTS:", re.IGNORECASE)
NO_NETWORK = {"CPL_VSIL_CURL_ALLOWED_EXTENSIONS": ".terrain-viewer-no-network",
              "GDAL_HTTP_TIMEOUT": "1", "GDAL_HTTP_MAX_RETRY": "0"}
with contextlib.suppress(AttributeError, RuntimeError):  # pyogrio has its own GDAL
    pyogrio.set_gdal_config_options(NO_NETWORK)


@dataclass(frozen=True)
class LayerInfo:
    """What a data source says about one of its layers, before reading it."""

    name: str
    geometry_type: str | None
    crs: str | None
    features: int
    fields: tuple[str, ...]
    details: dict = field(default_factory=dict, repr=False, compare=False)  # pyogrio.read_info's answer


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return safe(text[0]) if text else type(exc).__name__


def safe(text: object, limit: int = 300) -> str:
    """``text`` fit for a one-line message: control characters escaped, long text cut in the middle."""
    out = "".join(c if c.isprintable() else repr(c)[1:-1] for c in str(text))
    return out if len(out) <= limit else f"{out[:limit // 3]}…{out[-(2 * limit) // 3:]}"


def data_error(problem: str, path: str | Path | None, layer: str | None = None) -> DataError:
    """A DataError whose file and layer names print safely (escaped, bounded)."""
    return DataError(problem, safe(path) if path is not None else None,
                     safe(layer) if layer is not None else None)


@contextlib.contextmanager
def guarded(path: str | Path, layer: str | None = None, what: str = "cannot read") -> Iterator[None]:
    """Turn the errors a damaged file or layer raises (LOAD_ERRORS) into one DataError line."""
    try:
        yield
    except DataError:
        raise
    except LOAD_ERRORS as exc:
        raise data_error(f"{what}: {_first_line(exc)}", path, layer) from exc


def _stat(path: Path) -> os.stat_result | None:
    try:
        return path.stat()
    except FileNotFoundError:
        return None
    except OSError as exc:
        if exc.errno == errno.ENAMETOOLONG:
            raise data_error(f"path too long ({len(str(path))} characters)", path) from None
        if exc.errno in (errno.EACCES, errno.EPERM):
            raise data_error("permission denied (cannot read the file)", path) from None
        raise data_error(f"cannot read: {exc.strerror or exc}", path) from None


def check_readable(path: Path) -> None:
    """Raise DataError unless ``path`` is an existing, non-empty, readable regular file
    (or a ``.gdb`` folder). FIFOs, devices and sockets are refused without being opened."""
    st = _stat(path)
    if st is None:
        raise data_error("file not found", path)
    if stat.S_ISDIR(st.st_mode):
        if path.suffix.lower() in {".gdb"}:
            return
        raise data_error("is a folder, not a data file", path)
    if not stat.S_ISREG(st.st_mode):
        raise data_error("not a regular file (a pipe, device or socket); only files are read", path)
    if st.st_size == 0:
        raise data_error("empty file (0 bytes)", path)
    try:
        with path.open("rb") as f:
            head = f.read(100)
    except PermissionError:
        raise data_error("permission denied (cannot read the file)", path) from None
    except OSError as exc:
        raise data_error(f"cannot read: {exc.strerror or exc}", path) from None
    if path.suffix.lower() == ".gpkg":
        if not head.startswith(b"SQLite format 3\x00"):
            raise data_error("not a GeoPackage (no SQLite header; wrong or damaged file)", path)
        if len(head) < 100 or st.st_size < 1024:
            raise data_error(f"truncated GeoPackage ({st.st_size} bytes)", path)
    if path.suffix.lower() == ".vrt":
        check_vrt_offline(path, st.st_size)


def check_vrt_offline(path: Path, size: int) -> None:
    """Refuse a VRT that would make GDAL fetch from the network (or is too big to be a VRT)."""
    if size > MAX_VRT_BYTES:
        raise data_error(f"VRT of {size:,} bytes is larger than the {MAX_VRT_BYTES:,}-byte limit", path)
    text = path.read_bytes().decode("utf-8", "replace")
    found = NETWORK_MARKERS.search(text)
    if found:
        raise data_error(f"VRT refers to a network source ({safe(found.group(0))}…); data files are "
                         "read offline only", path)


def list_layers(path: str | Path) -> list[LayerInfo]:
    """The vector layers in a data source, with type, CRS, count and fields."""
    path = Path(path)
    check_readable(path)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            names = pyogrio.list_layers(path)
    except LOAD_ERRORS as exc:  # pyogrio raises several types; the message is what matters
        text = _first_line(exc)
        if "malformed" in text or "not a database" in text:
            raise data_error("damaged or truncated GeoPackage (SQLite: database disk image is malformed)",
                             path) from exc
        if _is_sqlite(path) and "required GeoPackage tables" in text:
            raise data_error("a plain SQLite database, not a GeoPackage (no gpkg_contents table)",
                             path) from exc
        raise data_error(f"cannot open as vector data: {text}", path) from exc
    if len(names) == 0:
        kind = "a plain SQLite database, not a GeoPackage" if _is_sqlite(path) else "no layers"
        raise data_error(f"no vector layers ({kind})", path)
    infos = []
    for name, geometry_type in names:
        infos.append(_layer_info(path, str(name), geometry_type))
    return infos


def gpkg_tile_tables(path: str | Path) -> list[str]:
    """Raster (tile) tables of a GeoPackage, e.g. a scanned 1944 map; [] for anything else."""
    path = Path(path)
    if path.suffix.lower() != ".gpkg":
        return []
    try:
        check_readable(path)
        with contextlib.closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as db:
            db.text_factory = lambda raw: raw.decode("utf-8", "replace")  # a bit-flipped name
            rows = db.execute("SELECT table_name FROM gpkg_contents WHERE data_type = 'tiles'").fetchall()
    except (DataError, sqlite3.Error, OSError, UnicodeError, ValueError):
        return []
    return [str(r[0]) for r in rows]


def _is_sqlite(path: Path) -> bool:
    try:
        with path.open("rb") as f:
            return f.read(16) == b"SQLite format 3\x00"
    except OSError:
        return False


def _layer_info(path: Path, name: str, geometry_type: str | None) -> LayerInfo:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            info = pyogrio.read_info(path, layer=name)
    except LOAD_ERRORS as exc:
        raise data_error(f"cannot read layer information: {_first_line(exc)}", path, name) from exc
    return LayerInfo(
        name=name,
        geometry_type=geometry_type,
        crs=info.get("crs"),
        features=int(info.get("features") or 0),
        fields=tuple(str(f) for f in info.get("fields", ())),
        details=info,
    )


def read_layer(path: str | Path, layer: str) -> gpd.GeoDataFrame:
    """Read one layer as a GeoDataFrame in its own CRS (DataError above ``MAX_FEATURES``)."""
    gdf, xy = read_layer_xy(path, layer)
    if xy is not None:
        gdf = gdf.set_geometry(gpd.array.from_shapely(shapely.points(xy), crs=gdf.crs))
    return gdf


def read_layer_xy(path: str | Path, layer: str, info: dict | None = None
                  ) -> tuple[gpd.GeoDataFrame, np.ndarray | None]:
    """``read_layer``; for a large layer of 2D points, its (n, 2) coordinates and a frame whose
    geometries are not made yet (all missing), to be made once in the map CRS. ``info``: the
    layer's ``pyogrio.read_info`` when already read (``LayerInfo.details``)."""
    path = Path(path)
    check_readable(path)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            info = info or pyogrio.read_info(path, layer=layer)
            count, limit = int(info.get("features") or 0), feature_limit(info)
            if count > limit:
                kind = " of point keyframes" if limit == MAX_KEYFRAME_POINTS else ""
                raise data_error(f"{count:,} features; the limit is {limit:,} per layer{kind} "
                                 "(split or simplify it first)", path, layer)
            gdf, xy = _read_features(path, layer, count, info)
            return _wall_clock(path, layer, gdf), xy
    except LOAD_ERRORS as exc:
        raise data_error(f"cannot read features: {_first_line(exc)}", path, layer) from exc


def feature_limit(info: dict) -> int:
    """``MAX_KEYFRAME_POINTS`` for points with an id and a start date (keyframes: one point per id is
    shown at a time, and the ids are limited to ``MAX_FEATURES`` once read), else ``MAX_FEATURES``."""
    fields = {str(f) for f in info.get("fields", ())}
    points = str(info.get("geometry_type") or "").startswith("Point")
    keyframes = "start_date" in fields and any(f in fields for f in KEYFRAME_FIELDS)
    return MAX_KEYFRAME_POINTS if points and keyframes else MAX_FEATURES


def _read_features(path: Path, layer: str, count: int,
                   info: dict) -> tuple[gpd.GeoDataFrame, np.ndarray | None]:
    """A large layer through Arrow when pyarrow is there (points: coordinates straight from the WKB);
    what Arrow cannot type is read the plain way."""
    if USE_ARROW and count >= ARROW_FROM:
        from terrain_viewer.core.data import arrowpoints  # pyarrow is optional

        try:
            if arrowpoints.can_read(info):
                return arrowpoints.read_xy(path, layer)
            return gpd.read_file(path, layer=layer, engine="pyogrio", use_arrow=True), None
        except (TypeError, NotImplementedError, KeyError, IndexError, ShapelyError):  # Arrow's other
            pass  #                                                          error types, bad geometry
    try:
        return gpd.read_file(path, layer=layer, engine="pyogrio"), None
    except ShapelyError as exc:  # a geometry GEOS cannot make (a line of one point): skip those
        return _readable_only(path, layer, exc), None


def _readable_only(path: Path, layer: str, error: ShapelyError) -> gpd.GeoDataFrame:
    """The layer without the features whose geometry GEOS cannot make, which ``attrs["unreadable"]``
    counts and names the first error of."""
    gdf = gpd.read_file(path, layer=layer, engine="pyogrio", on_invalid="ignore")
    wkb = pyogrio.raw.read(path, layer=layer, columns=[])[2]
    bad = np.zeros(len(gdf), bool) if wkb is None else \
        np.array([g is not None for g in wkb]) & shapely.is_missing(gdf.geometry.values)
    gdf = gdf[~bad]
    n, why = int(bad.sum()), _first_line(error).removeprefix("IllegalArgumentException: ")
    gdf.attrs["unreadable"] = f"{n} feature{'s' * (n != 1)} skipped: geometry that cannot be read ({why})"
    return gdf


def _wall_clock(path: Path, layer: str, gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Date columns with time zones as the local (wall-clock) times written in the file.

    pyogrio turns a DATETIME column with mixed UTC offsets into UTC, which moves midnight of
    1944-07-01 (+08:00) to 16:00 on 30 June; the viewer's times are the dates as written.
    """
    aware = [c for c in WALL_TIME_COLUMNS
             if c in gdf.columns and isinstance(gdf[c].dtype, pd.DatetimeTZDtype)]
    if not aware:
        return gdf
    raw = pyogrio.read_dataframe(path, layer=layer, columns=aware, read_geometry=False,
                                 datetime_as_string=True)
    gdf = gdf.copy()
    for column in aware:
        local = [None if not isinstance(v, str) or not v else
                 dt.datetime.fromisoformat(v.replace("Z", "+00:00")).replace(tzinfo=None)
                 for v in raw[column]]
        gdf[column] = pd.Series(local, index=gdf.index, dtype="datetime64[ms]")
    return gdf


def read_table(path: str | Path, layer: str) -> pd.DataFrame:
    """An attribute table (no geometry), at most ``MAX_TABLE_ROWS`` rows."""
    path = Path(path)
    with guarded(path, layer, "cannot read table"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return pyogrio.read_dataframe(path, layer=layer, read_geometry=False,
                                      max_features=MAX_TABLE_ROWS)
