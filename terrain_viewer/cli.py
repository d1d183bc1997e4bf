"""Command line: `terrain-viewer info|validate|render|export ...`; no arguments opens the window."""

from __future__ import annotations

import argparse
import math
import sys
from collections.abc import Sequence
from pathlib import Path

from terrain_viewer.core.common.errors import TerrainViewerError


def builtin_paths() -> list[Path]:
    """The shipped Hengyang 1944 data: the GeoPackage and its elevation grid."""
    from terrain_viewer.core.data.builtin import builtin_paths as paths

    return paths()


def _paths(args: argparse.Namespace) -> list[Path]:
    """The data files named on the command line (the built-in data when none)."""
    from terrain_viewer.core.project import is_project

    paths = [Path(p) for p in args.files] if args.files else builtin_paths()
    for path in paths:
        if is_project(path) and args.command in ("info", "validate"):
            raise TerrainViewerError(f"{path}: a project file, not data; "
                                     f"use `terrain-viewer project-info {path}`")
    return paths


def open_model(args: argparse.Namespace):
    """The session to draw: a ``.tvproj`` project (its layers, styles, view, date and options)
    when one is given, else a new model on the data files. Returns (model, from_project)."""
    from terrain_viewer.core.model import ViewerModel
    from terrain_viewer.core.project import load_project, split_projects

    projects, data = split_projects(_paths(args))
    if len(projects) > 1 or (projects and data):
        raise TerrainViewerError("give either one project file or data files, not both")
    if projects:
        model, info = load_project(projects[0])
        for problem in info.problems:
            print(f"terrain-viewer: {problem}", file=sys.stderr)
        return model, True
    return ViewerModel.open(data), False


def _fmt_days(extent: tuple[float, float] | None) -> str:
    from terrain_viewer.core.temporal.timeline import to_datetime

    if extent is None:
        return "static"

    def one(t: float) -> str:
        if not math.isfinite(t):
            return "(open)"
        value = to_datetime(t)
        return value.date().isoformat() if t == int(t) else value.isoformat(timespec="minutes")

    return f"{one(extent[0])}..{one(extent[1])}"


def cmd_info(args: argparse.Namespace) -> int:
    from terrain_viewer.core.data.layers import open_dataset

    status = 0
    for path in _paths(args):
        ds = open_dataset([path])
        print(f"{path}")
        for layer in ds.layers:
            print(f"  {layer.name:<20} {layer.geometry_type:<16} {len(layer.gdf):>6} features  "
                  f"{layer.source_crs:<10} {layer.role:<9} {_fmt_days(layer.time_extent)}")
        for raster in ds.rasters:
            bands, rows, cols = raster.data.shape
            print(f"  {raster.name:<20} raster {raster.kind:<9} {cols}x{rows}x{bands}")
        if ds.layers:
            print(f"  map CRS {ds.map_crs.to_string()}; time extent {_fmt_days(ds.time_extent)}; "
                  f"animation {_fmt_days(ds.animation_extent)}")
        for problem in ds.problems:
            print(f"  problem: {problem}", file=sys.stderr)
        if not ds.layers and not ds.rasters:
            status = 1
    return status


def cmd_validate(args: argparse.Namespace) -> int:
    from terrain_viewer.core.data.validate import validate_file

    errors = 0
    for path in _paths(args):
        for report in validate_file(path):
            where = f"{report.file}" + (f": layer '{report.layer}'" if report.layer else "")
            state = "OK" if report.ok else "ERROR"
            print(f"{state:<5} {where} ({report.features} features)")
            for message in report.errors:
                print(f"      error: {message}")
            for message in report.warnings:
                print(f"      warning: {message}")
            errors += len(report.errors)
    print(f"{errors} errors")
    return 1 if errors else 0


def cmd_gui(args: argparse.Namespace) -> int:
    from terrain_viewer.gui.app import main as gui_main

    return gui_main([str(p) for p in args.files])


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="terrain-viewer", description=__doc__)
    sub = parser.add_subparsers(dest="command")
    for name, func, text in (("info", cmd_info, "list layers, CRS and time extent"),
                             ("validate", cmd_validate, "check files; exit 1 on errors"),
                             ("gui", cmd_gui, "open the desktop window")):
        p = sub.add_parser(name, help=text)
        p.add_argument("files", nargs="*", help="data files (default: the built-in Hengyang data)")
        p.set_defaults(func=func)
    _add_optional_commands(sub)
    return parser


COMMAND_MODULES = ("cli_render", "cli_export", "cli_project")


def _add_optional_commands(sub: argparse._SubParsersAction) -> None:
    """Commands whose code lives in their own modules; each has ``add_commands(sub)``."""
    import importlib

    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(f"{__package__}.{name}")
        except ModuleNotFoundError as exc:
            if exc.name != f"{__package__}.{name}":
                raise
            continue
        module.add_commands(sub)


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    args = parser.parse_args(argv or ["gui"])
    if args.command != "gui":
        from terrain_viewer.core.common.logs import setup_logging

        setup_logging()
    try:
        return int(args.func(args) or 0)
    except TerrainViewerError as exc:
        print(f"terrain-viewer: {exc.message}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("terrain-viewer: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # a bug, not bad input: one line here, the traceback in the log file
        from terrain_viewer.core.common.logs import log_dir, log_exception

        log_exception(exc, f"terrain-viewer {args.command}")
        print(f"terrain-viewer: unexpected error ({type(exc).__name__}: {exc}); "
              f"details in the log file in {log_dir()}", file=sys.stderr)
        return 3


if __name__ == "__main__":
    sys.exit(main())
