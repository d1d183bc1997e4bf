"""Synthetic GeoPackages for the scaling benchmarks: static vertices and moving units over days."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely

CENTRE = (112.61, 26.89)  # Hengyang, so the map CRS is the same UTM zone as the shipped data
START = dt.date(1944, 1, 1)


def static_lines(path: Path, vertices: int, per_line: int = 1000, seed: int = 1) -> Path:
    """A static layer of random-walk lines with ``vertices`` vertices in all."""
    rng = np.random.default_rng(seed)
    n_lines = max(1, vertices // per_line)
    lines = []
    for _ in range(n_lines):
        steps = rng.normal(0, 0.0005, size=(per_line, 2)).cumsum(axis=0)
        start = np.array(CENTRE) + rng.uniform(-0.05, 0.05, 2)
        lines.append(shapely.linestrings(start + steps))
    gdf = gpd.GeoDataFrame({"kind": ["road"] * n_lines, "source": ["synthetic"] * n_lines,
                            "confidence": ["low"] * n_lines}, geometry=lines, crs=4326)
    gdf.to_file(path, layer="static_lines", engine="pyogrio")
    return path


def moving_units(path: Path, units: int, days: int = 365, seed: int = 2) -> Path:
    """``units`` units with one keyframe a day for ``days`` days (units × days rows)."""
    rng = np.random.default_rng(seed)
    start = np.array(CENTRE) + rng.uniform(-0.05, 0.05, size=(units, 2))
    walk = rng.normal(0, 0.001, size=(days, units, 2)).cumsum(axis=0) + start
    dates = np.array([(START + dt.timedelta(days=d)).isoformat() for d in range(days)])
    day_idx = np.repeat(np.arange(days), units)
    unit_idx = np.tile(np.arange(units), days)
    xy = walk.reshape(-1, 2)
    gdf = gpd.GeoDataFrame(
        {
            "unit_id": np.char.add("u", unit_idx.astype(str)),
            "side": np.where(unit_idx % 2 == 0, "cn", "jp"),
            "echelon": "battalion",
            "sidc": np.where(unit_idx % 2 == 0, "10031000161211000000", "10061000161211000000"),
            "designation": unit_idx.astype(str),
            "start_date": dates[day_idx],
            "end_date": dates[day_idx],
            "source": "synthetic",
            "confidence": "low",
        },
        geometry=shapely.points(xy),
        crs=4326,
    )
    gdf.to_file(path, layer="units", engine="pyogrio")
    return path
