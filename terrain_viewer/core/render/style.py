"""How each layer is drawn: book-style cartography for the known Hengyang layers, generic
styling by geometry type for any other layer, and ``LayerState.style`` overrides on top.

A painter draws one layer's features on a matplotlib Axes and returns the artists it added;
labels are not drawn directly but handed to the ``Labels`` collector, which places them
without overlap after all layers are drawn.
"""

from __future__ import annotations

import logging
import math
import re
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field

import geopandas as gpd
import matplotlib.patheffects as pe
import numpy as np
import shapely
from matplotlib.collections import LineCollection, PatchCollection
from matplotlib.colors import to_rgba
from matplotlib.patches import PathPatch
from matplotlib.path import Path as MplPath

log = logging.getLogger(__name__)

PAPER = "#f4eedb"
INK = "#2b2118"
WATER = "#a8cbdc"
WATER_EDGE = "#5f93b3"
WATER_TEXT = "#2f6688"
CN_BLUE = "#1d4f91"
JP_RED = "#b3261e"
EVENT = "#e8590c"
SERIF = "DejaVu Serif"
SANS = "DejaVu Sans"
CJK_SERIF = "Noto Serif CJK SC"
CJK_SANS = "Noto Sans CJK SC"
GENERIC_COLOURS = ["#7b3294", "#008837", "#c2a5cf", "#e66101", "#5e3c99", "#1b7837", "#b35806", "#2166ac"]


@dataclass
class LabelSpec:
    """A label wanting a place near map point (x, y); higher ``priority`` is placed first."""

    x: float
    y: float
    text: str
    priority: float = 0.0
    props: dict = field(default_factory=dict)
    offset: float = 4.0  # points between the anchor and the text
    centred: bool = False  # try the anchor itself first (areas, rivers)


@dataclass
class PaintContext:
    """What painters need besides the features: labels, names and draw order.

    Line widths, marker and font sizes are in points, so they scale with the figure's dpi.
    """

    zorder: float
    labels: list[LabelSpec] = field(default_factory=list)
    show_labels: bool = True
    chinese: bool = False
    cjk_font: str | None = None

    def label(self, x: float, y: float, text: str, priority: float = 0.0, offset: float = 4.0,
              centred: bool = False, **props) -> None:
        if self.show_labels and text:
            self.labels.append(LabelSpec(x, y, text, priority, props, offset, centred))

    def fonts(self, base: str = SERIF) -> list[str]:
        """Font family list with the CJK fallback when Chinese names are shown."""
        return [base, self.cjk_font] if self.chinese and self.cjk_font else [base]


# ---- names ---------------------------------------------------------------------------------
def _text(value: object) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return str(value).strip()


def feature_name(row: dict, chinese: bool, column: str = "name_en", short: bool = False,
                 english=None) -> str:
    """The English name (``short``: without asides), with the Chinese name after it when asked."""
    name = _text(row.get(column))
    if short:
        name = short_name(name)
    if english is not None:
        name = english(name)
    zh = _text(row.get("name_zh")) if chinese else ""
    if zh and name:
        return f"{name} {zh}"
    return name or zh


def short_name(name: str) -> str:
    """Drop parenthesised asides: 'Hengyang airfield (1944)' → 'Hengyang airfield'."""
    cut = name.find(" (")
    return name[:cut] if cut > 0 else name


# ---- geometry helpers ------------------------------------------------------------------------
def polygon_path(geom) -> MplPath:
    """A compound matplotlib path for a (Multi)Polygon, holes included."""
    verts, codes = [], []
    for poly in getattr(geom, "geoms", [geom]):
        for ring in [poly.exterior, *poly.interiors]:
            coords = np.asarray(ring.coords)[:, :2]
            verts.append(coords)
            codes.append([MplPath.MOVETO] + [MplPath.LINETO] * (len(coords) - 2) + [MplPath.CLOSEPOLY])
    return MplPath(np.concatenate(verts), np.concatenate(codes))


