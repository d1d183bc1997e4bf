"""What each layer looks like, and its legend entry, defined together.

A layer's symbology is a function of its ``LayerState.style`` overrides that returns the looks
(fills, strokes, markers) its painter draws with, and the legend entries built from those same
looks. The legend is therefore derived from the styles in effect, never typed a second time.
"""

from __future__ import annotations

import dataclasses
import logging
import math
import re
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field

import matplotlib.patheffects as pe
from matplotlib.colors import is_color_like, to_hex, to_rgba
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

log = logging.getLogger(__name__)

# ---- palette -----------------------------------------------------------------------------------
PAPER = "#f4eedb"
INK = "#2b2118"
WATER = "#a8cbdc"
WATER_EDGE = "#5f93b3"
WATER_TEXT = "#2f6688"
CN_BLUE = "#1d4f91"
JP_RED = "#b3261e"
EVENT = "#e8590c"
CONTOUR_COLOUR = "#9c7a4f"
SERIF = "DejaVu Serif"
SANS = "DejaVu Sans"
CJK_SERIF = "Noto Serif CJK SC"
CJK_SANS = "Noto Sans CJK SC"
# any other layer: a colour picked by its name; no blue (water, and the Chinese side) and no red, each
# at least 3:1 against the paper (WCAG's contrast for graphics: a pale lilac point was lost on it),
# each of another hue (two oranges and two purples were given to one person's layers), the most
# unlike first (``spread_colours`` takes the first one free)
GENERIC_COLOURS = ["#7b3294", "#d95f02", "#1b7837", "#c51b7d", "#8c510a", "#4d4d4d", "#6b6b00", "#01665e"]
# … unless its name says what it holds: the colours a map reader expects for it (words are matched at
# the start of a word of the layer's own name, CJK characters anywhere in it)
FEATURE_COLOURS = (
    (("wood", "forest", "tree", "orchard", "jungle", "林", "森"), "#3d7a3a"),
    (("marsh", "swamp", "wetland", "bog", "paddy", "paddies", "rice", "沼", "泽", "稻", "水田"), "#4e8c84"),
    (("water", "lake", "pond", "river", "stream", "canal", "reservoir", "sea", "水", "河", "江", "湖"),
     "#2f6fb3"),
    (("road", "track", "path", "trail", "路", "道"), "#8b5a2b"),
    (("rail", "铁"), "#3d3d3d"),
    (("building", "village", "town", "urban", "settlement", "house", "村", "镇", "城"), "#8e6a5e"),
)


# ---- looks ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Fill:
    """Polygons: face, edge, hatching."""

    face: object
    edge: object
    lw: float = 0.6
    alpha: float = 1.0
    hatch: str | None = None
    hatch_colour: object = None
    linestyle: object = "solid"

    def handle(self, **changes) -> Patch:
        """A legend swatch (opaque, hatched in the edge colour, at least 0.8 pt edge)."""
        look = dataclasses.replace(self, **changes)
        patch = Patch(facecolor=look.face, edgecolor=look.edge, hatch=look.hatch, linewidth=max(look.lw, 0.8))
        if look.hatch:
            patch.set_hatchcolor(look.edge)
        return patch


@dataclass(frozen=True)
class Stroke:
    """Lines."""

    colour: object
    lw: float
    alpha: float = 1.0
    linestyle: object = "solid"
    capstyle: str = "round"

    def handle(self, effects: list | None = None, **changes) -> Line2D:
        look = dataclasses.replace(self, **changes)
        line = Line2D([], [], color=look.colour, linewidth=look.lw, linestyle=look.linestyle)
        if effects:
            line.set_path_effects(effects)
        return line


@dataclass(frozen=True)
class Mark:
    """Point markers (size in points)."""

    marker: str
    face: object
    size: float
    edge: object = INK
    lw: float = 0.6
    alpha: float = 1.0

    def handle(self, **changes) -> Line2D:
        look = dataclasses.replace(self, **changes)
        return Line2D([], [], linestyle="none", marker=look.marker, markerfacecolor=look.face,
                      markeredgecolor=look.edge, markersize=look.size)


Look = Fill | Stroke | Mark
Part = tuple[str, dict]  # a look's name and the changes its legend swatch makes


