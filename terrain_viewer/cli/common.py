"""What every command shares: exit codes, error kinds, opening the session, parsing sizes, dates
and views, and checking an output before anything is drawn."""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import gc
import logging
import math
import re
import sys
import unicodedata
import warnings
from pathlib import Path

from terrain_viewer.core.common.errors import ExportError, TerrainViewerError

OK = 0  # done
FOUND_ERRORS = 1  # validate found errors; project-info found missing data files
USAGE = 2  # bad arguments or settings, an output that exists without --overwrite (argparse's code too)
BAD_DATA = 3  # an input file or project that cannot be read or used
OUTPUT = 4  # the output could not be written (no folder, not writable, disk full)
UNEXPECTED = 5  # a bug: one line here, the traceback in the log file
INTERRUPTED = 130  # Ctrl-C
READER_GONE = 141  # what was printed is no longer read (``| head``): 128 + SIGPIPE, as a shell says
LEGEND_CORNERS = ("lower right", "lower left", "upper right", "upper left")  # core.render.furniture.CORNERS,
#                   spelled out: building the parser imports no matplotlib

EXIT_CODES_HELP = f"""exit codes:
  {OK}  done
  {FOUND_ERRORS}  validate found errors; project-info found missing data files
  {USAGE}  usage error: bad arguments or settings, output exists (use --overwrite), output is an input
  {BAD_DATA}  bad data: an input file or project cannot be read or used
  {OUTPUT}  the output could not be written (no folder, not writable, disk full)
  {UNEXPECTED}  unexpected error (a bug; the traceback is in the log file)
  {INTERRUPTED}  interrupted (Ctrl-C); 143, 129: an export stopped by SIGTERM, SIGHUP
  {READER_GONE}  stopped quietly: what it printed was no longer read (e.g. `| head`)"""


class UsageError(TerrainViewerError):
    """The command line asks for something that cannot be done as asked (exit 2)."""


class OutputError(TerrainViewerError):
    """The output could not be written (exit 4)."""


def exit_code(exc: TerrainViewerError) -> int:
    """The exit code of an error: usage 2, output 4, anything about the input data 3.

    An ``ExportError`` is a bad export setting or a refused output (2), unless the operating
    system refused the write (4).
    """
    if isinstance(exc, UsageError):
        return USAGE
    if isinstance(exc, OutputError):
        return OUTPUT
    if isinstance(exc, ExportError):
        return OUTPUT if isinstance(exc.__cause__, OSError) and "cannot read" not in exc.problem else USAGE
    return BAD_DATA


def say(text: str) -> None:
    """One line on stderr, prefixed with the program name."""
    print(f"terrain-viewer: {text}", file=sys.stderr)


class _SayProblems(logging.Handler):
    """The renderer's warnings (a style value ignored, letters no font has) as ``warning:`` lines."""

    def emit(self, record: logging.LogRecord) -> None:
        say(f"warning: {record.getMessage()}")


def say_drawing_problems() -> None:
    """Say what the renderer warns of on stderr, once per process (the log file has it too)."""
    from terrain_viewer.core.render import LOGGER
    from terrain_viewer.core.render.glyphs import MISSING_GLYPH

    warnings.filterwarnings("ignore", MISSING_GLYPH, UserWarning)
    logger = logging.getLogger(LOGGER)
    if not any(isinstance(h, _SayProblems) for h in logger.handlers):
        logger.addHandler(_SayProblems(logging.WARNING))


# ---- start-up -----------------------------------------------------------------------------
ONE_COMMAND = [False]  # set by ``console_main``: this process runs one command, then exits


@contextlib.contextmanager
def loading():
    """In a process that runs one command (the console script): the cyclic garbage collector off
    while the command imports its libraries and opens the data, then every object made so far
    frozen (``gc.freeze``: never traversed again) and the collector back on. Start-up makes
    ~130,000 long-lived objects and under 1,000 of cyclic garbage (left frozen); the collector
    walked the growing heap ~300 times: ~75 ms of an export's ~0.7 s start. Elsewhere (a test or
    a script calling ``main``) nothing changes: freezing there would keep its garbage for good."""
    if not ONE_COMMAND[0] or not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        gc.enable()


# ---- inputs -------------------------------------------------------------------------------
def builtin_paths() -> list[Path]:
    """The shipped Hengyang 1944 data: the GeoPackage and its elevation grid."""
    from terrain_viewer.core.data.builtin import builtin_paths as paths

    return paths()


def data_paths(args: argparse.Namespace) -> list[Path]:
    """The data files named on the command line (the built-in data when none)."""
    from terrain_viewer.core.project import is_project

    paths = [Path(p) for p in args.files] if args.files else builtin_paths()
    for path in paths:
        if is_project(path) and args.command in ("info", "validate"):
            raise UsageError(f"{path}: a project file, not data; use `terrain-viewer project-info {path}`")
    return paths


