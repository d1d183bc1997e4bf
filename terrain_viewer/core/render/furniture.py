"""Map furniture: legend, scale bar, north arrow, date caption, title and credits line.

Everything sits inside the title-safe area (the central 90% of the frame, ``SAFE``), with text
sizes in points (the frame's dpi scales with its height, so 720p, 1080p and 4K look the same) of
at least 16 px text height at 1080 lines. ``FrameLook`` holds the choices a documentary makes: the
font family, the legend's corner and form, and how long dated features take to fade.
"""

from __future__ import annotations

import functools
import logging
import math
import re
import textwrap
from collections.abc import Callable
from dataclasses import dataclass

import matplotlib.patheffects as pe
import numpy as np
from matplotlib.offsetbox import AnchoredOffsetbox, AuxTransformBox, DrawingArea, HPacker, TextArea
from matplotlib.patches import FancyBboxPatch, Polygon, Rectangle
from matplotlib.transforms import IdentityTransform
from pyproj import CRS, Proj
from pyproj.exceptions import CRSError, ProjError

from terrain_viewer.core.data.mapcrs import transformer
from terrain_viewer.core.model import Extent
from terrain_viewer.core.render import glyphs
from terrain_viewer.core.render import symbology as st
from terrain_viewer.core.temporal.timeline import to_date, to_datetime

log = logging.getLogger(__name__)
_warned: set[str] = set()

SAFE = (0.05, 0.05, 0.9, 0.9)  # the title-safe area (x, y, width, height in axes fractions)
TEXT_PT = 11.6  # furniture text: 16 px high at 1080 lines (the dpi is 100 at 1080 lines)
CORNERS = ("lower right", "lower left", "upper right", "upper left")
LEGEND_FORMS = ("auto", "full", "compact", "off")
LEGEND_MIN_WIDTH = 900  # pixels: in the "auto" form a narrower map shows no legend


@dataclass
class FrameLook:
    """How a frame's text and legend look (a render option; export settings set it).

    ``font_family``: a family put first for labels and furniture ("" = the map's serif);
    ``legend_corner``: one of ``CORNERS``, None for the session's (``RenderOptions``);
    ``legend_form``: "auto" (full, none when the map is narrower than ``LEGEND_MIN_WIDTH``),
    "full", "compact" (rows, no title) or "off";
    ``fade_days``: dated features (events, their labels, dated layers) fade in over this many days
    after their start and out before their end, inside their dates (0 = they cut; the window's
    whole-day steps keep 0, exports use their ``fade_days`` setting); ``fade_lead``: a fade in
    starts this many days before the start (an export's frame step: a day's first frame shows it).
    ``legend_days``: the days whose entries every frame's legend lists (an export's: a legend that
    holds still through the video, not one that grows a row on each day with an event); empty: the
    frame's own day (the window: what the map shows now).
    """

    font_family: str = ""
    legend_corner: str | None = None
    legend_form: str = "auto"
    fade_days: float = 0.0
    fade_lead: float = 0.0
    legend_days: tuple[float, ...] = ()

    def fonts(self) -> list[str]:
        fonts = text_fonts()
        return [self.font_family, *fonts] if self.font_family else fonts

    def legend_shown(self, width: int) -> str:
        """The legend form drawn in a frame ``width`` pixels wide ("" = none)."""
        if self.legend_form == "off" or (self.legend_form == "auto" and width < LEGEND_MIN_WIDTH):
            return ""
        return "full" if self.legend_form == "auto" else self.legend_form


def text_pt(ax) -> float:
    """Furniture text size: ``TEXT_PT`` when the dpi follows the frame height (100 dpi at 1080
    lines, as exports and ``terrain-viewer render`` do), smaller in a short frame drawn at a
    higher dpi, so the furniture takes the same share of any frame."""
    fig = ax.figure
    # at least one pixel per em: FreeType refuses smaller (a thumbnail-sized frame)
    return max(TEXT_PT * min(1.0, fig.bbox.height / (10.8 * fig.dpi)), 72.0 / fig.dpi)


