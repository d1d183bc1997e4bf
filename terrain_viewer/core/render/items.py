"""The layers a frame draws, in draw order, and what decides whether one is redrawn."""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from terrain_viewer.core.data.layers import Layer
from terrain_viewer.core.data.raster import RasterLayer
from terrain_viewer.core.model import LayerState, ViewerModel

BASEMAP = "basemap"  # the basemap's name in a ``layers`` filter
UNIT_ROLES = ("units", "generic")  # roles whose sidc column is drawn as APP-6 symbols
FADE_STEPS = 32  # fade opacities are quantised to 1/32 (a cache key, and sprites reused)


def draws_symbols(layer: Layer) -> bool:
    """A vector layer drawn as APP-6 symbols (the ``units`` layer, or any unit-like layer with a
    sidc column)."""
    return "sidc" in layer.gdf.columns and layer.data_role in UNIT_ROLES


@dataclass
class Item:
    """One visible layer in draw order: a vector Layer or a RasterLayer, with its state."""

    state: LayerState
    obj: Layer | RasterLayer
    position: int

    @property
    def symbols(self) -> bool:
        """Drawn as APP-6 symbols in pixel space (see ``draws_symbols``)."""
        return isinstance(self.obj, Layer) and draws_symbols(self.obj)

    @property
    def dated(self) -> bool:
        """A vector layer whose features come and go with the date (drawn as its own cached sprite)."""
        return isinstance(self.obj, Layer) and self.obj.role == "temporal"

    @property
    def moves(self) -> bool:
        """Redrawn every frame: keyframed layers and symbol layers."""
        return isinstance(self.obj, Layer) and (self.obj.role == "keyframes" or self.symbols)

    def key(self, t: float, fade: float = 0.0, lead: float = 0.0) -> tuple:
        """Changes when the layer would be drawn differently at ``t`` with fades of ``fade`` days
        led by ``lead`` (a cache key): its state, its active rows and, while some fade, their
        opacities."""
        active, fading = b"", ()
        if self.dated:
            active = self.obj.active_rows(t).tobytes()  # time offset and events' days included
            steps = self.fades(t, fade, lead)
            if steps is not None:
                fading = (steps.tobytes(),)
        return (*self.state_key(), active, *fading)

    def state_key(self) -> tuple:
        """The layer and its display state (what decides a redraw besides the date)."""
        return (self.state.name, id(self.obj), self.state.opacity, repr(sorted(self.state.style.items())),
                self.position)

    def fades(self, t: float, fade: float, lead: float = 0.0) -> np.ndarray | None:
        """The opacity of each active row at ``t`` in steps of 1/``FADE_STEPS`` (uint8, 0..32), or
        None when every one is fully drawn (no fade, or none fading)."""
        if not (self.dated and fade > 0 and self.obj.times is not None):
            return None
        steps = fade_steps(self.obj, self.obj.active_rows(t), t, fade, lead)
        return None if bool((steps == FADE_STEPS).all()) else steps


def fade_steps(layer: Layer, rows: np.ndarray, t: float, fade: float, lead: float = 0.0) -> np.ndarray:
    """Opacity of the dated ``rows`` of ``layer`` at ``t`` (in 1/``FADE_STEPS``, uint8): rising
    linearly from 0 ``lead`` days before the start of a row's interval to full ``fade`` days after
    it, and falling from full ``fade`` days before its (exclusive) end to 0 at the end; an interval
    shorter than two fades fades over half its length. Events count whole days, as they are shown
    all day on each day they touch. An export's ``lead`` is its frame step, so that the first frame
    of a row's day shows it already (part way): without it, at 4 frames a day, the frame captioned
    with an event's day did not show the event (a new user), and no frame showed it half faded."""
    t = float(t) - layer.time_offset
    start, end = layer.times.start[rows], layer.times.end[rows]
    if layer.data_role == "events":
        start, end = np.floor(start), np.ceil(end)
    ramp = np.minimum(float(fade), (end - start) / 2.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        level = np.minimum((t - start + lead) / (ramp + lead), (end - t) / ramp)
    level = np.where(np.isnan(level) | (ramp <= 0), 1.0, np.clip(level, 0.0, 1.0))
    return np.floor(level * FADE_STEPS + 0.5).astype(np.uint8)


def fade_of(steps: int) -> float:
    """The opacity of a fade step."""
    return steps / FADE_STEPS if steps < FADE_STEPS else 1.0


def visible_items(model: ViewerModel, only: set[str] | None = None) -> list[Item]:
    """The visible layers (of ``only``, when given) bottom to top, each with a copy of its state:
    the window renders on a thread while the GUI thread may change a style, and a cache key made
    from a newer style than the content it names kept a stale legend (two layers recoloured on
    File ▸ Open: one stayed in its old colour in the legend for good)."""
    vectors = {layer.name: layer for layer in model.dataset.layers}
    rasters = {r.name: r for r in model.dataset.rasters}
    items = []
    for position, state in enumerate(model.layer_states):
        obj = vectors.get(state.name) or rasters.get(state.name)
        if obj is None or not state.visible or state.opacity <= 0:
            continue
        if only is not None and state.name not in only:
            continue
        items.append(Item(replace(state, style=dict(state.style)), obj, position))
    return items


def first_moving(items: list[Item]) -> int:
    """The position of the first layer redrawn every frame: the background is everything under it."""
    return next((i for i, item in enumerate(items) if item.moves), len(items))


def background_change_days(model: ViewerModel) -> list[int]:
    """The days (day numbers) on which a dated layer of the background differs from the day before:
    the days a frame has its background composed again (what the speed tests and benchmarks pick)."""
    items = visible_items(model)
    dated = [item for item in items[:first_moving(items)] if item.dated]
    return [d for d in range(int(model.time.start) + 1, int(model.time.end) + 1)
            if any(item.key(d + 0.5) != item.key(d - 0.5) for item in dated)]


def basemap_spec(model: ViewerModel, only: set[str] | None = None) -> dict | None:
    """The basemap to draw (None when there is none or ``only`` leaves it out)."""
    spec = model.basemap
    if not spec or (only is not None and BASEMAP not in only):
        return None
    return spec
