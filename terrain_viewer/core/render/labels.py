"""Label placement: one plan per frame that keeps clear of everything drawn.

Painters (and the unit layer) hand labels over as ``LabelSpec``s; after the whole frame is drawn,
``LabelPlanner.plan`` places them greedily by priority (city and rivers first, then events and
units, then the other places, then spot heights) at the first of a few candidate positions
around the anchor that is inside the frame and clear of the *obstacles*: unit and event symbols,
point markers, moving line symbols, the legend, caption and scale bar boxes, and the labels
already placed. A label that finds no free position is dropped, never overlapped.

Type is scaled to the output: every label is at least ``MIN_TEXT_PX`` (units ``MIN_UNIT_PX``)
pixels high at 1080 lines and proportionally at other heights, so 720p, 1080p and 4K look alike.
Placement is stable in time: a label keeps the position it had on the previous frame while that
position is still free. Boxes are computed arithmetically (rotated labels as the bounding box of
the turned text), so planning lays out no text; the plan is drawn once and cached as a sprite.
The label of a feature fading in or out (``LabelSpec.alpha``) is drawn at its feature's opacity.
"""

from __future__ import annotations

import logging
import math
import unicodedata
from collections import OrderedDict, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from functools import partial

import matplotlib.patheffects as pe
import numpy as np
from matplotlib.colors import to_rgba
from matplotlib.path import Path
from matplotlib.transforms import Bbox, IdentityTransform

from terrain_viewer.core.render import glyphs
from terrain_viewer.core.render.box_index import CELL, BoxIndex, named, owned
from terrain_viewer.core.render.symbology import INK, PAPER

log = logging.getLogger(__name__)

# who wins a crowded spot: higher first
# a researcher's own layer ("generic") is the subject of their map: named before the base data's
# stations, gates, places and heights, after the battle's units, events, rivers and city
PRIORITY = {"city": 10, "river": 9, "event": 8.5, "unit": 8, "own_unit": 7.75, "generic": 7.5, "airfield": 7,
            "station": 7, "gate": 6, "place": 5, "spot_height": 4}
CELL_FAILURES = 12  # labels that found no room around an anchor in a cell before the cell is closed
PAD = (1.06, 1.15)  # a placed box keeps this much clear around its text (width, height factors)
MIN_TEXT_PX = 16.0  # the least text height (ascender to descender) of a map label at 1080 lines
MIN_UNIT_PX = 14.0  # … of a unit designation
UNIT_RINGS = 2  # … for a unit's designation with no room beside its symbol (one ring out, a short leader)
FAR_RINGS, FAR_STEP = 7, 12.0  # rings of candidates (points apart) for the most important labels
EVENT_RINGS = 16  # … for an event's title that found no room on those (a longer leader), as far
EVENT_REACH = 0.25  # as this share of the frame's height (a small map: no leader across the map)
LEADER_MIN_PT = 4.0  # a leader to a far label is drawn when at least this long (points)
REFERENCE_HEIGHT = 1080
FOLLOW_DAYS = 0.5  # a frame at most this far from the last (same day) keeps its labels' places
RECENT = 8  # plans whose memory a following frame may take up (frames drawn ahead come between)
PLANS = 256  # plans kept by their inputs (a day drawn ahead, then shown, is planned once)
Extents = tuple[float, float, float, float]


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
    alpha: float = 1.0  # the opacity of its feature while that fades in or out (text and halo)
    owner: str = ""  # the layer it names: that layer's own lines and outlines do not keep it off
    within: tuple[float, float] | None = None  # display columns its text stays between (a swipe's side)


@dataclass(frozen=True)
class Placed:
    """A label where the plan put it: offset (points), alignment, rotation, final text properties
    (font size raised to the minimum) and its padded display box (pixels, y up)."""

    spec: LabelSpec
    dx: float
    dy: float
    ha: str
    va: str
    rotation: float
    props: tuple
    box: Extents
    text_height: float  # pixels, ascender to descender
    ring: int = 0  # the ring of positions it took: 0 next to its anchor, further out with a leader

    @property
    def bbox(self) -> Bbox:
        return Bbox.from_extents(*self.box)

    @property
    def turn(self) -> float:
        """The rotation as the label's text is drawn and kept (to 0.1°)."""
        return round(self.rotation, 1)

    def centre(self, px: float, py: float, w: float, h: float, dpi: float) -> tuple[float, float]:
        """Where the centre of this label's upright ``w`` x ``h`` text goes (display pixels, y up)
        when its anchor is at (px, py): the offset, then the text's box moved by its alignment and
        turned with it about the aligned point (``rotation_mode='anchor'``, as in ``text_box``)."""
        u, v = (0.5 - _FX[self.ha]) * w, (0.5 - _FY[self.va]) * h
        a = math.radians(self.turn)
        cx, cy = px + self.dx * dpi / 72.0, py + self.dy * dpi / 72.0
        return cx + (u * math.cos(a) - v * math.sin(a)), cy + (u * math.sin(a) + v * math.cos(a))

    def key(self) -> tuple:
        s = self.spec
        return (s.text, round(s.x, 3), round(s.y, 3), self.dx, self.dy, self.ha, self.va, self.turn,
                self.props)


