"""``terrain-viewer tiles``: save a basemap's tiles of an area and zoom range into an MBTiles file,
for fieldwork without a network (the window and the exports read it as a basemap)."""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

from terrain_viewer.cli.common import OK, OutputError, UsageError, check_output, number_arg, open_model, say
from terrain_viewer.core.common.errors import DataError


def parse_zoom(text: str) -> tuple[int, int]:
    """'10-16' or '12' → (min, max)."""
    match = re.fullmatch(r"\s*(\d{1,2})\s*(?:-\s*(\d{1,2})\s*)?", text)
    if not match:
        raise UsageError(f"--zoom {text!r}: give a level or a range such as 10-16")
    low = int(match[1])
    return low, int(match[2]) if match[2] else low


def parse_bbox(text: str) -> tuple[float, float, float, float]:
    """'west,south,east,north' in degrees."""
    try:
        w, s, e, n = (float(v) for v in text.split(","))
    except ValueError:
        raise UsageError(f"--bbox {text!r}: use west,south,east,north in degrees (lon/lat WGS 84)") from None
    return w, s, e, n


def bbox_of_data(path: str) -> tuple[float, float, float, float]:
    """The lon/lat box of a data file's or a project's layers (with a 3% margin)."""
    from pyproj import Transformer

    model, _ = open_model(argparse.Namespace(files=[path], command="tiles"))
    if not model.dataset.layers and not model.dataset.rasters:
        first = model.dataset.problems[0] if model.dataset.problems else "no layers"
        raise DataError(f"no area to take the tiles of ({first})", path)
    move = Transformer.from_crs(model.dataset.map_crs, 4326, always_xy=True)
    return tuple(float(v) for v in move.transform_bounds(*model.full_extent(), densify_pts=21))


