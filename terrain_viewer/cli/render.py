"""``terrain-viewer render``: one map frame to PNG, from data files or a saved project."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from terrain_viewer.cli.common import (
    LEGEND_CORNERS,
    OK,
    OutputError,
    UsageError,
    check_named,
    check_output,
    input_files,
    loading,
    number_arg,
    open_model,
    parse_size,
    parse_time,
    parse_view,
    say,
    view_in_map_crs,
)
from terrain_viewer.core.common.errors import DataError, ExportError

if TYPE_CHECKING:
    import numpy as np


def _apply_options(model, args: argparse.Namespace, from_project: bool) -> None:
    """Furniture switches; a project keeps its own options unless a flag says otherwise."""
    changes = {"legend": not args.no_legend, "scale_bar": not args.no_scale_bar,
               "north_arrow": not args.no_north_arrow, "caption": not args.no_caption,
               "labels": not args.no_labels, "chinese_names": args.chinese, "title": args.title or "",
               "credits": args.credits, "uncertainty": args.uncertainty}
    if from_project:
        defaults = {"chinese_names": False, "title": "", "credits": False, "uncertainty": False}
        changes = {k: v for k, v in changes.items() if v != defaults.get(k, True)}
    if args.legend_corner:
        changes["legend_corner"] = args.legend_corner
    if args.caption_format is not None:
        from terrain_viewer.core.export.limits import check_caption_format

        check_caption_format(args.caption_format, "--caption-format")  # ExportError: a usage error
        changes["caption_format"] = args.caption_format
    model.set_options(**changes)


def cmd_render(args: argparse.Namespace) -> int:
    with loading():  # the libraries' start-up without the garbage collector (see ``loading``)
        from terrain_viewer.core.data.tiles import HEADLESS_WAIT
        from terrain_viewer.core.render.renderer import MapRenderer
        from terrain_viewer.core.render.stills import save_still

    size = parse_size(args.size)
    t = parse_time(args.date, args.time) if args.date is not None else None
    if args.time is not None and not args.date:
        raise UsageError("--time needs --date")
    view = parse_view(args.view) if args.view else None
    if args.view_crs and not args.view:
        raise UsageError("--view-crs needs --view")
    out = Path(args.out)
    if out.suffix.lower() not in (".png", ".tif", ".tiff"):
        raise UsageError("the output must be a .png file (or .tif for a GeoTIFF)", out)
    if args.world_file and out.suffix.lower() != ".png":
        raise UsageError("--world-file goes with a .png output (a GeoTIFF carries its place)", out)
    extras = [out.with_suffix(".pgw"), out.with_suffix(".prj"), Path(f"{out}.aux.xml")]
    for extra in extras if args.world_file else []:
        check_output(extra, args.overwrite, input_files(args))
    check_output(out, args.overwrite, input_files(args))
    with loading():
        model, from_project = open_model(args)
    check_named(model, from_project)
    if t is not None and model.has_time and not model.time.start <= t <= model.time.end:
        from terrain_viewer.core.temporal.timeline import to_date

        say(f"warning: {args.date} is outside the data's dates ({to_date(model.time.start)} to "
            f"{to_date(model.time.end)}): no dated feature is drawn")
    if not model.dataset.layers and not model.dataset.rasters:
        first = model.dataset.problems[0] if model.dataset.problems else "no layers"
        raise DataError(f"nothing to draw ({first})")
    _apply_options(model, args, from_project)
    view = view_in_map_crs(view, args.view_crs, model) if view else None
    dpi = args.dpi or max(100.0 * size[1] / 1080.0, MIN_DPI)
    if args.transparent:
        renderer = TransparentRenderer(model, HEADLESS_WAIT)
    else:
        renderer = MapRenderer(model)
        renderer.wait_for_tiles = HEADLESS_WAIT  # a rendered PNG shows its basemap, not a gap
    check_output(out, args.overwrite, [])  # it may have appeared while the data loaded
    try:
        written = save_still(renderer, out, model.time.t if t is None else t, size, view, dpi,
                             georeference=args.world_file)
    except ExportError as exc:  # only writing the files raises it here
        raise OutputError(exc.problem, exc.file) from exc.__cause__
    print(f"wrote {', '.join(str(p) for p in written)} ({size[0]}x{size[1]})")
    return OK


class TransparentRenderer:
    """A ``MapRenderer`` for ``save_still`` that draws no paper: export's ``--transparent``, the
    matte (``core.export.alpha``) of one render on black and one on white."""

    def __init__(self, model, wait_for_tiles: float) -> None:
        from terrain_viewer.core.export.alpha import paper_renderers

        self.model, self.pair = model, paper_renderers(model, transparent=True)
        for renderer in self.pair:
            renderer.wait_for_tiles = wait_for_tiles

    def render(self, *args, **kwargs) -> np.ndarray:
        """``MapRenderer.render``'s frame as straight-alpha RGBA, clear where only paper was."""
        from terrain_viewer.core.export.alpha import matte

        return matte(*(renderer.render(*args, **kwargs) for renderer in self.pair))


