"""Display-space boxes in a uniform grid for the label planner: does a new box overlap any of them,
which boxes hold a point. A box may name its owner (a fifth item, a layer name): the labels of that
owner are not kept off it."""

from __future__ import annotations

import math

from matplotlib.transforms import Bbox

CELL = 48  # grid cell of the box index, pixels at 100 dpi (scaled with the dpi)
_ROW = 1 << 20  # cell key = column * _ROW + row


class BoxIndex:
    """Display-space boxes in a uniform grid: does a new box overlap any of them?

    A cell is keyed by one int (column * ``_ROW`` + row); two cells that share a key (only far
    outside any frame) merely share a list: every query still tests the boxes themselves."""

    def __init__(self, boxes=(), cell: float = CELL):
        self.cell = max(float(cell), 8.0)
        self._cells: dict[int, list[tuple]] = {}
        self.add_all(boxes)

    def __bool__(self) -> bool:
        return bool(self._cells)

    def copy(self) -> BoxIndex:
        """An index of the same boxes that can be added to without changing this one."""
        other = BoxIndex((), self.cell)
        other._cells = {key: list(boxes) for key, boxes in self._cells.items()}
        return other

    def add(self, box) -> None:
        """Add a box: a Bbox, (x0, y0, x1, y1), or (x0, y0, x1, y1, owner)."""
        self.add_all((box,))

    def add_all(self, boxes) -> None:
        """Add each box of ``boxes`` (as ``add``; a frame's few hundred symbols at once: this loop
        is written out, one call per box cost a plan 10 %)."""
        c, cells, floor, isfinite = self.cell, self._cells, math.floor, math.isfinite
        for box in boxes:
            raw = box.extents if isinstance(box, Bbox) else box
            x0, y0, x1, y1 = float(raw[0]), float(raw[1]), float(raw[2]), float(raw[3])
            if not isfinite(x0 + y0 + x1 + y1) or x1 - x0 > 1e6:  # a sum with inf or nan is not finite
                continue
            extents = (x0, y0, x1, y1, raw[4]) if len(raw) > 4 and raw[4] else (x0, y0, x1, y1)
            j0, j1 = floor(y0 / c), floor(y1 / c)
            for i in range(floor(x0 / c) * _ROW, (floor(x1 / c) + 1) * _ROW, _ROW):
                for key in range(i + j0, i + j1 + 1):
                    got = cells.get(key)
                    if got is None:
                        cells[key] = [extents]
                    else:
                        got.append(extents)

    def _keys(self, x0: float, y0: float, x1: float, y1: float) -> list[int]:
        """The keys of the cells a box covers."""
        c = self.cell
        i0, i1, j0, j1 = math.floor(x0 / c), math.floor(x1 / c), math.floor(y0 / c), math.floor(y1 / c)
        if i0 == i1 and j0 == j1:
            return [i0 * _ROW + j0]
        return [key for i in range(i0 * _ROW, (i1 + 1) * _ROW, _ROW) for key in range(i + j0, i + j1 + 1)]

    def _overlapping(self, extents: tuple):
        """The boxes that overlap ``extents``, cell by cell (a box in two cells comes twice)."""
        x0, y0, x1, y1 = extents
        cells = self._cells
        for key in self._keys(x0, y0, x1, y1):
            for box in cells.get(key, ()):
                if x0 < box[2] and box[0] < x1 and y0 < box[3] and box[1] < y1:
                    yield box

    def blocker(self, extents: tuple, owner: str = "", lines: bool = True) -> tuple | None:
        """A box that overlaps ``extents`` and is not ``owner``'s (None: none does); without
        ``lines``, boxes that name an owner (a layer's lines and outlines) are not in the way."""
        x0, y0, x1, y1 = extents  # the loop of ``_overlapping`` written out: this is the label
        c, cells = self.cell, self._cells  # planner's innermost call (a generator cost its plan 18 %)
        j0, j1 = math.floor(y0 / c), math.floor(y1 / c)
        for i in range(math.floor(x0 / c) * _ROW, (math.floor(x1 / c) + 1) * _ROW, _ROW):
            for key in range(i + j0, i + j1 + 1):
                for box in cells.get(key, ()):
                    if x0 < box[2] and box[0] < x1 and y0 < box[3] and box[1] < y1 and not owned(box, owner) \
                            and (lines or not named(box)):
                        return box
        return None

    def meeting(self, extents: tuple) -> list[tuple]:
        """Every box that overlaps ``extents`` (each once)."""
        return list(dict.fromkeys(self._overlapping(extents)))

    def containing(self, px: float, py: float) -> list[tuple]:
        """The boxes that hold the point (px, py)."""
        key = math.floor(px / self.cell) * _ROW + math.floor(py / self.cell)
        return [b for b in self._cells.get(key, ()) if b[0] <= px <= b[2] and b[1] <= py <= b[3]]


def named(box: tuple) -> bool:
    """Whether ``box`` names the layer it belongs to (a layer's lines and outlines do)."""
    return len(box) > 4


def owned(box: tuple, owner: str) -> bool:
    """Whether ``box`` names ``owner`` (a non-empty owner) as its owner."""
    return bool(owner) and box[4:] == (owner,)