def follows(t_prev: float, t: float) -> bool:
    """Whether a frame at ``t`` follows one at ``t_prev`` (``LabelPlanner.follow``) as a step of
    an animation does: a step of at most ``FOLLOW_DAYS`` within one day, not onto the day's start
    (a whole day's frame is planned alone, the same whatever came before it). The window's frames
    and an export's (2 or more a day) follow by this one rule."""
    day = math.floor(t)
    return t != t_prev and abs(t - t_prev) <= FOLLOW_DAYS and math.floor(t_prev) == day and t != day


def halo(width: float = 2.6, colour=PAPER, alpha: float = 0.85) -> list:
    """A paper-coloured outline that keeps text and symbols readable over anything."""
    return [pe.withStroke(linewidth=width, foreground=to_rgba(colour, alpha))]


def candidates(spec: LabelSpec, d: float | None = None, rings: int = 1,
               step: float = 0.0) -> list[tuple[float, float, str, str]]:
    """(dx, dy, ha, va) positions around the anchor, right of it first; with ``rings`` > 1, also
    further out (each ring ``step`` further), for the labels that must find a place."""
    d = spec.offset if d is None else d
    out = [(0, 0, "center", "center")] if spec.centred else []
    for ring in range(rings):
        r = d + ring * step
        out += [(r, 0, "left", "center"), (-r, 0, "right", "center"), (0, r, "center", "bottom"),
                (0, -r, "center", "top"), (r, r, "left", "bottom"), (-r, -r, "right", "top"),
                (r, -r, "left", "top"), (-r, r, "right", "bottom")]
    if pictograph_led(spec.text):  # "✈ Hengyang airfield" left of its field put the ✈ a label's
        out = [c for c in out if c[2] != "right"]  # length away, over the next feature (a 4K frame)
    return out


def pictograph_led(text: str) -> bool:
    """A label that starts with a symbol (✈) standing for its feature: it must not end at it."""
    return len(text) > 2 and text[1] == " " and unicodedata.category(text[0]) == "So"


def text_box(px: float, py: float, w: float, h: float, dx: float, dy: float, ha: str, va: str,
             rotation: float = 0.0) -> Extents:
    """The padded display box of a ``w`` x ``h`` text anchored at (px + dx, py + dy) with ha/va,
    turned by ``rotation`` degrees about that point (matplotlib's ``rotation_mode='anchor'``)."""
    fx, fy = _FX[ha], _FY[va]
    ox, oy = px + dx, py + dy
    if not rotation:
        x0, y0 = ox - fx * w, oy - fy * h
        return _padded((x0, y0, x0 + w, y0 + h))
    a = math.radians(rotation)
    c, s = math.cos(a), math.sin(a)
    xs, ys = [], []
    for u in (-fx * w, (1 - fx) * w):
        for v in (-fy * h, (1 - fy) * h):
            xs.append(ox + u * c - v * s)
            ys.append(oy + u * s + v * c)
    return _padded((min(xs), min(ys), max(xs), max(ys)))


def _padded(extents: tuple) -> Extents:
    x0, y0, x1, y1 = extents
    mx, my = (x1 - x0) * _HALF_PAD[0], (y1 - y0) * _HALF_PAD[1]
    return (x0 - mx, y0 - my, x1 + mx, y1 + my)


_FX = {"left": 0.0, "center": 0.5, "right": 1.0}
_FY = {"bottom": 0.0, "center": 0.5, "top": 1.0}
_HALF_PAD = ((PAD[0] - 1) / 2, (PAD[1] - 1) / 2)  # x * (p - 1) / 2 == x * ((p - 1) / 2): halving is exact


def min_text_px(priority: float, frame_height: float) -> float:
    """The least text height in pixels of a label of ``priority`` in a frame ``frame_height`` high."""
    base = MIN_UNIT_PX if priority == PRIORITY["unit"] else MIN_TEXT_PX
    return base * frame_height / REFERENCE_HEIGHT


