"""Checks of the shipped data that need no Qt (to be exposed through ``terrain-viewer validate``).

``units_in_water(gpkg_path)`` walks every unit day by day, placing it as the viewer does
(terrain_viewer/core/tracks.py: at time t a unit is at its last keyframe before t, moved toward
its next keyframe by the fraction of the time between them; it exists from its first keyframe
until the end of its last row) and reports the days it stands in water: the ``water_areas``
polygons (the rivers buffered by their width) or, when a file has none, the ``rivers`` lines
buffered by ``width_max_m / 2``. Points on a bridge (``railways`` rows of kind ``bridge``,
within ``BRIDGE_TOLERANCE_M``) are dry. Flooded fields are reported only when asked
(``include_flooded=True``): standing in a shallow paddy is possible, standing in the Xiang is not.

Only the midnight position of each day is checked (the dates are days); a unit that crosses a
river between two keyframe days is taken to have crossed during that day (by bridge or boat).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pyogrio
import shapely

METRIC_CRS = "EPSG:32649"  # UTM 49N, Hengyang
BRIDGE_TOLERANCE_M = 40.0


@dataclass(frozen=True)
class InWater:
    unit_id: str
    date: str  # ISO day
    lon: float
    lat: float
    water: str  # feature_id of the water feature


def _day(value: str) -> dt.date:
    return dt.date.fromisoformat(str(value)[:10])


def daily_positions(units: gpd.GeoDataFrame) -> list[tuple[str, dt.date, float, float]]:
    """(unit_id, day, lon, lat) for every day a unit exists, interpolated between keyframes."""
    out = []
    for uid, g in units.groupby("unit_id", sort=True):
        g = g.sort_values("start_date", kind="mergesort")
        days = np.array([_day(s).toordinal() for s in g["start_date"]], dtype=float)
        xs, ys = shapely.get_x(g.geometry.values), shapely.get_y(g.geometry.values)
        last = max(_day(e if isinstance(e, str) and e else s).toordinal()
                   for s, e in zip(g["start_date"], g["end_date"], strict=True))
        for t in range(int(days[0]), last + 1):
            out.append((str(uid), dt.date.fromordinal(t), float(np.interp(t, days, xs)),
                        float(np.interp(t, days, ys))))
    return out


def units_in_water_frames(units: gpd.GeoDataFrame, water: gpd.GeoDataFrame,
                          bridges: gpd.GeoDataFrame | None = None) -> list[InWater]:
    """The days units stand in ``water`` (polygons, any CRS), bridges excepted."""
    if units.empty or water.empty:
        return []
    pos = daily_positions(units.to_crs("EPSG:4326"))
    pts = gpd.GeoSeries(gpd.points_from_xy([p[2] for p in pos], [p[3] for p in pos]), crs="EPSG:4326")
    pts_m = pts.to_crs(METRIC_CRS)
    water_m = water.to_crs(METRIC_CRS)
    dry = None
    if bridges is not None and not bridges.empty:
        dry = shapely.union_all(bridges.to_crs(METRIC_CRS).geometry.values).buffer(BRIDGE_TOLERANCE_M)
    points = gpd.GeoDataFrame(geometry=pts_m.values, crs=METRIC_CRS)
    hits = gpd.sjoin(points, water_m[["feature_id", "geometry"]], predicate="within", how="inner")
    out = []
    for i, fid in zip(hits.index, hits["feature_id"], strict=True):
        if dry is not None and dry.contains(pts_m.iloc[i]):
            continue
        uid, day, lon, lat = pos[i]
        out.append(InWater(uid, day.isoformat(), round(lon, 5), round(lat, 5), str(fid)))
    return sorted(set(out), key=lambda w: (w.unit_id, w.date, w.water))


def units_in_water(gpkg_path: str | Path, include_flooded: bool = False) -> list[InWater]:
    """Every (unit, day) of ``gpkg_path``'s ``units`` layer that stands in water; [] when dry."""
    path = Path(gpkg_path)
    names = {str(n) for n, _ in pyogrio.list_layers(path)}
    units = pyogrio.read_dataframe(path, layer="units")
    if "water_areas" in names:
        water = pyogrio.read_dataframe(path, layer="water_areas")
    else:
        rivers = pyogrio.read_dataframe(path, layer="rivers").to_crs(METRIC_CRS)
        rivers["geometry"] = rivers.geometry.buffer(rivers["width_max_m"].astype(float) / 2.0)
        water = rivers
    if include_flooded and "flooded_fields" in names:
        fields = pyogrio.read_dataframe(path, layer="flooded_fields").to_crs(water.crs)
        water = gpd.GeoDataFrame(
            {"feature_id": list(water["feature_id"]) + list(fields["feature_id"]),
             "geometry": list(water.geometry) + list(fields.geometry)}, crs=water.crs)
    bridges = None
    if "railways" in names:
        rail = pyogrio.read_dataframe(path, layer="railways")
        bridges = rail[rail["kind"] == "bridge"] if "kind" in rail.columns else None
    return units_in_water_frames(units, water, bridges)
