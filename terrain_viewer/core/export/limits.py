"""The stated ranges of export settings (docs/export-settings.md) and the checks that hold them.

Every value of a settings file is checked before anything is rendered: numbers finite and within
their range, text of bounded length, camera extents of sane size, and a date caption format that
only uses the known fields with a small, safe part of Python's format mini-language (no attribute
or index access, widths and precisions ≤ 40). A problem is one line naming the field path, e.g.
``camera[2].extent[0]: must be a finite number within ±1e+08, got 1e+308``.
"""

from __future__ import annotations

import math
import re
import string

from terrain_viewer.core.common.errors import ExportError

FRAMES_PER_DAY = (1, 240)
FPS = (0.5, 120.0)
TITLE_SECONDS = (0.0, 60.0)
WORKERS = (1, 64)  # or "auto" (stored as 0)
MAX_DAYS = 36_600  # about a century of days in one export
MAX_FRAMES = 500_000  # map frames (days × frames_per_day)
COORDINATE = 1e8  # map units (metres in a projected CRS; Earth's circumference is 4e7 m)
MIN_EXTENT = 1e-6  # the smallest width or height of a view
MAX_CAMERA_KEYS = 1000
TEXT_LIMITS = {"start": 40, "end": 40, "size": 32, "format": 8, "title": 200, "subtitle": 300,
               "caption_format": 200, "font_family": 80, "legend_corner": 16, "legend_form": 16}
BOOLEANS = ("caption", "legend", "scale_bar", "north_arrow", "credits", "labels", "chinese_names",
            "transparent", "png_frames", "subtitles")
MAX_LAYERS = 1000
CAPTION_KEYS = {"day": 11, "month": "July", "mon": "Jul", "month_num": 7, "year": 1944,
                "weekday": "Tuesday", "iso": "1944-07-11", "time": "00:00"}  # with sample values
SPEC_LIMIT = 40  # the largest width or precision in a caption format field
_SPEC = re.compile(r"(?:.?[<>=^])?[+\- ]?z?#?0?(?P<width>\d*)[_,]?(?:\.(?P<precision>\d+))?"
                   r"[bcdeEfFgGnosxX%]?\Z", re.DOTALL)


def problem(where: str, text: str) -> ExportError:
    """``where: text`` as an ExportError (the caller adds the file)."""
    return ExportError(f"{where}: {text}")


def check_number(value: object, where: str, low: float, high: float, whole: bool = False) -> None:
    """``value`` is a finite (whole, if ``whole``) number in ``low..high``."""
    kind = "a whole number" if whole else "a number"
    is_number = isinstance(value, int) if whole else isinstance(value, int | float)
    if isinstance(value, bool) or not is_number:
        raise problem(where, f"must be {kind} {low:g}..{high:g}, got {short(value)}")
    try:
        inside = math.isfinite(value) and low <= value <= high
    except OverflowError:  # an integer too large for a float
        inside = False
    if not inside:
        raise problem(where, f"must be {kind} {low:g}..{high:g}, got {short(value, 24)}")


def check_text(value: object, where: str, limit: int) -> None:
    if not isinstance(value, str):
        raise problem(where, f"must be text, got {short(value)}")
    if len(value) > limit:
        raise problem(where, f"is {len(value)} characters long; at most {limit}")


def check_flag(value: object, where: str) -> None:
    if not isinstance(value, bool):
        raise problem(where, f"must be true or false, got {short(value)}")


def check_extent(value: object, where: str) -> tuple[float, float, float, float]:
    """A view ``[xmin, ymin, xmax, ymax]``: finite, within ±COORDINATE, positive width and height."""
    if not isinstance(value, list | tuple) or len(value) != 4:
        raise problem(where, f"must be [xmin, ymin, xmax, ymax], got {short(value)}")
    for i, v in enumerate(value):
        check_number(v, f"{where}[{i}]", -COORDINATE, COORDINATE)
    x0, y0, x1, y1 = (float(v) for v in value)
    if not (x1 - x0 >= MIN_EXTENT and y1 - y0 >= MIN_EXTENT):
        raise problem(where, f"xmax must exceed xmin and ymax ymin (by at least {MIN_EXTENT:g}), "
                             f"got {short(value)}")
    return x0, y0, x1, y1


