"""Terrain from an elevation raster: subtle hill shading on paper-toned land, and contours."""

from __future__ import annotations

import itertools
from functools import partial

import numpy as np
from matplotlib.collections import LineCollection
from matplotlib.colors import LightSource, LinearSegmentedColormap, to_rgba

from terrain_viewer.core.data.raster import RasterLayer
from terrain_viewer.core.render.symbology import CONTOUR_COLOUR, PAPER

# warm paper tones, low ground to high ground
LAND = LinearSegmentedColormap.from_list(
    "paper_land", ["#f4eedb", "#ede3c6", "#e3d3ab", "#d8c294", "#cdb183"])  # starts at the paper colour


def contour_levels(lo: float, hi: float, step: float = 10.0) -> np.ndarray:
    """Contour heights every ``step`` metres strictly inside ``lo..hi``."""
    first = np.floor(lo / step) * step + step
    return np.arange(first, hi, step)


def shaded_relief(raster: RasterLayer, azimuth: float = 315.0, altitude: float = 45.0,
                  exaggeration: float = 2.5, strength: float = 0.45,
                  ground: tuple[float, float] = (1.0, 1.0)) -> np.ndarray:
    """An (rows, cols, 4) float RGBA image: land tint by height, softly hill-shaded; NaN → clear.
    ``ground``: metres on the ground per map unit east and north (``mapcrs.ground_scale``), so
    that heights in metres over a grid in degrees are not a hundred thousand times too steep."""
    key = ("shaded_relief", azimuth, altitude, exaggeration, strength, ground)
    return raster.derived.get(key, lambda: _shaded(raster, azimuth, altitude, exaggeration, strength,
                                                   ground))


def _shaded(raster: RasterLayer, azimuth: float, altitude: float, exaggeration: float,
            strength: float, ground: tuple[float, float]) -> np.ndarray:
    z = raster.data[0].astype(float)
    valid = np.isfinite(z)
    if not valid.any():
        return np.zeros(z.shape + (4,))
    hi = float(np.nanmax(z))
    base = float(np.nanmedian(z))  # the plain: tinted exactly like the paper around the grid
    filled = np.where(valid, z, base)
    norm = np.clip((filled - base) / max(hi - base, 1e-6), 0.0, 1.0)
    tint = LAND(norm)[..., :3]
    light = LightSource(azdeg=azimuth, altdeg=altitude)
    cell = raster.cell_size
    shade = light.hillshade(filled, vert_exag=exaggeration, dx=cell * ground[0], dy=cell * ground[1])
    # blend toward the shade only by ``strength`` around mid-grey: subtle, never black
    flat = float(np.median(shade))  # hillshade is rescaled to 0..1: the plain's shade is the median
    factor = 1.0 + strength * (shade - flat)
    rgb = np.clip(tint * factor[..., None], 0.0, 1.0)
    relief = _over_paper(rgb, valid)
    relief[..., 3] *= feather(z.shape)
    return relief


FEATHER = 0.06  # of the grid's shorter side: the relief fades out towards the grid's edge over this


def feather(shape: tuple[int, int], share: float = FEATHER) -> np.ndarray:
    """A (rows, cols) weight, 1 inside and easing to 0 at the grid's edge over ``share`` of its
    shorter side: the relief ends softly, not at a rectangle of faint texture across the paper."""
    rows, cols = shape
    reach = max(share * min(rows, cols), 1.0)
    ramp = [np.clip(np.minimum(np.arange(n), np.arange(n)[::-1]) / reach, 0.0, 1.0) for n in (rows, cols)]
    edge = np.minimum(ramp[0][:, None], ramp[1][None, :])
    return edge * edge * (3.0 - 2.0 * edge)  # smoothstep: no crease where the fade begins


def _over_paper(rgb: np.ndarray, valid: np.ndarray, full: float = 0.25) -> np.ndarray:
    """RGBA that looks exactly like ``rgb`` over the paper, but is clear where the land is plain,
    so a basemap or a scan under the relief shows through the plains and only the hills tint it."""
    from matplotlib.colors import to_rgb

    paper = np.array(to_rgb(PAPER))
    diff = rgb - paper
    alpha = np.clip(np.abs(diff).max(axis=2) / full, 0.0, 1.0)
    colour = np.clip(paper + diff / np.maximum(alpha, 1e-6)[..., None], 0.0, 1.0)
    return np.dstack([colour, alpha * valid])


