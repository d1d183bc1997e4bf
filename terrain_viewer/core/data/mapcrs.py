"""Choosing the map CRS: the UTM zone at the centre of the data, the centre found on the sphere.

The centre is the mean of unit vectors of (a sample of) the data's vertices in lon/lat, so data
that crosses the antimeridian (179°E … 179°W) is centred near 180°, not at 0°.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Iterable

import geopandas as gpd
import numpy as np
import shapely
from pyproj import CRS, Transformer
from pyproj.exceptions import ProjError

SAMPLE_VERTICES = 20_000  # vertices per layer used to find its centre


@functools.lru_cache(maxsize=32)
def transformer(source: CRS, target: CRS | int) -> Transformer:
    """``Transformer.from_crs(source, target, always_xy=True)``, made once per pair (~2 ms each;
    opening a GeoPackage asked for the same one ~3 times a layer). pyproj's Transformers are
    thread-safe; a ProjError is raised again on every call (never cached)."""
    return Transformer.from_crs(source, target, always_xy=True)


def utm_crs_for(lon: float, lat: float) -> CRS:
    """The WGS 84 UTM zone that contains ``lon, lat`` (Hengyang: EPSG:32649)."""
    lon = (lon + 180.0) % 360.0 - 180.0
    zone = min(max(int(math.floor((lon + 180.0) / 6.0)) + 1, 1), 60)
    return CRS.from_epsg((32600 if lat >= 0 else 32700) + zone)


def lonlat_vertices(gdf: gpd.GeoDataFrame, limit: int = SAMPLE_VERTICES) -> np.ndarray:
    """Up to ``limit`` finite vertices of ``gdf`` as (lon, lat) rows; empty when it has no CRS."""
    if gdf.crs is None or gdf.empty:
        return np.empty((0, 2))
    xy = shapely.get_coordinates(gdf.geometry.values)
    xy = xy[np.isfinite(xy).all(axis=1)]
    if len(xy) > limit:
        xy = xy[np.linspace(0, len(xy) - 1, limit).astype(int)]
    try:
        to_ll = transformer(gdf.crs, 4326)
        lon, lat = to_ll.transform(xy[:, 0], xy[:, 1])
    except ProjError:
        return np.empty((0, 2))
    out = np.column_stack([lon, lat])
    return out[np.isfinite(out).all(axis=1)]


def spherical_centre(lonlat: np.ndarray) -> tuple[float, float] | None:
    """The centre of lon/lat points on the sphere (mean unit vector); None when undefined."""
    if len(lonlat) == 0:
        return None
    lon, lat = np.radians(lonlat[:, 0]), np.radians(lonlat[:, 1])
    v = np.array([np.cos(lat) * np.cos(lon), np.cos(lat) * np.sin(lon), np.sin(lat)]).mean(axis=1)
    norm = float(np.linalg.norm(v))
    if norm < 1e-9:  # points all round the globe: no centre
        return None
    v /= norm
    return math.degrees(math.atan2(v[1], v[0])), math.degrees(math.asin(v[2]))


def choose_map_crs(frames: Iterable[gpd.GeoDataFrame]) -> CRS:
    """A metric CRS for the map: the UTM zone at the centre of the data (each layer counts once);
    web mercator when there is no centre or it is polar."""
    centres = [c for c in (spherical_centre(lonlat_vertices(g)) for g in frames) if c]
    if not centres:
        return CRS.from_epsg(3857)
    centre = spherical_centre(np.array(centres))
    if centre is None or not -84 <= centre[1] <= 84:
        return CRS.from_epsg(3857)
    return utm_crs_for(*centre)