def line_parts(geoms) -> list[np.ndarray]:
    """Coordinate arrays of every line part of (Multi)LineStrings or polygon boundaries."""
    parts = []
    for geom in geoms:
        if geom is None or geom.is_empty:
            continue
        if geom.geom_type.endswith("Polygon"):
            geom = geom.boundary
        for part in getattr(geom, "geoms", [geom]):
            parts.append(np.asarray(part.coords)[:, :2])
    return parts


def point_xy(gdf: gpd.GeoDataFrame) -> np.ndarray:
    """(n, 2) positions: points as they are, other geometries at a point inside them."""
    geoms = gdf.geometry.values
    pts = np.where(shapely.get_type_id(geoms) == 0, geoms, shapely.point_on_surface(geoms))
    return shapely.get_coordinates(pts)[:, :2] if len(pts) else np.zeros((0, 2))


def _rows(gdf: gpd.GeoDataFrame) -> list[dict]:
    return gdf.drop(columns=gdf.geometry.name).to_dict("records")


# ---- primitive painters ----------------------------------------------------------------------
def fill_polygons(ax, geoms, ctx: PaintContext, face, edge, lw: float = 0.6, alpha: float = 1.0,
                  hatch: str | None = None, hatch_colour=None, linestyle="solid", z: float = 0.0,
                  effects=None) -> list:
    paths = [polygon_path(g) for g in geoms if g is not None and not g.is_empty
             and g.geom_type.endswith("Polygon")]
    if not paths:
        return []
    patches = [PathPatch(p) for p in paths]
    coll = PatchCollection(patches, facecolor=face, edgecolor=edge, linewidth=lw, alpha=alpha,
                           linestyle=linestyle, zorder=ctx.zorder + z)
    if hatch:
        coll.set_hatch(hatch)
        if hatch_colour is not None:
            coll.set_hatchcolor(hatch_colour)
        coll.set_hatch_linewidth(0.6)
    if effects:
        coll.set_path_effects(effects)
    ax.add_collection(coll, autolim=False)
    return [coll]


def draw_lines(ax, geoms, ctx: PaintContext, colour, lw: float, alpha: float = 1.0,
               linestyle="solid", effects=None, z: float = 0.0, capstyle: str = "round") -> list:
    parts = line_parts(geoms)
    if not parts:
        return []
    coll = LineCollection(parts, colors=colour, linewidths=lw, alpha=alpha, linestyles=linestyle,
                          zorder=ctx.zorder + z, capstyle=capstyle, joinstyle="round")
    if effects:
        coll.set_path_effects(effects)
    ax.add_collection(coll, autolim=False)
    return [coll]


def draw_points(ax, xy: np.ndarray, ctx: PaintContext, colour, size: float, marker: str = "o",
                edge=INK, lw: float = 0.6, alpha: float = 1.0, z: float = 0.0, effects=None) -> list:
    if not len(xy):
        return []
    (line,) = ax.plot(xy[:, 0], xy[:, 1], linestyle="none", marker=marker, markersize=size,
                      markerfacecolor=colour, markeredgecolor=edge, markeredgewidth=lw, alpha=alpha,
                      zorder=ctx.zorder + z)
    if effects:
        line.set_path_effects(effects)
    return [line]


def halo(width: float = 2.6, colour=PAPER, alpha: float = 0.85) -> list:
    return [pe.withStroke(linewidth=width, foreground=to_rgba(colour, alpha))]


# ---- the Hengyang layers -----------------------------------------------------------------------
def paint_water(ax, gdf, style, ctx) -> list:
    return fill_polygons(ax, gdf.geometry.values, ctx, style.get("color", WATER),
                         style.get("edgecolor", WATER_EDGE), style.get("linewidth", 0.6),
                         style.get("alpha", 1.0))


