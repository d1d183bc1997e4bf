"""What the furniture says about the layers of a frame: legend entries derived from the styles in
effect, the sources of the features drawn, and the basemap's attribution."""

from __future__ import annotations

import copy

from terrain_viewer.core.common.errors import TerrainViewerError
from terrain_viewer.core.data.raster import RasterLayer
from terrain_viewer.core.render.items import Item
from terrain_viewer.core.render.symbology import Fill, clean_style, contour_entry, legend_entries

SOURCE_CACHE = 96


def legend(items: list[Item], t: float | None = None, view: tuple | None = None) -> list[tuple]:
    """(handle, label) pairs, top layer first, each label once.

    With ``t`` (and ``view``), only what the frame draws: layers with features at ``t`` inside
    ``view``, and of those only the kinds and sides drawn (named by the data)."""
    return combine([item_entries(item, t, view) for item in reversed(items)])


def combine(parts: list[list[tuple]]) -> list[tuple]:
    """The (handle, label) pairs of ``item_entries`` parts (top layer first), each name once."""
    entries, seen = [], set()
    for part in parts:
        for handle, label, name in part:
            if name not in seen:
                seen.add(name)
                entries.append((handle, label))
    return entries


def item_entries(item: Item, t: float | None = None, view: tuple | None = None, features=None) -> list[tuple]:
    """One layer's (handle, label, name) legend entries (``legend`` keeps the first of each name);
    ``features`` are the layer's features at ``t`` when already known."""
    style = clean_style(item.state.name, item.state.style)
    if isinstance(item.obj, RasterLayer):
        if not _raster_in(item.obj, view):
            return []
        if item.obj.kind == "elevation":
            handle, label = contour_entry(style, item.obj.tags.get("reconstructed") == "yes")
            return [(handle, label, "Contours")]
        label = f"{item.state.name} (scanned map)"  # a scan drawn under the layers: the legend says
        return [(Fill("#e3d9c3", "#7a746a", 0.6, hatch="....").handle(), label, label)]  # so (it did not)
    layer = item.obj
    gdf = layer.gdf if t is None else _drawn(layer, t, view, features)
    if gdf is None or not len(gdf):
        return []
    kinds = set(gdf["kind"].dropna().astype(str)) if "kind" in gdf.columns else set()
    if t is not None and "side" in gdf.columns and getattr(layer, "side_names", None):
        drawn = set(gdf["side"].dropna().astype(str))
        layer = copy.copy(layer)  # the same layer naming only the sides drawn
        layer.side_names = {k: v for k, v in item.obj.side_names.items() if k in drawn}
    entries = legend_entries(layer, layer.geometry_type, style, kinds)
    return [(handle, label, label) for handle, label in entries]


def _drawn(layer, t: float, view: tuple | None, features=None):
    """The features of ``layer`` drawn at ``t`` inside ``view`` (of ``features``, its features at ``t``)."""
    gdf = layer.features_at(t) if features is None else features
    if view is None or not len(gdf):
        return gdf
    x0, y0, x1, y1 = view
    return gdf.cx[x0:x1, y0:y1]


def _raster_in(raster: RasterLayer, view: tuple | None) -> bool:
    if view is None:
        return True
    left, right, bottom, top = raster.extent
    return left < view[2] and view[0] < right and bottom < view[3] and view[1] < top


def sources(items: list[Item], t: float, cache: dict[tuple, list[str]]) -> list[str]:
    """The ``source`` values of the features drawn at ``t`` (distinct values cached per set)."""
    found: list[str] = []
    for item in items:
        if isinstance(item.obj, RasterLayer):
            if item.obj.tags.get("source"):
                found.append("elevation reconstructed by the dataset author")
            continue
        if "source" not in item.obj.gdf.columns:
            continue
        rows = item.obj.active_rows(t)
        key = ("sources", id(item.obj), rows.tobytes() if rows is not None else b"all")
        hit = cache.get(key)
        if hit is None:
            column = item.obj.gdf["source"]
            values = column if rows is None else column.iloc[rows]
            hit = cache[key] = [str(s) for s in values.dropna().unique()]
            while len(cache) > SOURCE_CACHE:
                cache.pop(next(iter(cache)))
        found += hit
    return found


def attribution(spec: dict | None) -> str:
    """'Basemap: © …' for a basemap spec, or ''."""
    if not spec:
        return ""
    from terrain_viewer.core.data.tiles import source_for

    try:
        text = source_for(spec).attribution.strip()
    except TerrainViewerError:
        return ""
    if not text:
        return ""
    return "Basemap: " + (text if text.startswith(("©", "(C)", "(c)")) else f"© {text}")
