"""Shared pieces of the build: paths, constants, validation of source values, geometry helpers."""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Iterable, Sequence
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
import yaml
from pyproj import Transformer
from shapely.geometry import Polygon

GEODATA = Path(__file__).resolve().parent.parent
SRC = GEODATA / "src"
GPKG_NAME = "hengyang_1944.gpkg"
DEM_NAME = "hengyang_dem.tif"
QGZ_NAME = "hengyang_1944.qgz"  # the QGIS project beside them
VARIANTS_TABLE = "variants"

CRS_LL = "EPSG:4326"
CRS_UTM = "EPSG:32649"
BATTLE_START = dt.date(1944, 6, 23)
BATTLE_END = dt.date(1944, 8, 8)
CONFIDENCE = ("high", "medium", "low")
# Positional uncertainty (metres) of a feature whose source gives no figure: from its confidence.
UNCERTAINTY_BY_CONFIDENCE = {"high": 150, "medium": 400, "low": 1000}
# Heights: a figure from a named source, or an estimate inside the known range of the siege hills.
ESTIMATED_HEIGHT_RANGE = (55.0, 100.0)
MAX_HEIGHT = 110.0


class BuildError(RuntimeError):
    """The sources are inconsistent; the message says where."""


TO_UTM = Transformer.from_crs(CRS_LL, CRS_UTM, always_xy=True)
TO_LL = Transformer.from_crs(CRS_UTM, CRS_LL, always_xy=True)


def _reproject(geom, tr: Transformer):
    def fn(c: np.ndarray) -> np.ndarray:
        x, y = tr.transform(c[:, 0], c[:, 1])
        return np.column_stack([x, y])

    return shapely.transform(geom, fn)


def to_utm(geom):
    return _reproject(geom, TO_UTM)


def to_ll(geom, decimals: int = 6):
    return round_geom(_reproject(geom, TO_LL), decimals)


def round_geom(geom, decimals: int):
    out = shapely.set_precision(geom, 10.0**-decimals)
    if out.is_empty:
        raise BuildError(f"geometry vanished when rounded: {geom.wkt[:80]}")
    return out


def load_yaml(name: str):
    with open(SRC / name, encoding="utf-8") as f:
        return yaml.safe_load(f)


def load_csv(name: str) -> list[dict[str, str]]:
    with open(SRC / name, encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    for i, row in enumerate(rows, start=2):
        if None in row or any(v is None for v in row.values()):
            raise BuildError(f"{name}:{i}: wrong number of fields")
    return rows


class Sources:
    """Source keys of sources.yaml; a value naming several keys joins them with ' | '."""

    def __init__(self) -> None:
        self.keys: dict[str, str] = load_yaml("sources.yaml")

    def __call__(self, value, where: str) -> str:
        if value is None or not str(value).strip():
            raise BuildError(f"{where}: empty source")
        value = " ".join(str(value).split())
        parts = [p.strip() for p in value.split("|")]
        if len(parts) > 1 and all(p in self.keys for p in parts):
            return " | ".join(self.keys[p] for p in parts)
        return self.keys.get(value, value)


def text(value) -> str | None:
    """Empty -> None (NULL in the GeoPackage)."""
    if value is None:
        return None
    s = " ".join(str(value).split())
    return s or None


def conf(value, where: str) -> str:
    c = str(value).strip()
    if c not in CONFIDENCE:
        raise BuildError(f"{where}: confidence {value!r} not in {CONFIDENCE}")
    return c


def iso(value, where: str) -> str:
    """Validate an ISO 8601 date or date-time (minutes) and return it as TEXT."""
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%dT%H:%M")
    if isinstance(value, dt.date):
        return value.isoformat()
    s = str(value).strip()
    try:
        if "T" in s:
            dt.datetime.strptime(s, "%Y-%m-%dT%H:%M")
        else:
            dt.date.fromisoformat(s)
    except ValueError as exc:
        raise BuildError(f"{where}: bad ISO 8601 date {value!r}") from exc
    return s


def as_date(value, where: str) -> dt.date:
    return dt.date.fromisoformat(iso(value, where)[:10])


def daterange(a: dt.date, b: dt.date) -> Iterable[dt.date]:
    for k in range((b - a).days + 1):
        yield a + dt.timedelta(days=k)


def coord(lon, lat, where: str, decimals: int = 4) -> tuple[float, float]:
    lon, lat = float(lon), float(lat)
    if not (112.4 < lon < 112.8 and 26.75 < lat < 27.05):
        raise BuildError(f"{where}: ({lon}, {lat}) is outside the Hengyang study area")
    return round(lon, decimals), round(lat, decimals)


def uncertainty(value, confidence: str, where: str) -> int:
    """The positional uncertainty in metres: the figure given, else the confidence's default."""
    if value in (None, ""):
        return UNCERTAINTY_BY_CONFIDENCE[confidence]
    u = int(float(value))
    if u <= 0:
        raise BuildError(f"{where}: uncertainty_m must be positive")
    return u


def evidence(rec: dict, sources: Sources, where: str, estimated_default: int = 1) -> dict:
    est = rec.get("estimated", estimated_default)
    est = estimated_default if est in (None, "") else int(est)
    if est not in (0, 1):
        raise BuildError(f"{where}: estimated must be 0 or 1")
    confidence = conf(rec.get("confidence"), where)
    return {
        "source": sources(rec.get("source"), where),
        "confidence": confidence,
        "estimated": est,
        "uncertainty_m": uncertainty(rec.get("uncertainty_m"), confidence, where),
    }


def then_and_now(rec: dict, where: str, required: bool = True) -> dict:
    """``modern_name`` and ``today`` of a place ('unknown' is an answer; empty is not)."""
    out = {"modern_name": text(rec.get("modern_name")), "today": text(rec.get("today"))}
    if required and (not out["modern_name"] or not out["today"]):
        raise BuildError(f"{where}: a place needs modern_name and today ('unknown' where not known)")
    return out


def frame(rows: list[dict], geom_type: str, sort_by: Sequence[str]) -> gpd.GeoDataFrame:
    df = pd.DataFrame(rows)
    df = df.sort_values(list(sort_by), kind="mergesort").reset_index(drop=True)
    gdf = gpd.GeoDataFrame(df, geometry="geometry", crs=CRS_LL)
    bad = [g.geom_type for g in gdf.geometry if g.geom_type != geom_type]
    if bad:
        raise BuildError(f"expected {geom_type}, got {sorted(set(bad))}")
    if not gdf.geometry.is_valid.all():
        raise BuildError(f"invalid {geom_type} geometry")
    return gdf


def single_polygon(geom, where: str) -> Polygon:
    if geom.geom_type == "Polygon":
        return geom
    parts = sorted(getattr(geom, "geoms", []), key=lambda g: g.area, reverse=True)
    parts = [p for p in parts if p.geom_type == "Polygon"]
    if not parts:
        raise BuildError(f"{where}: no polygon left")
    total = sum(p.area for p in parts)
    if parts[0].area < 0.97 * total:
        raise BuildError(f"{where}: polygon split into comparable parts")
    return parts[0]