def paint_rivers(ax, gdf, style, ctx) -> list:
    artists = draw_lines(ax, gdf.geometry.values, ctx, style.get("color", WATER_EDGE),
                         style.get("linewidth", 0.5), style.get("alpha", 0.7))
    for row, geom in zip(_rows(gdf), gdf.geometry.values, strict=True):
        name = feature_name(row, ctx.chinese)
        if not name or geom.is_empty:
            continue
        line = max(getattr(geom, "geoms", [geom]), key=lambda g: g.length)
        for frac in (0.3, 0.75):
            p = line.interpolate(frac, normalized=True)
            q = line.interpolate(min(frac + 0.02, 1.0), normalized=True)
            ctx.label(p.x, p.y, name, priority=8, centred=True, along=(q.x - p.x, q.y - p.y),
                      color=WATER_TEXT, fontstyle="italic", fontsize=9.5, family=ctx.fonts(SERIF))
    return artists


def paint_hills(ax, gdf, style, ctx) -> list:
    return fill_polygons(ax, gdf.geometry.values, ctx, "none", style.get("color", "#8a6a43"),
                         style.get("linewidth", 0.4), style.get("alpha", 0.25), linestyle=(0, (2, 3)))


def paint_spot_heights(ax, gdf, style, ctx) -> list:
    xy = point_xy(gdf)
    artists = draw_points(ax, xy, ctx, style.get("color", INK), style.get("marker_size", 4.5), "^",
                          edge=PAPER, lw=0.5)
    for (x, y), row in zip(xy, _rows(gdf), strict=True):
        elev = row.get("elev_m")
        height = f"{elev:.0f}" if isinstance(elev, int | float) and not math.isnan(elev) else ""
        name = feature_name(row, ctx.chinese, short=True)
        numbers = [float(n) for n in re.findall(r"\d+(?:\.\d+)?", name)]
        if height and any(abs(n - float(height)) <= 1 for n in numbers):
            height = ""  # the name is the height already ('227.7', '141 Heights')
        text = f"{name} {height}".strip() if name else height
        ctx.label(x, y, text, priority=5, color="#4a3a28", fontsize=7.5, fontstyle="italic",
                  family=ctx.fonts(SERIF))
    return artists


def paint_flooded(ax, gdf, style, ctx) -> list:
    artists = []
    kinds = gdf["kind"].fillna("paddy").to_numpy() if "kind" in gdf.columns else np.full(len(gdf), "paddy")
    looks = {"paddy": ("#dbe7cf", "#7fa37a", "++"), "marsh": ("#d3e4e0", "#5e9a9a", "---")}
    for kind, (face, edge, hatch) in looks.items():
        marsh = kinds == "marsh"
        geoms = gdf.geometry.values[marsh if kind == "marsh" else ~marsh]
        artists += fill_polygons(ax, geoms, ctx, style.get("color", face), edge, 0.4,
                                 style.get("alpha", 0.85), hatch=hatch, hatch_colour=edge)
    return artists


def paint_city(ax, gdf, style, ctx) -> list:
    """The walled city: hatched built-up area and a crenellated wall."""
    wall = [pe.withTickedStroke(spacing=5, angle=-90, length=0.5, linewidth=1.0)]
    artists = fill_polygons(ax, gdf.geometry.values, ctx, style.get("color", "#dcc1a8"),
                            style.get("edgecolor", "#5a3b26"), style.get("linewidth", 1.4),
                            style.get("alpha", 0.75), hatch="////", hatch_colour="#b99a80")
    artists += draw_lines(ax, gdf.geometry.values, ctx, "#5a3b26", 1.2, effects=wall, z=0.05)
    for (x, y), row in zip(point_xy(gdf), _rows(gdf), strict=True):
        name = feature_name(row, ctx.chinese, short=True,
                            english=lambda n: n.replace(" walled city", "").upper())
        ctx.label(x, y, name, priority=10, centred=True, fontsize=12, fontweight="bold",
                  color="#4a2d1a", family=ctx.fonts(SERIF))
    return artists


