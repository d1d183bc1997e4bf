"""Moving and dated layers: unit keyframes, front-line keyframes and events."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

import geopandas as gpd
from shapely.geometry import LineString, Point

from .common import (
    BATTLE_END,
    BATTLE_START,
    BuildError,
    Sources,
    as_date,
    conf,
    coord,
    evidence,
    frame,
    iso,
    load_yaml,
    text,
    uncertainty,
)

# MIL-STD-2525D / APP-6D numeric SIDC parts.
AFFILIATION = {"cn": "3", "jp": "6"}
ECHELON = {"platoon": "14", "company": "15", "battalion": "16", "regiment": "17", "brigade": "18",
           "division": "21", "corps": "22", "army": "23"}
ENTITY = {"infantry": "121100", "reconnaissance": "121300", "artillery": "130300"}
UNIT_COLUMNS = [
    "unit_id", "name_en", "name_zh", "side", "echelon", "sidc", "designation", "higher",
    "strength", "start_date", "end_date", "source", "confidence", "estimated", "uncertainty_m",
    "note", "row_kind", "unit_note", "geometry",
]  # fmt: skip


def make_sidc(side: str, echelon: str, entity: str = "infantry", hq: bool = False) -> str:
    try:
        sidc = "10" + "0" + AFFILIATION[side] + "10" + "0" + ("2" if hq else "0") + ECHELON[echelon]
        sidc += ENTITY[entity] + "0000"
    except KeyError as exc:
        raise BuildError(f"unknown side/echelon/entity {exc}") from exc
    assert len(sidc) == 20
    return sidc


def check_sidcs(sidcs: Iterable[str]) -> None:
    import milsymbol

    for sidc in sorted(set(sidcs)):
        if not milsymbol.Symbol(sidc, size=40).is_valid():
            raise BuildError(f"SIDC {sidc} is not valid in milsymbol")


def _keyframes(u: dict, sources: Sources, where_u: str) -> list[dict]:
    kfs = []
    for j, kf in enumerate(u["kf"]):
        where = f"{where_u}:kf{j}"
        if len(kf) < 5:
            raise BuildError(f"{where}: keyframe needs date, lon, lat, source, confidence")
        lon, lat = coord(kf[1], kf[2], where)
        confidence = conf(kf[4], where)
        kfs.append({
            "date": as_date(kf[0], where),
            "lon": lon,
            "lat": lat,
            "source": sources(kf[3], where),
            "confidence": confidence,
            "uncertainty_m": uncertainty(None, confidence, where),
            "note": text(kf[5]) if len(kf) > 5 else None,
            "strength": int(kf[6]) if len(kf) > 6 and kf[6] is not None else None,
        })
    kfs.sort(key=lambda k: k["date"])
    dates = [k["date"] for k in kfs]
    if len(set(dates)) != len(dates):
        raise BuildError(f"{where_u}: two keyframes on one day")
    return kfs


def build_units(sources: Sources) -> gpd.GeoDataFrame:
    """One row per keyframe (the viewer interpolates between them, terrain_viewer/core/tracks.py).

    A row lasts from its keyframe to the day before the next one; the last row ends on the
    unit's ``end`` (a destroyed or captured unit has no row after it).
    """
    rows: list[dict] = []
    seen: set[str] = set()
    for u in load_yaml("units.yaml")["units"]:
        uid = u["unit_id"]
        where_u = f"units.yaml:{uid}"
        if uid in seen:
            raise BuildError(f"{where_u}: duplicate unit_id")
        seen.add(uid)
        if u["side"] not in AFFILIATION:
            raise BuildError(f"{where_u}: side must be cn or jp")
        end = as_date(u["end"], where_u)
        kfs = _keyframes(u, sources, where_u)
        if kfs[0]["date"] < BATTLE_START or end > BATTLE_END or kfs[-1]["date"] > end:
            raise BuildError(f"{where_u}: keyframes/end outside {BATTLE_START}..{BATTLE_END}")
        common = {
            "unit_id": uid,
            "name_en": text(u["name_en"]),
            "name_zh": text(u.get("name_zh")),
            "side": u["side"],
            "echelon": u["echelon"],
            "sidc": make_sidc(u["side"], u["echelon"], u.get("entity", "infantry"), bool(u.get("hq"))),
            "designation": str(u["designation"]),
            "higher": text(u.get("higher")),
            "unit_note": text(u.get("note")),
        }
        for j, k in enumerate(kfs):
            stop = kfs[j + 1]["date"] - dt.timedelta(days=1) if j + 1 < len(kfs) else end
            rows.append({
                **common,
                "start_date": k["date"].isoformat(),
                "end_date": max(stop, k["date"]).isoformat(),
                "estimated": 1,
                "source": k["source"],
                "confidence": k["confidence"],
                "uncertainty_m": k["uncertainty_m"],
                "note": k["note"],
                "strength": k["strength"],
                "row_kind": "keyframe",
                "geometry": Point(k["lon"], k["lat"]),
            })
    check_sidcs(r["sidc"] for r in rows)
    gdf = frame(rows, "Point", ["unit_id", "start_date"])
    gdf["strength"] = gdf["strength"].astype("Int64")
    return gdf[UNIT_COLUMNS]


def build_front_lines(sources: Sources) -> gpd.GeoDataFrame:
    rows = []
    for ln in load_yaml("front_lines.yaml")["lines"]:
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
            rows.append({
                "feature_id": f"{lid}_{start.isoformat()}",
                "line_id": lid,
                "name_en": text(ln["name_en"]),
                "name_zh": text(ln.get("name_zh")),
                "side": ln["side"],
                "start_date": start.isoformat(),
                "end_date": max(stop, start).isoformat(),
                **evidence(kf, sources, where),
                "note": text(kf.get("note")),
                "geometry": LineString([coord(x, y, where) for x, y in kf["line"]]),
            })
    return frame(rows, "LineString", ["line_id", "start_date"])


def build_events(sources: Sources) -> gpd.GeoDataFrame:
    rows, ids = [], set()
    for ev in load_yaml("events.yaml")["events"]:
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
        rows.append({
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
        })
    return frame(rows, "Point", ["start_date", "feature_id"])
