"""Unit symbols: APP-6 icons at their (gliding) positions, pushed apart where they overlap, with a
leader line back to the true position, composited into the frame in pixel space."""

from __future__ import annotations

import threading
from collections import OrderedDict

import numpy as np
from matplotlib.colors import to_rgba
from matplotlib.path import Path
from matplotlib.transforms import Affine2D, IdentityTransform

from terrain_viewer.core.data.roles import default_label_field
from terrain_viewer.core.render.primitives import point_xy
from terrain_viewer.core.render.sprites import composite
from terrain_viewer.core.render.symbol_cache import cached_symbol
from terrain_viewer.core.render.symbology import INK, clean_style
from terrain_viewer.core.render.symbols import spread

UNIT_LAYERS = {"units"}
ECHELON_SCALE = {"army": 1.15, "corps": 1.1, "division": 1.0, "brigade": 0.9, "regiment": 0.9,
                 "battalion": 0.8, "company": 0.75, "platoon": 0.7}
UNIT_SIZE_PT = 17.0  # milsymbol icon size in points (scaled by dpi)
CROWD = 300  # more units than this in view: no text amplifiers and no decluttering


def draw_units(fig, canvas, gdf, style: dict, opacity: float, dpi: float, boxes: list | None = None) -> None:
    """Draw the units of ``gdf`` (their clean ``style``) onto the figure's Agg buffer.

    With ``boxes`` (a list), the symbols are drawn without text amplifiers and each symbol's
    display box and designation are appended as ``(x0, y0, x1, y1, designation, px, py)`` (pixels,
    y up; px, py: the symbol's anchor), for the label placer to name them.
    """
    if not len(gdf):
        return
    buffer = np.asarray(canvas.buffer_rgba())
    renderer = canvas.get_renderer()
    height, width = buffer.shape[:2]
    keep, true_xy, placed, sizes = layout(gdf, fig.axes[0].transData.transform(point_xy(gdf)), width, height,
                                          style, dpi)
    if not len(true_xy):
        return
    crowded = len(true_xy) > CROWD  # thousands of units: plain symbols, no text, no declutter
    sidc, side = (_column(gdf, c, keep) for c in ("sidc", "side"))
    blank = [""] * len(true_xy)
    field = label_column(gdf, style)
    named = blank if crowded or field is None else _column(gdf, field, keep)  # their map labels
    designation = blank if crowded or boxes is not None else _column(gdf, "designation", keep)
    higher = blank if crowded or boxes is not None else _column(gdf, "higher", keep)
    symbols = [cached_symbol(*args) for args in zip(sidc, designation, higher, sizes, side, strict=True)]
    _draw_leaders(fig, canvas, true_xy, placed, opacity)
    gc = renderer.new_gc()
    anchors = np.array([sym.anchor for sym in symbols], dtype=float).reshape(-1, 2)
    lefts = np.rint(placed[:, 0] - anchors[:, 0]).astype(int).tolist()  # rint rounds as round() does
    tops = np.rint(height - placed[:, 1] - anchors[:, 1]).astype(int).tolist()
    for i in np.argsort(-np.asarray(sizes), kind="stable").tolist():  # the larger first, then in order
        sym, (px, py), left, top = symbols[i], placed[i], lefts[i], tops[i]
        if opacity >= 1.0:  # Agg's blend (C++), one graphics context for all the symbols
            image = sym.upside_down
            renderer.draw_image(gc, left, height - top - image.shape[0], image)
        else:
            composite(buffer, sym.rgba, left, top, opacity)
        if boxes is not None:
            h, w = sym.rgba.shape[:2]
            boxes.append((left, height - top - h, left + w, height - top, named[i], px, py))
    gc.restore()


def label_column(gdf, style: dict) -> str | None:
    """The column units are named by on the map: the user's label field, else ``designation``,
    else the layer's name-like column (a user's units with a ``name`` were left unnamed)."""
    chosen = style.get("label_field")
    if chosen in gdf.columns:
        return chosen
    return "designation" if "designation" in gdf.columns else default_label_field(gdf)


def layout(gdf, true_xy: np.ndarray, width: int, height: int, style: dict, dpi: float
           ) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[int]]:
    """Where the units of ``gdf`` at display pixels ``true_xy`` (y up) are drawn in a frame of
    ``width`` x ``height``: the rows kept (near the frame), their true and drawn positions (pushed
    apart where they overlap) and their symbols' sizes in pixels."""
    keep = ((true_xy[:, 0] > -100) & (true_xy[:, 0] < width + 100) & (true_xy[:, 1] > -100)
            & (true_xy[:, 1] < height + 100))
    true_xy = true_xy[keep]
    echelon = _column(gdf, "echelon", keep)
    base = style.get("marker_size", UNIT_SIZE_PT) * dpi / 72.0
    size_of = {e: max(int(round(base * ECHELON_SCALE.get(e, 0.8))), 8) for e in set(echelon)}
    sizes = [size_of[e] for e in echelon]
    half = _frames(sizes)
    crowded = len(true_xy) > CROWD
    placed = spread_once(true_xy, half) if len(true_xy) and style.get("declutter", True) and not crowded \
        else true_xy
    return keep, true_xy, placed, sizes


