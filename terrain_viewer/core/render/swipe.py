"""Compare two layer groups: a swipe (group A left of a divider, group B right) or side by side.

Both are plain compositions of ``MapRenderer.render(..., layers=...)``, so the window, the render
command and exports draw them alike. Layers of any other group, and the furniture, are on both
sides; the basemap belongs to the group its spec names (default "modern").
"""

from __future__ import annotations

import numpy as np

from terrain_viewer.core.model import Extent, ViewerModel
from terrain_viewer.core.render.renderer import BASEMAP, MapRenderer, fit_view

DIVIDER = (31, 59, 87)  # the divider line's colour (the window's dark blue)


def basemap_group(model: ViewerModel) -> str | None:
    return str(model.basemap.get("group", "modern")) if model.basemap else None


def group_layers(model: ViewerModel, group: str, other: str) -> set[str]:
    """What one side shows: its group and every group that is not the other side's."""
    names = {s.name for s in model.layer_states if s.group != other}
    if basemap_group(model) not in (None, other):
        names.add(BASEMAP)
    return names


def sides(model: ViewerModel) -> tuple[set[str], set[str]]:
    """The layer names of the left and the right side of a comparison."""
    swipe = model.swipe
    return (group_layers(model, swipe.left_group, swipe.right_group),
            group_layers(model, swipe.right_group, swipe.left_group))


def render_swipe(renderer: MapRenderer, t: float | None, size: tuple[int, int], view: Extent | None,
                 dpi: float) -> np.ndarray:
    """The left group left of ``model.swipe.position`` and the right group right of it.

    The legend, caption, scale bar, credits and the basemap's attribution are the same on both
    renders, so they read as drawn once over the whole frame.
    """
    left_layers, right_layers = sides(renderer.model)
    renderer.frame_layers = left_layers | right_layers  # one set of credits and attribution, not split
    try:
        left = renderer.render(t, size, view, dpi, layers=left_layers)
        right = renderer.render(t, size, view, dpi, layers=right_layers)
    finally:
        renderer.frame_layers = None
    x = int(round(renderer.model.swipe.position * left.shape[1]))
    out = left
    out[:, x:] = right[:, x:]
    if 0 < x < out.shape[1]:
        out[:, max(x - 1, 0):x + 1, :3] = DIVIDER
    return out


def render_side_by_side(renderer: MapRenderer, t: float | None, size: tuple[int, int], view: Extent | None,
                        dpi: float, gutter: int = 4) -> np.ndarray:
    """The two groups next to each other at the same scale, each centred on the view's centre."""
    model = renderer.model
    w, h = size
    half = ((w - gutter) // 2, h)
    x0, y0, x1, y1 = fit_view(view or model.view, size)
    per_px = (x1 - x0) / w
    cx = (x0 + x1) / 2
    half_view = (cx - per_px * half[0] / 2, y0, cx + per_px * half[0] / 2, y1)
    left_layers, right_layers = sides(model)
    left = renderer.render(t, half, half_view, dpi, layers=left_layers)
    right = renderer.render(t, half, half_view, dpi, layers=right_layers)
    out = np.empty((h, w, 4), np.uint8)
    out[...] = (*DIVIDER, 255)
    out[:, :half[0]] = left
    out[:, w - half[0]:] = right
    return out
