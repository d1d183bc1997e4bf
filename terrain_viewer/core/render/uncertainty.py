"""Positional uncertainty on the map: a soft halo round each feature, as wide as its uncertainty.

A feature's figure is its ``uncertainty_m`` (metres), else the one its ``confidence`` stands for
(high 150 m, medium 400 m, low 1000 m, as the data build derives it); a feature with neither
gets no halo. Points get concentric discs, lines a band of buffers, polygons a band along their
edge; each of ``LEVELS`` rings is the union of that layer's buffers at a fraction of the figure,
filled faintly, so the tint deepens towards the feature and overlapping features do not pile up.
The artists are ``PathCollection``s: the label placer does not take them for symbols.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from matplotlib.collections import PathCollection
from matplotlib.colors import to_rgba
from pyproj import CRS

from terrain_viewer.core.data.layers import Layer
from terrain_viewer.core.render.primitives import polygon_path

CONFIDENCE_M = {"high": 150.0, "medium": 400.0, "low": 1000.0}
LEVELS = (1.0, 0.75, 0.5, 0.25)  # fractions of the figure, outermost first
ALPHA = 0.045  # each level's opacity: about 0.17 at the feature, fading to 0.045 at the edge
ZORDER = 10.4  # above the relief, under every vector layer (in a sprite: under that layer's features)
WARM_GREY = "#8c7b6b"
METRES_PER_DEGREE = 111_320.0
QUAD_SEGS = 12  # segments per quarter circle of a buffer


def figures(gdf: gpd.GeoDataFrame) -> np.ndarray:
    """Each row's uncertainty in metres (NaN where neither ``uncertainty_m`` nor ``confidence``)."""
    out = np.full(len(gdf), np.nan)
    if "uncertainty_m" in gdf.columns:
        out = pd.to_numeric(gdf["uncertainty_m"], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    if "confidence" in gdf.columns:
        named = gdf["confidence"].astype(str).str.strip().str.lower().map(CONFIDENCE_M)
        out = np.where(np.isfinite(out), out, named.to_numpy(dtype=float, na_value=np.nan))
    return np.where(out > 0, out, np.nan)


def moving_figures(layer: Layer, rows: gpd.GeoDataFrame, t: float) -> np.ndarray:
    """``figures`` of ``layer.features_at(t)``; a keyframed feature between two keyframes takes
    the larger figure of the two."""
    own = figures(rows)
    if layer.role != "keyframes" or not len(rows):
        return own
    state = layer.tracks.state(t - layer.time_offset)
    if len(state.rows) != len(rows):
        return own
    every = figures(layer.gdf)
    nxt = np.where((state.next_rows >= 0) & (state.fraction > 0), state.next_rows, state.rows)
    return np.fmax(own, every[nxt])


def units_per_metre(crs) -> float:
    """Map units in a metre: 1 in a metric CRS, about 1/111 320 in degrees."""
    if crs is None:
        return 1.0
    crs = CRS.from_user_input(crs)
    if crs.is_geographic:
        return 1.0 / METRES_PER_DEGREE
    axes = crs.axis_info
    factor = axes[0].unit_conversion_factor if axes else 1.0
    return 1.0 / factor if factor else 1.0


def halo_shapes(geoms: np.ndarray, radii: np.ndarray) -> list:
    """One (Multi)Polygon per level: the union of the features' buffers at that fraction of their
    radius (points as discs, lines as bands, polygons as a band along the edge)."""
    kinds = shapely.get_type_id(geoms)
    polygonal = (kinds == 3) | (kinds == 6)
    cores = np.where(polygonal, shapely.boundary(geoms), geoms)
    shapes = []
    for fraction in LEVELS:
        rings = shapely.buffer(cores, radii * fraction, quad_segs=QUAD_SEGS)
        shapes.append(shapely.union_all(rings))
    return shapes


def halos(ax, layer: Layer, rows: gpd.GeoDataFrame, t: float, colour: str | None = None) -> list:
    """The halo artists of ``rows`` (``layer.features_at(t)``) on ``ax``, in ``colour`` or warm grey."""
    if not len(rows):
        return []
    radii = moving_figures(layer, rows, t) * units_per_metre(rows.crs)
    geoms = rows.geometry.values
    keep = np.isfinite(radii) & ~shapely.is_missing(geoms) & ~shapely.is_empty(geoms)
    if keep.any():
        x0, x1 = ax.get_xlim()
        y0, y1 = ax.get_ylim()
        lo, hi = shapely.bounds(geoms).T[:2], shapely.bounds(geoms).T[2:]
        keep &= (hi[0] + radii >= min(x0, x1)) & (lo[0] - radii <= max(x0, x1))
        keep &= (hi[1] + radii >= min(y0, y1)) & (lo[1] - radii <= max(y0, y1))
    if not keep.any():
        return []
    face = to_rgba(colour or WARM_GREY)
    artists = []
    for k, shape in enumerate(halo_shapes(np.asarray(geoms[keep]), radii[keep])):
        if shape.is_empty:
            continue
        coll = PathCollection([polygon_path(shape)], facecolors=[face], edgecolors="none", alpha=ALPHA,
                              linewidths=0, zorder=ZORDER + 0.01 * k)
        ax.add_collection(coll, autolim=False)
        artists.append(coll)
    return artists