def _frames(sizes: list[int]) -> np.ndarray:
    """(n, 2) half width and half height of each symbol's frame (pixels), from its size."""
    return np.array([(0.8 * size, 0.62 * size) for size in sizes]).reshape(-1, 2)


def symbols_at(gdf, true_xy: np.ndarray, size: tuple[int, int], style: dict, dpi: float,
               px: float, py: float, reach: float) -> list[int]:
    """The rows (positions in ``gdf``) of the units whose drawn symbol (its frame, grown by
    ``reach`` pixels) covers display pixel (px, py), y up, the nearest first: identify clicks the
    symbol where it is drawn, which may be pushed away from the unit's true position."""
    if not len(gdf):
        return []
    keep, _, placed, sizes = layout(gdf, true_xy, size[0], size[1], style, dpi)
    half = _frames(sizes) + reach
    off = np.abs(placed - (px, py))
    inside = np.nonzero((off <= half).all(axis=1))[0]
    rows = np.nonzero(keep)[0][inside]
    return [int(r) for r in rows[np.argsort(np.hypot(*off[inside].T), kind="stable")]]


def units_under(model, t: float, view, size: tuple[int, int], dpi: float, px: float, py: float,
                reach: float) -> dict[str, list[int]]:
    """For each visible layer drawn as unit symbols, the rows of its features at ``t`` whose symbol,
    in a frame of ``view`` at ``size`` pixels and ``dpi``, covers pixel (px, py) (y down)."""
    from terrain_viewer.core.render.items import visible_items
    from terrain_viewer.core.render.view import fit_view

    x0, y0, x1, y1 = fit_view(view, size)
    out = {}
    for item in visible_items(model):
        if not item.symbols:
            continue
        gdf = item.obj.features_at(t)
        xy = point_xy(gdf)
        true_xy = np.column_stack([(xy[:, 0] - x0) / (x1 - x0) * size[0],
                                   (xy[:, 1] - y0) / (y1 - y0) * size[1]])  # display pixels, y up
        style = clean_style(item.state.name, item.state.style)
        if rows := symbols_at(gdf, true_xy, size, style, dpi, px, size[1] - py, reach):
            out[item.state.name] = rows
    return out


SPREADS = 256  # the last symbol layouts kept (a day drawn again places its units at once)
_spreads: OrderedDict[bytes, np.ndarray] = OrderedDict()
_spreads_lock = threading.Lock()  # the window's render thread and an export in the GUI's process


def spread_once(points: np.ndarray, half_sizes: np.ndarray) -> np.ndarray:
    """``spread(points, half_sizes)``, kept by its exact inputs: the same positions and sizes give
    the same layout (it is deterministic), worked out once (≈ 1 ms for the shipped units)."""
    key = np.ascontiguousarray(points, dtype=float).tobytes() + b"|" + \
        np.ascontiguousarray(half_sizes, dtype=float).tobytes()
    with _spreads_lock:
        hit = _spreads.get(key)
        if hit is not None:
            _spreads.move_to_end(key)
            return hit.copy()
    placed = spread(points, half_sizes)
    with _spreads_lock:
        _spreads[key] = placed.copy()
        while len(_spreads) > SPREADS:
            _spreads.popitem(last=False)
    return placed


def _draw_leaders(fig, canvas, true_xy: np.ndarray, placed: np.ndarray, opacity: float) -> None:
    """Thin lines from displaced symbols back to a dot at the unit's true position: one path and
    one marker call straight to Agg (as a LineCollection and a Line2D draw them, without the
    artists: 0.5 against 1.7 ms a frame for the shipped units)."""
    moved = np.hypot(*(placed - true_xy).T) > 2.0
    if not moved.any():
        return
    renderer = canvas.get_renderer()
    ends = np.stack([true_xy[moved], placed[moved]], axis=1).reshape(-1, 2)
    codes = np.tile([Path.MOVETO, Path.LINETO], len(ends) // 2).astype(Path.code_type)
    gc = renderer.new_gc()
    gc.set_linewidth(0.7)
    gc.set_foreground(to_rgba(INK, 0.8 * opacity), isRGBA=True)
    renderer.draw_path(gc, Path(ends, codes), IdentityTransform())
    gc.set_linewidth(0)
    dot = Affine2D().scale(renderer.points_to_pixels(2.6) / 2)
    renderer.draw_markers(gc, Path.unit_circle(), dot, Path(true_xy[moved]), IdentityTransform(),
                          to_rgba(INK, opacity))
    gc.restore()


def _column(gdf, name: str, keep: np.ndarray) -> list[str]:
    """One attribute as clean strings ('' for missing), for the kept rows."""
    if name not in gdf.columns:
        return [""] * int(keep.sum())
    return [v.strip() if type(v) is str else _text(v) for v in gdf[name].to_numpy()[keep]]


def _text(value: object) -> str:
    if value is None or (isinstance(value, float) and value != value):
        return ""
    return str(value).strip()
