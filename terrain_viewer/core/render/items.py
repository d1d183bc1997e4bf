"""The layers a frame draws, in draw order, and what decides whether one is redrawn."""

from __future__ import annotations

from dataclasses import dataclass

from terrain_viewer.core.data.layers import Layer
from terrain_viewer.core.data.raster import RasterLayer
from terrain_viewer.core.model import LayerState, ViewerModel

BASEMAP = "basemap"  # the basemap's name in a ``layers`` filter
UNIT_ROLES = ("units", "generic")  # roles whose sidc column is drawn as APP-6 symbols


@dataclass
class Item:
    """One visible layer in draw order: a vector Layer or a RasterLayer, with its state."""

    state: LayerState
    obj: Layer | RasterLayer
    position: int

    @property
    def symbols(self) -> bool:
        """Drawn as APP-6 symbols in pixel space (the ``units`` layer, or any layer with a sidc)."""
        return isinstance(self.obj, Layer) and "sidc" in self.obj.gdf.columns and \
            self.obj.data_role in UNIT_ROLES

    @property
    def dated(self) -> bool:
        """A vector layer whose features come and go with the date (drawn as its own cached sprite)."""
        return isinstance(self.obj, Layer) and self.obj.role == "temporal"

    @property
    def moves(self) -> bool:
        """Redrawn every frame: keyframed layers and symbol layers."""
        return isinstance(self.obj, Layer) and (self.obj.role == "keyframes" or self.symbols)

    def key(self, t: float) -> tuple:
        """Changes when the layer would be drawn differently at ``t`` (a cache key)."""
        active = b""
        if isinstance(self.obj, Layer) and self.obj.role == "temporal":
            active = self.obj.active_rows(t).tobytes()  # time offset and events' days included
        return (self.state.name, id(self.obj), self.state.opacity, repr(sorted(self.state.style.items())),
                self.position, active)


def visible_items(model: ViewerModel, only: set[str] | None = None) -> list[Item]:
    """The visible layers (of ``only``, when given) bottom to top."""
    vectors = {layer.name: layer for layer in model.dataset.layers}
    rasters = {r.name: r for r in model.dataset.rasters}
    items = []
    for position, state in enumerate(model.layer_states):
        obj = vectors.get(state.name) or rasters.get(state.name)
        if obj is None or not state.visible or state.opacity <= 0:
            continue
        if only is not None and state.name not in only:
            continue
        items.append(Item(state, obj, position))
    return items


def basemap_spec(model: ViewerModel, only: set[str] | None = None) -> dict | None:
    """The basemap to draw (None when there is none or ``only`` leaves it out)."""
    spec = model.basemap
    if not spec or (only is not None and BASEMAP not in only):
        return None
    return spec