MIN_DPI = 20.0  # below this the smallest text is under a pixel and FreeType refuses to draw it


def _dpi(text: str) -> float:
    return number_arg(text, float, lambda v: MIN_DPI <= v <= 2400.0, f"use {MIN_DPI:g}..2400")


def add_commands(sub: argparse._SubParsersAction) -> None:
    """Register ``render``."""
    p = sub.add_parser("render", help="render one map frame to PNG",
                       description="Render one map frame to PNG from data files or a saved project.")
    p.add_argument("files", nargs="*",
                   help="data files or one .tvproj project (default: the built-in Hengyang data)")
    p.add_argument("--date", help="date or ISO date-time, e.g. 1944-07-11, '11 July 1944', 11/7/1944, "
                                  "1944-07-11T12:00 or '11 July 1944 12:00' (default: the project's date, "
                                  "or the first day)")
    p.add_argument("--time", default=None,
                   help="time of day: a clock time (12:00) or a fraction of the day (0.5 = noon)")
    p.add_argument("--size", default="1080p", help="WIDTHxHEIGHT or 720p, 1080p, 1440p, 4k")
    p.add_argument("--out", required=True, help="output PNG path, or .tif for a georeferenced GeoTIFF")
    p.add_argument("--world-file", action="store_true",
                   help="also write NAME.pgw, NAME.prj and NAME.png.aux.xml so GIS programs place the PNG")
    p.add_argument("--overwrite", action="store_true", help="replace an existing output")
    p.add_argument("--transparent", action="store_true",
                   help="a transparent background instead of the paper, as export's --transparent")
    p.add_argument("--view", help="xmin,ymin,xmax,ymax in the map CRS, or in --view-crs (default: all data)")
    p.add_argument("--view-crs", help="the CRS of --view, e.g. EPSG:4326 (x = longitude), like GDAL's "
                                      "-projwin_srs")
    p.add_argument("--dpi", type=_dpi, default=None, help="dots per inch (default: scales with height)")
    p.add_argument("--title", default="", help="title drawn at the top")
    p.add_argument("--credits", action="store_true", help="add a line naming the sources drawn")
    p.add_argument("--chinese", action="store_true", help="add Chinese names to labels")
    p.add_argument("--caption-format", dest="caption_format",
                   help="date caption, e.g. '{weekday}, {day} {month} {year} {time}' (as export's)")
    p.add_argument("--legend-corner", dest="legend_corner", choices=LEGEND_CORNERS)
    p.add_argument("--uncertainty", action="store_true",
                   help="draw each feature's positional uncertainty as a soft halo")
    for flag in ("legend", "scale-bar", "north-arrow", "caption", "labels"):
        p.add_argument(f"--no-{flag}", action="store_true", help=f"omit the {flag.replace('-', ' ')}")
    p.set_defaults(func=cmd_render)
