"""Label placement: greedy by priority, never overlapping, bounded however many labels are asked.

Painters hand labels over as ``LabelSpec``s; ``place_labels`` places them after all layers are
drawn, at the first free of a few candidate positions around the anchor. Placed boxes are kept in
a grid index, so a test costs the boxes nearby, not all boxes; and a crowd limit closes a grid
cell after repeated failures, so thousands of labels in a dense area are thinned by priority
(city and rivers first, then the other places, then spot heights) without measuring each one.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field

import matplotlib.patheffects as pe
import numpy as np
from matplotlib.colors import to_rgba
from matplotlib.transforms import Bbox

from terrain_viewer.core.render.symbology import PAPER

# who wins a crowded spot: higher first
PRIORITY = {"event": 20, "city": 10, "river": 8, "airfield": 7, "station": 7, "gate": 6, "place": 5,
            "spot_height": 4, "generic": 3}
CELL = 48  # grid cell of the placed-box index, pixels
CELL_FAILURES = 12  # labels that found no room around an anchor in a cell before the cell is closed
PAD = (1.06, 1.15)  # a placed box keeps this much clear around its text (width, height factors)


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


def halo(width: float = 2.6, colour=PAPER, alpha: float = 0.85) -> list:
    """A paper-coloured outline that keeps text and symbols readable over anything."""
    return [pe.withStroke(linewidth=width, foreground=to_rgba(colour, alpha))]


class BoxIndex:
    """Display-space boxes in a uniform grid: does a new box overlap any of them?"""

    def __init__(self, boxes: list[Bbox] = ()):
        self._cells: dict[tuple[int, int], list[tuple]] = defaultdict(list)
        for box in boxes:
            self.add(box)

    @staticmethod
    def _span(x0: float, y0: float, x1: float, y1: float):
        for i in range(math.floor(x0 / CELL), math.floor(x1 / CELL) + 1):
            for j in range(math.floor(y0 / CELL), math.floor(y1 / CELL) + 1):
                yield i, j

    def add(self, box: Bbox) -> None:
        extents = tuple(box.extents)
        if not np.isfinite(extents).all():
            return
        for cell in self._span(*extents):
            self._cells[cell].append(extents)

    def overlaps(self, extents: tuple) -> bool:
        x0, y0, x1, y1 = extents
        for cell in self._span(*extents):
            for a0, b0, a1, b1 in self._cells.get(cell, ()):
                if x0 < a1 and a0 < x1 and y0 < b1 and b0 < y1:
                    return True
        return False


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


def _shifted(px: float, py: float, w: float, h: float, dx: float, dy: float, ha: str, va: str) -> tuple:
    """The padded box of a ``w`` x ``h`` text placed at display (px + dx, py + dy) with ha/va."""
    x = px + dx - {"left": 0.0, "center": w / 2, "right": w}[ha]
    y = py + dy - {"bottom": 0.0, "center": h / 2, "top": h}[va]
    return _padded((x, y, x + w, y + h))


def _padded(extents: tuple) -> tuple:
    x0, y0, x1, y1 = extents
    mx, my = (x1 - x0) * (PAD[0] - 1) / 2, (y1 - y0) * (PAD[1] - 1) / 2
    return (x0 - mx, y0 - my, x1 + mx, y1 + my)


def place_labels(ax, renderer, specs: list[LabelSpec], zorder: float = 1000.0,
                 taken: list | None = None) -> list:
    """Place labels greedily by priority at the first free candidate position; drop the rest.

    ``taken`` (display-space Bboxes) is extended with the boxes used, so later calls avoid them.
    """
    taken = [] if taken is None else taken
    placer = _Placer(ax, renderer, BoxIndex(taken), zorder)
    failures: dict[tuple[int, int], int] = defaultdict(int)
    frame = placer.frame
    order = sorted(range(len(specs)), key=lambda i: -specs[i].priority)
    anchors = ax.transData.transform([(s.x, s.y) for s in specs]) if specs else np.zeros((0, 2))
    artists = []
    try:
        for i in order:
            spec, (px, py) = specs[i], anchors[i]
            cell = (math.floor(px / CELL), math.floor(py / CELL))
            outside = not (frame[0] <= px <= frame[2] and frame[1] <= py <= frame[3])
            if outside or failures[cell] >= CELL_FAILURES:
                continue
            placed = placer.place(spec, (px, py))
            if placed is None:
                failures[cell] += 1
                continue
            text, box = placed
            placer.index.add(box)
            taken.append(box)
            artists.append(text)
    finally:
        placer.close()
    return artists


def _inside(extents: tuple, frame) -> bool:
    x0, y0, x1, y1 = extents
    return frame[0] <= x0 and x1 <= frame[2] and frame[1] <= y0 and y1 <= frame[3]


class _Placer:
    """Tries a label's candidate positions against the placed boxes."""

    def __init__(self, ax, renderer, index: BoxIndex, zorder: float):
        self.ax, self.renderer, self.index, self.zorder = ax, renderer, index, zorder
        self.frame = ax.bbox.extents
        self.scale = ax.figure.dpi / 72.0
        self._probes: dict[str, object] = {}  # one measuring text per text style

    def close(self) -> None:
        for probe in self._probes.values():
            probe.remove()
        self._probes.clear()

    def size(self, spec: LabelSpec, props: dict) -> tuple[float, float]:
        """Width and height of the upright label in pixels, measured with a reused text."""
        key = repr(sorted(props.items()))
        probe = self._probes.get(key)
        if probe is None:
            probe = self._probes[key] = self.ax.text(0, 0, "", ha="left", va="bottom", **props)
        probe.set_text(spec.text)
        x0, y0, x1, y1 = probe.get_window_extent(self.renderer).extents
        return x1 - x0, y1 - y0

    def place(self, spec: LabelSpec, anchor: tuple) -> tuple[object, Bbox] | None:
        """The label's text artist at its first free candidate position and its padded box, or None."""
        props = dict(spec.props)
        along = props.pop("along", None)
        w, h = self.size(spec, props) if not along else (0.0, 0.0)
        text = None
        for dx, dy, ha, va in _candidates(spec):
            if not along:  # upright: the box is known without laying the text out
                guess = _shifted(*anchor, w, h, dx * self.scale, dy * self.scale, ha, va)
                if not _inside(guess, self.frame) or self.index.overlaps(guess):
                    continue
            if text is None:
                text = self.ax.annotate(spec.text, (spec.x, spec.y), xytext=(dx, dy),
                                        textcoords="offset points", ha=ha, va=va,
                                        rotation=_angle(self.ax, spec, along), rotation_mode="anchor",
                                        zorder=self.zorder, annotation_clip=False, **props)
            else:
                text.xyann = (dx, dy)
                text.set_ha(ha)
                text.set_va(va)
            box = _padded(tuple(text.get_window_extent(self.renderer).extents))
            if _inside(box, self.frame) and not self.index.overlaps(box):
                text.set_path_effects(halo(2.4))
                return text, Bbox.from_extents(*box)
        if text is not None:
            text.remove()
        return None