def _angles(ax, specs: list[LabelSpec]) -> list[float]:
    """The text angle (degrees, never upside down) of each label that runs ``along`` a direction
    (0 for the others), with one transform for all: the same numbers, point by point, as one
    transform per label."""
    alongs = [s.props.get("along") for s in specs]
    turned = [i for i, along in enumerate(alongs) if along]
    out = [0.0] * len(specs)
    if not turned:
        return out
    points = []
    for i in turned:
        s, along = specs[i], alongs[i]
        points += [(s.x, s.y), (s.x + along[0], s.y + along[1])]
    xy = ax.transData.transform(points)
    for n, i in enumerate(turned):
        (x0, y0), (x1, y1) = xy[2 * n], xy[2 * n + 1]
        angle = math.degrees(math.atan2(y1 - y0, x1 - x0))
        out[i] = angle - 180 if angle > 90 else angle + 180 if angle < -90 else angle
    return out


class LabelPlanner:
    """Places a frame's labels; remembers text sizes and each label's last position."""

    def __init__(self, family: str | None = None):
        self.family = family  # a font family put first for every label (None: the painters')
        self._sizes: dict[tuple, tuple[float, float]] = {}
        self._unfonted: set[str] = set()  # scripts already said to have no font
        self._prepared_cache: dict[tuple, tuple] = {}
        self._props_keys: dict[int, tuple] = {}  # id(props) -> (props, a copy, its part of the key)
        self._memory: dict[tuple, int] = {}
        self._asked: set[tuple] = set()  # the keys of the last plan's labels, placed or not
        self._plans: OrderedDict[tuple, tuple[tuple, dict, set]] = OrderedDict()  # inputs -> plan, memory,
        #                                                                         the labels asked
        self._recent: OrderedDict[tuple, tuple[dict, set]] = OrderedDict()  # (t, frame size) of the last
        #                                                     plans -> their memory and labels asked
        self._after: float | None = None  # the next plan follows the plan at this time
        self._aside = False  # the next plan is for the caches only: not one a frame may follow
        self._probe = None

    def plan(self, ax, renderer, specs: list[LabelSpec], symbols=(), furniture=(),
             t: float | None = None) -> list[Placed]:
        """The labels of ``specs`` that fit, clear of the ``symbols`` and ``furniture`` boxes
        (display extents) and of each other; a label whose anchor is on a symbol starts outside it.

        After ``follow(t_prev)``, when one of the last ``RECENT`` plans was made at ``t_prev`` (same
        frame size: frames drawn ahead may come between), each label first tries the position it had
        there (no jumps in a sequence of frames) and a label that had no room there stays out (no
        labels popping in and out within a day; half the work); otherwise the plan depends on this
        frame alone (the same inputs give the same plan), and a plan made before for the same inputs
        is given again.
        """
        size = tuple(ax.figure.bbox.size)
        prior = None if self._after is None else self._recent.get((round(self._after, 9), size))
        follows = prior is not None
        remembered, asked = prior if follows else ({}, set())
        dropped = asked.difference(remembered)
        self._after, aside, self._aside = None, self._aside, False
        if not specs:
            self._memory, self._asked = {}, set()
            placed = []
        else:
            key = None if follows else self._plan_key(ax, specs, symbols, furniture)
            hit = None if key is None else self._plans.get(key)
            if hit is not None:
                self._plans.move_to_end(key)
                self._memory, self._asked = hit[1], hit[2]
                placed = list(hit[0])
            else:
                placed = self._new_plan(ax, renderer, specs, symbols, furniture, remembered, dropped)
                if key is not None:
                    self._plans[key] = (tuple(placed), self._memory, self._asked)
                    while len(self._plans) > PLANS:
                        self._plans.popitem(last=False)
        if t is not None and not aside:
            self._recent[(round(float(t), 9), size)] = (self._memory, self._asked)
            self._recent.move_to_end((round(float(t), 9), size))
            while len(self._recent) > RECENT:
                self._recent.popitem(last=False)
        return placed

    def _plan_key(self, ax, specs: list[LabelSpec], symbols, furniture) -> tuple | None:
        """Everything a plan depends on, hashable (None when a property cannot be hashed)."""
        fig = ax.figure
        try:
            key = (tuple(fig.bbox.size), fig.dpi, tuple(ax.viewLim.extents), tuple(ax.bbox.extents),
                   self.family, tuple(map(tuple, symbols)), tuple(map(tuple, furniture)),
                   tuple((s.x, s.y, s.text, s.priority, self._props_key(s.props), s.props.get("along"),
                          s.offset, s.centred, s.alpha, s.owner, s.within) for s in specs))
            hash(key)
        except TypeError:
            return None
        return key

    def _new_plan(self, ax, renderer, specs: list[LabelSpec], symbols, furniture,
                  remembered: dict, dropped: set) -> list[Placed]:
        """Place ``specs`` (see ``plan``), first trying the ``remembered`` positions; the labels of
        ``dropped`` (the followed frame had no room for them) stay out."""
        dpi = ax.figure.dpi
        symbols = BoxIndex(symbols, CELL * dpi / 100.0)
        index = symbols.copy()  # the symbols and the furniture, then the labels placed (and leaders)
        texts: list[Extents] = []  # the labels placed: no leader crosses them
        walls = [tuple(b.extents) if isinstance(b, Bbox) else tuple(b[:4]) for b in furniture]  # nor these
        leaders: list[tuple] = []  # the leaders drawn: a later leader does not cut one if it can help it
        index.add_all(furniture)
        covered = BoxIndex(furniture, CELL * dpi / 100.0)  # a marker under the legend or the caption
        #                                                   is not seen: its label would name nothing
        frame, height = tuple(ax.bbox.extents.tolist()), ax.figure.bbox.height
        scale = dpi / 72.0
        anchors = ax.transData.transform([(s.x, s.y) for s in specs]).tolist()  # as floats: faster sums
        rotations = _angles(ax, specs)
        failures: dict[tuple[int, int], int] = defaultdict(int)
        placed: list[Placed] = []
        memory: dict[tuple, int] = {}
        keys = _keys(specs)
        try:
            # a frame that follows another: of equal priority, the labels it showed go first
            # (else a crowd's labels took turns from frame to frame, a flicker in a video)
            for i in sorted(range(len(specs)), key=lambda i: (-specs[i].priority, keys[i] not in remembered)):
                if keys[i] in dropped:
                    continue
                spec, (px, py) = specs[i], anchors[i]
                cell = (math.floor(px / index.cell), math.floor(py / index.cell))
                bounds = frame if spec.within is None else \
                    (max(frame[0], spec.within[0]), frame[1], min(frame[2], spec.within[1]), frame[3])
                if not (bounds[0] <= px <= bounds[2] and bounds[1] <= py <= bounds[3]) \
                        or failures[cell] >= CELL_FAILURES or (covered and covered.containing(px, py)):
                    continue
                place = partial(self._place, ax, renderer, anchor=(px, py),
                                indexes=(index, symbols, texts, walls, leaders), frame=bounds, scale=scale,
                                height=height, remembered=remembered.get(keys[i]), rotation=rotations[i])
                got = place(spec) or _title_elsewhere(place, spec, height / (FAR_STEP * scale))
                if got is None:
                    failures[cell] += 1
                    continue
                label, choice = got
                memory[keys[i]] = choice
                index.add(label.box)
                texts.append(label.box)
                line = leader(label, px, py, dpi)
                if line is not None:
                    leaders.append(line)
                index.add_all([(x - 4, y - 4, x + 4, y + 4) for x, y in _along(line)])  # later labels
                #                                                                      keep off its leader
                placed.append(label)
        finally:
            self._close()
        self._memory, self._asked = memory, set(keys)
        return placed

    def aside(self) -> None:
        """Say that the next plan is for the caches only (a day an idle window draws ahead and does
        not show): it is kept by its inputs, but not among the last ``RECENT`` a frame may follow,
        where 60 such days pushed out the day on screen (the first hour after a look at the map was
        then planned alone, and labels popped against the day shown)."""
        self._aside = True

    def follow(self, t_prev: float) -> None:
        """Say that the next frame comes right after the frame at ``t_prev`` (an export, playback):
        it follows that plan if it is one of the last ``RECENT`` made."""
        self._after = float(t_prev)

    def _place(self, ax, renderer, spec: LabelSpec, anchor, indexes: tuple, frame, scale: float,
               height: float, remembered: int | None,
               rotation: float, rings: int | None = None) -> tuple[Placed, int] | None:
        """The first free position of ``spec`` (``indexes``: everything placed, the symbols, the
        labels placed, the furniture, the leaders drawn; a far position's leader may not cross a
        label or another leader, and never the furniture: a leader under the legend names nothing)."""
        index, symbols, texts, walls, leaders = indexes
        w, h, _, frozen = self._prepared(ax, renderer, spec, height)
        d = spec.offset * scale
        # the anchor's own symbol (not an outline of the label's own layer): start just outside it
        own = [b for b in symbols.containing(*anchor) if not owned(b, spec.owner)] if symbols else ()
        if own:
            d = max(d, max(max(b[2] - b[0], b[3] - b[1]) / 2 for b in own) + 2 * scale)
        own_point = spec.priority == PRIORITY["generic"] and not spec.centred  # not an area's name
        far = spec.priority > PRIORITY["unit"] or own_point  # the city, rivers, events and a
        #                                                      researcher's own points look further out
        options = candidates(spec, d, rings or (FAR_RINGS if far else 1), FAR_STEP * scale)
        order: list[int] | range = range(len(options))
        if remembered is not None and remembered < len(options):
            order = [remembered, *range(remembered), *range(remembered + 1, len(options))]
        near = partial(_nearest_own, own, symbols) if own and spec.priority == PRIORITY["unit"] else None
        scan = partial(_scan, spec, anchor, options, order, (w, h, frozen, rotation), frame, scale, index,
                       (texts, walls, leaders), near=near)
        free, crossing, blockers = scan(lines=True)
        if near is not None and (free is None or not near(free[0].box)):
            further = self._further(spec, anchor, d, scale, remembered, (w, h, frozen, rotation), frame,
                                    indexes)
            if further is not None:
                return further
        if free is not None or crossing is not None:
            return free or crossing  # a title with a leader across another label rather than none
        if (spec.priority <= PRIORITY["place"] or spec.priority in (PRIORITY["event"], PRIORITY["generic"])) \
                and any(named(b) for b in blockers):
            return scan(lines=False)[0]  # a place's or an area's name or an event's title kept off only
            #                              by another layer's lines goes over them (in its halo), not nowhere
        return None

    @staticmethod
    def _further(spec: LabelSpec, anchor, d: float, scale: float, remembered: int | None, text: tuple,
                 frame, indexes: tuple) -> tuple[Placed, int] | None:
        """A unit's designation with no room beside its own symbol: further out, on a leader to
        it, rather than snug against another unit's symbol (it seemed to name that one, or was
        dropped with room to spare: a new user's Kursk units)."""
        index, symbols, texts, walls, leaders = indexes
        wide = candidates(spec, d, UNIT_RINGS, FAR_STEP * scale)
        outer: list[int] | range = range(8, len(wide))  # past the first ring, tried already
        if remembered is not None and remembered in outer:
            outer = [remembered, *(k for k in outer if k != remembered)]
        (px, py), reach = anchor, d + UNIT_RINGS * FAR_STEP * scale + text[0]
        near = symbols.meeting((px - reach, py - reach, px + reach, py + reach))
        markers = [b for b in near if len(b) == 4]  # symbols and markers, not an owned line's box
        return _scan(spec, anchor, wide, outer, text, frame, scale, index,  # its leader crosses no
                     (texts, [*walls, *markers], leaders), lines=True)[0]  # other unit's symbol

    def _prepared(self, ax, renderer, spec: LabelSpec, height: float) -> tuple[float, float, dict, tuple]:
        """The text's size in pixels and its final properties (font size raised to the minimum),
        as a dict and frozen; worked out once per text, properties, font family and frame height."""
        least = min_text_px(spec.priority, height)
        key = (spec.text, self._props_key(spec.props), self.family, least, ax.figure.dpi)
        hit = self._prepared_cache.get(key)
        if hit is not None:
            return hit
        props = dict(spec.props)
        props.pop("along", None)
        if self.family:
            family = props.get("family", [])
            family = [family] if isinstance(family, str) else list(family)
            props["family"] = [self.family, *[f for f in family if f != self.family]]
        line = self._line(ax, renderer, props)  # the least line of this style (once a style)
        if line < least:  # small type raised so that every line of its style is at least the least
            #               height: one size for the style, and each new text measured once
            props["fontsize"] = round(self._fontsize(props) * least / line * 1.01, 2)
        w, h = self._size(ax, renderer, spec.text, props)
        for _ in range(3):  # a text lower than its style's line (none in matplotlib's layout): raise it
            if h >= least:
                break
            props["fontsize"] = round(self._fontsize(props) * least / h * 1.01, 2)
            w, h = self._size(ax, renderer, spec.text, props)
        hit = self._prepared_cache[key] = (w, h, props, _frozen(props))
        if len(self._prepared_cache) > 20_000:
            self._prepared_cache.clear()
        return hit

    def _props_key(self, props: dict) -> str:
        """``props`` but ``along``, sorted, as text; remembered per dict while it stays equal to a copy."""
        hit = self._props_keys.get(id(props))
        try:
            same = hit is not None and hit[0] is props and hit[1] == props
        except (TypeError, ValueError):  # values that do not compare (arrays): worked out afresh
            same = False
        if same:
            return hit[2]
        key = repr(sorted((k, v) for k, v in props.items() if k != "along"))
        if len(self._props_keys) > 20_000:
            self._props_keys.clear()
        copy = {k: list(v) if isinstance(v, list) else v for k, v in props.items()}  # lists change in place
        self._props_keys[id(props)] = (props, copy, key)
        return key

    def _line(self, ax, renderer, props: dict) -> float:
        """The least height of a line in ``props`` (pixels): the font's ascender to descender
        (no text is lower); for properties only matplotlib's Text knows, an "lp" line measured."""
        if glyphs.simple("lp", props):
            return glyphs.line_height(props, ax.figure.dpi)
        return self._size(ax, renderer, "lp", props)[1]

    @staticmethod
    def _fontsize(props: dict) -> float:
        from matplotlib import rcParams
        from matplotlib.font_manager import FontProperties

        size = props.get("fontsize", props.get("size", rcParams["font.size"]))
        return float(FontProperties(size=size).get_size_in_points())

    def _size(self, ax, renderer, text: str, props: dict) -> tuple[float, float]:
        """Width and height of the upright text in pixels (measured once per text and style, with
        nothing of the text measured before it: the size does not depend on the order)."""
        from matplotlib.font_manager import FontProperties

        key = (text, repr(sorted(props.items())), ax.figure.dpi)
        hit = self._sizes.get(key)
        if hit is None:
            self._check_font(text, props)
        if hit is None and glyphs.simple(text, props):  # FreeType's numbers, as the text sprite's
            hit = self._sizes[key] = glyphs.text_size(text, props, ax.figure.dpi)
        if hit is None:
            if self._probe is None:
                self._probe = ax.text(0, 0, "", ha="left", va="bottom")
            self._probe.set_fontproperties(FontProperties())  # no weight or style left by the last text
            self._probe.update({"text": text, **{k: v for k, v in props.items() if k != "path_effects"}})
            x0, y0, x1, y1 = self._probe.get_window_extent(renderer).extents
            hit = self._sizes[key] = (x1 - x0, y1 - y0)
            if len(self._sizes) > 20_000:
                self._sizes.clear()
        return hit

    def _check_font(self, text: str, props: dict) -> None:
        """Say once per script (in the log, which the window lists in its Problems panel) when no
        installed font draws a label's letters: matplotlib only warns, glyph by glyph. The letter
        is named, not quoted (the window's own fonts lack it as well)."""
        letter = glyphs.missing_letter(text, props)
        script = None if letter is None else glyphs.script_of(letter)
        if script is not None and script not in self._unfonted:
            self._unfonted.add(script)
            log.warning("no installed font has %s letters (%s in a label): those labels show as empty "
                        "boxes; install a font for them, e.g. Noto Sans %s", script,
                        unicodedata.name(letter, f"U+{ord(letter):04X}"), script)

    def _close(self) -> None:
        if self._probe is not None:
            self._probe.remove()
            self._probe = None


