"""The reconstructed elevation grid: a plain, lower flooded fields, water, and one bump per spot height."""

from __future__ import annotations

import math

import geopandas as gpd
import numpy as np
import rasterio
import rasterio.features
import shapely
from affine import Affine
from scipy import ndimage
from shapely.geometry import Point

from .common import TO_UTM, to_utm

DEM_CELL = 30.0
DEM_CENTER_LL = (112.612, 26.892)
DEM_HALF_SIZE = 6300.0  # metres: a 12.6 km square
DEM_PLAIN = 60.0
DEM_FIELDS = 57.5
DEM_WATER = 50.0
DEM_DESCRIPTION = "reconstructed from spot heights and hill outlines; not a survey"
DEM_SOURCE = (
    "geodata/builder (python -m geodata.builder) from geodata/src/points.csv (spot heights, elev_m) "
    "and geodata/src/hills.csv (hill outlines): plain ~60 m, flooded fields 57.5 m, water 50 m, "
    "Gaussian hill bumps fitted to the spot heights. Heights: Huiyan Peak 98 m, Yueping 93 m and "
    "Shigu 69 m from the gazetteer and travel pages; every other height an estimate in 55-100 m "
    "(hill labels such as 227.7, 221 and 141 are map labels, not metres); no surveyed 1944 DEM"
)


def dem_grid() -> tuple[Affine, int, int]:
    cx, cy = TO_UTM.transform(*DEM_CENTER_LL)
    x0 = math.floor((cx - DEM_HALF_SIZE) / DEM_CELL) * DEM_CELL
    y1 = math.ceil((cy + DEM_HALF_SIZE) / DEM_CELL) * DEM_CELL
    n = int(round(2 * DEM_HALF_SIZE / DEM_CELL))
    return Affine(DEM_CELL, 0.0, x0, 0.0, -DEM_CELL, y1), n, n  # north-up, from the top-left corner


def build_dem(layers: dict[str, gpd.GeoDataFrame]) -> tuple[np.ndarray, Affine]:
    transform, width, height = dem_grid()
    cols, rows_ = np.meshgrid(np.arange(width) + 0.5, np.arange(height) + 0.5)
    xs = transform.c + cols * transform.a
    ys = transform.f + rows_ * transform.e
    u = (xs - xs.min()) / (xs.max() - xs.min())
    v = (ys - ys.min()) / (ys.max() - ys.min())

    # Plain: ~60 m, rising gently towards the south-west, with a little smooth relief.
    rng = np.random.default_rng(1944)
    relief = ndimage.gaussian_filter(rng.standard_normal((height, width)), sigma=12, mode="nearest")
    relief /= np.abs(relief).max()
    z = DEM_PLAIN + 4.0 * (1 - u) * (1 - v) + 2.0 * relief

    def mask_of(gdf):
        shapes = [(to_utm(g), 1) for g in gdf.geometry]
        return rasterio.features.rasterize(
            shapes, out_shape=(height, width), transform=transform, fill=0, dtype="uint8"
        ).astype(bool)

    # Flooded fields sit a little lower.
    fields = ndimage.gaussian_filter(mask_of(layers["flooded_fields"]).astype(float), sigma=2)
    z = z * (1 - fields) + DEM_FIELDS * fields

    # Hills: one elliptical Gaussian bump per spot height, shaped by the hill outline it lies in.
    hills = layers["hills"].copy()
    hills["utm"] = [to_utm(g) for g in hills.geometry]
    bumps = np.zeros_like(z)  # metres above the plain
    for sh in layers["spot_heights"].itertuples():
        px, py = TO_UTM.transform(sh.geometry.x, sh.geometry.y)
        p = Point(px, py)
        inside = [h for h in hills.itertuples() if h.utm.buffer(60).contains(p)]
        if inside:
            h = min(inside, key=lambda h: h.utm.area)
            sx, sy, rot = h.rx_m / 2.0, h.ry_m / 2.0, math.radians(h.rot_deg)
        else:
            sx, sy, rot = 100.0, 100.0, 0.0
        dx, dy = xs - px, ys - py
        a = dx * math.cos(rot) + dy * math.sin(rot)
        b = -dx * math.sin(rot) + dy * math.cos(rot)
        q = (a / sx) ** 2 + (b / sy) ** 2
        bumps = np.maximum(bumps, (sh.elev_m - DEM_PLAIN) * np.exp(-0.5 * q))
    # the summits at their heights; where a bump has died away the plain is left as it is (a plain
    # floored at 60 m everywhere made flats of exactly 60.0, which the 60 m contour stepped round
    # cell by cell: stairs in a 4K frame)
    z = z + np.maximum(DEM_PLAIN + bumps - z, 0.0) * np.clip(bumps, 0.0, 1.0)

    # Rivers: water surface ~50 m with banks ramping up over ~90 m, by each cell centre's distance to
    # the water polygons themselves (the distance to a rasterised mask stepped cell by cell: its
    # stairs showed in the contours of a 4K frame)
    water = shapely.union_all([to_utm(g) for g in layers["water_areas"].geometry])
    dist = shapely.distance(shapely.points(xs.ravel(), ys.ravel()), water).reshape(z.shape)
    ramp = np.clip(dist / 90.0, 0.0, 1.0)
    ramp = ramp * ramp * (3 - 2 * ramp)
    z = DEM_WATER + (z - DEM_WATER) * ramp
    z[dist == 0] = DEM_WATER
    return z.astype("float32"), transform  # not rounded to 0.1 m: on the near-flat plain rounding made
    #                                       plateaus of one value, and contours stepped round them
