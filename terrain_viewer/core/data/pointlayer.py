"""Large point layers kept as coordinates until the map CRS is known.

``readers.read_layer_xy`` gives a large layer of plain 2D points as an (n, 2) array of finite
coordinates and a frame whose geometries are not made yet. The checks a layer passes in its own
CRS are done on the array, and each point is made once, in the map CRS: the same values, checks and
messages as for a layer read with its geometries (``clean_geometries`` finds nothing to do in such a
layer: every point is present, finite and valid).
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely
from pyproj import CRS

from terrain_viewer.core.common.errors import counted
from terrain_viewer.core.data.geomcheck import check_crs, xy_points_to_crs
from terrain_viewer.core.data.mapcrs import SAMPLE_VERTICES


def bounds(xy: np.ndarray) -> tuple[float, float, float, float]:
    """``total_bounds`` of the points."""
    if not len(xy):
        return (np.nan, np.nan, np.nan, np.nan)
    lo, hi = xy.min(axis=0), xy.max(axis=0)
    return (float(lo[0]), float(lo[1]), float(hi[0]), float(hi[1]))


def check(gdf: gpd.GeoDataFrame, xy: np.ndarray, path: Path, name: str, problems: list[str],
          limit: float, why: str) -> tuple[gpd.GeoDataFrame, np.ndarray]:
    """``check_crs`` on the points' bounds, then rows beyond ``limit`` (projected CRS) dropped."""
    check_crs(gdf, path, name, bounds(xy))
    if gdf.crs.is_projected:
        ok = (np.abs(xy) < limit).all(axis=1)
        if not ok.all():
            problems.append(f"{counted(int((~ok).sum()), 'feature')} with {why} skipped")
            gdf, xy = gdf[ok], xy[ok]
    return gdf, xy


def sample_frame(gdf: gpd.GeoDataFrame, xy: np.ndarray) -> gpd.GeoDataFrame:
    """The points ``mapcrs.lonlat_vertices`` would take from the whole layer, as a small frame."""
    if len(xy) > SAMPLE_VERTICES:
        xy = xy[np.linspace(0, len(xy) - 1, SAMPLE_VERTICES).astype(int)]
    return gpd.GeoDataFrame(geometry=shapely.points(xy), crs=gdf.crs)


def made(gdf: gpd.GeoDataFrame, xy: np.ndarray, crs: CRS | None, problems: list[str],
         why: str) -> gpd.GeoDataFrame:
    """The layer with its points made: in ``crs`` (``to_crs`` values; rows not finite there dropped
    with a count), or in its own CRS when ``crs`` is None."""
    if crs is None or not len(xy):  # as before: an empty layer is not reprojected
        return gdf.set_geometry(gpd.array.from_shapely(shapely.points(xy.reshape(-1, 2)), crs=gdf.crs))
    return xy_points_to_crs(gdf, xy[:, 0], xy[:, 1], crs, problems, why)