FRAME = {"boxstyle": "round,pad=0.35,rounding_size=0.2", "facecolor": st.PAPER, "edgecolor": "#8a7a5a",
         "alpha": 0.92, "linewidth": 0.6}


# ---- scale bar -------------------------------------------------------------------------------
def text_fonts() -> list[str]:
    """Serif with an installed CJK font as per-glyph fallback, for free text (titles, layer names)."""
    return _with_cjk(st.SERIF, st.CJK_SERIF, st.CJK_SANS)


@functools.cache
def font_installed(family: str) -> bool:
    """Whether matplotlib finds an installed font of ``family`` (else it draws in its default)."""
    from matplotlib import font_manager

    try:
        font_manager.findfont(font_manager.FontProperties(family=family), fallback_to_default=False)
    except ValueError:
        return False
    return True


@functools.cache
def _with_cjk(base: str, *cjk_families: str) -> list[str]:
    for family in cjk_families:
        if font_installed(family):
            return [base, family]
    return [base]


def nice_length(limit: float) -> float:
    """The largest 1, 2 or 5 × 10^n not above ``limit`` (metres)."""
    if limit <= 0 or not math.isfinite(limit):
        return 1.0
    power = 10 ** math.floor(math.log10(limit))
    return max(m * power for m in (1, 2, 5) if m * power <= limit)


def format_length(metres: float) -> str:
    if metres >= 1000:
        km = metres / 1000
        return f"{km:g} km"
    return f"{metres:g} m"


def scale_bar(ax, view: Extent, fraction: float = 0.2, ground: float = 1.0) -> list:
    """A segmented metric scale bar (alternating black/white) at the lower left; ``ground``: metres
    on the ground per map unit eastward at the view's centre (``mapcrs.ground_scale``)."""
    width = view[2] - view[0]
    length = nice_length(width * fraction * ground)  # metres
    segments = 5 if str(int(length))[0] == "5" else 4
    seg = length / segments / ground  # map units
    box = AuxTransformBox(ax.transData)
    height = width * 0.0045
    for i in range(segments):
        box.add_artist(Rectangle((i * seg, 0), seg, height, facecolor=st.INK if i % 2 == 0 else "white",
                                 edgecolor=st.INK, linewidth=0.8))
    text = TextArea(format_length(length), textprops={"fontsize": TEXT_PT, "family": st.SERIF,
                                                      "color": st.INK})
    packed = HPacker(children=[box, text], align="center", pad=0, sep=6)
    anchored = AnchoredOffsetbox(loc="lower left", child=packed, frameon=True, pad=0.45, borderpad=0.8,
                                 bbox_to_anchor=SAFE, bbox_transform=ax.transAxes)
    anchored.patch.set(boxstyle=FRAME["boxstyle"], facecolor=st.PAPER, edgecolor=FRAME["edgecolor"],
                       alpha=FRAME["alpha"], linewidth=0.6)
    ax.add_artist(anchored)
    return [anchored]


# ---- north arrow -----------------------------------------------------------------------------
def grid_convergence(crs: CRS, view: Extent) -> float:
    """Degrees from grid north to true north at the view's centre (0, logged once, when unknown)."""
    x, y = (view[0] + view[2]) / 2, (view[1] + view[3]) / 2
    try:
        lon, lat = transformer(crs, 4326).transform(x, y)
        turn = float(Proj(crs).get_factors(lon, lat).meridian_convergence)
    except (ProjError, CRSError) as exc:
        warn_once(f"convergence {crs}", f"north arrow points straight up: no convergence in {crs}: {exc}")
        return 0.0
    if not math.isfinite(turn):  # e.g. a geographic CRS: grid north is true north
        return 0.0
    return turn


