"""The frame's legend entries, cached by what they depend on.

``annotations.legend`` names only what a frame draws (layers with features at ``t`` inside the view,
and of those the kinds and sides drawn); working that out with pandas costs ≈15-20 ms a frame. The
entries change far less often than the frame, so they are kept by a signature per layer: its style
and naming, and whether it draws anything in view and which (kind, side) pairs. Equal signatures
give equal entries, so a cached legend is the legend ``annotations.legend`` would make.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from functools import partial

import numpy as np
import shapely

from terrain_viewer.core.data.layers import Layer
from terrain_viewer.core.model import Extent
from terrain_viewer.core.render import annotations as notes
from terrain_viewer.core.render.items import Item
from terrain_viewer.core.render.view import rounded

LEGENDS = 64  # legends kept
SIGNATURES = 4096  # per-layer signatures kept (static and dated layers; moving ones per time)


def drawn_signature(gdf, view: Extent) -> tuple:
    """Whether ``gdf`` has features whose box meets ``view``, and their (kind, side) pairs."""
    if not len(gdf):
        return (False, ())
    b = shapely.bounds(np.asarray(gdf.geometry.values))
    x0, y0, x1, y1 = view
    inside = (b[:, 0] <= x1) & (b[:, 2] >= x0) & (b[:, 1] <= y1) & (b[:, 3] >= y0)
    columns = [gdf[c].to_numpy()[inside].astype(str) for c in ("kind", "side") if c in gdf.columns]
    pairs = set(zip(*columns, strict=True)) if columns else set()
    return (bool(inside.any()), tuple(sorted(pairs)))


def rows_signature(gdf, rows: np.ndarray) -> tuple:
    """``drawn_signature`` of ``gdf``'s ``rows`` when all of them are in view: no geometry read."""
    if not len(rows):
        return (False, ())
    columns = [gdf[c].iloc[rows].to_numpy().astype(str) for c in ("kind", "side") if c in gdf.columns]
    pairs = set(zip(*columns, strict=True)) if columns else set()
    return (True, tuple(sorted(pairs)))


class LegendCache:
    """Legend entries by the signature of the frame's layers; each layer's own entries by its
    signature, so a day on which one dated layer changes works out that layer's entries only."""

    def __init__(self) -> None:
        self._legends: OrderedDict[tuple, list] = OrderedDict()
        self._signatures: OrderedDict[tuple, tuple] = OrderedDict()
        self._parts: OrderedDict[tuple, list] = OrderedDict()
        self._bounds: dict[int, tuple] = {}  # id(layer) -> (layer, its features' box): not evicted
        #                                      with the signatures (a large layer's box is costly)

    def clear(self) -> None:
        self._legends.clear()
        self._signatures.clear()
        self._parts.clear()
        self._bounds.clear()

    def entries(self, items: list[Item], t: float, view: Extent, features: Callable[[Item, float], object]
                ) -> list[tuple]:
        """``annotations.legend(items, t, view)``; ``features(item, t)`` gives a layer's features."""
        where = rounded(view)
        parts = [self._part(item, t, view, features, where) for item in items]
        key = (where, tuple(parts))
        hit = self._legends.get(key)
        if hit is None:
            pairs = reversed(list(zip(items, parts, strict=True)))
            hit = self._legends[key] = notes.combine([self._entries(item, (where, part), t, view, features)
                                                      for item, part in pairs])
            _trim(self._legends, LEGENDS)
        else:
            self._legends.move_to_end(key)
        return hit

    def entries_over(self, items: list[Item], days: tuple[float, ...], view: Extent,
                     features: Callable[[Item, float], object]) -> list[tuple]:
        """The entries of every one of ``days`` together, each layer's in the order its first day
        with them gives (a legend that holds still through an export)."""
        where = rounded(view)
        key = ("over", where, days, tuple(_state_part(item) for item in items))
        hit = self._legends.get(key)
        if hit is None:
            parts = []
            for item in reversed(items):
                named: dict[str, tuple] = {}
                for day in days:
                    part = (where, self._part(item, day, view, features, where))
                    for entry in self._entries(item, part, day, view, features):
                        named.setdefault(entry[2], entry)
                parts.append(list(named.values()))
            hit = self._legends[key] = notes.combine(parts)
            _trim(self._legends, LEGENDS)
        return hit

    def _entries(self, item: Item, key: tuple, t: float, view: Extent, features) -> list[tuple]:
        """``annotations.item_entries`` of one layer, cached by its signature and the view (``key``)."""
        hit = self._parts.get(key)
        if hit is None:
            known = features(item, t) if isinstance(item.obj, Layer) else None
            hit = self._parts[key] = notes.item_entries(item, t, view, known)
            _trim(self._parts, SIGNATURES)
        return hit

    def _part(self, item: Item, t: float, view: Extent, features, where: tuple) -> tuple:
        obj, part = item.obj, _state_part(item)
        if not isinstance(obj, Layer):
            return part  # a raster: its entry depends on the view only (in the key already)
        rows, sign = obj.active_rows(t), None
        if obj.role == "keyframes" and self._inside(obj, view):  # in view wherever they move: the
            sign = partial(rows_signature, obj.gdf, rows)  # rows alone decide what is drawn
        if obj.role == "keyframes" and sign is None:  # what is in view depends on the time
            key = (id(obj), "at", id(obj.tracks), obj.time_offset, t, where)
        else:
            key = (id(obj), b"all" if rows is None else rows.tobytes(), where)
        signature = self._signatures.get(key)
        if signature is None or signature[0] is not obj:
            made = sign() if sign else drawn_signature(features(item, t), view)
            signature = self._signatures[key] = (obj, made)
            _trim(self._signatures, SIGNATURES)
        else:
            self._signatures.move_to_end(key)
        return (*part, signature[1])

    def _inside(self, obj: Layer, view: Extent) -> bool:
        """Whether every feature of ``obj`` lies inside ``view`` (kept per layer): a moving one's
        features then stay inside at every time (they move between its keyframes' positions)."""
        hit = self._bounds.get(id(obj))
        if hit is None or hit[0] is not obj:
            hit = self._bounds[id(obj)] = (obj, tuple(obj.gdf.total_bounds))
        x0, y0, x1, y1 = hit[1]
        return bool(len(obj.gdf)) and view[0] <= x0 and x1 <= view[2] and view[1] <= y0 and y1 <= view[3]


def _state_part(item: Item) -> tuple:
    """What a layer's entries depend on besides what it draws: its state, style and naming."""
    obj, state = item.obj, item.state
    return (state.name, id(obj), state.opacity, repr(sorted(state.style.items())), item.position,
            getattr(obj, "geometry_type", None), repr(getattr(obj, "side_names", None)),
            getattr(obj, "data_role", None), repr(getattr(obj, "tags", None)))


def _trim(cache: OrderedDict, size: int) -> None:
    while len(cache) > size:
        cache.popitem(last=False)
