"""The legend's pixels in a frame: those that change when the legend is switched off (labels off,
so that no label moves into the room it leaves). The legend lists the layers a frame draws, so
it cannot be drawn alone through an empty layer filter."""

from __future__ import annotations

import numpy as np

from terrain_viewer.core.model import ViewerModel
from terrain_viewer.core.render.renderer import MapRenderer


def legend_alone(renderer: MapRenderer, model: ViewerModel, **render) -> tuple[np.ndarray, np.ndarray]:
    """The frame ``renderer.render(**render)`` draws with labels off, and the mask of its legend."""
    labels, legend = model.options.labels, model.options.legend
    model.set_options(labels=False, legend=True)
    try:
        shown = renderer.render(**render)
        model.set_options(legend=False)
        without = renderer.render(**render)
    finally:
        model.set_options(labels=labels, legend=legend)
    return shown, (shown[..., :3] != without[..., :3]).any(axis=-1)