def north_arrow(ax, convergence: float = 0.0) -> list:
    """A split-arrow north arrow with an N, turned by the grid convergence, at the upper right."""
    area = DrawingArea(34, 52, 0, 0)
    a = math.radians(convergence)
    rot = np.array([[math.cos(a), -math.sin(a)], [math.sin(a), math.cos(a)]])
    centre = np.array([17, 20])

    def turned(points: list[tuple[float, float]]) -> np.ndarray:
        return (np.array(points) - centre) @ rot.T + centre

    area.add_artist(Polygon(turned([(17, 40), (8, 4), (17, 12)]), closed=True, facecolor=st.INK,
                            edgecolor=st.INK, linewidth=0.8))
    area.add_artist(Polygon(turned([(17, 40), (26, 4), (17, 12)]), closed=True, facecolor="white",
                            edgecolor=st.INK, linewidth=0.8))
    tip = turned([(17, 45)])[0]
    from matplotlib.text import Text

    area.add_artist(Text(tip[0], tip[1], "N", ha="center", va="bottom", fontsize=11, fontweight="bold",
                         family=st.SERIF, color=st.INK))
    anchored = AnchoredOffsetbox(loc="upper right", child=area, frameon=False, pad=0.2, borderpad=0.5,
                                 bbox_to_anchor=SAFE, bbox_transform=ax.transAxes)
    ax.add_artist(anchored)
    return [anchored]


# ---- caption, title, credits ----------------------------------------------------------------------
def caption_text(t: float, fmt: str) -> str:
    """The date of ``t`` in ``fmt`` (keys: day, month, mon, month_num, year, weekday, iso, time)."""
    day = to_date(t)
    moment = to_datetime(t)
    keys = {"day": day.day, "month": day.strftime("%B"), "mon": day.strftime("%b"),
            "month_num": day.month, "year": day.year, "weekday": day.strftime("%A"),
            "iso": day.isoformat(), "time": moment.strftime("%H:%M")}
    try:
        return fmt.format(**keys)
    except (KeyError, IndexError, ValueError) as exc:
        if fmt not in _warned:
            _warned.add(fmt)
            log.warning("caption format %r is not usable (%s); using the default", fmt, exc)
        return "{day} {month} {year}".format(**keys)


CAPTION_PT = 22.0  # the date's size in a frame at least 6.4 inches wide (640 px at 100 dpi, any export)


def caption(ax, text: str, fonts: list[str] | None = None) -> list:
    """The date, top left inside the title-safe area; in a narrower frame (a small window) smaller
    with its width, down to 55 %, so that it leaves the north arrow and the map room."""
    x, y = SAFE[0] + 0.009, SAFE[1] + SAFE[3] - 0.016  # the box's padding stays inside, too
    fig = ax.figure
    size = CAPTION_PT * min(1.0, max(0.55, fig.bbox.width / (6.4 * fig.dpi)))
    artist = ax.text(x, y, text, transform=ax.transAxes, ha="left", va="top", fontsize=size,
                     family=fonts or text_fonts(), fontweight="bold", color=st.INK, bbox=FRAME, zorder=2000)
    return [artist]


def title(ax, text: str, fonts: list[str] | None = None) -> list:
    artist = ax.text(0.5, SAFE[1] + SAFE[3], text, transform=ax.transAxes, ha="center", va="top", fontsize=18,
                     family=fonts or text_fonts(), color=st.INK, zorder=2000,
                     path_effects=[pe.withStroke(linewidth=3, foreground=st.PAPER)])
    return [artist]


CITATION_END = r",\s*(?:section|sections|pp?\.)\s|\s\((?!\d{4}\))|;|:\s|\s(?:from|through|between|along)\s"
YEAR_IN_BRACKETS = r"\s\(((?:1[5-9]|20)\d\d)\b[^()]*\)"  # "(2011, p. 114)": its year stays, as "(2011)"