@dataclass
class Symbology:
    """A layer's looks by name and its legend: (label, parts, kind the layer must have or None)."""

    looks: dict[str, Look]
    legend: list[tuple[str, tuple[Part, ...], str | None]] = field(default_factory=list)

    def __getitem__(self, name: str) -> Look:
        return self.looks[name]

    def entries(self, kinds: set[str] = frozenset()) -> list[tuple[object, str]]:
        """(handle, label) pairs for the legend, built from the looks the painter draws with."""
        out = []
        for label, parts, kind in self.legend:
            if kind is not None and kind not in kinds:
                continue
            handles = tuple(self.looks[name].handle(**changes) for name, changes in parts)
            out.append((handles[0] if len(handles) == 1 else handles, label))
        return out


def _ticks() -> list:
    """The legend's simplified tick marks for fortified lines and fronts."""
    return [pe.withTickedStroke(spacing=5, angle=-90, length=0.6), pe.Normal()]


def _one(label: str, *parts: Part, kind: str | None = None) -> tuple:
    return (label, parts, kind)


# ---- the Hengyang layers -------------------------------------------------------------------------
def water_areas(s: dict) -> Symbology:
    water = Fill(s.get("color", WATER), s.get("edgecolor", WATER_EDGE), s.get("linewidth", 0.6),
                 s.get("alpha", 1.0))
    return Symbology({"water": water}, [_one("Rivers", ("water", {}))])


def rivers(s: dict) -> Symbology:
    river = Stroke(s.get("color", WATER_EDGE), s.get("linewidth", 0.5), s.get("alpha", 0.7))
    return Symbology({"river": river})


def hills(s: dict) -> Symbology:
    return Symbology({"hill": Fill("none", s.get("color", "#8a6a43"), s.get("linewidth", 0.4),
                                   s.get("alpha", 0.25), linestyle=(0, (2, 3)))})


def spot_heights(s: dict) -> Symbology:
    mark = Mark("^", s.get("color", INK), s.get("marker_size", 4.5), edge=PAPER, lw=0.5)
    return Symbology({"mark": mark}, [_one("Spot height (m)", ("mark", {"size": 7}))])


def flooded_fields(s: dict) -> Symbology:
    """Recolouring changes the face only: the paddy and marsh hatching stays."""
    alpha = s.get("alpha", 0.85)
    paddy = Fill(s.get("color", "#dbe7cf"), "#7fa37a", 0.4, alpha, s.get("hatch", "++"), "#7fa37a")
    marsh = Fill(s.get("color", "#d3e4e0"), "#5e9a9a", 0.4, alpha, s.get("hatch", "---"), "#5e9a9a")
    legend = [_one("Flooded paddy fields", ("paddy", {})), _one("Marsh", ("marsh", {}), kind="marsh")]
    return Symbology({"paddy": paddy, "marsh": marsh}, legend)


def city(s: dict) -> Symbology:
    area = Fill(s.get("color", "#dcc1a8"), s.get("edgecolor", "#5a3b26"), s.get("linewidth", 1.4),
                s.get("alpha", 0.75), "////", "#b99a80")
    looks = {"area": area, "wall": Stroke("#5a3b26", 1.2)}
    return Symbology(looks, [_one("Walled city (1944)", ("area", {}))])


def named_points(marker: str, colour, size: float, edge=INK) -> Callable[[dict], Symbology]:
    """Gates, stations and places: a marker and a name, no legend entry."""
    def symbology(s: dict) -> Symbology:
        mark = Mark(s.get("marker", marker), s.get("color", colour), s.get("marker_size", size),
                    edge=edge, lw=0.7)
        return Symbology({"mark": mark})
    return symbology


def railways(s: dict) -> Symbology:
    lw = s.get("linewidth", 2.4)
    looks = {"bridge_edge": Stroke("#555555", lw * 2.6, capstyle="butt"),
             "bridge_deck": Stroke(PAPER, lw * 1.6, capstyle="butt"),
             "rail": Stroke(s.get("color", "#1b1b1b"), lw, capstyle="butt"),
             "dash": Stroke("white", lw * 0.45, linestyle=(0, (4, 4)), capstyle="butt")}
    return Symbology(looks, [_one("Railway", ("rail", {}), ("dash", {"lw": 1.0, "linestyle": (0, (3, 3))}))])


