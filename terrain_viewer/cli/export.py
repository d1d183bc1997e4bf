"""CLI command ``terrain-viewer export``: PNG frames, MP4, GIF or ProRes 4444 .mov of a date range,
headless; beside a video its subtitles (.srt, .vtt) and, with ``--png-frames``, the PNG frames.

A settings file (``--settings export.json``, docs/export-settings.md) gives the defaults; any flag
given on the command line overrides it.
"""

from __future__ import annotations

import argparse
import contextlib
import signal
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

from terrain_viewer.cli.common import LEGEND_CORNERS

FLAG_FIELDS = {"start": "start", "end": "end", "frames_per_day": "frames_per_day", "fps": "fps",
               "size": "size", "format": "format", "workers": "workers", "title": "title",
               "subtitle": "subtitle", "title_seconds": "title_seconds", "caption_format": "caption_format",
               "font_family": "font_family", "legend_corner": "legend_corner", "legend_form": "legend_form"}
SWITCHES = {"legend": "the legend", "scale_bar": "the scale bar", "north_arrow": "the north arrow",
            "caption": "the date caption", "credits": "the sources line", "labels": "the map labels",
            "transparent": "a transparent background (PNG frames, MOV ProRes 4444)",
            "png_frames": "PNG frames beside a video",
            "subtitles": ".srt and .vtt subtitles beside an MP4 or MOV"}


def build_settings(args: argparse.Namespace):
    """ExportSettings from ``--settings`` (if any) with the flags given on top."""
    from terrain_viewer.core.export.run import ExportSettings
    from terrain_viewer.core.export.settings import VIDEOS

    if args.settings:
        settings = ExportSettings.load(args.settings)
    else:
        settings = ExportSettings.from_dict(project_export(args) or {}, "the project's export settings")
    data = settings.to_dict()
    for flag, name in FLAG_FIELDS.items():
        value = getattr(args, flag)
        if value is not None:
            data[name] = value
    for name in SWITCHES:
        value = getattr(args, name)
        if value is not None:
            data[name] = value
    named = Path(args.out).suffix.lower().lstrip(".")
    if args.format is None and named in VIDEOS:  # --out's name is a flag too: it
        data["format"] = named  # overrides the format of the settings file or the project
    if args.chinese:
        data["chinese_names"] = True
    if args.layers is not None:
        data["layers"] = [name.strip() for name in args.layers.split(",") if name.strip()]
    if args.view:
        from terrain_viewer.cli.common import parse_view

        data["view"], data["camera"] = list(parse_view(args.view)), []
    return ExportSettings.from_dict(data, args.settings)


def check_font(family: str | None) -> None:
    """Refuse a ``--font-family`` no installed font has: the frames would be drawn in
    matplotlib's default, after a raw "findfont" warning (even with --quiet)."""
    from terrain_viewer.cli.common import UsageError
    from terrain_viewer.core.render.furniture import font_installed

    if family and not font_installed(family):
        raise UsageError(f"--font-family: no installed font is of the family {family!r} "
                         "(`fc-list : family` lists those installed)")


def project_export(args: argparse.Namespace) -> dict | None:
    """The export settings saved in a ``.tvproj`` given as the only file, if any."""
    from terrain_viewer.core.project import is_project, read_project

    if len(args.files) == 1 and is_project(args.files[0]):
        return read_project(args.files[0]).export
    return None


def _progress_line(p) -> None:
    remaining = "" if p.remaining is None else f", {p.remaining:4.0f} s left"
    rate = p.done / p.elapsed if p.elapsed > 0 else 0.0
    sys.stderr.write(f"\rframe {p.done}/{p.total} ({rate:4.1f} frames/s{remaining})   ")
    sys.stderr.flush()


def cmd_export(args: argparse.Namespace) -> int:
    from terrain_viewer.cli.common import check_named, loading, open_model

    with loading():
        from terrain_viewer.core.export.outputs import check_out_name, refuse_inputs
        from terrain_viewer.core.export.run import prepare_workers, run_export

        settings = build_settings(args)
        check_font(args.font_family)
        if settings.may_use_workers():
            prepare_workers()  # the workers' server preloads while the data opens (not on 2 cores)
        model, from_project = open_model(args)
    check_named(model, from_project)
    inputs = [*args.files, *model.paths, args.settings]
    if args.save_settings:
        refuse_inputs(args.save_settings, [*inputs, args.out], "--save-settings")
    refuse_inputs(args.out, inputs, "--out")
    if settings.format:  # from --format, the settings file or the project: --out must match it
        check_out_name(args.out, settings.format)
    if not model.dataset.layers and not model.dataset.rasters:
        from terrain_viewer.core.common.errors import DataError

        raise DataError(f"nothing to draw ({(model.dataset.problems or ['no layers'])[0]})")
    if args.save_settings:
        settings.save(args.save_settings, overwrite=args.overwrite)
    cancel = threading.Event()
    t0 = time.perf_counter()
    try:
        with stopped_by_signals():
            result = run_export(model, settings, Path(args.out), overwrite=args.overwrite,
                                progress=None if args.quiet else _progress_line, cancel=cancel,
                                inputs=inputs)
    except Stopped as exc:
        cancel.set()
        print(f"\nterrain-viewer: export stopped ({exc.name}); nothing was written", file=sys.stderr)
        return 128 + exc.signum
    except KeyboardInterrupt:
        cancel.set()
        print("\nterrain-viewer: export cancelled; nothing was written", file=sys.stderr)
        return 130
    if not args.quiet:
        sys.stderr.write("\n")
    w, h = result.size
    workers = f"; {result.worker_frames} by {result.workers} workers" if result.workers > 1 else ""
    print(f"wrote {result.path} ({result.format}, {result.frames} frames, {w}x{h}, "
          f"drawn at {result.frames / max(time.perf_counter() - t0, 1e-9):.1f} frames/s{workers})")
    for extra in result.extras:
        print(f"wrote {extra}")
    for note in result.notes:
        print(note)
    return 0


