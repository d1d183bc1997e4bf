"""How each layer is drawn: book-style cartography for the known Hengyang layers, generic
styling by geometry type for any other layer, in the looks of ``symbology``.

A painter draws one layer's features on a matplotlib Axes and returns the artists it added;
labels are not drawn directly but handed to the context, and placed without overlap after all
layers are drawn (``labels.LabelPlanner.plan``, in the renderer's ``_draw_labels``).
"""

from __future__ import annotations

import logging
import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field

import geopandas as gpd
import matplotlib.patheffects as pe
import numpy as np
from matplotlib.colors import to_rgba

from terrain_viewer.core.data.roles import chinese_name_field, default_label_field
from terrain_viewer.core.render import symbology as sy
from terrain_viewer.core.render.furniture import text_fonts
from terrain_viewer.core.render.labels import PRIORITY, LabelSpec, halo
from terrain_viewer.core.render.obstacles import keep_clear
from terrain_viewer.core.render.primitives import draw_lines, draw_points, fill_polygons, point_xy

log = logging.getLogger(__name__)
CJK = re.compile("[\u2e80-\u9fff\uac00-\ud7af\uf900-\ufaff\uff00-\uffef]")


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
    label_field: str | None = None  # the user's label column for this layer
    label_size: float | None = None  # the user's label size (points)
    zh_field: str = "name_zh"  # the layer's column of Chinese names (``roles.chinese_name_field``)

    def label(self, x: float, y: float, text: str, priority: float = 0.0, offset: float = 4.0,
              centred: bool = False, **props) -> None:
        if not (self.show_labels and text):
            return
        if self.label_size:
            props["fontsize"] = self.label_size
        if CJK.search(text):  # Chinese values draw with the CJK font, with or without 'Chinese names'
            family = props.get("family") or [sy.SANS]
            family = [family] if isinstance(family, str) else list(family)
            props["family"] = family + [f for f in text_fonts()[1:] if f not in family]
        self.labels.append(LabelSpec(x, y, text, priority, props, offset, centred))

    def name(self, row: dict, column: str = "name_en", short: bool = False, english=None) -> str:
        """A feature's label: the user's label field when chosen, else the (English) name with the
        Chinese name after it when *Chinese names* is on."""
        if self.label_field:
            text = _text(row.get(self.label_field))
            zh = _text(row.get(self.zh_field)) if self.chinese and self.label_field == "name_en" else ""
            text = f"{text} {zh}".strip() if zh and zh != text else text
        else:
            text = feature_name(row, self.chinese, column, short, english, self.zh_field)
        return f"{text} (?)" if text and _unlocated(row) else text

    def fonts(self, base: str = sy.SERIF) -> list[str]:
        """Font family list with the CJK fallback when Chinese names are shown."""
        return [base, self.cjk_font] if self.chinese and self.cjk_font else [base]


# ---- names ---------------------------------------------------------------------------------
def _text(value: object) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return str(value).strip()


def feature_name(row: dict, chinese: bool, column: str = "name_en", short: bool = False,
                 english=None, zh_column: str = "name_zh") -> str:
    """The English name (``short``: without asides), with the Chinese name (``zh_column``'s) after
    it when asked."""
    name = _text(row.get(column))
    if short:
        name = short_name(name)
    if english is not None:
        name = english(name)
    zh = _text(row.get(zh_column)) if chinese else ""
    if zh and name and zh != name:
        return f"{name} {zh}"
    return name or zh


def _unlocated(row: dict) -> bool:
    """The data says the place's position is not known (``located`` = 0): its label ends in "(?)"."""
    return row.get("located") in (0, "0")  # (None and NaN are not)


def short_name(name: str) -> str:
    """Drop parenthesised asides: 'Hengyang airfield (1944)' → 'Hengyang airfield'."""
    cut = name.find(" (")
    return name[:cut] if cut > 0 else name


def _rows(gdf: gpd.GeoDataFrame, ctx: PaintContext, *extra: str | None) -> list[dict]:
    """A dict per feature of the attributes its label reads: the user's label field, the English
    and Chinese names and ``extra`` (as ``to_dict("records")`` gives them, ~40x faster)."""
    wanted = (ctx.label_field, "name_en", ctx.zh_field, "located", *extra)
    columns = list(dict.fromkeys(c for c in wanted if c and c in gdf.columns and c != gdf.geometry.name))
    values = [gdf[c].tolist() for c in columns]
    return [dict(zip(columns, row, strict=True)) for row in zip(*values, strict=True)] if columns \
        else [{} for _ in range(len(gdf))]