def _title_elsewhere(place: Callable, spec: LabelSpec, rings_high: float) -> tuple | None:
    """An event's title that found no room (``place``: ``_place`` of this label): on two lines,
    then further out on a longer leader, as far as ``EVENT_REACH`` of the frame's height
    (``rings_high`` rings), on one line and on two. None for any other label."""
    two = two_lines(spec)
    if two is None:
        return None
    got = place(two)
    rings = min(EVENT_RINGS, int(EVENT_REACH * rings_high))
    if got is None and rings > FAR_RINGS:
        got = place(spec, rings=rings) or place(two, rings=rings)
    return got


def two_lines(spec: LabelSpec) -> LabelSpec | None:
    """An event's one-line title broken at the space nearest its middle (None for any other label,
    or a title of one word or already on several lines)."""
    text = spec.text
    if spec.priority != PRIORITY["event"] or "\n" in text or " " not in text.strip():
        return None
    middle = len(text) / 2
    cut = min((i for i, c in enumerate(text) if c == " "), key=lambda i: abs(i - middle))
    return replace(spec, text=f"{text[:cut].rstrip()}\n{text[cut + 1:].lstrip()}")


def _frozen(props: dict) -> tuple:
    """Text properties as a sorted tuple (lists as tuples): part of a placed label's key."""
    return tuple(sorted((key, tuple(v) if isinstance(v, list) else v) for key, v in props.items()))