def paint_named_points(marker: str, colour, size: float, priority: float, fontsize: float = 7.5,
                       edge=INK, text_colour=INK, family: str = SANS) -> Callable:
    def paint(ax, gdf, style, ctx) -> list:
        xy = point_xy(gdf)
        artists = draw_points(ax, xy, ctx, style.get("color", colour), style.get("marker_size", size),
                              style.get("marker", marker), edge=edge, lw=0.7)
        for (x, y), row in zip(xy, _rows(gdf), strict=True):
            ctx.label(x, y, feature_name(row, ctx.chinese, short=True), priority=priority,
                      fontsize=fontsize, color=text_colour, family=ctx.fonts(family))
        return artists
    return paint


def paint_railways(ax, gdf, style, ctx) -> list:
    kinds = gdf["kind"].fillna("").to_numpy() if "kind" in gdf.columns else np.full(len(gdf), "")
    bridge = gdf.geometry.values[kinds == "bridge"]
    line = gdf.geometry.values[kinds != "bridge"]
    colour = style.get("color", "#1b1b1b")
    lw = style.get("linewidth", 2.4)
    artists = []
    artists += draw_lines(ax, bridge, ctx, "#555555", lw * 2.6, capstyle="butt")
    artists += draw_lines(ax, bridge, ctx, PAPER, lw * 1.6, capstyle="butt", z=0.01)
    for geoms in (line, bridge):
        artists += draw_lines(ax, geoms, ctx, colour, lw, capstyle="butt", z=0.02)
        artists += draw_lines(ax, geoms, ctx, "white", lw * 0.45, linestyle=(0, (4, 4)),
                              capstyle="butt", z=0.03)
    return artists


def paint_airfield(ax, gdf, style, ctx) -> list:
    artists = fill_polygons(ax, gdf.geometry.values, ctx, style.get("color", "#ddd8c6"),
                            style.get("edgecolor", "#6d6654"), style.get("linewidth", 0.8),
                            style.get("alpha", 0.9), hatch="..", hatch_colour="#a39c86")
    for (x, y), row in zip(point_xy(gdf), _rows(gdf), strict=True):
        name = feature_name(row, ctx.chinese, short=True)
        ctx.label(x, y, f"\u2708 {name}", priority=7, centred=True, fontsize=8, color="#4d4738",
                  family=ctx.fonts(SANS))
    return artists


def paint_defense_lines(ax, gdf, style, ctx) -> list:
    kinds = gdf["kind"].fillna("").to_numpy() if "kind" in gdf.columns else np.full(len(gdf), "")
    colour = style.get("color", CN_BLUE)
    lw = style.get("linewidth", 1.6)
    first = [pe.withTickedStroke(spacing=7, angle=-90, length=0.7, linewidth=lw * 0.8)]
    second = [pe.withTickedStroke(spacing=10, angle=-90, length=0.5, linewidth=lw * 0.6)]
    artists = draw_lines(ax, gdf.geometry.values[kinds != "second_line"], ctx, colour, lw,
                         effects=first + [pe.Normal()])
    artists += draw_lines(ax, gdf.geometry.values[kinds == "second_line"], ctx, colour, lw * 0.8,
                          alpha=0.8, linestyle=(0, (5, 2)), effects=second + [pe.Normal()])
    return artists


def paint_moats(ax, gdf, style, ctx) -> list:
    colour = style.get("color", "#2d6d8c")
    lw = style.get("linewidth", 2.2)
    effects = [pe.Stroke(linewidth=lw, foreground=colour), pe.Stroke(linewidth=lw * 0.45, foreground=WATER)]
    return draw_lines(ax, gdf.geometry.values, ctx, colour, lw, effects=effects)


def paint_pillboxes(ax, gdf, style, ctx) -> list:
    return draw_points(ax, point_xy(gdf), ctx, style.get("color", CN_BLUE), style.get("marker_size", 3.2),
                       "s", edge="white", lw=0.5)