def airfield(s: dict) -> Symbology:
    area = Fill(s.get("color", "#ddd8c6"), s.get("edgecolor", "#6d6654"), s.get("linewidth", 0.8),
                s.get("alpha", 0.9), "..", "#a39c86")
    return Symbology({"area": area}, [_one("Airfield", ("area", {}))])


def defense_lines(s: dict) -> Symbology:
    colour, lw = s.get("color", CN_BLUE), s.get("linewidth", 1.6)
    looks = {"first": Stroke(colour, lw), "second": Stroke(colour, lw * 0.8, 0.8, (0, (5, 2)))}
    return Symbology(looks, [_one("Chinese defence lines", ("first", {"effects": _ticks()}))])


def moats(s: dict) -> Symbology:
    colour, lw = s.get("color", "#2d6d8c"), s.get("linewidth", 2.2)
    looks = {"moat": Stroke(colour, lw), "water": Stroke(WATER, lw * 0.45)}
    return Symbology(looks, [_one("Fang's moats", ("moat", {}), ("water", {"lw": 1.0}))])


def pillboxes(s: dict) -> Symbology:
    mark = Mark("s", s.get("color", CN_BLUE), s.get("marker_size", 3.2), edge="white", lw=0.5)
    return Symbology({"mark": mark}, [_one("Pillboxes", ("mark", {"size": 5}))])


def side_colour(side: str, s: dict) -> object:
    """A side's colour: the user's (``side_colors``), else ``color``, else cn/blue blue, jp/red red,
    a colour named by the value itself, or one of the generic colours."""
    chosen = (s.get("side_colors") or {}).get(side)
    if chosen is not None:
        return chosen
    if "color" in s:
        return s["color"]
    key = str(side).strip().lower()
    if key in ("cn", "blue", "friendly", "friend"):
        return CN_BLUE
    if key in ("jp", "red", "hostile", "enemy"):
        return JP_RED
    return key if is_color_like(key) else hashed_colour(key)


def front_lines(s: dict, sides: dict[str, str] | None = None) -> Symbology:
    """One stroke per side (``side:<value>``), named in the legend by the data ('Blue front')."""
    lw = s.get("linewidth", 2.2)
    sides = sides if sides is not None else {"jp": "Japanese"}
    looks = {"cn": Stroke(side_colour("cn", s), lw), "jp": Stroke(side_colour("jp", s), lw)}
    looks |= {f"side:{side}": Stroke(side_colour(side, s), lw) for side in sides}
    legend = [_one(f"{name} front", (f"side:{side}", {"effects": _ticks()})) for side, name in sides.items()]
    return Symbology(looks, legend or [_one("Front line", ("jp", {"effects": _ticks()}))])


def events(s: dict) -> Symbology:
    colour, size = s.get("color", EVENT), s.get("marker_size", 13)
    looks = {"ring": Mark("o", to_rgba(colour, 0.15), size * 1.45, edge=to_rgba(colour, 0.75), lw=1.0),
             "star": Mark("*", colour, size, edge="#5a1e00", lw=0.7)}
    return Symbology(looks, [_one("Event on this day", ("star", {"size": 11}))])


def units(s: dict, sides: dict[str, str] | None = None, app6: bool = True) -> Symbology:
    """APP-6 symbols are drawn by milsymbol in their standard fills; the legend shows those. Units
    without a ``sidc`` are markers in their side's colour, named by the data ('Blue unit')."""
    if app6:
        looks = {"cn": AFFILIATIONS["friend"][1], "jp": AFFILIATIONS["hostile"][1]}  # milsymbol's fills
        return Symbology(looks, [_one("Chinese unit (APP-6)", ("cn", {})),
                                 _one("Japanese unit (APP-6)", ("jp", {}))])
    size, marker = s.get("marker_size", 8.0), s.get("marker", "o")
    sides = sides or {"": "Unit"}
    looks = {f"side:{side}": Mark(marker, side_colour(side, s), size, edge="white", lw=1.2) for side in sides}
    legend = [_one(f"{name} unit" if side else name, (f"side:{side}", {})) for side, name in sides.items()]
    return Symbology(looks, legend)