def _keys(specs: list[LabelSpec]) -> list[tuple]:
    """A key per label that stays the same from frame to frame: text, priority and the how-manieth
    label of that text and priority it is (in the data's order)."""
    seen: dict[tuple, int] = defaultdict(int)
    keys = []
    for spec in specs:
        base = (spec.text, spec.priority)
        keys.append((*base, seen[base]))
        seen[base] += 1
    return keys


def _scan(spec: LabelSpec, anchor, options, order, text: tuple, frame, scale: float, index: BoxIndex,
          crossed: tuple[list[Extents], list[Extents], list[tuple]], lines: bool,
          near: Callable[[Extents], bool] | None = None) -> tuple:
    """The positions of ``options`` in ``order`` tried against everything placed (``lines``: other
    layers' lines and outlines too): (the first free one whose leader crosses no label, else None;
    the first free one whose leader crosses one, else None; what stood in the way). ``crossed``:
    the labels placed, the furniture (no leader passes under that) and the leaders drawn (a leader
    that cuts one counts as crossing). ``near``: whether a box is nearer its own symbol than any
    other (a unit's designation); a free position that is not is taken only when none is."""
    (px, py), (w, h, frozen, rotation), (texts, walls, leaders) = anchor, text, crossed
    f0, g0, f1, g1 = frame
    blockers: list[tuple] = []  # what stood in the way of the positions tried: asked first
    crossing = crowded = None
    for k in order:
        dx, dy, ha, va = options[k]
        box = text_box(px, py, w, h, dx, dy, ha, va, rotation)
        x0, y0, x1, y1 = box
        if not (f0 <= x0 and x1 <= f1 and g0 <= y0 and y1 <= g1):
            continue
        for b in blockers:
            if x0 < b[2] and b[0] < x1 and y0 < b[3] and b[1] < y1:
                break
        else:
            blocker = index.blocker(box, spec.owner, lines)
            if blocker is not None:
                blockers.append(blocker)
            else:
                label = _at(spec, k, options[k], (box, h, frozen, rotation), scale)
                if near is not None and not near(box):
                    crowded = crowded or (label, k)  # snug against another unit: it would seem to name it
                    continue
                line = leader(label, px, py, 72 * scale)
                if _crossed(walls, line, px, py):
                    continue
                if not _crossed(texts, line, px, py) and not _cuts(leaders, line):
                    return (label, k), crossing, blockers
                crossing = crossing or (label, k)
    return crowded, crossing, blockers


