"""A basemap under the map: tiles for the view, mosaicked and warped from web mercator to the map CRS.

``basemap_image(spec, view, size, map_crs)`` returns an RGBA image of exactly the view (transparent
where tiles are missing) and what is missing; the renderer draws it first, under every layer, with
the spec's opacity, and writes the provider's attribution on the map.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from pyproj import CRS

from terrain_viewer.core.data.mapcrs import transformer
from terrain_viewer.core.data.tiles import MAX_ZOOM, ORIGIN, TILE, Tile, TileSource, source_for

MAX_TILES = 64  # a view asks for at most this many tiles (the zoom is lowered instead) …
HARD_MAX_TILES = 512  # … unless the source has no lower zoom; beyond this (128 MB) nothing is drawn
WEB_MERCATOR = CRS.from_epsg(3857)


@dataclass
class BasemapImage:
    rgba: np.ndarray  # (H, W, 4) uint8, exactly the view at the render size
    missing: int  # tiles not (yet) at hand
    failed: bool  # the source reported failures: "tiles unavailable"
    attribution: str


def _mercator_bounds(view, map_crs: CRS) -> tuple[float, float, float, float]:
    to_merc = transformer(map_crs, WEB_MERCATOR)
    x0, y0, x1, y1 = view
    xs = np.linspace(x0, x1, 9)
    ys = np.linspace(y0, y1, 9)
    gx, gy = np.meshgrid(xs, ys)
    mx, my = to_merc.transform(gx.ravel(), gy.ravel())
    return float(np.min(mx)), float(np.min(my)), float(np.max(mx)), float(np.max(my))


def zoom_for(width_m: float, pixels: int, source: TileSource) -> int:
    """The tile zoom whose pixels are about as fine as the screen's."""
    resolution = max(width_m / max(pixels, 1), 1e-6) if math.isfinite(width_m) else 2 * ORIGIN
    z = math.ceil(math.log2(2 * ORIGIN / (TILE * resolution)))
    return int(min(max(z, source.min_zoom, 0), source.max_zoom, MAX_ZOOM))


def _tile_range(bounds, z: int) -> tuple[int, int, int, int]:
    """Columns c0..c1 and rows r0..r1 of the tiles covering web mercator ``bounds`` at zoom ``z``."""
    n = 1 << z
    size = 2 * ORIGIN / n
    x0, y0, x1, y1 = (min(max(v, -ORIGIN), ORIGIN) if math.isfinite(v) else 0.0 for v in bounds)
    c0, c1 = (int(math.floor((v + ORIGIN) / size)) for v in (x0, x1))
    r0, r1 = (int(math.floor((ORIGIN - v) / size)) for v in (y1, y0))
    return max(c0, 0), min(c1, n - 1), max(r0, 0), min(r1, n - 1)


def _count(bounds, z: int) -> int:
    c0, c1, r0, r1 = _tile_range(bounds, z)
    return max(c1 - c0 + 1, 0) * max(r1 - r0 + 1, 0)


def tiles_for(bounds, z: int) -> list[Tile]:
    """XYZ tiles covering web mercator ``bounds`` at zoom ``z`` (0..MAX_ZOOM); [] when that would be
    more than HARD_MAX_TILES (counted before the list is made)."""
    if not 0 <= z <= MAX_ZOOM or _count(bounds, z) > HARD_MAX_TILES:
        return []
    c0, c1, r0, r1 = _tile_range(bounds, z)
    return [(z, x, y) for y in range(r0, r1 + 1) for x in range(c0, c1 + 1)]


def plan(spec: dict, view, size: tuple[int, int], map_crs: CRS) -> tuple[TileSource, list[Tile], tuple]:
    """The source, the tiles a view needs (MAX_TILES or fewer when the source has a low enough zoom;
    none when even its lowest zoom needs more than HARD_MAX_TILES) and its web mercator bounds."""
    source = source_for(spec)
    bounds = _mercator_bounds(view, map_crs)
    z = zoom_for(bounds[2] - bounds[0], size[0], source)
    while _count(bounds, z) > MAX_TILES and z > max(source.min_zoom, 0):
        z -= 1
    return source, tiles_for(bounds, z), bounds


def basemap_image(spec: dict, view, size: tuple[int, int], map_crs: CRS, wait: float = 0.0) -> BasemapImage:
    """The basemap for ``view`` at ``size`` pixels in ``map_crs``; ``wait`` seconds for downloads."""
    source, tiles, _ = plan(spec, view, size, map_crs)
    if wait > 0 and source.is_remote:
        for t in tiles:
            source.tile(*t)  # queue them all first
        source.wait_for(tiles, wait)
    if not tiles:  # nothing to show at a zoom this source has
        return BasemapImage(np.zeros((size[1], size[0], 4), np.uint8), 0, False, source.attribution)
    mosaic, transform, missing = _mosaic(source, tiles)
    rgba = _warp(mosaic, transform, view, size, map_crs)
    return BasemapImage(rgba, missing, source.failures > 0 and missing > 0, source.attribution)


def _mosaic(source: TileSource, tiles: list[Tile]):
    from affine import Affine

    z = tiles[0][0]
    xs, ys = [t[1] for t in tiles], [t[2] for t in tiles]
    cx0, ry0 = min(xs), min(ys)
    cols, rows = max(xs) - cx0 + 1, max(ys) - ry0 + 1
    mosaic = np.zeros((rows * TILE, cols * TILE, 4), np.uint8)
    missing = 0
    for _, x, y in tiles:
        rgba = source.tile(z, x, y)
        if rgba is None:
            missing += 1
            continue
        r, c = (y - ry0) * TILE, (x - cx0) * TILE
        mosaic[r:r + TILE, c:c + TILE] = rgba
    size = 2 * ORIGIN / (1 << z) / TILE
    transform = Affine(size, 0.0, -ORIGIN + cx0 * TILE * size, 0.0, -size, ORIGIN - ry0 * TILE * size)
    return mosaic, transform, missing


def _warp(mosaic: np.ndarray, transform, view, size: tuple[int, int], map_crs: CRS) -> np.ndarray:
    from affine import Affine
    from rasterio.crs import CRS as RioCRS
    from rasterio.warp import Resampling, reproject

    w, h = size
    x0, y0, x1, y1 = view
    out = np.zeros((4, h, w), np.uint8)
    dst_transform = Affine((x1 - x0) / w, 0.0, x0, 0.0, -(y1 - y0) / h, y1)
    reproject(source=np.moveaxis(mosaic, -1, 0), destination=out, src_transform=transform,
              src_crs=RioCRS.from_epsg(3857), dst_transform=dst_transform,
              dst_crs=RioCRS.from_wkt(map_crs.to_wkt()), resampling=Resampling.bilinear)
    return np.moveaxis(out, 0, -1)
