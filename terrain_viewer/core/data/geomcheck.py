"""A layer's CRS and geometries checked before use: a CRS that places it, finite coordinates, valid shapes."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely
from pyproj import CRS
from pyproj.exceptions import ProjError

from terrain_viewer.core.common.errors import counted
from terrain_viewer.core.data import readers as io
from terrain_viewer.core.data.mapcrs import transformer
from terrain_viewer.core.data.roles import row_name


def check_crs(gdf: gpd.GeoDataFrame, path: Path, name: str,
              bounds: tuple[float, float, float, float] | None = None) -> None:
    """DataError without a CRS, or when degrees go beyond ±180/±90 (``bounds``: its total bounds)."""
    if gdf.crs is None:
        raise io.data_error("no CRS (coordinate reference system); cannot place it on the map", path, name)
    if gdf.crs.is_geographic and not gdf.empty:
        x0, y0, x1, y1 = gdf.total_bounds if bounds is None else bounds
        if max(abs(x0), abs(x1)) > 180 or max(abs(y0), abs(y1)) > 90:
            raise io.data_error(
                f"coordinates up to ({x1:.0f}, {y1:.0f}) do not fit its CRS "
                f"{gdf.crs.to_string()} (degrees); wrong CRS?", path, name)


def crs_name(crs: CRS) -> str:
    return io.safe(crs.name or crs.to_string(), 80)


def check_placeable(gdf: gpd.GeoDataFrame, path: Path, name: str) -> None:
    """DataError when the layer's CRS cannot be transformed to lon/lat (an engineering/local CRS)."""
    try:
        transformer(gdf.crs, 4326)
    except ProjError:
        raise io.data_error(f"has CRS {crs_name(gdf.crs)} which cannot be transformed to the map CRS "
                            "(a local or engineering CRS)", path, name) from None


def drop_nonfinite(gdf: gpd.GeoDataFrame, problems: list[str], why: str,
                    limit: float = np.inf) -> gpd.GeoDataFrame:
    """Drop the rows with a coordinate that is not finite (or beyond ``limit``), with a count."""
    if gdf.empty:
        return gdf
    xy, rows = shapely.get_coordinates(gdf.geometry.values, return_index=True)
    with np.errstate(invalid="ignore"):
        ok = np.isfinite(xy).all(axis=1) & (np.abs(xy) < limit).all(axis=1)
    bad = np.unique(rows[~ok])
    if len(bad):
        problems.append(f"{counted(len(bad), 'feature')} with {why} skipped")
        gdf = gdf.drop(gdf.index[bad])
    return gdf


def clean_geometries(gdf: gpd.GeoDataFrame, problems: list[str],
                      warns: list[str]) -> gpd.GeoDataFrame:
    geoms = gdf.geometry.values
    missing = shapely.is_missing(geoms) | shapely.is_empty(geoms)
    if missing.any():
        problems.append(f"{counted(int(missing.sum()), 'feature')} with null or empty geometry skipped")
        gdf = gdf[~missing]
    gdf = drop_nonfinite(gdf, problems, "NaN or infinite coordinates")
    geoms = gdf.geometry.values
    invalid = ~shapely.is_valid(geoms)
    if invalid.any():  # drawn, repaired: a warning (the file still wants mending), not an error
        at = int(np.flatnonzero(invalid)[0])
        first = shapely.is_valid_reason(geoms[at])
        n = int(invalid.sum())  # the row in the file: its index (rows with no geometry are gone)
        warns.append(f"{n} invalid geometr{'y' if n == 1 else 'ies'} repaired (make_valid), the first in "
                     f"row {int(gdf.index[at]) + 1}{row_name(gdf, at)}: {first}; mend "
                     f"{'it' if n == 1 else 'them'} in the file")
        gdf = gdf.copy()
        gdf.loc[invalid, "geometry"] = shapely.make_valid(geoms[invalid])
    types = set(gdf.geom_type.unique())
    base = {t.replace("Multi", "") for t in types}
    if len(base) > 1:
        warns.append(f"mixed geometry types in one layer: {', '.join(sorted(types))}")
    return gdf


def points_to_crs(gdf: gpd.GeoDataFrame, crs: CRS, problems: list[str], why: str) -> gpd.GeoDataFrame | None:
    """``gdf.to_crs(crs)`` then ``drop_nonfinite`` for a layer of 2D points, the same values, one
    point made per row (not a copy then new coordinates); None for other layers (use ``to_crs``)."""
    geoms = np.asarray(gdf.geometry.values)
    if gdf.crs is None or not len(geoms) or not (shapely.get_type_id(geoms) == 0).all() \
            or shapely.has_z(geoms).any():
        return None
    return xy_points_to_crs(gdf, shapely.get_x(geoms), shapely.get_y(geoms), crs, problems, why)


def xy_points_to_crs(gdf: gpd.GeoDataFrame, x: np.ndarray, y: np.ndarray, crs: CRS, problems: list[str],
                     why: str) -> gpd.GeoDataFrame:
    """``gdf`` with points made in ``crs`` from its rows' coordinates ``x``, ``y`` in its own CRS;
    rows not finite there dropped with a count (``why``)."""
    x, y = transformer(gdf.crs, crs).transform(x, y)
    ok = np.isfinite(x) & np.isfinite(y)
    if not ok.all():
        problems.append(f"{counted(int((~ok).sum()), 'feature')} with {why} skipped")
        gdf, x, y = gdf[ok], x[ok], y[ok]
    return gdf.set_geometry(gpd.array.from_shapely(shapely.points(x, y), crs=crs))