def _at(spec: LabelSpec, k: int, option: tuple, text: tuple, scale: float) -> Placed:
    """``spec`` at the ``k``-th of its ``candidates`` (``option``), its text (box, height, frozen
    properties, rotation) there; a fading label's text at its feature's opacity."""
    (dx, dy, ha, va), (box, h, frozen, rotation) = option, text
    if spec.alpha < 1.0:  # fades with its feature (a text sprite per fade step)
        frozen = _frozen({**dict(frozen), "alpha": spec.alpha})
    ring = max(k - int(spec.centred), 0) // 8  # 8 positions a ring (``candidates``)
    return Placed(spec, dx / scale, dy / scale, ha, va, rotation, frozen, box, h, ring)


def leader(label: Placed, px: float, py: float, dpi: float) -> tuple[tuple[float, float], ...] | None:
    """A line from near the anchor (px, py) of a label placed on a far ring to its box (display
    pixels, y up), so that the text is seen to name that marker; None for a label next to its anchor
    or on an area or line (those are centred on what they name)."""
    if label.ring < 1 or label.spec.centred:
        return None
    x0, y0, x1, y1 = label.box
    ex, ey = min(max(px, x0), x1), min(max(py, y0), y1)  # the box's point nearest the anchor
    length = math.hypot(ex - px, ey - py)
    scale = dpi / 72.0
    gap = (max(abs(label.dx), abs(label.dy)) - label.ring * FAR_STEP) * scale  # the first ring: clear
    #                                                                           of the marker
    if length - gap < LEADER_MIN_PT * scale:
        return None
    ux, uy = (ex - px) / length, (ey - py) / length
    return ((px + ux * gap, py + uy * gap), (ex, ey))


