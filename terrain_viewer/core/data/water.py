"""Units standing in water: each day a unit track's position (as the viewer draws it) falls in a river.

Water is the polygons of ``water_areas`` layers and the polygons whose ``kind`` is a water word
("river", "water", "lake", ...; or, where there are none, ``rivers`` lines buffered by half their
``width_max_m``/``width_m``); a point within ``BRIDGE_M`` of a bridge (a line feature
of ``kind`` "bridge") is dry. Positions are those of ``Layer.features_at`` at midnight of each day,
so the check sees exactly what the map shows. Needs a metric map CRS (``open_dataset`` picks one).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import shapely

from terrain_viewer.core.data.layers import Layer
from terrain_viewer.core.temporal.dates import date_text

BRIDGE_M = 40.0
WATER_KINDS = {"river", "water", "lake", "pond", "reservoir", "canal", "stream", "sea"}
MAX_DAYS = 3660  # a track longer than ten years is checked over its first ten


@dataclass(frozen=True)
class InWater:
    layer: str
    unit_id: str
    day: float  # day number (see temporal.timeline)

    def text(self) -> str:
        return f"unit {self.unit_id} stands in water on {date_text(self.day)}"


def _width(layer: Layer) -> np.ndarray | None:
    for column in ("width_max_m", "width_m"):
        if column in layer.gdf.columns:
            return layer.gdf[column].astype(float).fillna(0.0).to_numpy()
    return None


def water_shape(layers: Sequence[Layer]):
    """The union of the water polygons (or buffered rivers) of ``layers``; None when there is none."""
    polygons = [g for layer in layers if layer.data_role == "water_areas" for g in layer.gdf.geometry]
    for layer in (lyr for lyr in layers if "Polygon" in lyr.geometry_type and "kind" in lyr.gdf.columns):
        if layer.data_role != "water_areas":
            wet = layer.gdf["kind"].astype(str).str.strip().str.lower().isin(WATER_KINDS)
            polygons += list(layer.gdf.geometry[wet])
    if not polygons:
        for layer in (lyr for lyr in layers if lyr.data_role == "rivers"):
            width = _width(layer)
            if width is not None:
                polygons += list(shapely.buffer(layer.gdf.geometry.values, width / 2.0))
    polygons = [g for g in polygons if g is not None and not g.is_empty]
    if not polygons:
        return None
    water = shapely.union_all(polygons)
    bridges = [g for layer in layers if "kind" in layer.gdf.columns
               for g, kind in zip(layer.gdf.geometry, layer.gdf["kind"], strict=True)
               if str(kind).lower() == "bridge" and g is not None]
    if bridges:
        water = water.difference(shapely.union_all(bridges).buffer(BRIDGE_M))
    shapely.prepare(water)
    return water


def units_in_water(layers: Sequence[Layer]) -> list[InWater]:
    """Every (unit, day) whose drawn position lies in the water of ``layers``, in day order."""
    water = water_shape(layers)
    if water is None:
        return []
    found: list[InWater] = []
    for layer in layers:
        if layer.data_role != "units" or layer.role != "keyframes" or not layer.dated_extent:
            continue
        start, end = layer.dated_extent
        for day in range(math.floor(start), min(math.floor(end), math.floor(start) + MAX_DAYS) + 1):
            rows = layer.features_at(float(day))
            if rows.empty or "unit_id" not in rows.columns:
                continue
            wet = shapely.contains_xy(water, shapely.get_x(rows.geometry.values),
                                      shapely.get_y(rows.geometry.values))
            found += [InWater(layer.name, str(uid), float(day)) for uid in rows["unit_id"][wet]]
    return sorted(found, key=lambda w: (w.day, w.unit_id))
