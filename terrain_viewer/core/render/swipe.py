"""Compare two layer groups: a swipe (group A left of a divider, group B right) or side by side.

These are the pure helpers: which layers each side shows, the divider, and the side-by-side
composition. ``MapRenderer.render`` draws an enabled swipe itself (two passes, one set of
furniture), so the window, the render command and exports draw it alike. Layers of any other
group, and the furniture, are on both sides; the basemap belongs to the group its spec names
(default "modern").
"""

from __future__ import annotations

from typing import Protocol

import numpy as np

from terrain_viewer.core.model import Extent, ViewerModel
from terrain_viewer.core.render.items import BASEMAP
from terrain_viewer.core.render.view import half_view

DIVIDER = (31, 59, 87)  # the divider line's colour (the window's dark blue)


class Renders(Protocol):
    model: ViewerModel

    def render(self, t: float | None, size: tuple[int, int], view: Extent | None, dpi: float,
               layers: set[str] | None = None) -> np.ndarray: ...


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


def divider_column(position: float, width: int) -> int:
    """The pixel column where the right side starts."""
    return int(round(position * width))


def draw_divider(rgba: np.ndarray, x: int) -> None:
    """The divider line, two pixels wide, left of column ``x`` (in place)."""
    if 0 < x < rgba.shape[1]:
        rgba[:, max(x - 1, 0):x + 1, :3] = DIVIDER


def render_side_by_side(renderer: Renders, t: float | None, size: tuple[int, int], view: Extent | None,
                        dpi: float, gutter: int = 4) -> np.ndarray:
    """The two groups next to each other at the same scale, each centred on the view's centre."""
    model = renderer.model
    w, h = size
    half = ((w - gutter) // 2, h)
    left_layers, right_layers = sides(model)
    part = half_view(view or model.view, size, half[0])
    left = renderer.render(t, half, part, dpi, layers=left_layers)
    right = renderer.render(t, half, part, dpi, layers=right_layers)
    out = np.empty((h, w, 4), np.uint8)
    out[...] = (*DIVIDER, 255)
    out[:, :half[0]] = left
    out[:, w - half[0]:] = right
    return out