def window(raster: RasterLayer, view: tuple[float, float, float, float] | None,
           margin: int = 2) -> tuple[slice, slice] | None:
    """Row and column slices of the cells inside ``view`` (plus a margin); None when outside."""
    left, bottom, right, top = raster.bounds
    rows, cols = raster.data.shape[1:]
    if view is None:
        return slice(0, rows), slice(0, cols)
    x0, y0, x1, y1 = view
    if x1 <= left or x0 >= right or y1 <= bottom or y0 >= top:
        return None
    cw, ch = (right - left) / cols, (top - bottom) / rows
    c0 = max(int(np.floor((x0 - left) / cw)) - margin, 0)
    c1 = min(int(np.ceil((x1 - left) / cw)) + margin, cols)
    r0 = max(int(np.floor((top - y1) / ch)) - margin, 0)
    r1 = min(int(np.ceil((top - y0) / ch)) + margin, rows)
    return slice(r0, r1), slice(c0, c1)


def draw_elevation(ax, raster: RasterLayer, opacity: float = 1.0, style: dict | None = None,
                   zorder: float = 1.0, view: tuple[float, float, float, float] | None = None,
                   ground: tuple[float, float] = (1.0, 1.0)) -> list:
    """Hill shading, 10 m contours and labelled 50 m index contours of the part of the raster
    inside ``view``; returns the artists (``ground``: see ``shaded_relief``)."""
    style = style or {}
    cells = window(raster, view)
    if cells is None:
        return []
    rs, cs_ = cells
    left, bottom, right, top = raster.bounds
    rows, cols = raster.data.shape[1:]
    cw, ch = (right - left) / cols, (top - bottom) / rows
    extent = (left + cs_.start * cw, left + cs_.stop * cw, top - rs.stop * ch, top - rs.start * ch)
    artists = [ax.imshow(shaded_relief(raster, ground=ground)[rs, cs_], extent=extent, origin="upper",
                         interpolation="bilinear", alpha=opacity, zorder=zorder, resample=True)]
    z = raster.data[0][rs, cs_]
    if z.shape[0] < 2 or z.shape[1] < 2 or not np.isfinite(z).any() or not style.get("contours", True):
        return artists
    xs = left + (np.arange(cs_.start, cs_.stop) + 0.5) * cw
    ys = top - (np.arange(rs.start, rs.stop) + 0.5) * ch
    zm = np.ma.masked_invalid(z)
    step = float(style.get("contour_step", 10.0))
    index = float(style.get("index_step", 50.0))
    levels = contour_levels(float(zm.min()), float(zm.max()), step)
    minor = [v for v in levels if v % index]
    major = [v for v in levels if not v % index]
    colour = style.get("contour_color", CONTOUR_COLOUR)
    fade = partial(_edge_weight, feather(raster.data.shape[1:]), (left, top, cw, ch))
    if minor:
        artists.append(_faded(ax, ax.contour(xs, ys, zm, levels=minor, colors=colour, linewidths=0.35,
                                             alpha=0.55 * opacity, zorder=zorder + 0.1), fade))
    if major:
        cs = ax.contour(xs, ys, zm, levels=major, colors=colour, linewidths=0.8,
                        alpha=0.8 * opacity, zorder=zorder + 0.1)
        labels = ax.clabel(cs, fmt="%d", fontsize=6.5, inline=True, inline_spacing=2)
        for label in labels:  # its colour carries the contours' alpha: faded with them
            label.set_alpha(to_rgba(label.get_color())[3] * fade(np.array([label.get_position()]))[0])
        artists += [_faded(ax, cs, fade), *labels]
    return artists


def _edge_weight(weights: np.ndarray, grid: tuple[float, float, float, float],
                 points: np.ndarray) -> np.ndarray:
    """The relief's ``feather`` weight of the grid cells under map ``points`` (n, 2)."""
    left, top, cw, ch = grid
    rows, cols = weights.shape
    c = np.clip(((points[:, 0] - left) / cw).astype(int), 0, cols - 1)
    r = np.clip(((top - points[:, 1]) / ch).astype(int), 0, rows - 1)
    return weights[r, c]


def _faded(ax, contours, fade) -> LineCollection:
    """``contours`` (in their colours, alpha, width and place) as segments that fade out with the
    relief towards the grid's edge (``fade``): they ended in a straight cut across the paper where
    the grid ends inside the frame."""
    segments, rgba = [], []
    for path, colour in zip(contours.get_paths(), itertools.cycle(contours.get_edgecolor())):  # a level each
        for line in path.to_polygons(closed_only=False):
            if len(line) > 1:
                segments.append(np.stack([line[:-1], line[1:]], axis=1))
                rgba.append(np.tile(colour, (len(line) - 1, 1)))
    contours.remove()
    segments = np.concatenate(segments) if segments else np.zeros((0, 2, 2))
    rgba = np.concatenate(rgba) if rgba else np.zeros((0, 4))
    weight = fade(segments.mean(axis=1))
    keep = weight > 0.01
    rgba[:, 3] *= weight
    lines = LineCollection(segments[keep], colors=rgba[keep], linewidths=contours.get_linewidth()[0],
                           zorder=contours.get_zorder())
    ax.add_collection(lines, autolim=False)
    return lines
