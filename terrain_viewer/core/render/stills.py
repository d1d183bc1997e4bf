"""Stills for researchers: one rendered frame as a PNG that says what it shows (title, date, sources,
basemap attribution as PNG text) and, on request, where (a world file and ``.prj``), or as a GeoTIFF."""

from __future__ import annotations

from pathlib import Path

from terrain_viewer.core.model import Extent
from terrain_viewer.core.render import annotations as notes
from terrain_viewer.core.render.furniture import credits_text
from terrain_viewer.core.render.items import basemap_spec, visible_items
from terrain_viewer.core.render.png import GEOTIFF_SUFFIXES, georeference_png, write_geotiff, write_png
from terrain_viewer.core.render.renderer import MapRenderer
from terrain_viewer.core.render.view import fit_view
from terrain_viewer.core.temporal.dates import date_text
from terrain_viewer.core.temporal.timeline import to_datetime


def frame_metadata(renderer: MapRenderer, t: float) -> dict[str, str]:
    """What a still says about itself: title, date shown, the sources drawn, the basemap's credit."""
    model = renderer.model
    items = visible_items(model, None)
    sources = credits_text(notes.sources(items, t, {}))
    meta = {"Title": model.options.title or "terrain_viewer map",
            "Software": "terrain_viewer",
            "Source": sources.removeprefix("Sources: "),
            "Attribution": notes.attribution(basemap_spec(model, None)) or "",
            "CRS": model.dataset.map_crs.to_string()}
    if model.has_time:
        meta["Date"] = f"{date_text(t)} ({to_datetime(t):%Y-%m-%dT%H:%M})"
    return meta


def save_still(renderer: MapRenderer, path: str | Path, t: float, size: tuple[int, int],
               view: Extent | None = None, dpi: float = 100.0, georeference: bool = False) -> list[Path]:
    """Render ``t`` and write it to ``path`` (.png, or .tif/.tiff as a GeoTIFF); return the files."""
    path = Path(path)
    rgba = renderer.render(t, size, view, dpi)
    drawn = fit_view(view or renderer.model.view, size)
    meta = frame_metadata(renderer, t)
    crs = renderer.model.dataset.map_crs
    if path.suffix.lower() in GEOTIFF_SUFFIXES:
        return [write_geotiff(path, rgba, drawn, crs, meta)]
    written = [write_png(path, rgba, dpi, meta)]
    return written + (georeference_png(path, drawn, size, crs) if georeference else [])
