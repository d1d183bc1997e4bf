"""APP-6 / MIL-STD-2525 unit symbols: milsymbol SVG rasterised by resvg, cached as RGBA arrays.

Numeric 20-digit SIDCs (2525D / APP-6 D) are supported; an invalid SIDC gives a plain marker
in the side's frame colour so a unit is never silently lost.
"""

from __future__ import annotations

import io
import logging
import re
from dataclasses import dataclass
from functools import cached_property, lru_cache

import matplotlib.image as mpimg
import numpy as np

log = logging.getLogger(__name__)

SYMBOL_FONT = "DejaVu Sans"
HALO = "#f4eedb"  # the map's paper colour
SIDE_COLOURS = {"cn": "#80e0ff", "jp": "#ff8080"}  # APP-6 friend / hostile fill
UNKNOWN_COLOUR = "#ffff80"


@dataclass(frozen=True)
class SymbolImage:
    """An RGBA symbol image (row 0 = top) and the pixel of its anchor (the unit's position)."""

    rgba: np.ndarray
    anchor: tuple[float, float]  # x, y in pixels from the image's top-left corner
    valid: bool

    @cached_property
    def upside_down(self) -> np.ndarray:
        """``rgba`` with row 0 at the bottom (Agg's image order), made once per symbol."""
        return np.ascontiguousarray(self.rgba[::-1])


@lru_cache(maxsize=1024)
def unit_symbol(sidc: str, designation: str = "", higher: str = "", size: int = 30,
                side: str = "") -> SymbolImage:
    """The symbol for ``sidc`` at ``size`` pixels with its text amplifiers (cached)."""
    import milsymbol

    sidc = str(sidc or "").strip()
    symbol = milsymbol.Symbol(sidc, size=size, uniqueDesignation=designation or "",
                              higherFormation=higher or "", font_family=SYMBOL_FONT,
                              outline_width=4, outline_color="white")
    if not sidc or not symbol.is_valid():
        return fallback_symbol(side, size)
    try:
        rgba = _rasterise(_halo_text(symbol.as_svg()))
    except (ValueError, OSError) as exc:  # resvg refuses an SVG with ValueError; the PNG read: OSError
        log.warning("cannot draw symbol %s (%s); using a plain marker", sidc, exc)
        return fallback_symbol(side, size)
    anchor = symbol.get_anchor()
    return SymbolImage(rgba, (float(anchor["x"]), float(anchor["y"])), True)


def _halo_text(svg: str) -> str:
    """Give the text amplifiers a paper-coloured halo so they stay legible over the map."""
    halo = (f'stroke-width="10" stroke="{HALO}" stroke-opacity="0.85" stroke-linejoin="round" '
            'paint-order="stroke"')
    return re.sub(r'(<text\b[^>]*?)stroke-width="[^"]*" stroke="none"', rf"\1{halo}", svg)


def _rasterise(svg: str) -> np.ndarray:
    """SVG text to an (H, W, 4) uint8 RGBA array."""
    import resvg_py

    png = resvg_py.svg_to_bytes(svg_string=svg, sans_serif_family=SYMBOL_FONT)
    image = mpimg.imread(io.BytesIO(bytes(png)), format="png")
    if image.dtype != np.uint8:
        image = (np.clip(image, 0, 1) * 255 + 0.5).astype(np.uint8)
    if image.shape[2] == 3:
        image = np.dstack([image, np.full(image.shape[:2], 255, np.uint8)])
    return np.ascontiguousarray(image)


@lru_cache(maxsize=64)
def fallback_symbol(side: str, size: int) -> SymbolImage:
    """A plain framed disc in the side's colour, for units whose SIDC cannot be drawn."""
    from matplotlib.colors import to_rgba

    n = max(int(size * 0.7), 6)
    yy, xx = np.mgrid[0:n, 0:n] + 0.5
    r = np.hypot(xx - n / 2, yy - n / 2)
    fill = np.array(to_rgba(SIDE_COLOURS.get(side, UNKNOWN_COLOUR))) * 255
    rgba = np.zeros((n, n, 4), np.uint8)
    rgba[r <= n / 2 - 0.5] = (0, 0, 0, 255)
    rgba[r <= n / 2 - 2.0] = fill.astype(np.uint8)
    return SymbolImage(rgba, (n / 2, n / 2), False)


def spread(points: np.ndarray, half_sizes: np.ndarray, iterations: int = 40, step: float = 0.5) -> np.ndarray:
    """Push overlapping symbols apart; return new (n, 2) pixel positions.

    ``half_sizes`` is (n, 2): half width and half height of each symbol's frame. Each pair that
    overlaps (inside the ellipse spanned by their summed half sizes) is pushed apart along the
    line between them, so the result varies smoothly as units glide (no jumps between frames).
    Coincident points separate in a direction fixed by their order, which keeps renders
    deterministic. Only pairs near each other at the start are considered (cheap for lone units).
    """
    p = np.asarray(points, dtype=float).copy()
    n = len(p)
    if n < 2:
        return p
    hs = np.asarray(half_sizes, dtype=float)
    i, j = np.triu_indices(n, k=1)
    span = hs[i] + hs[j]
    rel = (p[i] - p[j]) / span
    near = np.hypot(rel[:, 0], rel[:, 1]) < 1.0 + 0.25 * iterations * step
    i, j, span = i[near], j[near], span[near]
    if not len(i):
        return p
    golden = np.arange(n) * 2.399963
    fallback = np.stack([np.cos(golden), np.sin(golden)], axis=1)
    x, y = p[:, 0].copy(), p[:, 1].copy()  # one contiguous array per axis: fewer, faster numpy calls
    sx, sy = span[:, 0].copy(), span[:, 1].copy()
    for _ in range(iterations):
        rx, ry = (x[i] - x[j]) / sx, (y[i] - y[j]) / sy
        dist = np.hypot(rx, ry)
        overlap = np.clip(1.0 - dist, 0.0, None)
        if not overlap.any():
            break
        same = dist < 1e-9
        safe = np.where(same, 1.0, dist)
        dx, dy = rx / safe, ry / safe
        if same.any():
            turn = fallback[i[same]] - fallback[j[same]]
            dx[same], dy[same] = turn[:, 0], turn[:, 1]
        k = 0.5 * step * overlap
        push_x, push_y = k * dx * sx, k * dy * sy  # summed per symbol (bincount: np.add.at is ~5x slower)
        x += np.bincount(i, push_x, minlength=n) - np.bincount(j, push_x, minlength=n)
        y += np.bincount(i, push_y, minlength=n) - np.bincount(j, push_y, minlength=n)
    return np.stack([x, y], axis=1)