def short_source(source: str) -> list[str]:
    """Short citations in one ``source`` value: 'Xiao, 2014, pp. 157-158 (via ...)' → ['Xiao, 2014'].

    A title's subtitle after ': ' goes; a colon inside a word or number stays ('RKKA 1:50,000
    sheet M-37'), as does a year in brackets ('Zamulin, Demolishing the Myth (2011, p. 114)' →
    '… (2011)'). Notes before a colon ('interpolated between keyframes of ...: ') are dropped, and values
    joined with ' | ' give one citation each, as do citations joined with '; ' outside brackets
    ('Xiao, 2014, pp. 158-159; Jiang, 2005, p. 166' → both); a part after a '; ' that starts in
    lower case is a note ('...; position from the gazetteer (high)'), not a source.
    """
    text = str(source).strip()
    head, sep, rest = text.partition(": ")
    if sep and head[:1].islower() and re.search(r"keyframe|position|held", head):
        text = rest
    out = []
    for part in text.split(" | "):
        if part.startswith("article"):  # '...dataset author: article (...)' keeps its note
            continue
        cited = _top_level_parts(part)
        for n, one in enumerate(cited):
            if n and not one[:1].isupper():
                continue
            # a citation up to its pages or note; a note of ours up to where it says how ("river courses
            # drawn by the dataset author through the gazetteer's points" → "… by the dataset author")
            short = re.split(CITATION_END, re.sub(YEAR_IN_BRACKETS, r" (\1)", one))[0]
            short = textwrap.shorten(short.strip().rstrip(",."), 60, placeholder=" …")  # at a word
            if short:
                out.append(short)
    return out


def _top_level_parts(text: str) -> list[str]:
    """``text`` split at the semicolons outside brackets, each part stripped."""
    parts, depth, start = [], 0, 0
    for i, ch in enumerate(text):
        if ch in "([":
            depth += 1
        elif ch in ")]":
            depth = max(depth - 1, 0)
        elif ch == ";" and depth == 0:
            parts.append(text[start:i].strip())
            start = i + 1
    parts.append(text[start:].strip())
    return [p for p in parts if p]


def credits_text(sources: list[str]) -> str:
    """'Sources: ' and the short citations of ``sources``, sorted (kept for the last few sets: an
    export asks again for every frame, and parsing each value took ~1.2 ms a frame)."""
    return _credits_text(tuple(str(s) for s in sources if s and str(s).strip()))


@functools.lru_cache(maxsize=64)
def _credits_text(sources: tuple[str, ...]) -> str:
    names = sorted({name for s in set(sources) for name in short_source(s)})
    return "Sources: " + "; ".join(names) if names else ""


CREDITS_SHARE = 0.38  # of the frame's width: the middle band, clear of the scale bar and a corner legend


def credits(ax, text: str, fonts: list[str] | None = None) -> list:
    """The sources line at the bottom centre inside the title-safe area, wrapped at words to the
    middle ``CREDITS_SHARE`` of the width (measured in the font) in as many lines as it takes: a
    documentary's attribution names every source in full, never cut off. Text that wraps is framed
    to the whole band, so the box keeps its width from day to day in one frame size (framed to the
    longest line it jumped as the sources changed); one short line is framed to itself."""
    if not text:
        return []
    fig = ax.figure
    size = text_pt(ax)
    props = {"fontsize": size, "family": fonts or text_fonts()}

    laid_out = glyphs.simple(text, props)  # then so is every line of its words

    def measure(line: str) -> float:
        if laid_out or glyphs.simple(line, props):
            return glyphs.text_width(line, props, fig.dpi)
        return len(line) * size * fig.dpi / 72 * 0.6  # what FreeType cannot lay out alone: a guess

    band = fig.bbox.width * CREDITS_SHARE
    wrapped = balanced(text, band, measure)
    artist = ax.text(0.5, SAFE[1] + 0.008, "\n".join(wrapped), transform=ax.transAxes, ha="center",
                     va="bottom", fontsize=size, family=props["family"], color="#4a3f30", zorder=2000,
                     linespacing=1.15)
    if len(wrapped) == 1:
        artist.set_bbox(FRAME)  # framed as the scale bar: legible over any map
        return [artist]
    drawn = artist.get_window_extent(fig.canvas.get_renderer())
    wide = max(band, drawn.width)  # a guessed measure may have run past the band
    style = {k: v for k, v in FRAME.items() if k != "boxstyle"}
    frame = FancyBboxPatch(((drawn.x0 + drawn.x1 - wide) / 2, drawn.y0), wide, drawn.height,
                           boxstyle=FRAME["boxstyle"], mutation_scale=size * fig.dpi / 72,
                           transform=IdentityTransform(), zorder=1999.5, clip_on=False, **style)
    ax.add_artist(frame)  # in pixels, padded by the type size as a text's own frame is
    return [frame, artist]


