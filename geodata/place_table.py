"""Markdown table of the dataset's places: position, source, confidence and distance moved.

    python geodata/place_table.py OLD.gpkg [NEW.gpkg]

Distances are geodesic (pyproj Geod, WGS84) between the same layer/feature_id in the two files
(polygon centroids); 'new' marks a place the old file lacked. Used for geodata/README.md.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pyogrio
from pyproj import Geod

LAYERS = ("city", "gates", "stations", "airfield", "hills", "spot_heights", "places", "rivers")
GEOD = Geod(ellps="WGS84")
HERE = Path(__file__).resolve().parent


def _centres(path: Path, layer: str) -> dict[str, tuple]:
    df = pyogrio.read_dataframe(path, layer=layer)
    out = {}
    for r in df.itertuples():
        geom = r.geometry
        p = geom.centroid if layer != "rivers" else geom.interpolate(1.0, normalized=True)  # river: its mouth
        out[r.feature_id] = (p, r)
    return out


def short(source: str) -> str:
    return source.split(" (")[0].split(":")[0].split(",")[0][:48]


def table(old: Path, new: Path) -> str:
    lines = ["| layer | feature | position (lon, lat) | source | confidence | ± m "
             "| moved from previous version |", "|---|---|---|---|---|---|---|"]
    for layer in LAYERS:
        before = _centres(old, layer)
        for fid, (p, r) in sorted(_centres(new, layer).items()):
            if fid in before:
                q = before[fid][0]
                moved = f"{GEOD.inv(q.x, q.y, p.x, p.y)[2]:.0f} m"
            else:
                moved = "new"
            where = "mouth " if layer == "rivers" else ""
            lines.append(f"| {layer} | {r.name_en} | {where}{p.x:.4f}, {p.y:.4f} | {short(r.source)} | "
                         f"{r.confidence} | {r.uncertainty_m} | {moved} |")
    return "\n".join(lines)


if __name__ == "__main__":
    old = Path(sys.argv[1])
    new = Path(sys.argv[2]) if len(sys.argv) > 2 else HERE / "hengyang_1944.gpkg"
    print(table(old, new))