def _along(line, step: float = 8.0) -> list[tuple[float, float]]:
    """Points every ``step`` pixels along a leader (none for None)."""
    if line is None:
        return []
    (x0, y0), (x1, y1) = line
    n = max(int(math.hypot(x1 - x0, y1 - y0) / step), 1)
    return [(x0 + (x1 - x0) * i / n, y0 + (y1 - y0) * i / n) for i in range(n + 1)]


def _nearest_own(own: list[tuple], symbols: BoxIndex, box: Extents) -> bool:
    """Whether no other symbol comes as near ``box`` as its own symbols (``own``) do."""
    gap = min(max(b[0] - box[2], box[0] - b[2], b[1] - box[3], box[1] - b[3], 0.0) for b in own) + 1.0
    grown = (box[0] - gap, box[1] - gap, box[2] + gap, box[3] + gap)
    return all(b in own for b in symbols.meeting(grown))


def _cuts(leaders: list[tuple], line) -> bool:
    """Whether the leader ``line`` cuts one of ``leaders`` (two titles' leaders crossing: which
    title names which star is then hard to tell)."""
    if line is None:
        return False
    (x1, y1), (x2, y2) = line
    for (x3, y3), (x4, y4) in leaders:
        d = (x2 - x1) * (y4 - y3) - (y2 - y1) * (x4 - x3)
        if d:
            t = ((x3 - x1) * (y4 - y3) - (y3 - y1) * (x4 - x3)) / d
            u = ((x3 - x1) * (y2 - y1) - (y3 - y1) * (x2 - x1)) / d
            if 0 < t < 1 and 0 < u < 1:
                return True
    return False