def _column(gdf: gpd.GeoDataFrame, name: str, default: str) -> np.ndarray:
    return gdf[name].fillna(default).to_numpy() if name in gdf.columns else np.full(len(gdf), default)


# ---- the Hengyang layers -----------------------------------------------------------------------
def paint_water(ax, gdf, sym: sy.Symbology, ctx: PaintContext) -> list:
    return fill_polygons(ax, gdf.geometry.values, ctx.zorder, sym["water"])


def paint_rivers(ax, gdf, sym: sy.Symbology, ctx: PaintContext) -> list:
    artists = draw_lines(ax, gdf.geometry.values, ctx.zorder, sym["river"])
    for row, geom in zip(_rows(gdf, ctx), gdf.geometry.values, strict=True):
        name = ctx.name(row)
        if not name or geom.is_empty:
            continue
        line = max(getattr(geom, "geoms", [geom]), key=lambda g: g.length)
        for frac in (0.3, 0.75):
            p = line.interpolate(frac, normalized=True)
            q = line.interpolate(min(frac + 0.02, 1.0), normalized=True)
            ctx.label(p.x, p.y, name, priority=PRIORITY["river"], centred=True, along=(q.x - p.x, q.y - p.y),
                      color=sy.WATER_TEXT, fontstyle="italic", fontsize=9.5, family=ctx.fonts(sy.SERIF))
    return artists


def paint_hills(ax, gdf, sym: sy.Symbology, ctx: PaintContext) -> list:
    return fill_polygons(ax, gdf.geometry.values, ctx.zorder, sym["hill"])


def paint_spot_heights(ax, gdf, sym: sy.Symbology, ctx: PaintContext) -> list:
    xy = point_xy(gdf)
    artists = draw_points(ax, xy, ctx.zorder, sym["mark"])
    for (x, y), row in zip(xy, _rows(gdf, ctx, "elev_m"), strict=True):
        elev = row.get("elev_m")
        height = f"{elev:.0f}" if isinstance(elev, int | float) and not math.isnan(elev) else ""
        name = ctx.name(row, short=True)
        numbers = [float(n) for n in re.findall(r"\d+(?:\.\d+)?", name)]
        if height and any(abs(n - float(height)) <= 1 for n in numbers):
            height = ""  # the name is the height already ('227.7', '141 Heights')
        text = f"{name} {height}".strip() if name else height
        ctx.label(x, y, text, priority=PRIORITY["spot_height"], color="#4a3a28", fontsize=7.5,
                  fontstyle="italic", family=ctx.fonts(sy.SERIF))
    return artists


def paint_flooded(ax, gdf, sym: sy.Symbology, ctx: PaintContext) -> list:
    marsh = _column(gdf, "kind", "paddy") == "marsh"
    return (fill_polygons(ax, gdf.geometry.values[~marsh], ctx.zorder, sym["paddy"])
            + fill_polygons(ax, gdf.geometry.values[marsh], ctx.zorder, sym["marsh"]))


def paint_city(ax, gdf, sym: sy.Symbology, ctx: PaintContext) -> list:
    """The walled city: hatched built-up area and a crenellated wall."""
    wall = [pe.withTickedStroke(spacing=5, angle=-90, length=0.5, linewidth=1.0)]
    artists = fill_polygons(ax, gdf.geometry.values, ctx.zorder, sym["area"])
    artists += draw_lines(ax, gdf.geometry.values, ctx.zorder + 0.05, sym["wall"], effects=wall)
    for (x, y), row in zip(point_xy(gdf), _rows(gdf, ctx), strict=True):
        name = ctx.name(row, short=True, english=lambda n: n.replace(" walled city", "").upper())
        ctx.label(x, y, name, priority=PRIORITY["city"], centred=True, fontsize=12, fontweight="bold",
                  color="#4a2d1a", family=ctx.fonts(sy.SERIF))
    return artists


def paint_named_points(priority: float, fontsize: float = 7.5, text_colour=sy.INK,
                       family: str = sy.SANS) -> Callable:
    def paint(ax, gdf, sym: sy.Symbology, ctx: PaintContext) -> list:
        xy = point_xy(gdf)
        artists = draw_points(ax, xy, ctx.zorder, sym["mark"])
        for (x, y), row in zip(xy, _rows(gdf, ctx), strict=True):
            ctx.label(x, y, ctx.name(row, short=True), priority=priority,
                      fontsize=fontsize, color=text_colour, family=ctx.fonts(family))
        return artists
    return paint