def open_model(args: argparse.Namespace):
    """The session to draw: a ``.tvproj`` project (its layers, styles, view, date and options)
    when one is given, else a new model on the data files. Returns (model, from_project)."""
    from terrain_viewer.core.model import ViewerModel
    from terrain_viewer.core.project import load_project, split_projects

    projects, data = split_projects(data_paths(args))
    if len(projects) > 1 or (projects and data):
        raise UsageError("give either one project file or data files, not both")
    if projects:
        model, info = load_project(projects[0])
        if info.missing:  # a frame without its layers would pass for a whole one
            from terrain_viewer.core.common.errors import DataError

            raise DataError(f"data file of the project {projects[0].name} not found (put it back, or "
                            "open the project in the window and use Locate…)", info.missing[0])
        for problem in info.problems:
            say(f"warning: {problem}")
        return model, True
    from terrain_viewer.core.render.symbology import spread_colours

    model = ViewerModel.open(data)
    spread_colours(model)  # layers of one's own in colours apart, as the window gives them
    return model, False


def check_named(model, from_project: bool) -> None:
    """Stop (``DataError``, exit 3) when a data file named on the command line gave nothing to draw
    and could not be read (damaged, missing, unknown format): a frame without it would pass for a
    whole one. The session's other problems (a layer or features left out) are said as warnings
    (a project's were said as it opened, ``open_model``)."""
    from terrain_viewer.core.common.errors import DataError

    if from_project:
        return
    problems = list(model.dataset.problems)
    used = {Path(item.path) for item in [*model.dataset.layers, *model.dataset.rasters]}
    for path in model.paths:
        failed = [p for p in problems if p.startswith(f"{path}:")]
        if Path(path) not in used and failed:
            raise DataError(failed[0].removeprefix(f"{path}: "), path)
    for problem in problems:
        say(f"warning: {problem}")


def input_files(args: argparse.Namespace) -> list[Path]:
    """Every file a command reads: those named, and a project's data files."""
    from terrain_viewer.core.project import is_project, read_project

    paths = data_paths(args)
    out = list(paths)
    for path in paths:
        if is_project(path) and path.is_file():
            out += [entry.path for entry in read_project(path).files]
    return out


# ---- outputs ------------------------------------------------------------------------------
def check_output(out: Path, overwrite: bool, inputs: list[Path]) -> None:
    """Refuse ``out`` when it is one of the inputs (even with --overwrite) or exists without
    --overwrite (UsageError), or when its folder cannot take it (OutputError)."""
    from terrain_viewer.core.common.atomic import check_target
    from terrain_viewer.core.common.errors import ExportError
    from terrain_viewer.core.export.outputs import refuse_inputs  # the one "output is an input" rule

    try:
        refuse_inputs(out, inputs, whose="the")
    except ExportError as exc:
        raise UsageError(exc.problem, out) from None
    if (out.exists() or out.is_symlink()) and not overwrite:
        raise UsageError("already exists; choose another name or allow overwriting (--overwrite)", out)
    check_target(out, overwrite=True, error=OutputError)


# ---- tables -------------------------------------------------------------------------------
def display_width(text: str) -> int:
    """The columns ``text`` takes in a terminal: East Asian wide and fullwidth characters (CJK) two,
    combining marks and format characters (zero-width joiners) none, any other one."""
    width = 0
    for ch in text:
        if unicodedata.combining(ch) or unicodedata.category(ch) in ("Mn", "Me", "Cf"):
            continue
        width += 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1
    return width


def pad(text: object, width: int) -> str:
    """``text`` left-aligned in a column ``width`` terminal columns wide (``f"{text:<width}"`` counts
    characters, so a Chinese layer name pushed the columns after it right); longer text is kept."""
    text = str(text)
    return text + " " * max(width - display_width(text), 0)


# ---- values -------------------------------------------------------------------------------
def number_arg(text: str, kind: type[int] | type[float], within, hint: str) -> float:
    """An argparse value: ``text`` as ``kind``, ArgumentTypeError unless a number with ``within(value)``
    true (the message: ``text: hint``)."""
    try:
        value = kind(text)
    except ValueError:
        what = "whole number" if kind is int else "number"
        raise argparse.ArgumentTypeError(f"{text!r}: not a {what}") from None
    if not within(value):
        raise argparse.ArgumentTypeError(f"{text}: {hint}")
    return value


def parse_size(text: str) -> tuple[int, int]:
    """'1080p', '4k' or 'WIDTHxHEIGHT' → (width, height)."""
    from terrain_viewer.core.render.renderer import SIZE_PRESETS

    key = text.strip().lower()
    if key in SIZE_PRESETS:
        return SIZE_PRESETS[key]
    match = re.fullmatch(r"(\d{1,6})\s*[x×]\s*(\d{1,6})", key)
    if not match:
        raise UsageError(f"--size {text!r}: use WIDTHxHEIGHT or one of {', '.join(SIZE_PRESETS)}")
    w, h = int(match[1]), int(match[2])
    if not (16 <= w <= 16384 and 16 <= h <= 16384):
        raise UsageError(f"--size {text!r}: width and height must be 16..16384 pixels")
    return w, h


