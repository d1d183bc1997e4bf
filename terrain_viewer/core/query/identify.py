"""What is under a map point at a time: for the GUI's identify tool."""

from __future__ import annotations

import math

import numpy as np
import shapely

from terrain_viewer.core.data.layers import Layer
from terrain_viewer.core.data.raster import RasterLayer, file_values
from terrain_viewer.core.model import ViewerModel


def identify(model: ViewerModel, t: float, x: float, y: float, tolerance: float,
             drawn: dict[str, list[int]] | None = None, layers: set[str] | None = None
             ) -> list[tuple[str, dict]]:
    """Features within ``tolerance`` map units of (x, y) at time t, topmost visible layer first.

    Each hit is ``(layer name, attributes)`` with every attribute column (source, confidence, ...);
    a visible elevation raster under the point adds its height and provenance. ``drawn`` adds, per
    layer, the rows of its features at ``t`` whose symbol is drawn under the point (unit symbols
    pushed apart from their true positions), first. ``layers`` limits it to what the map shows
    there (one side of a swipe); None: every visible layer.
    """
    drawn = drawn or {}
    vectors = {layer.name: layer for layer in model.dataset.layers}
    rasters = {r.name: r for r in model.dataset.rasters}
    hits: list[tuple[str, dict]] = []
    for state in reversed(model.layer_states):
        if not state.visible or (layers is not None and state.name not in layers):
            continue
        if state.name in vectors:
            found = _vector_hits(vectors[state.name], t, x, y, tolerance, drawn.get(state.name, []))
            hits += [(state.name, attrs) for attrs in found]
        elif state.name in rasters:
            value = _raster_value(rasters[state.name], x, y, model.dataset.map_crs)
            if value is not None:
                hits.append((state.name, value))
    return hits


def _vector_hits(layer: Layer, t: float, x: float, y: float, tolerance: float,
                 first: list[int]) -> list[dict]:
    """The features within ``tolerance`` of (x, y), nearest first, after the rows ``first``."""
    gdf = layer.features_at(t)
    if not len(gdf):
        return []
    point = shapely.Point(x, y)
    near = np.nonzero(shapely.dwithin(gdf.geometry.values, point, tolerance))[0]
    near = near[np.argsort(shapely.distance(gdf.geometry.values[near], point), kind="stable")]
    rows = list(dict.fromkeys([*first, *near.tolist()]))
    if not rows:
        return []
    records = gdf.iloc[rows].drop(columns=gdf.geometry.name).to_dict("records")
    return [{k: _plain(v) for k, v in record.items()} for record in records]


def _raster_value(raster: RasterLayer, x: float, y: float, map_crs) -> dict | None:
    left, bottom, right, top = raster.bounds
    if not (left <= x < right and bottom < y <= top):
        return None
    bands, rows, cols = raster.data.shape
    col = min(int((x - left) / (right - left) * cols), cols - 1)
    row = min(int((top - y) / (top - bottom) * rows), rows - 1)
    values = raster.data[:, row, col]
    if not np.isfinite(values).all():
        return None
    tags = raster.tags
    if raster.kind == "elevation":
        out = {"elevation_m": round(float(values[0]), 1)}
    else:  # the file's own values; the map's (warped, blended) when it cannot be read now
        own = file_values(raster, x, y, map_crs)
        out = {f"band_{i + 1}": v for i, v in enumerate(own if own is not None else values.tolist())}
    out["source"] = tags.get("source") or str(raster.path)
    out["confidence"] = "low" if tags.get("reconstructed") == "yes" else tags.get("confidence")
    if tags.get("description"):
        out["note"] = tags["description"]
    return out


def _plain(value: object) -> object:
    """NaN/None become None; numpy scalars become Python values."""
    if value is None:
        return None
    if hasattr(value, "item") and not isinstance(value, str | bytes):
        try:
            value = value.item()
        except (ValueError, AttributeError):
            return value
    if isinstance(value, float) and math.isnan(value):
        return None
    return value
