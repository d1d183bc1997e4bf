"""CLI commands that render: ``render`` (one frame); ``export`` is added by the exporter."""

from __future__ import annotations

import argparse
import datetime as dt
import re
from pathlib import Path

from terrain_viewer.core.common.errors import DataError, ExportError, TerrainViewerError


def parse_size(text: str) -> tuple[int, int]:
    """'1080p', '4k' or 'WIDTHxHEIGHT' → (width, height)."""
    from terrain_viewer.core.render.renderer import SIZE_PRESETS

    key = text.strip().lower()
    if key in SIZE_PRESETS:
        return SIZE_PRESETS[key]
    match = re.fullmatch(r"(\d+)\s*[x×]\s*(\d+)", key)
    if not match:
        raise TerrainViewerError(f"--size {text!r}: use WIDTHxHEIGHT or one of {', '.join(SIZE_PRESETS)}")
    w, h = int(match[1]), int(match[2])
    if not (16 <= w <= 16384 and 16 <= h <= 16384):
        raise TerrainViewerError(f"--size {text!r}: width and height must be 16..16384 pixels")
    return w, h


def parse_view(text: str) -> tuple[float, float, float, float]:
    """'xmin,ymin,xmax,ymax' in the map CRS."""
    try:
        x0, y0, x1, y1 = (float(v) for v in text.split(","))
    except ValueError:
        raise TerrainViewerError(f"--view {text!r}: use xmin,ymin,xmax,ymax (map CRS metres)") from None
    if not (x1 > x0 and y1 > y0):
        raise TerrainViewerError(f"--view {text!r}: xmax must exceed xmin and ymax ymin")
    return x0, y0, x1, y1


def parse_time(date: str, fraction: float) -> float:
    from terrain_viewer.core.temporal.timeline import day_number

    try:
        day = dt.date.fromisoformat(date.strip())
    except ValueError:
        raise TerrainViewerError(f"--date {date!r}: use an ISO date such as 1944-07-11") from None
    if not 0.0 <= fraction < 1.0:
        raise TerrainViewerError(f"--time {fraction}: give the fraction of the day, 0 <= time < 1")
    return day_number(day) + fraction


def _apply_options(model, args: argparse.Namespace, from_project: bool) -> None:
    """Furniture switches; a project keeps its own options unless a flag says otherwise."""
    changes = {"legend": not args.no_legend, "scale_bar": not args.no_scale_bar,
               "north_arrow": not args.no_north_arrow, "caption": not args.no_caption,
               "labels": not args.no_labels, "chinese_names": args.chinese, "title": args.title or "",
               "credits": args.credits}
    if from_project:
        defaults = {"chinese_names": False, "title": "", "credits": False}
        changes = {k: v for k, v in changes.items() if v != defaults.get(k, True)}
    model.set_options(**changes)


def cmd_render(args: argparse.Namespace) -> int:
    from terrain_viewer.cli import open_model
    from terrain_viewer.core.data.tiles import HEADLESS_WAIT
    from terrain_viewer.core.render.renderer import MapRenderer

    size = parse_size(args.size)
    t = parse_time(args.date, args.time) if args.date else None
    view = parse_view(args.view) if args.view else None
    out = Path(args.out)
    if out.suffix.lower() != ".png":
        raise ExportError("the output must be a .png file", out)
    model, from_project = open_model(args)
    if not model.dataset.layers and not model.dataset.rasters:
        first = model.dataset.problems[0] if model.dataset.problems else "no layers"
        raise DataError(f"nothing to draw ({first})")
    _apply_options(model, args, from_project)
    if t is None:
        t = model.time.t
    dpi = args.dpi or 100.0 * size[1] / 1080.0
    renderer = MapRenderer(model)
    renderer.wait_for_tiles = HEADLESS_WAIT  # a rendered PNG shows its basemap, not a gap
    renderer.save_png(out, t=t, size=size, view=view, dpi=dpi)
    print(f"wrote {out} ({size[0]}x{size[1]})")
    return 0


def add_commands(sub: argparse._SubParsersAction) -> None:
    """Register the ``render`` sub-command."""
    p = sub.add_parser("render", help="render one map frame to PNG")
    p.add_argument("files", nargs="*",
                   help="data files or one .tvproj project (default: the built-in Hengyang data)")
    p.add_argument("--date", help="ISO date, e.g. 1944-07-11 (default: the project's date, or the first day)")
    p.add_argument("--time", type=float, default=0.0, help="fraction of the day, 0..1 (0.5 = noon)")
    p.add_argument("--size", default="1080p", help="WIDTHxHEIGHT or 720p, 1080p, 1440p, 4k")
    p.add_argument("--out", required=True, help="output PNG path")
    p.add_argument("--view", help="xmin,ymin,xmax,ymax in the map CRS (default: all data)")
    p.add_argument("--dpi", type=float, default=None, help="dots per inch (default: scales with height)")
    p.add_argument("--title", default="", help="title drawn at the top")
    p.add_argument("--credits", action="store_true", help="add a line naming the sources drawn")
    p.add_argument("--chinese", action="store_true", help="add Chinese names to labels")
    for flag in ("legend", "scale-bar", "north-arrow", "caption", "labels"):
        p.add_argument(f"--no-{flag}", action="store_true", help=f"omit the {flag.replace('-', ' ')}")
    p.set_defaults(func=cmd_render)