def parse_view(text: str) -> tuple[float, float, float, float]:
    """'xmin,ymin,xmax,ymax' (finite numbers, each max above its min)."""
    try:
        x0, y0, x1, y1 = (float(v) for v in text.split(","))
    except ValueError:
        raise UsageError(f"--view {text!r}: use xmin,ymin,xmax,ymax (map CRS metres)") from None
    if not all(math.isfinite(v) for v in (x0, y0, x1, y1)):
        raise UsageError(f"--view {text!r}: the numbers must be finite")
    if not (x1 > x0 and y1 > y0):
        raise UsageError(f"--view {text!r}: xmax must exceed xmin and ymax ymin")
    return x0, y0, x1, y1


def view_in_map_crs(view: tuple[float, float, float, float], crs: str | None, model):
    """``view`` (in ``crs``, x = easting or longitude; the map CRS when None) in the model's map
    CRS, clamped to the data's world (like GDAL's ``-projwin_srs``)."""
    from terrain_viewer.core.project.session import clamp_view

    if crs:
        from pyproj import CRS, Transformer
        from pyproj.exceptions import CRSError, ProjError

        try:
            source = CRS.from_user_input(crs)
            move = Transformer.from_crs(source, model.dataset.map_crs, always_xy=True)
            view = move.transform_bounds(*view, densify_pts=21)
        except (CRSError, ProjError) as exc:
            raise UsageError(f"--view-crs {crs!r}: {' '.join(str(exc).split())}") from None
        if not all(math.isfinite(v) for v in view) or not (view[2] > view[0] and view[3] > view[1]):
            raise UsageError(f"--view in {crs}: does not map into the map CRS "
                             f"{model.dataset.map_crs.to_string()}")
    view, world = tuple(float(v) for v in view), model.full_extent()
    kept = clamp_view(view, world)
    if kept == world and view != tuple(world):  # wholly outside the data's world, or a speck
        hint = "" if crs else "; numbers in degrees need --view-crs EPSG:4326"
        raise UsageError(f"--view: {', '.join(f'{v:g}' for v in view)} lies outside the data or is too "
                         f"small to draw (the data: x {world[0]:.0f} to {world[2]:.0f}, y {world[1]:.0f} to "
                         f"{world[3]:.0f} in {model.dataset.map_crs.to_string()}){hint}")
    return kept


def time_of_day(text: str) -> float:
    """``--time``: a clock time (12:00, 8:30, 08:30:15) or a fraction of the day (0.5), as a fraction."""
    clock = re.fullmatch(r"\s*(\d{1,2}):(\d{2})(?::(\d{2}))?\s*", text)
    if clock:
        hours, minutes, seconds = (int(g or 0) for g in clock.groups())
        if hours < 24 and minutes < 60 and seconds < 60:
            return (hours * 3600 + minutes * 60 + seconds) / 86400
    else:
        with contextlib.suppress(ValueError):
            fraction = float(text)
            if math.isfinite(fraction) and 0.0 <= fraction < 1.0:
                return fraction
    raise UsageError(f"--time {text!r}: give a clock time such as 12:00, or the fraction of the day, "
                     "0 <= time < 1 (0.5 = noon)")


def parse_time(date: str, time: str | None) -> float:
    """``--date`` (an ISO date or date-time, or a day as the window takes one: 11 July 1944, with
    a time of day if wanted: 11 July 1944 14:00) plus ``--time`` (``time_of_day``) as a day number."""
    from terrain_viewer.core.temporal.dates import read_day, split_time, why_not_a_day
    from terrain_viewer.core.temporal.timeline import day_number

    text = date.strip()
    try:
        value = dt.datetime.fromisoformat(text)
        timed = "T" in text or " " in text  # an ISO date alone has neither
    except ValueError:
        day_text, clock = split_time(text)
        day = read_day(day_text)
        if day is None:
            raise UsageError(f"--date {date!r}: {why_not_a_day(date)}; use a date such as 1944-07-11, "
                             "11 July 1944 or the date-time 1944-07-11T12:00") from None
        value = dt.datetime(day.year, day.month, day.day) + dt.timedelta(days=clock or 0.0)
        timed = clock is not None
    if value.tzinfo is not None:
        raise UsageError(f"--date {date!r}: give the local date-time, without a time zone")
    if time is not None and timed:
        raise UsageError("give the time of day in --date (1944-07-11T12:00) or with --time, not both")
    fraction = None if time is None else time_of_day(time)
    try:
        return day_number(value) + (fraction or 0.0)
    except (OverflowError, ValueError):
        raise UsageError(f"--date {date!r}: out of range") from None