def paint_railways(ax, gdf, sym: sy.Symbology, ctx: PaintContext) -> list:
    bridges = _column(gdf, "kind", "") == "bridge"
    bridge, line = gdf.geometry.values[bridges], gdf.geometry.values[~bridges]
    z = ctx.zorder
    artists = draw_lines(ax, bridge, z, sym["bridge_edge"])
    artists += draw_lines(ax, bridge, z + 0.01, sym["bridge_deck"])
    for geoms in (line, bridge):
        artists += draw_lines(ax, geoms, z + 0.02, sym["rail"]) + draw_lines(ax, geoms, z + 0.03, sym["dash"])
    return artists


def paint_airfield(ax, gdf, sym: sy.Symbology, ctx: PaintContext) -> list:
    artists = fill_polygons(ax, gdf.geometry.values, ctx.zorder, sym["area"])
    for (x, y), row in zip(point_xy(gdf), _rows(gdf, ctx), strict=True):
        name = ctx.name(row, short=True)
        ctx.label(x, y, f"\u2708 {name}", priority=PRIORITY["airfield"], centred=True, fontsize=8,
                  color="#4d4738", family=ctx.fonts(sy.SANS))
    return artists


def paint_defense_lines(ax, gdf, sym: sy.Symbology, ctx: PaintContext) -> list:
    second = np.isin(_column(gdf, "kind", ""), ("second_line", "final_line"))  # the lines fallen back to
    lw = sym["first"].lw
    ticks = [pe.withTickedStroke(spacing=7, angle=-90, length=0.7, linewidth=lw * 0.8), pe.Normal()]
    thin = [pe.withTickedStroke(spacing=10, angle=-90, length=0.5, linewidth=lw * 0.6), pe.Normal()]
    return (draw_lines(ax, gdf.geometry.values[~second], ctx.zorder, sym["first"], effects=ticks)
            + draw_lines(ax, gdf.geometry.values[second], ctx.zorder, sym["second"], effects=thin))


def paint_moats(ax, gdf, sym: sy.Symbology, ctx: PaintContext) -> list:
    moat, water = sym["moat"], sym["water"]
    effects = [pe.Stroke(linewidth=moat.lw, foreground=moat.colour),
               pe.Stroke(linewidth=water.lw, foreground=water.colour)]
    return draw_lines(ax, gdf.geometry.values, ctx.zorder, moat, effects=effects)


def paint_pillboxes(ax, gdf, sym: sy.Symbology, ctx: PaintContext) -> list:
    return draw_points(ax, point_xy(gdf), ctx.zorder, sym["mark"])


def paint_front_lines(ax, gdf, sym: sy.Symbology, ctx: PaintContext) -> list:
    """Each side's line in its colour, with a paper halo and ticks towards the enemy."""
    artists = []
    sides = _column(gdf, "side", "").astype(str) if "side" in gdf.columns else np.full(len(gdf), "jp")
    for side in np.unique(sides):
        look = sym.looks.get(f"side:{side}") or sym["cn" if side == "cn" else "jp"]
        effects = [pe.withStroke(linewidth=look.lw + 2.5, foreground=to_rgba(sy.PAPER, 0.7)),
                   pe.withTickedStroke(spacing=9, angle=90, length=0.9, linewidth=look.lw * 0.7), pe.Normal()]
        artists += draw_lines(ax, gdf.geometry.values[sides == side], ctx.zorder, look, effects=effects)
    return artists


def paint_events(ax, gdf, sym: sy.Symbology, ctx: PaintContext) -> list:
    xy = point_xy(gdf)
    artists = draw_points(ax, xy, ctx.zorder, sym["ring"])
    artists += draw_points(ax, xy, ctx.zorder + 0.01, sym["star"], effects=halo(2.5, "white", 0.9))
    for (x, y), row in zip(xy, _rows(gdf, ctx, "title"), strict=True):
        title = ctx.name(row) if ctx.label_field else _text(row.get("title")) or ctx.name(row)
        ctx.label(x, y, title, priority=PRIORITY["event"], offset=8, fontsize=8.5, fontweight="bold",
                  color="#6b2200", family=ctx.fonts(sy.SANS))
    return artists


OWN_SYMBOLS = 300  # a researcher's points up to this many are symbols labels keep clear of; more
#                   are a cloud (10,000 would leave no room for the city's or their own names)


