"""What is under a map point at a time: for the GUI's identify tool."""

from __future__ import annotations

import shapely

from .model import ViewerModel


def identify(model: ViewerModel, t: float, x: float, y: float, tolerance: float) -> list[tuple[str, dict]]:
    """Features within ``tolerance`` map units of (x, y) at time t, topmost visible layer first.

    Each hit is ``(layer name, attributes)`` with every attribute column (source, confidence, ...).
    """
    point = shapely.Point(x, y)
    hits: list[tuple[str, dict]] = []
    for state in reversed(model.layer_states):
        if not state.visible:
            continue
        try:
            layer = model.dataset.layer(state.name)
        except KeyError:
            continue
        gdf = layer.features_at(t)
        if not len(gdf):
            continue
        near = shapely.dwithin(gdf.geometry.values, point, tolerance)
        for _, row in gdf[near].iterrows():
            attrs = {k: _plain(v) for k, v in row.items() if k != "geometry"}
            hits.append((state.name, attrs))
    return hits


def _plain(value: object) -> object:
    """NaN/None become None; numpy scalars become Python values."""
    if value is None:
        return None
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, float) and value != value:
        return None
    return value