def _crossed(texts: list[Extents], line, px: float, py: float) -> bool:
    """Whether a leader crosses a label placed (not one over its anchor: it comes out from under that)."""
    if line is None:
        return False
    (x0, y0), (x1, y1) = line
    lx0, lx1, ly0, ly1 = min(x0, x1), max(x0, x1), min(y0, y1), max(y0, y1)  # boxes beside it: not met
    return any(_meets(x0, y0, x1, y1, box) for box in texts
               if box[0] <= lx1 and lx0 <= box[2] and box[1] <= ly1 and ly0 <= box[3]
               and not (box[0] <= px <= box[2] and box[1] <= py <= box[3]))


def _meets(x0: float, y0: float, x1: float, y1: float, box: Extents) -> bool:
    """Whether the segment (x0, y0)-(x1, y1) meets ``box`` (Liang-Barsky clipping)."""
    t0, t1, dx, dy = 0.0, 1.0, x1 - x0, y1 - y0
    for p, q in ((-dx, x0 - box[0]), (dx, box[2] - x0), (-dy, y0 - box[1]), (dy, box[3] - y0)):
        if p == 0:
            if q < 0:
                return False
            continue
        r = q / p
        if p < 0:
            t0 = max(t0, r)
        else:
            t1 = min(t1, r)
        if t0 > t1:
            return False
    return True


def draw_leaders(renderer, plan: list[Placed], anchors, dpi: float) -> None:
    """The ``leader`` of each far label of ``plan`` (anchors in display pixels), drawn before the
    texts: a thin line in the label's colour over a paper-coloured edge, as its text is set."""
    lines = [(line, label) for label, (px, py) in zip(plan, anchors, strict=True)
             if np.isfinite(px) and np.isfinite(py) and (line := leader(label, px, py, dpi)) is not None]
    if not lines:
        return
    gc = renderer.new_gc()
    gc.set_capstyle("round")
    for width, paper in ((2.2, True), (0.8, False)):
        gc.set_linewidth(width)
        for line, label in lines:
            props = dict(label.props)
            colour = PAPER if paper else props.get("color", INK)
            gc.set_foreground(to_rgba(colour, (0.85 if paper else 0.9) * label.spec.alpha), isRGBA=True)
            renderer.draw_path(gc, Path(line), IdentityTransform())
    gc.restore()


def centred_text(ax, label: Placed, zorder: float = 1000.0):
    """A plan's label centred on its anchor, as a plain Text without a halo: what the text sprites
    draw for text FreeType cannot lay out alone (several lines, math, shaped scripts), setting it
    in their own halo (``glyphs.haloed``)."""
    s = label.spec
    return ax.text(s.x, s.y, s.text, ha="center", va="center", rotation=label.rotation,
                   rotation_mode="anchor", zorder=zorder,
                   **{k: list(v) if isinstance(v, tuple) else v for k, v in label.props})

