#!/usr/bin/env python
"""Build the shipped Hengyang 1944 dataset from the reviewable sources in geodata/src/.

    python geodata/build.py [--out DIR]

writes DIR/hengyang_1944.gpkg (vector layers, EPSG:4326) and DIR/hengyang_dem.tif (a
*reconstructed* elevation grid, EPSG:32649). DIR defaults to geodata/. The output is
deterministic: rows are sorted, no wall-clock time is written, and every derived coordinate
is rounded. See geodata/README.md and docs/data-model.md.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import math
import os
import sys
import tempfile
from collections.abc import Iterable, Sequence
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import rasterio
import rasterio.features
import shapely
import yaml
from affine import Affine
from pyproj import Transformer
from scipy import ndimage
from shapely import affinity
from shapely.geometry import LineString, Point, Polygon
from shapely.ops import unary_union

HERE = Path(__file__).resolve().parent
SRC = HERE / "src"
GPKG_NAME = "hengyang_1944.gpkg"
DEM_NAME = "hengyang_dem.tif"

CRS_LL = "EPSG:4326"
CRS_UTM = "EPSG:32649"
BATTLE_START = dt.date(1944, 6, 23)
BATTLE_END = dt.date(1944, 8, 8)
CONFIDENCE = ("high", "medium", "low")
# Fixed GeoPackage timestamp (gpkg_contents.last_change) so two builds are byte-identical.
FIXED_GPKG_TIME = "2000-01-01T00:00:00.000Z"

LAYER_ORDER = (
    "water_areas",
    "rivers",
    "hills",
    "spot_heights",
    "flooded_fields",
    "city",
    "gates",
    "railways",
    "stations",
    "airfield",
    "places",
    "defense_lines",
    "moats",
    "pillboxes",
    "units",
    "front_lines",
    "events",
)

# MIL-STD-2525D / APP-6D numeric SIDC parts (see the brief and milsymbol).
AFFILIATION = {"cn": "3", "jp": "6"}
ECHELON = {
    "platoon": "14",
    "company": "15",
    "battalion": "16",
    "regiment": "17",
    "brigade": "18",
    "division": "21",
    "corps": "22",
    "army": "23",
}
ENTITY = {"infantry": "121100", "reconnaissance": "121300", "artillery": "130300"}

DEM_CELL = 30.0
DEM_CENTER_LL = (112.612, 26.892)
DEM_HALF_SIZE = 6300.0  # metres: a 12.6 km square
DEM_PLAIN = 60.0
DEM_FIELDS = 57.5
DEM_WATER = 50.0
DEM_DESCRIPTION = "reconstructed from spot heights and hill outlines; not a survey"


class BuildError(RuntimeError):
    """The sources are inconsistent; the message says where."""


# --------------------------------------------------------------------------- helpers
_TO_UTM = Transformer.from_crs(CRS_LL, CRS_UTM, always_xy=True)
_TO_LL = Transformer.from_crs(CRS_UTM, CRS_LL, always_xy=True)


def _reproject(geom, tr: Transformer):
    def fn(c: np.ndarray) -> np.ndarray:
        x, y = tr.transform(c[:, 0], c[:, 1])
        return np.column_stack([x, y])

    return shapely.transform(geom, fn)


def to_utm(geom):
    return _reproject(geom, _TO_UTM)


def to_ll(geom, decimals: int = 6):
    return round_geom(_reproject(geom, _TO_LL), decimals)


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
    def __init__(self) -> None:
        self.keys: dict[str, str] = load_yaml("sources.yaml")

    def __call__(self, value, where: str) -> str:
        if value is None or not str(value).strip():
            raise BuildError(f"{where}: empty source")
        value = str(value).strip()
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
    s = iso(value, where)
    return dt.date.fromisoformat(s[:10])


def coord(lon, lat, where: str, decimals: int = 4) -> tuple[float, float]:
    lon, lat = float(lon), float(lat)
    if not (112.4 < lon < 112.8 and 26.75 < lat < 27.05):
        raise BuildError(f"{where}: ({lon}, {lat}) is outside the Hengyang study area")
    return round(lon, decimals), round(lat, decimals)


def evidence(rec: dict, sources: Sources, where: str, estimated_default: int = 1) -> dict:
    est = rec.get("estimated", estimated_default)
    est = estimated_default if est in (None, "") else int(est)
    if est not in (0, 1):
        raise BuildError(f"{where}: estimated must be 0 or 1")
    return {
        "source": sources(rec.get("source"), where),
        "confidence": conf(rec.get("confidence"), where),
        "estimated": est,
    }


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


# --------------------------------------------------------------------------- sidc
def make_sidc(side: str, echelon: str, entity: str = "infantry", hq: bool = False) -> str:
    try:
        sidc = (
            "10"
            + "0"
            + AFFILIATION[side]
            + "10"
            + "0"
            + ("2" if hq else "0")
            + ECHELON[echelon]
            + ENTITY[entity]
            + "0000"
        )
    except KeyError as exc:
        raise BuildError(f"unknown side/echelon/entity {exc}") from exc
    assert len(sidc) == 20
    return sidc


def check_sidcs(sidcs: Iterable[str]) -> None:
    import milsymbol

    for sidc in sorted(set(sidcs)):
        if not milsymbol.Symbol(sidc, size=40).is_valid():
            raise BuildError(f"SIDC {sidc} is not valid in milsymbol")


# --------------------------------------------------------------------------- static layers
def build_rivers(sources: Sources) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    by_river: dict[str, list[dict]] = {}
    for i, r in enumerate(load_csv("rivers.csv"), start=2):
        r["_where"] = f"rivers.csv:{i}"
        by_river.setdefault(r["river_id"], []).append(r)
    lines, areas = [], []
    for river_id in sorted(by_river):
        verts = sorted(by_river[river_id], key=lambda r: int(r["seq"]))
        first = verts[0]
        where = first["_where"]
        pts = [coord(v["lon"], v["lat"], v["_where"]) for v in verts]
        widths = [float(v["width_m"]) for v in verts]
        base = {
            "feature_id": river_id,
            "name_en": text(first["name_en"]),
            "name_zh": text(first["name_zh"]),
            **evidence(first, sources, where),
            "width_min_m": min(widths),
            "width_max_m": max(widths),
        }
        line_ll = LineString(pts)
        lines.append({**base, "note": "centre line, flow direction", "geometry": line_ll})
        # Variable-width water polygon: union of the hulls of consecutive vertex circles.
        utm = [Point(_TO_UTM.transform(x, y)) for x, y in pts]
        discs = [p.buffer(w / 2.0, quad_segs=12) for p, w in zip(utm, widths, strict=True)]
        hulls = [unary_union([a, b]).convex_hull for a, b in zip(discs, discs[1:], strict=False)]
        water = single_polygon(to_ll(unary_union(hulls), 6), where)
        areas.append(
            {
                **base,
                "kind": "river",
                "note": "buffered centre line with the widths of rivers.csv (estimates)",
                "geometry": water,
            }
        )
    return (
        frame(areas, "Polygon", ["feature_id"]),
        frame(lines, "LineString", ["feature_id"]),
    )


def build_hills(sources: Sources) -> gpd.GeoDataFrame:
    rows = []
    for i, r in enumerate(load_csv("hills.csv"), start=2):
        where = f"hills.csv:{i}"
        lon, lat = coord(r["lon"], r["lat"], where)
        cx, cy = _TO_UTM.transform(lon, lat)
        ell = affinity.scale(Point(cx, cy).buffer(1.0, quad_segs=16), float(r["rx_m"]), float(r["ry_m"]))
        ell = affinity.rotate(ell, float(r["rot_deg"]), origin=(cx, cy))
        rows.append(
            {
                "feature_id": r["hill_id"],
                "name_en": text(r["name_en"]),
                "name_zh": text(r["name_zh"]),
                "elev_m": float(r["elev_m"]),
                "elev_source": r["elev_source"],
                "rx_m": float(r["rx_m"]),
                "ry_m": float(r["ry_m"]),
                "rot_deg": float(r["rot_deg"]),
                **evidence(r, sources, where),
                "note": text(r["note"]),
                "geometry": single_polygon(to_ll(ell, 5), where),
            }
        )
    return frame(rows, "Polygon", ["feature_id"])


def build_points(sources: Sources) -> dict[str, gpd.GeoDataFrame]:
    per_layer: dict[str, list[dict]] = {}
    for i, r in enumerate(load_csv("points.csv"), start=2):
        where = f"points.csv:{i}"
        row = {
            "feature_id": r["feature_id"],
            "name_en": text(r["name_en"]),
            "name_zh": text(r["name_zh"]),
            "kind": text(r["kind"]),
            **evidence(r, sources, where),
            "note": text(r["note"]),
            "geometry": Point(coord(r["lon"], r["lat"], where)),
        }
        if r["layer"] == "spot_heights":
            if not r["elev_m"]:
                raise BuildError(f"{where}: spot height without elev_m")
            row["elev_m"] = float(r["elev_m"])
            row["elev_source"] = r["elev_source"]
        per_layer.setdefault(r["layer"], []).append(row)
    expected = {"spot_heights", "gates", "stations", "places"}
    if set(per_layer) != expected:
        raise BuildError(f"points.csv layers {sorted(per_layer)} != {sorted(expected)}")
    return {k: frame(v, "Point", ["feature_id"]) for k, v in per_layer.items()}


def _feature_base(rec: dict, sources: Sources, where: str) -> dict:
    row = {
        "feature_id": rec["feature_id"],
        "name_en": text(rec.get("name_en")),
        "name_zh": text(rec.get("name_zh")),
        "kind": text(rec.get("kind")),
        **evidence(rec, sources, where),
        "note": text(rec.get("note")),
    }
    return row


def _dates(rec: dict, where: str, row: dict) -> None:
    row["start_date"] = iso(rec["start_date"], where) if rec.get("start_date") else None
    row["end_date"] = iso(rec["end_date"], where) if rec.get("end_date") else None
    if row["start_date"] and row["end_date"] and row["end_date"] < row["start_date"]:
        raise BuildError(f"{where}: end_date before start_date")


def build_features(sources: Sources, water_union) -> dict[str, gpd.GeoDataFrame]:
    data = load_yaml("features.yaml")
    out: dict[str, gpd.GeoDataFrame] = {}
    xiang = water_union

    def pts(rec, where):
        return [coord(x, y, where) for x, y in rec.get("polygon") or rec.get("line")]

    # city: clipped to the river bank
    rows = []
    for rec in data["city"]:
        where = f"features.yaml:city:{rec['feature_id']}"
        poly = Polygon(pts(rec, where)).difference(xiang)
        rows.append(
            {**_feature_base(rec, sources, where), "geometry": single_polygon(round_geom(poly, 5), where)}
        )
    out["city"] = frame(rows, "Polygon", ["feature_id"])
    city_union = unary_union(list(out["city"].geometry))

    rows = []
    for rec in data["airfield"]:
        where = f"features.yaml:airfield:{rec['feature_id']}"
        rows.append({**_feature_base(rec, sources, where), "geometry": Polygon(pts(rec, where))})
    out["airfield"] = frame(rows, "Polygon", ["feature_id"])

    rows = []
    for rec in data["flooded_fields"]:
        where = f"features.yaml:flooded_fields:{rec['feature_id']}"
        if rec.get("kind") not in ("paddy", "marsh"):
            raise BuildError(f"{where}: kind must be paddy or marsh")
        poly = Polygon(pts(rec, where)).difference(xiang).difference(city_union)
        row = _feature_base(rec, sources, where)
        _dates(rec, where, row)
        row["geometry"] = single_polygon(round_geom(poly, 5), where)
        rows.append(row)
    out["flooded_fields"] = frame(rows, "Polygon", ["feature_id"])

    for layer in ("railways", "defense_lines", "moats"):
        rows = []
        for rec in data[layer]:
            where = f"features.yaml:{layer}:{rec['feature_id']}"
            row = _feature_base(rec, sources, where)
            for extra in ("sector", "depth_m", "width_m"):
                if extra in rec:
                    row[extra] = rec[extra]
            if layer != "railways":
                _dates(rec, where, row)
            row["geometry"] = LineString(pts(rec, where))
            rows.append(row)
        out[layer] = frame(rows, "LineString", ["feature_id"])
    kinds = set(out["railways"]["kind"])
    if not kinds <= {"railway", "bridge"}:
        raise BuildError(f"railway kinds {kinds}")
    if not set(out["defense_lines"]["kind"]) <= {"first_line", "second_line"}:
        raise BuildError("defense_lines kind must be first_line or second_line")

    rows = []
    for rec in data["pillbox_belts"]:
        where = f"features.yaml:pillbox_belts:{rec['feature_id']}"
        belt = to_utm(LineString(pts(rec, where)))
        spacing = float(rec["spacing_m"])
        n = max(1, int(belt.length // spacing) + 1)
        offset = (belt.length - (n - 1) * spacing) / 2.0
        for k in range(n):
            p = to_ll(belt.interpolate(offset + k * spacing), 5)
            row = _feature_base(rec, sources, where)
            row["feature_id"] = f"{rec['feature_id']}_{k + 1:02d}"
            row["belt_id"] = rec["feature_id"]
            row["name_en"] = f"{rec['name_en']} #{k + 1}"
            row["note"] = text(
                f"schematic: one pillbox every {spacing:g} m along the belt; {rec.get('note', '')}"
            )
            _dates(rec, where, row)
            row["geometry"] = p
            rows.append(row)
    out["pillboxes"] = frame(rows, "Point", ["feature_id"])
    return out


# --------------------------------------------------------------------------- units
def daterange(a: dt.date, b: dt.date) -> Iterable[dt.date]:
    for k in range((b - a).days + 1):
        yield a + dt.timedelta(days=k)


def build_units(sources: Sources) -> gpd.GeoDataFrame:
    data = load_yaml("units.yaml")
    rows: list[dict] = []
    seen: set[str] = set()
    for u in data["units"]:
        uid = u["unit_id"]
        where_u = f"units.yaml:{uid}"
        if uid in seen:
            raise BuildError(f"{where_u}: duplicate unit_id")
        seen.add(uid)
        if u["side"] not in AFFILIATION:
            raise BuildError(f"{where_u}: side must be cn or jp")
        sidc = make_sidc(u["side"], u["echelon"], u.get("entity", "infantry"), bool(u.get("hq")))
        end = as_date(u["end"], where_u)
        kfs = []
        for j, kf in enumerate(u["kf"]):
            where = f"{where_u}:kf{j}"
            if len(kf) < 5:
                raise BuildError(f"{where}: keyframe needs date, lon, lat, source, confidence")
            d = as_date(kf[0], where)
            lon, lat = coord(kf[1], kf[2], where)
            kfs.append(
                {
                    "date": d,
                    "lon": lon,
                    "lat": lat,
                    "source": sources(kf[3], where),
                    "confidence": conf(kf[4], where),
                    "note": text(kf[5]) if len(kf) > 5 else None,
                    "strength": int(kf[6]) if len(kf) > 6 and kf[6] is not None else None,
                }
            )
        kfs.sort(key=lambda k: k["date"])
        dates = [k["date"] for k in kfs]
        if len(set(dates)) != len(dates):
            raise BuildError(f"{where_u}: two keyframes on one day")
        if dates[0] < BATTLE_START or end > BATTLE_END or dates[-1] > end:
            raise BuildError(f"{where_u}: keyframes/end outside {BATTLE_START}..{BATTLE_END}")
        by_date = {k["date"]: k for k in kfs}
        common = {
            "unit_id": uid,
            "name_en": text(u["name_en"]),
            "name_zh": text(u.get("name_zh")),
            "side": u["side"],
            "echelon": u["echelon"],
            "sidc": sidc,
            "designation": str(u["designation"]),
            "higher": text(u.get("higher")),
            "unit_note": text(u.get("note")),
        }
        for d in daterange(dates[0], end):
            if d in by_date:
                k = by_date[d]
                lon, lat = k["lon"], k["lat"]
                extra = {
                    "source": k["source"],
                    "confidence": k["confidence"],
                    "note": k["note"],
                    "strength": k["strength"],
                    "row_kind": "keyframe",
                }
            elif d < dates[-1]:
                prev = [k for k in kfs if k["date"] < d][-1]
                nxt = [k for k in kfs if k["date"] > d][0]
                t = (d - prev["date"]).days / (nxt["date"] - prev["date"]).days
                lon = round(prev["lon"] + t * (nxt["lon"] - prev["lon"]), 4)
                lat = round(prev["lat"] + t * (nxt["lat"] - prev["lat"]), 4)
                srcs = " | ".join(dict.fromkeys([prev["source"], nxt["source"]]))
                extra = {
                    "source": f"interpolated between keyframes of {prev['date']} and {nxt['date']}: {srcs}",
                    "confidence": "low",
                    "note": None,
                    "strength": None,
                    "row_kind": "interpolated",
                }
            else:
                last = kfs[-1]
                lon, lat = last["lon"], last["lat"]
                extra = {
                    "source": f"position held from keyframe of {last['date']}: {last['source']}",
                    "confidence": "low",
                    "note": None,
                    "strength": None,
                    "row_kind": "held",
                }
            rows.append(
                {
                    **common,
                    "start_date": d.isoformat(),
                    "end_date": d.isoformat(),
                    "estimated": 1,
                    **extra,
                    "geometry": Point(lon, lat),
                }
            )
    check_sidcs(r["sidc"] for r in rows)
    gdf = frame(rows, "Point", ["unit_id", "start_date"])
    gdf["strength"] = gdf["strength"].astype("Int64")
    cols = [
        "unit_id", "name_en", "name_zh", "side", "echelon", "sidc", "designation", "higher",
        "strength", "start_date", "end_date", "source", "confidence", "estimated", "note",
        "row_kind", "unit_note", "geometry",
    ]  # fmt: skip
    return gdf[cols]


# --------------------------------------------------------------------------- front lines
def build_front_lines(sources: Sources) -> gpd.GeoDataFrame:
    data = load_yaml("front_lines.yaml")
    rows = []
    for ln in data["lines"]:
        lid = ln["line_id"]
        end = as_date(ln["end"], f"front_lines.yaml:{lid}")
        kfs = sorted(ln["keyframes"], key=lambda k: as_date(k["date"], lid))
        nverts = {len(k["line"]) for k in kfs}
        if len(nverts) != 1:
            raise BuildError(f"front_lines.yaml:{lid}: keyframes differ in vertex count {nverts}")
        for j, kf in enumerate(kfs):
            where = f"front_lines.yaml:{lid}:{kf['date']}"
            start = as_date(kf["date"], where)
            stop = as_date(kfs[j + 1]["date"], where) - dt.timedelta(days=1) if j + 1 < len(kfs) else end
            stop = max(stop, start)
            rows.append(
                {
                    "feature_id": f"{lid}_{start.isoformat()}",
                    "line_id": lid,
                    "name_en": text(ln["name_en"]),
                    "name_zh": text(ln.get("name_zh")),
                    "side": ln["side"],
                    "start_date": start.isoformat(),
                    "end_date": stop.isoformat(),
                    **evidence(kf, sources, where),
                    "note": text(kf.get("note")),
                    "geometry": LineString([coord(x, y, where) for x, y in kf["line"]]),
                }
            )
    return frame(rows, "LineString", ["line_id", "start_date"])


# --------------------------------------------------------------------------- events
def build_events(sources: Sources) -> gpd.GeoDataFrame:
    data = load_yaml("events.yaml")
    rows, ids = [], set()
    for ev in data["events"]:
        where = f"events.yaml:{ev['id']}"
        if ev["id"] in ids:
            raise BuildError(f"{where}: duplicate id")
        ids.add(ev["id"])
        start = iso(ev["start"], where)
        # Default: to the end of the start day. A date-only end is inclusive (docs/data-model.md),
        # but after a date-time start it is written as T23:59 so that no reader comparing the
        # raw bounds sees it as ending before the event began.
        end = iso(ev["end"], where) if ev.get("end") else start[:10]
        if "T" in start and "T" not in end and end == start[:10]:
            end = f"{end}T23:59"
        if end < start[:10]:
            raise BuildError(f"{where}: end before start")
        for key in ("title", "description"):
            if not text(ev.get(key)):
                raise BuildError(f"{where}: missing {key}")
        rows.append(
            {
                "feature_id": ev["id"],
                "start_date": start,
                "end_date": end,
                "title": text(ev["title"]),
                "description": text(ev["description"]),
                "name_en": text(ev.get("place_en")),
                "name_zh": text(ev.get("place_zh")),
                **evidence(ev, sources, where),
                "note": text(ev.get("note")),
                "geometry": Point(coord(ev["at"][0], ev["at"][1], where)),
            }
        )
    return frame(rows, "Point", ["start_date", "feature_id"])


# --------------------------------------------------------------------------- DEM
def dem_grid() -> tuple[rasterio.Affine, int, int]:
    cx, cy = _TO_UTM.transform(*DEM_CENTER_LL)
    x0 = math.floor((cx - DEM_HALF_SIZE) / DEM_CELL) * DEM_CELL
    y1 = math.ceil((cy + DEM_HALF_SIZE) / DEM_CELL) * DEM_CELL
    n = int(round(2 * DEM_HALF_SIZE / DEM_CELL))
    return Affine(DEM_CELL, 0.0, x0, 0.0, -DEM_CELL, y1), n, n  # north-up, from the top-left corner


def build_dem(layers: dict[str, gpd.GeoDataFrame]) -> tuple[np.ndarray, rasterio.Affine]:
    transform, width, height = dem_grid()
    cols, rows_ = np.meshgrid(np.arange(width) + 0.5, np.arange(height) + 0.5)
    xs = transform.c + cols * transform.a
    ys = transform.f + rows_ * transform.e
    u = (xs - xs.min()) / (xs.max() - xs.min())
    v = (ys - ys.min()) / (ys.max() - ys.min())

    # Plain: ~60 m, rising gently towards the south-west, with a little smooth relief.
    rng = np.random.default_rng(1944)
    relief = ndimage.gaussian_filter(rng.standard_normal((height, width)), sigma=12, mode="nearest")
    relief /= np.abs(relief).max()
    z = DEM_PLAIN + 4.0 * (1 - u) * (1 - v) + 2.0 * relief

    def mask_of(gdf):
        shapes = [(to_utm(g), 1) for g in gdf.geometry]
        return rasterio.features.rasterize(
            shapes, out_shape=(height, width), transform=transform, fill=0, dtype="uint8"
        ).astype(bool)

    # Flooded fields sit a little lower.
    fields = ndimage.gaussian_filter(mask_of(layers["flooded_fields"]).astype(float), sigma=2)
    z = z * (1 - fields) + DEM_FIELDS * fields

    # Hills: one elliptical Gaussian bump per spot height, shaped by the hill outline it lies in.
    hills = layers["hills"].copy()
    hills["utm"] = [to_utm(g) for g in hills.geometry]
    bumps = np.full_like(z, -np.inf)
    for sh in layers["spot_heights"].itertuples():
        px, py = _TO_UTM.transform(sh.geometry.x, sh.geometry.y)
        p = Point(px, py)
        inside = [h for h in hills.itertuples() if h.utm.buffer(60).contains(p)]
        if inside:
            h = min(inside, key=lambda h: h.utm.area)
            sx, sy, rot = h.rx_m / 2.0, h.ry_m / 2.0, math.radians(h.rot_deg)
        else:
            sx, sy, rot = 120.0, 120.0, 0.0
        dx, dy = xs - px, ys - py
        a = dx * math.cos(rot) + dy * math.sin(rot)
        b = -dx * math.sin(rot) + dy * math.cos(rot)
        q = (a / sx) ** 2 + (b / sy) ** 2
        base = DEM_PLAIN
        bumps = np.maximum(bumps, base + (sh.elev_m - base) * np.exp(-0.5 * q))
    z = np.maximum(z, bumps)

    # Rivers: water surface ~50 m with banks ramping up over ~90 m.
    water = mask_of(layers["water_areas"])
    dist = ndimage.distance_transform_edt(~water) * DEM_CELL
    ramp = np.clip(dist / 90.0, 0.0, 1.0)
    ramp = ramp * ramp * (3 - 2 * ramp)
    z = DEM_WATER + (z - DEM_WATER) * ramp
    z[water] = DEM_WATER
    return np.round(z, 1).astype("float32"), transform


def write_dem(path: Path, z: np.ndarray, transform) -> None:
    tmp = _tmp_path(path)
    try:
        profile = {
            "driver": "GTiff",
            "width": z.shape[1],
            "height": z.shape[0],
            "count": 1,
            "dtype": "float32",
            "crs": CRS_UTM,
            "transform": transform,
            "compress": "deflate",
            "predictor": 3,
            "zlevel": 9,
            "tiled": True,
            "blockxsize": 256,
            "blockysize": 256,
        }
        with rasterio.open(tmp, "w", **profile) as dst:
            dst.write(z, 1)
            dst.set_band_description(1, "elevation_m (reconstructed)")
            dst.update_tags(
                TIFFTAG_IMAGEDESCRIPTION=DEM_DESCRIPTION,
                description=DEM_DESCRIPTION,
                reconstructed="yes",
                source=(
                    "geodata/build.py from geodata/src/points.csv (spot heights, elev_m) and "
                    "geodata/src/hills.csv (hill outlines): plain ~60 m, flooded fields 57.5 m, "
                    "water 50 m, Gaussian hill bumps fitted to the spot heights; spot heights "
                    "from position names (227.7, 221, 141) or estimates; no surveyed 1944 DEM"
                ),
                units="metre",
                vertical_datum="none (relative; plain set to ~60 m)",
            )
            dst.update_tags(1, units="metre")
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()


# --------------------------------------------------------------------------- output
def _tmp_path(final: Path) -> Path:
    fd, name = tempfile.mkstemp(prefix=f".{final.stem}.", suffix=final.suffix, dir=final.parent)
    os.close(fd)
    os.unlink(name)
    return Path(name)


def write_gpkg(path: Path, layers: dict[str, gpd.GeoDataFrame]) -> None:
    tmp = _tmp_path(path)
    pyogrio.set_gdal_config_options({"OGR_CURRENT_DATE": FIXED_GPKG_TIME})
    try:
        for i, name in enumerate(LAYER_ORDER):
            # GeoPackage 1.2 keeps the file readable by older GDAL/QGIS builds.
            opts = {"dataset_options": {"VERSION": "1.2"}} if i == 0 else {}
            layers[name].to_file(tmp, layer=name, driver="GPKG", engine="pyogrio", **opts)
        os.replace(tmp, path)
    finally:
        pyogrio.set_gdal_config_options({"OGR_CURRENT_DATE": None})
        if tmp.exists():
            tmp.unlink()


def check_layers(layers: dict[str, gpd.GeoDataFrame]) -> None:
    missing = set(LAYER_ORDER) - set(layers)
    if missing:
        raise BuildError(f"missing layers {sorted(missing)}")
    for name, gdf in layers.items():
        if gdf.empty:
            raise BuildError(f"layer {name} is empty")
        for col in ("source", "confidence", "estimated", "name_en"):
            if col not in gdf.columns:
                raise BuildError(f"layer {name} lacks {col}")
        if gdf["source"].isna().any() or (gdf["source"].str.strip() == "").any():
            raise BuildError(f"layer {name}: empty source")
        if not gdf["confidence"].isin(CONFIDENCE).all():
            raise BuildError(f"layer {name}: bad confidence")
    days = set(layers["units"]["start_date"])
    want = {d.isoformat() for d in daterange(BATTLE_START, BATTLE_END)}
    if want - days:
        raise BuildError(f"units miss days {sorted(want - days)[:5]}")


def build_layers() -> dict[str, gpd.GeoDataFrame]:
    sources = Sources()
    layers: dict[str, gpd.GeoDataFrame] = {}
    layers["water_areas"], layers["rivers"] = build_rivers(sources)
    water_union = unary_union(list(layers["water_areas"].geometry))
    layers["hills"] = build_hills(sources)
    layers.update(build_points(sources))
    layers.update(build_features(sources, water_union))
    layers["units"] = build_units(sources)
    layers["front_lines"] = build_front_lines(sources)
    layers["events"] = build_events(sources)
    check_layers(layers)
    return layers


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", type=Path, default=HERE, help="output directory (default: geodata/)")
    args = ap.parse_args(argv)
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    try:
        layers = build_layers()
        z, transform = build_dem(layers)
    except BuildError as exc:
        print(f"build.py: error: {exc}", file=sys.stderr)
        return 1
    write_gpkg(out / GPKG_NAME, layers)
    write_dem(out / DEM_NAME, z, transform)
    for name in LAYER_ORDER:
        print(f"{name:15s} {len(layers[name]):5d}")
    print(f"wrote {out / GPKG_NAME} and {out / DEM_NAME} ({z.shape[1]}x{z.shape[0]} cells)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
