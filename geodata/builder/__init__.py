"""Build the shipped Hengyang 1944 dataset from the reviewable sources in geodata/src/.

    python -m geodata.builder [--out DIR]      (or: python geodata/build.py [--out DIR])

writes DIR/hengyang_1944.gpkg (vector layers, the ``variants`` table and QGIS ``layer_styles``,
EPSG:4326; dates as DATETIME), DIR/hengyang_dem.tif (a *reconstructed* elevation grid, EPSG:32649)
and DIR/hengyang_1944.qgz (a QGIS project of both, animated by date). DIR defaults to geodata/.
The output is deterministic: rows are sorted, no wall-clock time is written, and every derived
coordinate is rounded. The build fails when a unit stands in water on any day:
the written GeoPackage is opened as the viewer opens it and checked (geodata.checks) before it
replaces the old one. See geodata/README.md and docs/data-model.md.

Modules: ``common`` (paths, validation, geometry helpers), ``vectors`` (rivers, hills, points,
features), ``units`` (unit and front-line keyframes, events), ``dem``, ``write`` (outputs),
``styles`` (QML from the viewer's palette) and ``qgis`` (layer_styles table, QGIS project).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

import geopandas as gpd
import pandas as pd
from shapely.ops import unary_union

from .common import DEM_NAME, GEODATA, GPKG_NAME, QGZ_NAME, BuildError, Sources, load_csv, text
from .dem import build_dem
from .units import build_events, build_front_lines, build_units
from .vectors import build_features, build_hills, build_points, build_rivers
from .write import LAYER_ORDER, VARIANT_COLUMNS, check_layers, write_dem, write_gpkg, write_project

__all__ = ["BuildError", "build_layers", "build_variants", "main"]


def build_variants(sources: Sources, layers: dict[str, gpd.GeoDataFrame]) -> pd.DataFrame:
    """Values the sources disagree on (src/variants.csv), each naming a feature that exists."""
    rows = []
    for i, r in enumerate(load_csv("variants.csv"), start=2):
        where = f"variants.csv:{i}"
        layer = layers.get(r["layer"])
        id_col = "unit_id" if r["layer"] == "units" else "feature_id"
        if layer is None or r["feature_id"] not in set(layer[id_col]):
            raise BuildError(f"{where}: no feature {r['layer']}/{r['feature_id']}")
        if not text(r["value"]) or not text(r["field"]):
            raise BuildError(f"{where}: empty field or value")
        rows.append({**{k: text(r[k]) for k in ("feature_id", "layer", "field", "value", "note")},
                     "source": sources(r["source"], where)})
    df = pd.DataFrame(rows, columns=VARIANT_COLUMNS)
    return df.sort_values(["layer", "feature_id", "field", "value", "source"], kind="mergesort").reset_index(
        drop=True)


def build_layers() -> tuple[dict[str, gpd.GeoDataFrame], pd.DataFrame]:
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
    return layers, build_variants(sources, layers)


def check_dry(gpkg: Path) -> None:
    """BuildError when the viewer would draw a unit in water on some day (geodata.checks)."""
    from geodata.checks import units_in_water

    wet = units_in_water(gpkg)
    if wet:
        shown = "; ".join(f"{w.unit_id} on {w.date} in the {w.water}" for w in wet[:8])
        raise BuildError(f"{len(wet)} unit-days in water (add keyframes at a crossing): {shown}")


def write_checked_gpkg(path: Path, layers: dict[str, gpd.GeoDataFrame], variants: pd.DataFrame) -> None:
    """The GeoPackage, written beside ``path`` and checked as the viewer reads it, then moved to ``path``."""
    with tempfile.TemporaryDirectory(prefix=".build.", dir=path.parent) as tmp:
        built = Path(tmp) / path.name
        write_gpkg(built, layers, variants)
        check_dry(built)
        os.replace(built, path)


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", type=Path, default=GEODATA, help="output directory (default: geodata/)")
    args = ap.parse_args(argv)
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    try:
        layers, variants = build_layers()
        z, transform = build_dem(layers)
        write_checked_gpkg(out / GPKG_NAME, layers, variants)
    except BuildError as exc:
        print(f"geodata build: error: {exc}", file=sys.stderr)
        return 1
    write_dem(out / DEM_NAME, z, transform)
    write_project(out / QGZ_NAME, layers, GPKG_NAME, DEM_NAME)
    for name in LAYER_ORDER:
        print(f"{name:15s} {len(layers[name]):5d}")
    print(f"{'variants':15s} {len(variants):5d} (non-spatial table)")
    print(f"wrote {out / GPKG_NAME}, {out / QGZ_NAME} (QGIS project) and {out / DEM_NAME} "
          f"({z.shape[1]}x{z.shape[0]} cells, max {z.max():.1f} m)")
    return 0
