"""``info`` (layers, CRS, counts, time extent) and ``validate`` (per-layer problems), as text or
``--json`` for scripts."""

from __future__ import annotations

import argparse
import json
import math
import sys

from terrain_viewer.cli.common import BAD_DATA, FOUND_ERRORS, OK, data_paths, pad


def _iso(t: float) -> str | None:
    from terrain_viewer.core.temporal.timeline import to_datetime

    if not math.isfinite(t):
        return None
    value = to_datetime(t)
    return value.date().isoformat() if t == int(t) else value.isoformat(timespec="minutes")


def _fmt_days(extent: tuple[float, float] | None) -> str:
    if extent is None:
        return "static"
    return f"{_iso(extent[0]) or '(open)'}..{_iso(extent[1]) or '(open)'}"


def _json_days(extent: tuple[float, float] | None) -> list | None:
    return None if extent is None else [_iso(extent[0]), _iso(extent[1])]


def _describe(path, ds) -> dict:
    """One file's ``info`` as plain data."""
    return {
        "file": str(path),
        "layers": [{"name": layer.name, "geometry_type": layer.geometry_type, "features": len(layer.gdf),
                    "crs": layer.source_crs, "role": layer.role, "time_extent": _json_days(layer.time_extent)}
                   for layer in ds.layers],
        "rasters": [{"name": r.name, "kind": r.kind, "width": r.source_size[0], "height": r.source_size[1],
                     "bands": int(r.data.shape[0]), "crs": r.source_crs,
                     "map_grid": [int(r.data.shape[2]), int(r.data.shape[1])]} for r in ds.rasters],
        "map_crs": ds.map_crs.to_string() if ds.layers or ds.rasters else None,
        "time_extent": _json_days(ds.time_extent) if ds.layers else None,
        "animation": _json_days(ds.animation_extent) if ds.layers else None,
        "problems": list(ds.problems),
    }


def _print_info(path, ds) -> None:
    print(f"{path}")
    for layer in ds.layers:
        n = len(layer.gdf)
        print(f"  {pad(layer.name, 20)} {pad(layer.geometry_type, 16)} {n:>6} {features(n):<8}  "
              f"{pad(layer.source_crs, 10)} {pad(layer.role, 9)} {_fmt_days(layer.time_extent)}")
    for raster in ds.rasters:
        bands, rows, cols = raster.data.shape
        width, height = raster.source_size
        print(f"  {pad(raster.name, 20)} raster {pad(raster.kind, 9)} {width}x{height}x{bands} cells  "
              f"{raster.source_crs}  (drawn as {cols}x{rows} in the map CRS)")
    if ds.layers:
        print(f"  map CRS {ds.map_crs.to_string()}; time extent {_fmt_days(ds.time_extent)}; "
              f"animation {_fmt_days(ds.animation_extent)}")
    for problem in ds.problems:
        print(f"  problem: {problem}", file=sys.stderr)


def cmd_info(args: argparse.Namespace) -> int:
    """Describe each file; exit 3 when a file gives nothing at all."""
    from terrain_viewer.core.data.layers import open_dataset

    status, described = OK, []
    for path in data_paths(args):
        ds = open_dataset([path])
        if args.json:
            described.append(_describe(path, ds))
        else:
            _print_info(path, ds)
        if not ds.layers and not ds.rasters:
            status = BAD_DATA
    if args.json:
        print(json.dumps({"files": described}, indent=2, ensure_ascii=False))
    return status


def cmd_validate(args: argparse.Namespace) -> int:
    """Check each file's layers; exit 1 when any error was found."""
    from terrain_viewer.core.data.validate import validate_file

    reports = [report for path in data_paths(args) for report in validate_file(path)]
    errors = sum(len(r.errors) for r in reports)
    if args.json:
        print(json.dumps({"errors": errors, "reports": [
            {"file": str(r.file), "layer": r.layer, "ok": r.ok, "features": r.features, "errors": r.errors,
             "warnings": r.warnings} for r in reports]}, indent=2, ensure_ascii=False))
        return FOUND_ERRORS if errors else OK
    for report in reports:
        where = f"{report.file}" + (f": layer '{report.layer}'" if report.layer else "")
        print(f"{'OK' if report.ok else 'ERROR':<5} {where} ({report.features} {features(report.features)})")
        for message in report.errors:
            print(f"      error: {message}")
        for message in report.warnings:
            print(f"      warning: {message}")
    print(f"{errors} error{'' if errors == 1 else 's'}")
    return FOUND_ERRORS if errors else OK


def add_commands(sub: argparse._SubParsersAction) -> None:
    """Register ``info`` and ``validate``."""
    for name, func, text in (("info", cmd_info, "list layers, CRS, counts and time extent; exit 3 if "
                              "a file gives nothing"),
                             ("validate", cmd_validate, "check files layer by layer; exit 1 on errors")):
        p = sub.add_parser(name, help=text, description=text)
        p.add_argument("files", nargs="*", help="data files (default: the built-in Hengyang data)")
        p.add_argument("--json", action="store_true", help="print one JSON document (for scripts)")
        p.set_defaults(func=func)


def features(n: int) -> str:
    return "feature" if n == 1 else "features"