def check_camera(keys: object, where: str = "camera") -> None:
    """The list of view keys: each an object with a date, an extent and an optional ease."""
    from terrain_viewer.core.temporal.camera import EASINGS

    if not isinstance(keys, list):
        raise problem(where, f"must be a list of view keys, got {short(keys)}")
    if len(keys) > MAX_CAMERA_KEYS:
        raise problem(where, f"has {len(keys)} keys; at most {MAX_CAMERA_KEYS}")
    for i, key in enumerate(keys):
        here = f"{where}[{i}]"
        if not isinstance(key, dict):
            raise problem(here, f"must be {{\"date\": ..., \"extent\": [...]}}, got {short(key)}")
        unknown = sorted(set(key) - {"date", "extent", "ease"})
        if unknown or "date" not in key or "extent" not in key:
            extra = f" (unknown: {', '.join(unknown)})" if unknown else ""
            raise problem(here, f"each key needs a date and an extent [xmin, ymin, xmax, ymax], "
                                f"optionally an ease{extra}")
        check_text(key["date"], f"{here}.date", TEXT_LIMITS["start"])
        check_extent(key["extent"], f"{here}.extent")
        ease = key.get("ease", "in-out")
        if ease not in EASINGS:
            raise problem(f"{here}.ease", f"unknown ease {short(ease)}: use one of {', '.join(EASINGS)}")


def check_layers(value: object, where: str = "layers") -> None:
    """``null`` (every visible layer) or a list of layer names (``basemap`` for the basemap)."""
    if value is None:
        return
    if not isinstance(value, list) or len(value) > MAX_LAYERS:
        raise problem(where, f"must be null or a list of at most {MAX_LAYERS} layer names, "
                             f"got {short(value)}")
    for i, name in enumerate(value):
        check_text(name, f"{where}[{i}]", 200)


def check_caption_format(fmt: str, where: str = "caption_format") -> None:
    """Only the known fields, no attribute or index access, widths and precisions ≤ SPEC_LIMIT."""
    try:
        parts = list(string.Formatter().parse(fmt))
    except ValueError as exc:
        raise problem(where, f"{exc} in {short(fmt)}") from None
    keys = ", ".join("{" + k + "}" for k in CAPTION_KEYS)
    for _literal, name, spec, conversion in parts:
        if name is None:
            continue
        if name not in CAPTION_KEYS:
            raise problem(where, f"unknown field {{{short(name, 30, quote=False)}}}: use {keys}")
        if conversion not in (None, "s", "r"):
            raise problem(where, f"{{{name}!{conversion}}}: the conversion must be !s or !r")
        match = _SPEC.match(spec or "")
        if spec and ("{" in spec or match is None):
            raise problem(where, f"{{{name}:{short(spec, 30, quote=False)}}}: not a supported format")
        for part in ("width", "precision"):
            digits = match.group(part) if match else None
            if digits and (len(digits) > 3 or int(digits) > SPEC_LIMIT):
                raise problem(where, f"{{{name}:{short(spec, 30, quote=False)}}}: the {part} must be "
                                     f"at most {SPEC_LIMIT}")
    try:
        fmt.format(**CAPTION_KEYS)
    except (ValueError, TypeError) as exc:
        raise problem(where, f"{short(fmt)} cannot format a date: {exc}") from None


def check_span(days: int, frames: int, where: str = "start..end") -> None:
    """The number of days and map frames an export may have."""
    if days > MAX_DAYS:
        raise problem(where, f"{days} days; at most {MAX_DAYS}")
    if frames > MAX_FRAMES:
        raise problem(where, f"{frames} frames (days × frames_per_day); at most {MAX_FRAMES}")


def short(value: object, limit: int = 40, quote: bool = True) -> str:
    """A value for a message, cut to ``limit`` characters."""
    try:
        text = repr(value) if quote else str(value)
    except ValueError:  # an integer too long to print
        text = f"<a {type(value).__name__} too long to show>"
    return text if len(text) <= limit else text[:limit - 1] + "…"
