"""Checks of the shipped data, made with the viewer's own code (no Qt): units standing in water.

``units_in_water(gpkg_path)`` opens the GeoPackage as the viewer does
(``terrain_viewer.core.data.layers.open_dataset``) and asks the viewer's check
(``terrain_viewer.core.data.water.units_in_water``): each day, at midnight, every unit where
``Layer.features_at`` draws it, against the water (``water_areas``, or rivers buffered by their
width) with bridges dry. Each wet unit-day is named with the water polygon it stands in, so the
build can say where to add a crossing keyframe.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import shapely

from terrain_viewer.core.data.layers import Layer, open_dataset
from terrain_viewer.core.data.water import WATER_KINDS
from terrain_viewer.core.data.water import units_in_water as layers_in_water
from terrain_viewer.core.temporal.timeline import to_date


@dataclass(frozen=True)
class InWater:
    unit_id: str
    date: str  # ISO day
    water: str  # feature_id of the water polygon ("water" when none names it: a buffered river)


def _wet_rows(layer: Layer, point) -> list[str]:
    """feature_ids of ``layer``'s water polygons (as core.data.water reads them) containing ``point``."""
    gdf = layer.gdf
    if "feature_id" not in gdf.columns or "Polygon" not in layer.geometry_type:
        return []
    wet = shapely.contains(gdf.geometry.values, point)
    if layer.data_role != "water_areas":
        if "kind" not in gdf.columns:
            return []
        wet &= gdf["kind"].astype(str).str.strip().str.lower().isin(WATER_KINDS).to_numpy()
    return [str(fid) for fid in gdf["feature_id"][wet]]


def _water_at(layers: Sequence[Layer], units: Layer, unit_id: str, day: float) -> str:
    """The feature_id of the water polygon under ``unit_id`` as drawn on ``day`` ("water": none)."""
    rows = units.features_at(day)
    points = rows.geometry[rows["unit_id"].astype(str) == unit_id]
    names = [fid for point in points for layer in layers for fid in _wet_rows(layer, point)]
    return names[0] if names else "water"


def units_in_water(gpkg_path: str | Path) -> list[InWater]:
    """Every (unit, day) of ``gpkg_path`` whose drawn position is in water; [] when all are dry."""
    layers = open_dataset([gpkg_path]).layers
    by_name = {layer.name: layer for layer in layers}
    found = {InWater(w.unit_id, to_date(w.day).isoformat(),
                     _water_at(layers, by_name[w.layer], w.unit_id, w.day))
             for w in layers_in_water(layers)}
    return sorted(found, key=lambda w: (w.unit_id, w.date, w.water))
