"""A small foreign dataset for the QGIS export peer: not Hengyang, not WGS 84, made here.

Thirty days of a winter battle in the Ardennes in Belgian Lambert 2008 (EPSG:3812): static rivers
and woods, a front line per day and twelve unit positions per day (start/end DATETIME fields, the
kind QGIS's temporal controller animates), names in Latin and CJK script. Synthetic shapes: it is a
benchmark input, not history.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

CRS = 3812
ORIGIN = (700_000.0, 560_000.0)  # Lambert 2008 metres, near Bastogne
FIRST = dt.date(1944, 12, 16)
DAYS = 30
UNITS = 12


def _dates(days: np.ndarray) -> pd.Series:
    return pd.Series(pd.to_datetime([FIRST + dt.timedelta(days=int(d)) for d in days]))


def _static(rng: np.random.Generator) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    x0, y0 = ORIGIN
    rivers = [shapely.linestrings(np.c_[np.linspace(x0 - 30e3, x0 + 30e3, 200),
                                        y0 + k * 9e3 + rng.normal(0, 400, 200).cumsum() * 0.2])
              for k in range(-2, 3)]
    woods = [shapely.Point(x0 + rng.uniform(-25e3, 25e3), y0 + rng.uniform(-20e3, 20e3))
             .buffer(rng.uniform(800, 3000), quad_segs=12) for _ in range(20)]
    common = {"source": "synthetic benchmark shapes", "confidence": "low"}
    river_names = [f"river {k}" for k in range(5)]
    wood_names = [f"wood {k} 森林" for k in range(20)]
    return (gpd.GeoDataFrame({"name": river_names, **common}, geometry=rivers, crs=CRS),
            gpd.GeoDataFrame({"name": wood_names, **common}, geometry=woods, crs=CRS))


def _dated(rng: np.random.Generator) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    x0, y0 = ORIGIN
    days = np.arange(DAYS)
    ys = np.linspace(y0 - 20e3, y0 + 20e3, 40)
    fronts = [shapely.linestrings(np.c_[x0 - 15e3 + d * 600 + rng.normal(0, 300, 40), ys]) for d in days]
    front = gpd.GeoDataFrame({"name": "front", "start_date": _dates(days), "end_date": _dates(days),
                              "source": "synthetic", "confidence": "low"}, geometry=fronts, crs=CRS)
    unit, day = np.tile(np.arange(UNITS), DAYS), np.repeat(days, UNITS)
    start = np.c_[np.full(UNITS, x0 - 10e3), np.linspace(y0 - 18e3, y0 + 18e3, UNITS)]
    xy = start[unit] + np.c_[day * 500.0, rng.normal(0, 200, len(unit))]
    names = [f"Kampfgruppe {u} 第{u}連隊" for u in unit]
    units = gpd.GeoDataFrame({"name": names, "side": np.where(unit % 2, "A", "B"),
                              "start_date": _dates(day), "end_date": _dates(day), "source": "synthetic",
                              "confidence": "low"}, geometry=shapely.points(xy), crs=CRS)
    return front, units


def write(path: Path, seed: int = 44) -> Path:
    """Write the dataset's four layers into the GeoPackage ``path``."""
    rng = np.random.default_rng(seed)
    for name, frame in zip(("rivers", "woods", "front", "positions"), (*_static(rng), *_dated(rng)),
                           strict=True):
        frame.to_file(path, layer=name, engine="pyogrio")
    return path