def paint_front_lines(ax, gdf, style, ctx) -> list:
    artists = []
    sides = gdf["side"].fillna("").to_numpy() if "side" in gdf.columns else np.full(len(gdf), "jp")
    lw = style.get("linewidth", 2.2)
    for side in np.unique(sides):
        colour = style.get("color", CN_BLUE if side == "cn" else JP_RED)
        effects = [pe.withStroke(linewidth=lw + 2.5, foreground=to_rgba(PAPER, 0.7)),
                   pe.withTickedStroke(spacing=9, angle=90, length=0.9, linewidth=lw * 0.7), pe.Normal()]
        artists += draw_lines(ax, gdf.geometry.values[sides == side], ctx, colour, lw, effects=effects)
    return artists


def paint_events(ax, gdf, style, ctx) -> list:
    xy = point_xy(gdf)
    colour = style.get("color", EVENT)
    size = style.get("marker_size", 13)
    artists = draw_points(ax, xy, ctx, to_rgba(colour, 0.15), size * 1.45, "o", edge=to_rgba(colour, 0.75),
                          lw=1.0)
    artists += draw_points(ax, xy, ctx, colour, size, "*", edge="#5a1e00", lw=0.7, z=0.01,
                           effects=halo(2.5, "white", 0.9))
    for (x, y), row in zip(xy, _rows(gdf), strict=True):
        title = _text(row.get("title")) or feature_name(row, ctx.chinese)
        ctx.label(x, y, title, priority=20, offset=8, fontsize=8.5, fontweight="bold", color="#6b2200",
                  family=ctx.fonts(SANS))
    return artists


# ---- generic -----------------------------------------------------------------------------------
def generic_colour(name: str) -> str:
    return GENERIC_COLOURS[zlib.crc32(name.encode()) % len(GENERIC_COLOURS)]


def paint_generic(ax, gdf, style, ctx, name: str = "") -> list:
    """Any layer: polygons filled, lines stroked, points as markers, by geometry type."""
    colour = style.get("color", generic_colour(name))
    alpha = style.get("alpha", 1.0)
    types = gdf.geom_type.to_numpy()
    polys = gdf.geometry.values[np.char.find(types.astype(str), "Polygon") >= 0]
    lines = gdf.geometry.values[np.char.find(types.astype(str), "LineString") >= 0]
    points = gdf[np.char.find(types.astype(str), "Point") >= 0]
    artists = fill_polygons(ax, polys, ctx, to_rgba(colour, 0.35 * alpha), style.get("edgecolor", colour),
                            style.get("linewidth", 1.0))
    artists += draw_lines(ax, lines, ctx, colour, style.get("linewidth", 1.6), alpha)
    xy = point_xy(points)
    artists += draw_points(ax, xy, ctx, colour, style.get("marker_size", 6), style.get("marker", "o"),
                           edge=style.get("edgecolor", "white"), lw=0.8, alpha=alpha)
    column = style.get("label", "name_en")
    if column and column in gdf.columns:
        for (x, y), row in zip(point_xy(gdf), _rows(gdf), strict=True):
            ctx.label(x, y, feature_name(row, ctx.chinese, column), priority=3, fontsize=8, color=INK,
                      family=ctx.fonts(SANS))
    return artists


PAINTERS: dict[str, Callable] = {
    "water_areas": paint_water,
    "rivers": paint_rivers,
    "hills": paint_hills,
    "spot_heights": paint_spot_heights,
    "flooded_fields": paint_flooded,
    "city": paint_city,
    "gates": paint_named_points("s", "#5a3b26", 4.5, 6, 7, edge=PAPER, text_colour="#5a3b26"),
    "railways": paint_railways,
    "stations": paint_named_points("s", "white", 6, 7, 7.5),
    "airfield": paint_airfield,
    "places": paint_named_points("o", INK, 2.8, 4, 7, edge=PAPER, text_colour="#3a3a3a"),
    "defense_lines": paint_defense_lines,
    "moats": paint_moats,
    "pillboxes": paint_pillboxes,
    "front_lines": paint_front_lines,
    "events": paint_events,
}