# ---- any other layer -----------------------------------------------------------------------------
def paint_units(ax, gdf, sym: sy.Symbology, ctx: PaintContext) -> list:
    """Units without APP-6 codes: a marker with a white halo in their side's colour, and a label."""
    xy = point_xy(gdf)
    sides = _column(gdf, "side", "").astype(str)
    artists = []
    for side in np.unique(sides):
        look = sym.looks.get(f"side:{side}") or next(iter(sym.looks.values()))
        artists += draw_points(ax, xy[sides == side], ctx.zorder, look, effects=halo(2.0, "white", 0.9))
    _label_points(gdf, xy, ctx, PRIORITY["own_unit"], fontsize=8, fontweight="bold")
    return artists


def _label_points(gdf, xy: np.ndarray, ctx: PaintContext, priority: float, areas=None, **props) -> None:
    """Label each feature from the user's field or the layer's default label column; ``areas``
    (a flag per feature) are named inside themselves first, the rest beside their point."""
    column = default_label_field(gdf)
    if not ctx.label_field and column is None:
        return
    props = {"color": sy.INK, "family": ctx.fonts(sy.SANS), **props}
    inside = np.zeros(len(gdf), bool) if areas is None else areas
    for (x, y), row, centred in zip(xy, _rows(gdf, ctx, column), inside, strict=True):
        ctx.label(x, y, ctx.name(row, column or "name_en"), priority=priority, centred=bool(centred), **props)


def paint_generic(ax, gdf, sym: sy.Symbology, ctx: PaintContext) -> list:
    """Any layer: polygons filled, lines stroked (with a paper halo), points as markers, by geometry
    type; labelled from the chosen or default label column."""
    types = gdf.geom_type.to_numpy().astype(str)
    polys = gdf.geometry.values[np.char.find(types, "Polygon") >= 0]
    lines = gdf.geometry.values[np.char.find(types, "LineString") >= 0]
    points = gdf[np.char.find(types, "Point") >= 0]
    line = sym["line"]
    casing = [pe.withStroke(linewidth=line.lw + 1.6, foreground=to_rgba(sy.PAPER, 0.6))]
    artists = fill_polygons(ax, polys, ctx.zorder, sym["area"])
    artists += draw_lines(ax, lines, ctx.zorder, line, effects=casing)
    marks = draw_points(ax, point_xy(points), ctx.zorder, sym["mark"], effects=halo(1.5, "white", 0.8))
    artists += keep_clear(marks) if len(points) <= OWN_SYMBOLS else marks
    areas = np.char.find(types, "Polygon") >= 0
    _label_points(gdf, point_xy(gdf), ctx, PRIORITY["generic"], areas=areas, fontsize=8)
    return artists


PAINTERS: dict[str, Callable] = {
    "water_areas": paint_water,
    "rivers": paint_rivers,
    "hills": paint_hills,
    "spot_heights": paint_spot_heights,
    "flooded_fields": paint_flooded,
    "city": paint_city,
    "gates": paint_named_points(PRIORITY["gate"], 7, text_colour="#5a3b26"),
    "railways": paint_railways,
    "stations": paint_named_points(PRIORITY["station"], 7.5),
    "airfield": paint_airfield,
    "places": paint_named_points(PRIORITY["place"], 7, text_colour="#3a3a3a"),
    "defense_lines": paint_defense_lines,
    "moats": paint_moats,
    "pillboxes": paint_pillboxes,
    "front_lines": paint_front_lines,
    "events": paint_events,
    "units": paint_units,
}


def paint_layer(ax, layer, gdf: gpd.GeoDataFrame, style: dict, ctx: PaintContext) -> list:
    """Draw one layer (a Layer, or a role name; ``style``: its clean overrides) with the painter of
    its role, or generically."""
    if isinstance(layer, str):
        role, name, sym = layer, layer, sy.symbology(layer, style)
    else:
        role, name, sym = layer.data_role, layer.name, sy.layer_symbology(layer, style)
    ctx.label_field = style.get("label_field") if style.get("label_field") in gdf.columns else None
    ctx.label_size = style.get("label_size")
    ctx.zh_field = chinese_name_field(gdf) or "name_zh"
    painter = PAINTERS.get(role)
    if painter is not None:
        try:
            return painter(ax, gdf, sym, ctx)
        except (KeyError, ValueError, TypeError) as exc:  # unexpected columns or values in user data
            log.warning("layer %s drawn plainly: %s", name, exc)
    geometry = "" if isinstance(layer, str) else layer.geometry_type
    return paint_generic(ax, gdf, sy.generic(name, style, geometry), ctx)
