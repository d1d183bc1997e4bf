"""What the furniture says about the layers of a frame: legend entries derived from the styles in
effect, the sources of the features drawn, and the basemap's attribution."""

from __future__ import annotations

from terrain_viewer.core.common.errors import TerrainViewerError
from terrain_viewer.core.data.raster import RasterLayer
from terrain_viewer.core.render.items import Item
from terrain_viewer.core.render.symbology import clean_style, contour_entry, legend_entries

SOURCE_CACHE = 96


def legend(items: list[Item]) -> list[tuple]:
    """(handle, label) pairs, top layer first, each label once."""
    entries, seen = [], set()
    for item in reversed(items):
        style = clean_style(item.state.name, item.state.style)
        if isinstance(item.obj, RasterLayer):
            if item.obj.kind == "elevation" and "Contours" not in seen:
                seen.add("Contours")
                entries.append(contour_entry(style, item.obj.tags.get("reconstructed") == "yes"))
            continue
        gdf = item.obj.gdf
        kinds = set(gdf["kind"].dropna().astype(str)) if "kind" in gdf.columns else set()
        for handle, label in legend_entries(item.obj, item.obj.geometry_type, style, kinds):
            if label not in seen:
                seen.add(label)
                entries.append((handle, label))
    return entries


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