COLOUR_KEYS = ("color", "edgecolor", "contour_color")
NUMBER_KEYS = ("linewidth", "marker_size", "alpha", "contour_step", "index_step")
_warned: set[tuple[str, str]] = set()


def clean_style(layer_name: str, style: dict) -> dict:
    """The style overrides that can be drawn; bad values are dropped with one warning each."""
    from matplotlib.colors import is_color_like

    out = {}
    for key, value in style.items():
        problem = ""
        if key in COLOUR_KEYS and not is_color_like(value):
            problem = f"{key}={value!r} is not a colour"
        elif key in NUMBER_KEYS:
            try:
                value = float(value)
                if not math.isfinite(value) or value <= 0 or (key == "alpha" and value > 1):
                    problem = f"{key}={value!r} is out of range"
            except (TypeError, ValueError):
                problem = f"{key}={value!r} is not a number"
        if problem:
            if (layer_name, problem) not in _warned:
                _warned.add((layer_name, problem))
                log.warning("layer '%s': style %s; ignored", layer_name, problem)
            continue
        out[key] = value
    return out


def paint_layer(ax, layer_name: str, gdf: gpd.GeoDataFrame, style: dict, ctx: PaintContext) -> list:
    """Draw one layer with its special painter, or generically; return the artists."""
    painter = PAINTERS.get(layer_name)
    if painter is None:
        return paint_generic(ax, gdf, style, ctx, layer_name)
    try:
        return painter(ax, gdf, style, ctx)
    except (KeyError, ValueError, TypeError) as exc:  # unexpected columns or values in user data
        log.warning("layer %s drawn plainly: %s", layer_name, exc)
        return paint_generic(ax, gdf, style, ctx, layer_name)


# ---- label placement ---------------------------------------------------------------------------
def _candidates(spec: LabelSpec) -> list[tuple[float, float, str, str]]:
    d = spec.offset
    around = [(d, 0, "left", "center"), (-d, 0, "right", "center"), (0, d, "center", "bottom"),
              (0, -d, "center", "top"), (d, d, "left", "bottom"), (-d, -d, "right", "top"),
              (d, -d, "left", "top"), (-d, d, "right", "bottom")]
    return [(0, 0, "center", "center")] + around if spec.centred else around


def _angle(ax, spec: LabelSpec, along: tuple[float, float] | None) -> float:
    if not along:
        return 0.0
    (x0, y0), (x1, y1) = ax.transData.transform([(spec.x, spec.y), (spec.x + along[0], spec.y + along[1])])
    angle = math.degrees(math.atan2(y1 - y0, x1 - x0))
    return angle - 180 if angle > 90 else angle + 180 if angle < -90 else angle


def place_labels(ax, renderer, specs: list[LabelSpec], zorder: float = 1000.0,
                 taken: list | None = None) -> list:
    """Place labels greedily by priority at the first free candidate position; drop the rest.

    ``taken`` (display-space Bboxes) is extended with the boxes used, so later calls avoid them.
    """
    taken = [] if taken is None else taken
    frame = ax.bbox
    artists = []
    for spec in sorted(specs, key=lambda s: -s.priority):
        props = dict(spec.props)
        along = props.pop("along", None)
        if not frame.contains(*ax.transData.transform((spec.x, spec.y))):
            continue
        for dx, dy, ha, va in _candidates(spec):
            text = ax.annotate(spec.text, (spec.x, spec.y), xytext=(dx, dy), textcoords="offset points",
                               ha=ha, va=va, rotation=_angle(ax, spec, along), rotation_mode="anchor",
                               zorder=zorder, annotation_clip=False, **props)
            text.set_path_effects(halo(2.4))
            box = text.get_window_extent(renderer).expanded(1.06, 1.15)
            inside = frame.contains(box.x0, box.y0) and frame.contains(box.x1, box.y1)
            if inside and not any(box.overlaps(b) for b in taken):
                taken.append(box)
                artists.append(text)
                break
            text.remove()
    return artists
