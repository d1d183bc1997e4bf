"""Static layers: rivers and water, hills, point places and the hand-drawn features."""

from __future__ import annotations

import geopandas as gpd
from shapely import affinity
from shapely.geometry import LineString, Point, Polygon
from shapely.ops import unary_union

from .common import (
    ESTIMATED_HEIGHT_RANGE,
    MAX_HEIGHT,
    TO_UTM,
    BuildError,
    Sources,
    coord,
    evidence,
    frame,
    iso,
    load_csv,
    load_yaml,
    round_geom,
    single_polygon,
    text,
    then_and_now,
    to_ll,
    to_utm,
)


def height(r: dict, sources: Sources, where: str) -> dict:
    """A hill's height, kept apart from its map label.

    A height is either a figure from a named source (``elev_source`` a key of sources.yaml,
    ``elev_estimated = 0``) or an estimate (``elev_source = estimate``, ``elev_estimated = 1``)
    inside the known range of the siege hills. A map label such as 'Hill 227.7' is no height.
    """
    elev = float(r["elev_m"])
    est = int(r["elev_estimated"])
    label = text(r.get("label"))
    if est == 1:
        lo, hi = ESTIMATED_HEIGHT_RANGE
        if r["elev_source"] != "estimate" or not lo <= elev <= hi:
            raise BuildError(f"{where}: an estimated height must say 'estimate' and lie in {lo:g}-{hi:g} m")
        elev_source = "estimate"
    elif est == 0:
        if r["elev_source"] not in sources.keys:
            raise BuildError(f"{where}: a height in metres needs a named source (a key of sources.yaml)")
        elev_source = sources(r["elev_source"], where)
    else:
        raise BuildError(f"{where}: elev_estimated must be 0 or 1")
    if elev > MAX_HEIGHT:
        raise BuildError(f"{where}: {elev:g} m is above the {MAX_HEIGHT:g} m of the highest siege hill")
    if label and any(ch.isdigit() for ch in label) and str(elev).rstrip("0").rstrip(".") in label:
        raise BuildError(f"{where}: height {elev:g} copies the map label {label!r}")
    return {"label": label, "elev_m": elev, "elev_source": elev_source, "elev_estimated": est}


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
        keys = list(dict.fromkeys(v["source"] for v in verts))
        worst = max((v["confidence"] for v in verts), key=("high", "medium", "low").index)
        base = {
            "feature_id": river_id,
            "name_en": text(first["name_en"]),
            "name_zh": text(first["name_zh"]),
            **evidence({**first, "source": " | ".join(keys), "confidence": worst}, sources, where),
            **then_and_now(first, where),
            "width_min_m": min(widths),
            "width_max_m": max(widths),
        }
        notes = "; ".join(f"vertex {v['seq']}: {v['note']}" for v in verts if v["note"])
        note = text(f"centre line, flow direction; {notes}")
        lines.append({**base, "note": note, "geometry": LineString(pts)})
        # Variable-width water polygon: union of the hulls of consecutive vertex circles.
        utm = [Point(TO_UTM.transform(x, y)) for x, y in pts]
        discs = [p.buffer(w / 2.0, quad_segs=12) for p, w in zip(utm, widths, strict=True)]
        hulls = [unary_union([a, b]).convex_hull for a, b in zip(discs, discs[1:], strict=False)]
        water = single_polygon(to_ll(unary_union(hulls), 6), where)
        note = "buffered centre line with the widths of rivers.csv (estimates)"
        areas.append({**base, "kind": "river", "note": note, "geometry": water})
    return frame(areas, "Polygon", ["feature_id"]), frame(lines, "LineString", ["feature_id"])


def build_hills(sources: Sources) -> gpd.GeoDataFrame:
    rows = []
    for i, r in enumerate(load_csv("hills.csv"), start=2):
        where = f"hills.csv:{i}"
        lon, lat = coord(r["lon"], r["lat"], where)
        cx, cy = TO_UTM.transform(lon, lat)
        ell = affinity.scale(Point(cx, cy).buffer(1.0, quad_segs=16), float(r["rx_m"]), float(r["ry_m"]))
        ell = affinity.rotate(ell, float(r["rot_deg"]), origin=(cx, cy))
        rows.append({
            "feature_id": r["hill_id"],
            "name_en": text(r["name_en"]),
            "name_zh": text(r["name_zh"]),
            **height(r, sources, where),
            "rx_m": float(r["rx_m"]),
            "ry_m": float(r["ry_m"]),
            "rot_deg": float(r["rot_deg"]),
            **evidence(r, sources, where),
            **then_and_now(r, where),
            "note": text(r["note"]),
            "geometry": single_polygon(to_ll(ell, 5), where),
        })
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
            **then_and_now(r, where),
            "note": text(r["note"]),
            "located": _located(r, where),
            "geometry": Point(coord(r["lon"], r["lat"], where)),
        }
        if r["layer"] == "spot_heights":
            if not r["elev_m"]:
                raise BuildError(f"{where}: spot height without elev_m")
            row.update(height(r, sources, where))
        elif r["elev_m"] or r["label"]:
            raise BuildError(f"{where}: only spot heights carry elev_m and label")
        per_layer.setdefault(r["layer"], []).append(row)
    expected = {"spot_heights", "gates", "stations", "places"}
    if set(per_layer) != expected:
        raise BuildError(f"points.csv layers {sorted(per_layer)} != {sorted(expected)}")
    return {k: frame(v, "Point", ["feature_id"]) for k, v in per_layer.items()}