AFFILIATIONS = {"friend": ("Friendly", Fill("#80e0ff", INK)), "hostile": ("Hostile", Mark("D", "#ff8080", 8)),
                "neutral": ("Neutral", Fill("#aaffaa", INK)), "unknown": ("Unknown", Mark("o", "#ffff80", 8))}
APP6_LOOKS = {a: look for a, (_, look) in AFFILIATIONS.items()}  # milsymbol's frame fills


def affiliation(sidc: str) -> str:
    """What an APP-6 / MIL-STD-2525 code says a unit is: its standard identity, from the letter
    codes' second character or the 20-digit codes' fourth."""
    code = str(sidc).strip().upper()
    if len(code) >= 20 and code[:20].isdigit():
        digits = {"2": "friend", "3": "friend", "4": "neutral", "5": "hostile", "6": "hostile"}
        return digits.get(code[3], "unknown")
    if len(code) >= 2:
        return {"F": "friend", "A": "friend", "D": "friend", "M": "friend", "H": "hostile", "S": "hostile",
                "J": "hostile", "K": "hostile", "N": "neutral", "L": "neutral"}.get(code[1], "unknown")
    return "unknown"


def affiliations(codes) -> Symbology:
    """The legend of APP-6 symbols by the identities their codes give (their frames' fills)."""
    present = {affiliation(c) for c in codes.dropna()}
    found = [a for a in AFFILIATIONS if a in present]
    looks = dict(APP6_LOOKS)  # a dict of its own, as every symbology has
    return Symbology(looks, [_one(f"{AFFILIATIONS[a][0]} unit (APP-6)", (a, {})) for a in found])


def side_affiliations(gdf, sides: dict[str, str]) -> Symbology:
    """The legend of a user's APP-6 units by their sides' names ('Soviet unit (APP-6)'), each in the
    frame its codes give (and that frame named when a side's codes give more than one); with no
    sides, by what the codes say (``affiliations``)."""
    if not sides or "side" not in gdf.columns:
        return affiliations(gdf["sidc"])
    side = gdf["side"].astype(str).str.strip()
    legend = []
    for value, name in sides.items():
        present = {affiliation(c) for c in gdf["sidc"][side == value].dropna()}
        found = [a for a in AFFILIATIONS if a in present]
        for a in found:
            which = f", {AFFILIATIONS[a][0].lower()}" if len(found) > 1 else ""
            legend.append(_one(f"{name} unit (APP-6{which})", (a, {})))
    return Symbology(dict(APP6_LOOKS), legend)


SYMBOLOGIES: dict[str, Callable[[dict], Symbology]] = {
    "water_areas": water_areas, "rivers": rivers, "hills": hills, "spot_heights": spot_heights,
    "flooded_fields": flooded_fields, "city": city, "railways": railways, "airfield": airfield,
    "gates": named_points("s", "#5a3b26", 4.5, edge=PAPER), "stations": named_points("s", "white", 6),
    "places": named_points("o", INK, 2.8, edge=PAPER), "defense_lines": defense_lines, "moats": moats,
    "pillboxes": pillboxes, "front_lines": front_lines, "events": events, "units": units,
}


# ---- any other layer -----------------------------------------------------------------------------
def generic_colour(name: str) -> str:
    """The default colour of a layer named ``name``: the one its name implies (woods green, lakes
    blue, ``FEATURE_COLOURS``), else one of ``GENERIC_COLOURS`` by a hash of the name. The name's
    own part counts: ``woods (battle_1943)`` is woods, not a river."""
    own = re.sub(r"\s*\([^()]*\)\s*$", "", name).lower()
    words = re.findall(r"[a-z]+", own)
    for keys, colour in FEATURE_COLOURS:
        if any(w.startswith(k) for w in words for k in keys if k.isascii()) \
                or any(k in own for k in keys if not k.isascii()):
            return colour
    return hashed_colour(name)


def drawn_generically(layer) -> bool:
    """Whether the layer has the ``generic`` look (one colour of its own): no role with a look of
    its own, and no APP-6 codes (``layer_symbology`` draws those as milsymbol's affiliations)."""
    role = layer.data_role
    if role in ("front_lines", "units") or role in SYMBOLOGIES:
        return False
    return not (role == "generic" and "sidc" in layer.gdf.columns)


