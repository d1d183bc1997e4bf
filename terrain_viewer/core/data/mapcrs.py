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
from pyproj import CRS, Geod, Transformer
from pyproj.exceptions import ProjError

SAMPLE_VERTICES = 20_000  # vertices per layer used to find its centre
GROUND_TOLERANCE = 0.01  # a map unit within 1 % of a metre on the ground is taken as one
GEOD = Geod(ellps="WGS84")  # the ellipsoid every ground distance is measured on


@functools.lru_cache(maxsize=32)
def transformer(source: CRS, target: CRS | int) -> Transformer:
    """``Transformer.from_crs(source, target, always_xy=True)``, made once per pair (~2 ms each;
    opening a GeoPackage asked for the same one ~3 times a layer). pyproj's Transformers are
    thread-safe; a ProjError is raised again on every call (never cached)."""
    return Transformer.from_crs(source, target, always_xy=True)


def map_crs_of(value) -> CRS:
    """``value`` (an EPSG code, "EPSG:3857", WKT, a CRS) as a map CRS: a projected or geographic
    2D CRS. A geocentric CRS (EPSG:4978), a vertical or an engineering one is refused (ValueError):
    a map drawn in it comes out mirrored and turned, with a scale bar in no unit."""
    crs = CRS.from_user_input(value)
    horizontal = crs.sub_crs_list[0] if crs.is_compound and crs.sub_crs_list else crs
    if horizontal.is_geocentric or not (horizontal.is_projected or horizontal.is_geographic) \
            or len(horizontal.axis_info) != 2:
        kind = "geocentric" if horizontal.is_geocentric else "not a 2D projected or geographic"
        raise ValueError(f"{crs.name} is {'a ' if horizontal.is_geocentric else ''}{kind} CRS; a map "
                         "needs a projected CRS (a UTM zone, EPSG:3857) or a geographic one (EPSG:4326)")
    return horizontal


def ground_scale(crs: CRS, x: float, y: float, step: float) -> tuple[float, float]:
    """Metres on the ground per map unit eastward and northward at map point (x, y), from the
    geodesic distances to the points ``step`` map units east and north: degrees in a geographic
    CRS, Web Mercator's stretch away from the equator, feet. (1.0, 1.0) when both are within
    ``GROUND_TOLERANCE`` of a metre (a UTM map: its scale bar and relief as they always were) or
    when they cannot be worked out."""
    try:
        lon, lat = transformer(crs, 4326).transform([x, x + step, x], [y, y, y + step])
        east = GEOD.inv(lon[0], lat[0], lon[1], lat[1])[2] / step
        north = GEOD.inv(lon[0], lat[0], lon[2], lat[2])[2] / step
    except (ProjError, ValueError, ZeroDivisionError):
        return 1.0, 1.0
    if not all(math.isfinite(v) and v > 0 for v in (east, north)):
        return 1.0, 1.0
    if abs(east - 1.0) <= GROUND_TOLERANCE and abs(north - 1.0) <= GROUND_TOLERANCE:
        return 1.0, 1.0
    return east, north


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
