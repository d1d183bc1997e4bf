"""Synthetic GeoPackages for the scaling benchmarks: static vertices and moving units over days."""

from __future__ import annotations

import datetime as dt
import importlib.util
import os
import subprocess
import sys
import tempfile
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
    names = np.char.add("u", np.arange(units).astype(str)).astype(object)
    gdf = gpd.GeoDataFrame(
        {
            "unit_id": names[unit_idx],
            "side": np.where(unit_idx % 2 == 0, "cn", "jp").astype(object),
            "echelon": "battalion",
            "sidc": np.array(["10031000161211000000", "10061000161211000000"], dtype=object)[unit_idx % 2],
            "designation": np.arange(units).astype(str).astype(object)[unit_idx],
            "start_date": dates.astype(object)[day_idx],
            "end_date": dates.astype(object)[day_idx],
            "source": "synthetic",
            "confidence": "low",
        },
        geometry=shapely.points(xy),
        crs=4326,
    )
    arrow = importlib.util.find_spec("pyarrow") is not None  # the same file, written faster
    gdf.to_file(path, layer="units", engine="pyogrio", use_arrow=arrow)
    return path


def cached_units(units: int, days: int, seed: int = 2) -> Path:
    """``moving_units`` written once per size into the temp folder (by a child process, so a
    benchmark's peak memory is its own), and reused by later runs."""
    folder = Path(tempfile.gettempdir()) / "tv-bench-units"
    folder.mkdir(exist_ok=True)
    path = folder / f"units_{units}x{days}_seed{seed}_v1.gpkg"
    if not path.exists():
        part = path.with_suffix(f".{os.getpid()}.part.gpkg")
        subprocess.run([sys.executable, __file__, str(part), str(units), str(days), str(seed)], check=True)
        os.replace(part, path)
    return path


if __name__ == "__main__":
    moving_units(Path(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]))