def spread_colours(model) -> list[str]:
    """Give each generic layer whose hashed colour an earlier one (in drawing order) shows already
    the first of ``GENERIC_COLOURS`` none shows, as its style's ``color`` (so the layer panel, the
    legend and a saved project keep it): two layers of one's own came out in one purple. A colour the
    style or the layer's name gives stays. Returns the layers recoloured."""
    layers = {layer.name: layer for layer in model.dataset.layers}
    shown: set[str] = set()
    changed = []
    for state in model.layer_states:
        layer = layers.get(state.name)
        if layer is None or not drawn_generically(layer):
            continue
        colour = str(state.style.get("color") or generic_colour(layer.name)).lower()
        if "color" not in state.style and colour in shown and colour in GENERIC_COLOURS:
            free = [c for c in GENERIC_COLOURS if c not in shown]
            if free:
                colour = free[0]
                model.set_style(state.name, color=colour)
                changed.append(state.name)
        shown.add(colour)
    return changed


def hashed_colour(name: str) -> str:
    """One of ``GENERIC_COLOURS``, the same for the same name."""
    return GENERIC_COLOURS[zlib.crc32(name.encode()) % len(GENERIC_COLOURS)]


MIN_LINE_PT = 1.2  # thinner default lines vanish on the terrain


def generic(name: str, s: dict, geometry_type: str = "") -> Symbology:
    """Polygons filled (and hatched when asked), lines stroked at least 1.2 pt, points as markers with
    a white halo, in the layer's colour. Recolouring keeps the hatch."""
    colour, alpha = s.get("color", generic_colour(name)), s.get("alpha", 1.0)
    edge = s.get("edgecolor", colour)
    hatch = s.get("hatch") or None
    looks = {"area": Fill(to_rgba(colour, 0.35), edge, s.get("linewidth", MIN_LINE_PT), alpha, hatch=hatch,
                          hatch_colour=edge if hatch else None),
             "line": Stroke(colour, s.get("linewidth", 1.6), alpha),
             "mark": Mark(s.get("marker", "o"), colour, s.get("marker_size", 7),
                          edge=s.get("edgecolor", "white"), lw=1.2, alpha=alpha)}
    if "Polygon" in geometry_type:
        part = ("area", {"edge": colour, "lw": 0.8})  # its face the tint the map shows
    elif "Line" in geometry_type:
        part = ("line", {})
    else:
        part = ("mark", {"size": 6})
    return Symbology(looks, [_one(name, part)])


def symbology(role: str, style: dict, geometry_type: str = "") -> Symbology:
    """The symbology of a layer of role ``role`` (see ``data.roles``), with ``style`` (clean) applied."""
    known = SYMBOLOGIES.get(role)
    return known(style) if known else generic(role, style, geometry_type)


def layer_symbology(layer, style: dict) -> Symbology:
    """The symbology of a loaded layer: by its role, with its sides and the user's ``style``."""
    if drawn_generically(layer):  # the one test of it: spread_colours and the panel ask it too
        return generic(layer.name, style, layer.geometry_type)
    role = layer.data_role
    if role == "front_lines":
        return front_lines(style, layer.side_names if "side" in layer.gdf.columns else {})
    app6 = "sidc" in layer.gdf.columns
    if app6 and (role == "generic" or (role == "units" and set(layer.side_names) - {"cn", "jp"})):
        return side_affiliations(layer.gdf, layer.side_names)  # a user's APP-6 units: by their sides
    if role == "units":
        return units(style, layer.side_names, app6=app6)
    return SYMBOLOGIES[role](style)