def wrap_to(text: str, width: float, measure: Callable[[str], float]) -> list[str]:
    """``text`` in lines at most ``width`` wide by ``measure``, broken at spaces (a word wider than
    that is a line of its own); every word is kept."""
    out: list[str] = []
    for word in text.split():
        trial = f"{out[-1]} {word}" if out else word
        if out and measure(trial) <= width:
            out[-1] = trial
        else:
            out.append(word)
    return out


def balanced(text: str, width: float, measure: Callable[[str], float]) -> list[str]:
    """``wrap_to`` in as few lines as ``width`` allows, each line as even as the words let them be
    (the narrowest width that still gives that many lines): no last line of one word."""
    lines = wrap_to(text, width, measure)
    if len(lines) < 2:
        return lines  # one line: nothing to even out
    low, high = width / 2, width
    for _ in range(10):  # halving the width's range ten times: to a thousandth of it
        middle = (low + high) / 2
        low, high = (low, middle) if len(wrap_to(text, middle, measure)) <= len(lines) else (middle, high)
    return wrap_to(text, high, measure)


def attribution(ax, text: str) -> list:
    """The basemap provider's attribution, small, at the bottom centre (tile licences ask for it)."""
    return [ax.text(0.5, SAFE[1], text, transform=ax.transAxes, ha="center", va="bottom",
                    fontsize=TEXT_PT * 0.8, family=text_fonts(), color="#333333", zorder=2000,
                    bbox={"boxstyle": "square,pad=0.25", "facecolor": "white", "alpha": 0.85,
                          "linewidth": 0})]


def map_note(ax, text: str) -> list:
    """A short note on the map (e.g. tiles unavailable), at the top centre below a title's line: the
    bottom centre is the credits' and the attribution's, and a corner legend may reach it."""
    y = SAFE[1] + SAFE[3] - 0.07
    return [ax.text(0.5, y, text, transform=ax.transAxes, ha="center", va="top", fontsize=9,
                    family=text_fonts(), color="#7a1f1f", zorder=2000,
                    bbox={"boxstyle": "round,pad=0.3", "facecolor": "#fff4e0", "edgecolor": "#c08040"})]


# ---- legend -------------------------------------------------------------------------------------
def legend_room(corner: str, taken: list, width: float, height: float,
                across: bool = False) -> tuple[float, float, float, float]:
    """The part of the title-safe area (axes fraction) a legend in ``corner`` may take: below the
    furniture in an upper corner (the date caption, the north arrow), above it in a lower one (the
    scale bar). ``taken``: the display boxes (pixels, y up) of the frame's other furniture; those
    on the corner's side, or with ``across`` all in its half (a legend wider than half the map)."""
    x, y, w, h = SAFE
    upper, left = corner.startswith("upper"), corner.endswith("left")
    gap = 0.012
    side = (lambda cx: True) if across else \
        (lambda cx: cx < 0.4 * width) if left else (lambda cx: cx > 0.6 * width)  # not the centre's
    mine = [b for b in taken if side((b.x0 + b.x1) / 2) and ((b.y0 + b.y1) / 2 > height / 2) == upper]
    if not mine:
        return SAFE
    if upper:
        top = min(min(b.y0 for b in mine) / height - gap, y + h)
        return (x, y, w, top - y)
    bottom = max(max(b.y1 for b in mine) / height + gap, y)
    return (x, bottom, w, y + h - bottom)


def overlaps(boxes: list, others: list) -> bool:
    """Whether any of the display ``boxes`` meets any of ``others`` (Bboxes)."""
    return any(a.x0 < b.x1 and b.x0 < a.x1 and a.y0 < b.y1 and b.y0 < a.y1 for a in boxes for b in others)


def warn_once(key: str, message: str) -> None:
    if key not in _warned:
        _warned.add(key)
        log.warning(message)