class Progress:
    """'tile i of n' on stderr: one line rewritten on a terminal, a line every 5% otherwise."""

    def __init__(self, quiet: bool) -> None:
        self.quiet, self.tty = quiet, sys.stderr.isatty()
        self.open_line = False

    def __call__(self, i: int, n: int, tile, status: str) -> None:
        if self.quiet:
            return
        text = f"tile {i} of {n} ({'/'.join(map(str, tile))} {status})"
        if self.tty:
            print(f"\r{text:<60}", end="", file=sys.stderr, flush=True)
            self.open_line = i < n
        elif i == n or i % max(n // 20, 1) == 0:
            print(text, file=sys.stderr, flush=True)

    def end(self) -> None:
        if self.open_line or (self.tty and not self.quiet):
            print(file=sys.stderr)
        self.open_line = False


def _checked(args: argparse.Namespace):
    """The service, area, zoom levels and tile count asked for; UsageError when they cannot be."""
    from terrain_viewer.core.data import tile_download as td

    zooms = parse_zoom(args.zoom)
    bbox = bbox_of_data(args.from_data) if args.from_data else parse_bbox(args.bbox)
    try:
        svc = td.service(args.provider, args.url, args.attribution or "")
        bbox = td.check_bbox(bbox)
        cap = td.tile_cap(svc, args.max_tiles, args.i_have_permission)
        n = td.check_request(svc, bbox, zooms, cap, args.i_have_permission)
        td.check_offline(svc)
    except DataError as exc:
        raise UsageError(exc.problem, exc.file) from None
    return svc, bbox, zooms, n


def cmd_tiles(args: argparse.Namespace) -> int:
    from terrain_viewer.core.data import tile_download as td

    out = Path(args.out)
    if out.suffix.lower() != ".mbtiles":
        raise UsageError("the output must be an .mbtiles file", out)
    svc, bbox, zooms, n = _checked(args)
    check_output(out, args.overwrite or args.resume, [Path(args.from_data)] if args.from_data else [])
    say(f"tiles © {svc.attribution or svc.name}: keep this attribution with the tiles and the maps made "
        "from them")
    say(f"usage policy: {svc.policy}")
    seconds = n / args.rate
    took = f"{seconds / 60:.0f} min" if seconds >= 90 else f"{seconds:.0f} s"
    say(f"{n:,} tiles at zoom {zooms[0]}-{zooms[1]}, about {td.estimate_mb(n):,} MB, at most "
        f"{args.rate:g} a second ({'at most' if args.resume else 'about'} {took})")
    progress = Progress(args.quiet)
    try:
        result = td.download(svc, bbox, zooms, out, rate=args.rate, resume=args.resume,
                             progress=progress, error=OutputError)
    finally:
        progress.end()
    print(f"wrote {out}: {result.fetched} tiles fetched, {result.skipped} already there, "
          f"{result.missing} not on the server, {result.failed} failed")
    if result.failed:
        say(f"{result.failed} tiles failed (network errors or not images); "
            "run again with --resume to fetch only the missing ones")
    return OK


def _rate(text: str) -> float:
    from terrain_viewer.core.data.tile_download import MAX_RATE

    return number_arg(text, float, lambda v: 0 < v <= MAX_RATE,
                      f"give more than 0 and at most {MAX_RATE:g} a second")


def _count(text: str) -> int:
    return number_arg(text, int, lambda v: v >= 1, "give at least 1")


EPILOG = """examples:
  terrain-viewer tiles --provider OpenTopoMap --bbox 112.55,26.85,112.68,26.95 --zoom 10-15 \\
      --out hengyang.mbtiles
  terrain-viewer tiles --url 'https://tiles.example.org/{z}/{x}/{y}.png' --attribution '© Example' \\
      --from-data siege.tvproj --zoom 10-14 --out siege.mbtiles
  terrain-viewer tiles ... --zoom 15-16 --out hengyang.mbtiles --resume   add levels, fetch only new tiles

Then View > Basemap... > MBTiles file, or {"mbtiles": "hengyang.mbtiles"} in a project.
Respect the provider's terms: OpenStreetMap's tile servers allow small areas only (2,000 tiles,
zoom 16 at most, unless --i-have-permission)."""


def add_commands(sub: argparse._SubParsersAction) -> None:
    """Register ``tiles``."""
    text = "save a basemap's tiles of an area into an MBTiles file, for use offline"
    p = sub.add_parser("tiles", help=text, description=text[0].upper() + text[1:] + ".", epilog=EPILOG,
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    where = p.add_mutually_exclusive_group(required=True)
    where.add_argument("--provider", help="an xyzservices provider name, e.g. OpenTopoMap")
    where.add_argument("--url", help="a tile URL template, https://.../{z}/{x}/{y}.png")
    p.add_argument("--attribution", help="the tiles' attribution (for --url; replaces a provider's)")
    area = p.add_mutually_exclusive_group(required=True)
    area.add_argument("--bbox", help="west,south,east,north in degrees (lon/lat WGS 84)")
    area.add_argument("--from-data", metavar="FILE|PROJECT", help="the area of a data file or a .tvproj")
    p.add_argument("--zoom", required=True, help="zoom level or range, e.g. 10-16 (0..24)")
    p.add_argument("--out", required=True, help="the MBTiles file to write")
    p.add_argument("--rate", type=_rate, default=2.0, help="requests a second, at most (default 2)")
    p.add_argument("--max-tiles", type=_count, default=None,
                   help="refuse more tiles than this (default 20000)")
    p.add_argument("--i-have-permission", action="store_true",
                   help="lift OpenStreetMap's lower limits (2,000 tiles, zoom 16): only with their "
                        "permission")
    again = p.add_mutually_exclusive_group()
    again.add_argument("--overwrite", action="store_true", help="replace an existing output")
    again.add_argument("--resume", action="store_true",
                       help="add to an existing output, fetching only the tiles it lacks")
    p.add_argument("--quiet", action="store_true", help="no progress lines")
    p.set_defaults(func=cmd_tiles)