def line_width(layer, style: dict) -> float | None:
    """The width (points) of the layer's lines, or of its areas' or markers' outlines: its style's,
    else what its painter draws when the style says none (the panel and the properties show this):
    the look that takes the style's ``linewidth`` as it is, of the layer's kind of geometry first.
    None when its painter takes no width from the style (a unit layer's symbols, say)."""
    if "linewidth" in style:
        return float(style["linewidth"])
    probe = 7.77  # a width no default has: the looks that take it are the ones the style sets
    taking = [name for name, look in layer_symbology(layer, {"linewidth": probe}).looks.items()
              if getattr(look, "lw", None) == probe]
    if not taking:
        return None
    looks = layer_symbology(layer, {}).looks
    kind = {"Polygon": Fill, "LineString": Stroke, "Point": Mark}.get(
        str(layer.geometry_type).replace("Multi", ""), Stroke)
    name = next((n for n in taking if isinstance(looks[n], kind)), taking[0])
    return float(looks[name].lw)


def style_colour(layer, style: dict, key: str) -> str | None:
    """The colour (hex) a style key (``color``, ``edgecolor``) gives the layer's features: its
    style's, else what its painter draws when the style says none (the colour pickers start
    there), the look of a side in the data and of the layer's kind of geometry first; None when
    no look takes the key."""
    if key in style:
        return str(style[key])
    probe = "#0a0b0c"  # a colour no default has: the looks' parts that take it are the key's
    probed = layer_symbology(layer, {key: probe}).looks
    looks = layer_symbology(layer, {}).looks
    kind = {"Polygon": Fill, "LineString": Stroke, "Point": Mark}.get(
        str(layer.geometry_type).replace("Multi", ""), Stroke)
    gdf = layer.gdf
    drawn = {f"side:{v}" for v in gdf["side"].dropna().astype(str)} if "side" in gdf.columns else set()
    for name in sorted(probed, key=lambda n: (n not in drawn, not isinstance(looks.get(n), kind))):
        for part in ("face", "colour", "edge"):
            if getattr(probed[name], part, None) == probe and name in looks:
                try:
                    return to_hex(getattr(looks[name], part))
                except ValueError:
                    return None
    return None


def legend_entries(layer, geometry_type: str, style: dict, kinds: set[str]) -> list[tuple]:
    """(handle, label) pairs for one vector layer (a Layer, or a role name), from the looks it is
    drawn with."""
    if isinstance(layer, str):
        return symbology(layer, style, geometry_type).entries(kinds)
    return layer_symbology(layer, style).entries(kinds)


def contour_entry(style: dict, reconstructed: bool) -> tuple:
    """Legend entry for the contours of an elevation raster."""
    step = float(style.get("contour_step", 10.0))
    label = f"Contours every {step:g} m" + ("\n(relief reconstructed, not surveyed)" if reconstructed else "")
    return (Stroke(style.get("contour_color", CONTOUR_COLOUR), 0.8).handle(), label)


# ---- style overrides -----------------------------------------------------------------------------
COLOUR_KEYS = ("color", "edgecolor", "contour_color")
NUMBER_KEYS = ("linewidth", "marker_size", "alpha", "contour_step", "index_step", "label_size")
TEXT_KEYS = ("role", "label_field", "hatch")
_warned: set[tuple[str, str]] = set()


def _problem(key: str, value: object) -> tuple[object, str]:
    """The value as drawn and what is wrong with it ('' when nothing)."""
    if key == "side_colors":
        ok = isinstance(value, dict) and all(is_color_like(v) for v in value.values())
        return (value, "") if ok else (value, f"{key}={value!r} is not a mapping of sides to colours")
    if key in TEXT_KEYS and not isinstance(value, str):
        return value, f"{key}={value!r} is not text"
    if key in COLOUR_KEYS and not is_color_like(value):
        return value, f"{key}={value!r} is not a colour"
    if key in NUMBER_KEYS:
        try:
            value = float(value)
        except (TypeError, ValueError):
            return value, f"{key}={value!r} is not a number"
        if not math.isfinite(value) or value <= 0 or (key == "alpha" and value > 1):
            return value, f"{key}={value!r} is out of range"
    return value, ""


def clean_style(layer_name: str, style: dict) -> dict:
    """The style overrides that can be drawn; bad values are dropped with one warning each."""
    out = {}
    for key, raw in style.items():
        value, problem = _problem(key, raw)
        if problem:
            if (layer_name, problem) not in _warned:
                _warned.add((layer_name, problem))
                log.warning("layer '%s': style %s; ignored", layer_name, problem)
            continue
        out[key] = value
    return out