def _located(r: dict, where: str) -> int:
    """0 where the sources name a place whose position is not known (the geometry is a guess to
    show it at all: its label ends in "(?)"), else 1."""
    value = (r.get("located") or "1").strip()
    if value not in ("0", "1"):
        raise BuildError(f"{where}: located must be 0, 1 or empty, not {value!r}")
    return int(value)


def _feature_base(rec: dict, sources: Sources, where: str, place: bool = False) -> dict:
    return {
        "feature_id": rec["feature_id"],
        "name_en": text(rec.get("name_en")),
        "name_zh": text(rec.get("name_zh")),
        "kind": text(rec.get("kind")),
        **evidence(rec, sources, where),
        **then_and_now(rec, where, required=place),
        "note": text(rec.get("note")),
    }


def _dates(rec: dict, where: str, row: dict) -> None:
    row["start_date"] = iso(rec["start_date"], where) if rec.get("start_date") else None
    row["end_date"] = iso(rec["end_date"], where) if rec.get("end_date") else None
    if row["start_date"] and row["end_date"] and row["end_date"] < row["start_date"]:
        raise BuildError(f"{where}: end_date before start_date")


def _pillboxes(data: dict, sources: Sources) -> gpd.GeoDataFrame:
    rows = []
    for rec in data["pillbox_belts"]:
        where = f"features.yaml:pillbox_belts:{rec['feature_id']}"
        belt = to_utm(LineString([coord(x, y, where) for x, y in rec["line"]]))
        spacing = float(rec["spacing_m"])
        n = max(1, int(belt.length // spacing) + 1)
        offset = (belt.length - (n - 1) * spacing) / 2.0
        for k in range(n):
            row = _feature_base(rec, sources, where)
            row["feature_id"] = f"{rec['feature_id']}_{k + 1:02d}"
            row["belt_id"] = rec["feature_id"]
            row["name_en"] = f"{rec['name_en']} #{k + 1}"
            row["note"] = text(
                f"schematic: one pillbox every {spacing:g} m along the belt; {rec.get('note', '')}")
            _dates(rec, where, row)
            row["geometry"] = to_ll(belt.interpolate(offset + k * spacing), 5)
            rows.append(row)
    return frame(rows, "Point", ["feature_id"])


def build_features(sources: Sources, water_union) -> dict[str, gpd.GeoDataFrame]:
    data = load_yaml("features.yaml")
    out: dict[str, gpd.GeoDataFrame] = {}

    def pts(rec, where):
        return [coord(x, y, where) for x, y in rec.get("polygon") or rec.get("line")]

    rows = []
    for rec in data["city"]:  # clipped to the river bank
        where = f"features.yaml:city:{rec['feature_id']}"
        poly = Polygon(pts(rec, where)).difference(water_union)
        rows.append({**_feature_base(rec, sources, where, place=True),
                     "geometry": single_polygon(round_geom(poly, 5), where)})
    out["city"] = frame(rows, "Polygon", ["feature_id"])
    city_union = unary_union(list(out["city"].geometry))

    rows = []
    for rec in data["airfield"]:
        where = f"features.yaml:airfield:{rec['feature_id']}"
        rows.append({**_feature_base(rec, sources, where, place=True), "geometry": Polygon(pts(rec, where))})
    out["airfield"] = frame(rows, "Polygon", ["feature_id"])

    rows = []
    for rec in data["flooded_fields"]:
        where = f"features.yaml:flooded_fields:{rec['feature_id']}"
        if rec.get("kind") not in ("paddy", "marsh"):
            raise BuildError(f"{where}: kind must be paddy or marsh")
        poly = Polygon(pts(rec, where)).difference(water_union).difference(city_union)
        row = _feature_base(rec, sources, where)
        _dates(rec, where, row)
        row["geometry"] = single_polygon(round_geom(poly, 5), where)
        rows.append(row)
    out["flooded_fields"] = frame(rows, "Polygon", ["feature_id"])

    for layer in ("railways", "defense_lines", "moats"):
        rows = []
        for rec in data[layer]:
            where = f"features.yaml:{layer}:{rec['feature_id']}"
            row = _feature_base(rec, sources, where, place=rec.get("kind") == "bridge")
            for extra in ("sector", "depth_m", "width_m"):
                if extra in rec:
                    row[extra] = rec[extra]
            if layer != "railways":
                _dates(rec, where, row)
            row["geometry"] = LineString(pts(rec, where))
            rows.append(row)
        out[layer] = frame(rows, "LineString", ["feature_id"])
    if not set(out["railways"]["kind"]) <= {"railway", "bridge"}:
        raise BuildError(f"railway kinds {set(out['railways']['kind'])}")
    if not set(out["defense_lines"]["kind"]) <= {"first_line", "second_line", "final_line"}:
        raise BuildError("defense_lines kind must be first_line, second_line or final_line")
    out["pillboxes"] = _pillboxes(data, sources)
    return out
