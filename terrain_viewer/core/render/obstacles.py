"""What the label placer must keep clear of, in display pixels (y up): point symbols and markers,
moving line symbols (front lines), and unit symbols, whose designations become labels."""

from __future__ import annotations

import numpy as np
from matplotlib.collections import LineCollection, PatchCollection
from matplotlib.lines import Line2D

from terrain_viewer.core.render.labels import PRIORITY, LabelSpec
from terrain_viewer.core.render.symbology import INK, SANS

LINE_STEP = 10.0  # points between the small boxes that stand for a line symbol
SYMBOL_PT = 8.0  # markers at least this big are symbols labels keep clear of (events: 13 pt)
Extents = tuple[float, float, float, float]


def keep_clear(artists: list) -> list:
    """Mark point artists as symbols labels keep clear of whatever their size (a researcher's own
    points: small markers, but the subject of the map)."""
    for artist in artists:
        artist.keep_clear = True
    return artists


def marker_boxes(artists: list, dpi: float) -> list[Extents]:
    """The boxes of the markers of point artists (``draw_points`` lines without a line)."""
    boxes: list[Extents] = []
    for artist in artists:
        if not isinstance(artist, Line2D) or artist.get_marker() in (None, "None", "none", ""):
            continue
        if artist.get_linestyle() not in ("None", "none", "", " "):
            continue
        if artist.get_markersize() < SYMBOL_PT and not getattr(artist, "keep_clear", False):
            continue
        xy = np.column_stack([artist.get_xdata(), artist.get_ydata()]).astype(float)
        if not len(xy):
            continue
        px = artist.get_transform().transform(xy)
        r = (artist.get_markersize() / 2 + artist.get_markeredgewidth()) * dpi / 72.0
        boxes += [(x - r, y - r, x + r, y + r) for x, y in px if np.isfinite(x) and np.isfinite(y)]
    return boxes


def line_boxes(artists: list, dpi: float, frame: Extents) -> list[Extents]:
    """Small boxes every ``LINE_STEP`` points along the lines of line and polygon collections, inside
    ``frame``."""
    boxes: list[Extents] = []
    step = LINE_STEP * dpi / 72.0
    fx0, fy0, fx1, fy1 = frame
    for artist in artists:
        if isinstance(artist, LineCollection):
            lines = artist.get_segments()
        elif isinstance(artist, PatchCollection):
            lines = [path.vertices for path in artist.get_paths()]
        else:
            continue
        widths = artist.get_linewidths()
        r = max((max(widths) if len(widths) else 1.0) * dpi / 72.0, 2.0) / 2 + 1.0
        transform = artist.get_transform()
        for segment in lines:
            if len(segment) < 2:
                continue
            px = transform.transform(np.asarray(segment, float))
            for (x, y) in _along(px, step):
                if fx0 <= x <= fx1 and fy0 <= y <= fy1:
                    boxes.append((x - max(r, step / 2), y - r - 1, x + max(r, step / 2), y + r + 1))
    return boxes


def _along(px: np.ndarray, step: float) -> np.ndarray:
    """Points every ``step`` pixels along a polyline (its vertices included)."""
    seg = np.diff(px, axis=0)
    lengths = np.hypot(seg[:, 0], seg[:, 1])
    total = float(lengths.sum())
    if not np.isfinite(total) or total <= 0:
        return px[:1]
    at = np.concatenate([[0.0], np.cumsum(lengths)])
    samples = np.unique(np.concatenate([np.arange(0.0, total, step), at]))
    return np.column_stack([np.interp(samples, at, px[:, 0]), np.interp(samples, at, px[:, 1])])


def unit_labels(ax, drawn: list[tuple], family: list[str] | None = None
                ) -> tuple[list[Extents], list[LabelSpec]]:
    """Unit symbol boxes and their designations as labels (``units.draw_units`` ``boxes``)."""
    boxes, specs = [], []
    if not drawn:
        return boxes, specs
    inverse = ax.transData.inverted()
    anchors = inverse.transform(np.array([(d[5], d[6]) for d in drawn], float))
    for (x0, y0, x1, y1, name, _px, _py), (x, y) in zip(drawn, anchors, strict=True):
        boxes.append((float(x0), float(y0), float(x1), float(y1)))
        if name:
            specs.append(LabelSpec(float(x), float(y), name, PRIORITY["unit"],
                                   {"fontsize": 8, "fontweight": "bold", "color": INK,
                                    "family": family or [SANS]}, offset=2.0))
    return boxes, specs
