"""Large point layers read through Arrow with their coordinates taken straight from the WKB.

A 2D point in little-endian WKB is 21 bytes (order, type 1, x, y): numpy reads x and y from the
Arrow buffer and shapely makes each point once, instead of one Python ``bytes`` per row parsed by
``from_wkb``. Anything else (other types, Z, big-endian, empty or NaN points) is parsed by shapely.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pyarrow as pa
import pyogrio
import shapely

POINT_WKB = 21  # bytes: byte order (1), type (4), x (8), y (8)
PLAIN_TYPES = {"OFTString", "OFTInteger", "OFTInteger64", "OFTReal"}  # no date/time conversions


def can_read(info: dict) -> bool:
    """A point layer whose fields Arrow gives to pandas as they are (no dates, times, lists, blobs)."""
    points = str(info.get("geometry_type") or "").startswith("Point")
    return points and set(info.get("ogr_types") or ()) <= PLAIN_TYPES


def wkb_points(wkb: pa.ChunkedArray | pa.Array) -> np.ndarray | None:
    """(n, 2) coordinates of an Arrow column of 2D little-endian WKB points; None unless every row
    is one, with finite coordinates."""
    array = wkb.combine_chunks() if isinstance(wkb, pa.ChunkedArray) else wkb
    if isinstance(array.type, pa.ExtensionType):
        array = array.storage
    kind = {pa.binary(): np.int32, pa.large_binary(): np.int64}.get(array.type)
    if kind is None or array.null_count or not len(array):
        return None
    _, offsets, data = array.buffers()
    offsets = np.frombuffer(offsets, dtype=kind)[array.offset: array.offset + len(array) + 1]
    if not (np.diff(offsets) == POINT_WKB).all():
        return None
    raw = np.frombuffer(data, dtype=np.uint8)[offsets[0]: offsets[-1]].reshape(-1, POINT_WKB)
    if not ((raw[:, 0] == 1).all() and (raw[:, 1:5] == (1, 0, 0, 0)).all()):
        return None
    xy = np.ascontiguousarray(raw[:, 5:]).view("<f8").astype(float)
    return xy if np.isfinite(xy).all() else None


def read_xy(path: Path, layer: str) -> tuple[gpd.GeoDataFrame, np.ndarray | None]:
    """What ``gpd.read_file(path, layer=layer, use_arrow=True)`` gives for a ``can_read`` layer; when
    all rows are plain 2D points, their (n, 2) coordinates instead of its geometries (left missing)."""
    meta, table = pyogrio.read_arrow(path, layer=layer)
    name = meta["geometry_name"] or "wkb_geometry"
    xy = wkb_points(table.column(name))
    if xy is None:
        geometry = shapely.from_wkb(table.column(name).to_numpy(zero_copy_only=False))
    else:
        geometry = np.full(len(xy), None, dtype=object)
    attributes = table.drop_columns([name]).combine_chunks()  # one chunk a column: fast row takes
    del table  # so that the conversion frees each Arrow column once converted
    frame = attributes.to_pandas(self_destruct=True)
    return gpd.GeoDataFrame(frame, geometry=geometry, crs=meta["crs"]), xy
