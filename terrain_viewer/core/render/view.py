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