class Stopped(KeyboardInterrupt):
    """SIGTERM or SIGHUP during an export: it unwinds as Ctrl-C does (the partial output removed)."""

    def __init__(self, signum: int):
        super().__init__(signum)
        self.signum, self.name = signum, signal.Signals(signum).name


@contextlib.contextmanager
def stopped_by_signals() -> Iterator[None]:
    """Within the block, SIGTERM and SIGHUP (where it exists; unless ignored, as under nohup) raise
    ``Stopped`` once, in the main thread only; the previous handlers come back afterwards."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    raised = []

    def stop(signum: int, _frame) -> None:
        if not raised:  # a second signal does not break off the clean-up of the first
            raised.append(signum)
            raise Stopped(signum)

    numbers = [signal.SIGTERM, *([signal.SIGHUP] if hasattr(signal, "SIGHUP") else [])]
    previous = {number: signal.signal(number, stop) for number in numbers  # not one ignored (nohup)
                if signal.getsignal(number) is not signal.SIG_IGN}
    try:
        yield
    finally:
        for number, handler in previous.items():  # None: one set outside Python, taken as the default
            signal.signal(number, signal.SIG_DFL if handler is None else handler)


def workers_arg(text: str) -> int | str:
    """``--workers``: a number of render processes, or ``auto``."""
    if text.strip().lower() == "auto":
        return "auto"
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number or 'auto': {text!r}") from None


def add_commands(sub: argparse._SubParsersAction) -> None:
    """Register ``export`` (called by ``terrain_viewer.cli``)."""
    p = sub.add_parser("export", help="export a date range as PNG frames, MP4 or GIF",
                       description="Export frames of the battle; a settings file gives defaults, flags "
                                   "override it. Output: a folder (PNG frames), FILE.mp4 or FILE.gif.")
    p.add_argument("files", nargs="*",
                   help="data files or one .tvproj project (default: the built-in Hengyang data)")
    p.add_argument("--out", required=True, help="a folder (PNG sequence), FILE.mp4, FILE.gif or FILE.mov")
    p.add_argument("--from", dest="start",
                   help="first date, e.g. 1944-07-11 or '11 July 1944' (default: the first day)")
    p.add_argument("--to", dest="end", help="last date, inclusive (default: the last day)")
    p.add_argument("--frames-per-day", dest="frames_per_day", type=int, help="smooth in-between frames")
    p.add_argument("--fps", type=float, help="frames per second of the video")
    p.add_argument("--size", help="720p, 1080p, 1440p, 4k or WIDTHxHEIGHT")
    p.add_argument("--format", choices=("png", "mp4", "gif", "mov"),
                   help="default: from --out (mov: ProRes 4444 with alpha)")
    p.add_argument("--workers", type=workers_arg,
                   help="render processes, or auto (the default: see docs/export-settings.md)")
    p.add_argument("--settings", help="export settings JSON (see docs/export-settings.md)")
    p.add_argument("--save-settings", help="also write the settings used to this JSON file "
                                           "(replaces only a settings file, and only with --overwrite)")
    p.add_argument("--title", help="title card text (shown for --title-seconds)")
    p.add_argument("--subtitle", help="title card second line")
    p.add_argument("--title-seconds", dest="title_seconds", type=float, help="title card length")
    p.add_argument("--caption-format", dest="caption_format",
                   help="date caption, e.g. '{day} {month} {year}' or '{iso}'")
    p.add_argument("--view", help="fixed view xmin,ymin,xmax,ymax in the map CRS")
    p.add_argument("--chinese", action="store_true", help="add Chinese names to labels")
    p.add_argument("--layers", help="draw only these layers, comma-separated (e.g. units,front_lines)")
    p.add_argument("--font-family", dest="font_family", help="a font family for labels and furniture")
    p.add_argument("--legend-corner", dest="legend_corner", choices=LEGEND_CORNERS)
    p.add_argument("--legend-form", dest="legend_form", choices=("auto", "full", "compact", "off"))
    for name, what in SWITCHES.items():
        flag = name.replace("_", "-")
        p.add_argument(f"--{flag}", dest=name, action="store_true", default=None, help=f"with {what}")
        p.add_argument(f"--no-{flag}", dest=name, action="store_false", help=f"without {what}")
    p.add_argument("--overwrite", action="store_true",
                   help="replace an existing output (never an input of the export)")
    p.add_argument("--quiet", action="store_true",
                   help="no progress line (the files written are still listed)")
    p.set_defaults(func=cmd_export)
