"""View maths: frame sizes, fitting a map extent to a pixel aspect, map ↔ pixel coordinates."""

from __future__ import annotations

from terrain_viewer.core.model import Extent

SIZE_PRESETS = {"720p": (1280, 720), "1080p": (1920, 1080), "1440p": (2560, 1440), "4k": (3840, 2160)}


def fit_view(view: Extent, size: tuple[int, int]) -> Extent:
    """Expand ``view`` to the pixel aspect of ``size`` (width, height), keeping its centre."""
    x0, y0, x1, y1 = (float(v) for v in view)
    w, h = size
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    dx, dy = max(x1 - x0, 1e-9), max(y1 - y0, 1e-9)
    if dx / dy < w / h:
        dx = dy * w / h
    else:
        dy = dx * h / w
    return (cx - dx / 2, cy - dy / 2, cx + dx / 2, cy + dy / 2)


def map_to_pixel(x: float, y: float, view: Extent, size: tuple[int, int]) -> tuple[float, float]:
    """Map coordinates to pixel (column, row from the top) in a render of ``view`` at ``size``."""
    x0, y0, x1, y1 = fit_view(view, size)
    w, h = size
    return (x - x0) / (x1 - x0) * w, (y1 - y) / (y1 - y0) * h


def pixel_to_map(px: float, py: float, view: Extent, size: tuple[int, int]) -> tuple[float, float]:
    """Pixel (column, row from the top) to map coordinates."""
    x0, y0, x1, y1 = fit_view(view, size)
    w, h = size
    return x0 + px / w * (x1 - x0), y1 - py / h * (y1 - y0)


def half_view(view: Extent, size: tuple[int, int], half_width: int) -> Extent:
    """The part of ``view`` (fitted to ``size``) ``half_width`` pixels wide around its centre, full height."""
    x0, y0, x1, y1 = fit_view(view, size)
    per_px = (x1 - x0) / size[0]
    cx = (x0 + x1) / 2
    return (cx - per_px * half_width / 2, y0, cx + per_px * half_width / 2, y1)


def axes_view(ax) -> Extent:
    """The extent an Axes shows."""
    (x0, x1), (y0, y1) = ax.get_xlim(), ax.get_ylim()
    return (x0, y0, x1, y1)


def rounded(view: Extent) -> tuple:
    """A view as a cache key (micro-units, so float noise does not miss the cache)."""
    return tuple(round(float(v), 6) for v in view)


def fit_clear(extent: Extent, size: tuple[int, int], blocked: list[Extent], pad: float = 0.06) -> Extent:
    """A view of ``size`` pixels that shows ``extent`` as large as it fits in the frame's part clear
    of ``blocked`` (pixel boxes x0, y0, x1, y1 with rows from the top: the furniture), with ``pad``
    of that part free around it (an extent with no area: give it one first, ``ViewerModel.at_least``)."""
    w, h = size
    dx, dy = max(extent[2] - extent[0], 1e-9), max(extent[3] - extent[1], 1e-9)
    best, room = 0.0, (0.0, 0.0, float(w), float(h))
    for rect in _clear_rects(size, blocked):
        scale = min((rect[2] - rect[0]) / dx, (rect[3] - rect[1]) / dy) * (1 - 2 * pad)
        if scale > best * 1.0001:  # the first found wins a tie
            best, room = scale, rect
    per_px = 1.0 / best
    cx, cy = (extent[0] + extent[2]) / 2, (extent[1] + extent[3]) / 2
    x0 = cx - (room[0] + room[2]) / 2 * per_px
    y1 = cy + (room[1] + room[3]) / 2 * per_px
    return (x0, y1 - h * per_px, x0 + w * per_px, y1)


def _clear_rects(size: tuple[int, int], blocked: list[Extent]) -> list[Extent]:
    """The rectangles of the frame meeting none of ``blocked``, bounded by the frame's or the boxes'
    edges (the frame itself first when nothing blocks it)."""
    w, h = size
    boxes = [b for b in blocked if b[0] < w and b[2] > 0 and b[1] < h and b[3] > 0]
    lefts, rights = [0.0, *(b[2] for b in boxes)], [float(w), *(b[0] for b in boxes)]
    tops, bottoms = [0.0, *(b[3] for b in boxes)], [float(h), *(b[1] for b in boxes)]
    out = []
    for x0 in lefts:
        for x1 in (r for r in rights if r > x0 + 0.25 * w):
            for y0 in tops:
                for y1 in (b for b in bottoms if b > y0 + 0.25 * h):
                    if not any(b[0] < x1 and x0 < b[2] and b[1] < y1 and y0 < b[3] for b in boxes):
                        out.append((x0, y0, x1, y1))
    return out or [(0.0, 0.0, float(w), float(h))]
