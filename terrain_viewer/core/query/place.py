"""Place checks: does a layer lie far from the rest of the session, or would the map CRS distort it?

``place_notes`` gives one line per such layer with the CRS that suits it (its UTM zone, found by
pyproj's ``estimate_utm_crs``), so the window can offer to zoom to it or switch the map CRS.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from pyproj import CRS, Proj
from pyproj.exceptions import CRSError, ProjError

from terrain_viewer.core.data.mapcrs import GEOD, utm_crs_for
from terrain_viewer.core.model import ViewerModel

FAR_KM = 1000.0  # farther than this from the other data: "far away"
MAX_TURN_DEG = 5.0  # grid north turned more than this from true north: "distorted"
MAX_SCALE_ERROR = 0.02  # areas off by more than 2 %: "distorted"

Box = tuple[float, float, float, float]


@dataclass(frozen=True)
class PlaceNote:
    """Layers of one file that lie far away or would be distorted, and a CRS that suits them."""

    layers: tuple[str, ...]
    message: str
    suggested_crs: CRS | None
    box: Box  # lon/lat

    @property
    def layer(self) -> str:
        return self.layers[0]


def centre(box: Box) -> tuple[float, float]:
    return (box[0] + box[2]) / 2.0, (box[1] + box[3]) / 2.0


def union(boxes: list[Box]) -> Box | None:
    boxes = [b for b in boxes if b is not None]
    if not boxes:
        return None
    x0, y0, x1, y1 = zip(*boxes, strict=True)
    return min(x0), min(y0), max(x1), max(y1)


def suitable_crs(box: Box) -> CRS | None:
    """The UTM zone (WGS 84) at the centre of a lon/lat box (as geopandas' ``estimate_utm_crs``)."""
    lon, lat = centre(box)
    return utm_crs_for(lon, lat) if -80 <= lat <= 84 else None


def distortion(crs: CRS, lon: float, lat: float) -> tuple[float, float] | None:
    """(grid north's turn from true north in degrees, areal scale error) of ``crs`` at a point."""
    if not crs.is_projected:
        return None
    try:
        factors = Proj(crs).get_factors(lon, lat)
    except (CRSError, ProjError, ValueError):
        return None
    turn, areal = factors.meridian_convergence, factors.areal_scale
    if not (math.isfinite(turn) and math.isfinite(areal)):
        return (90.0, math.inf)
    return abs(turn), abs(areal - 1.0)


def crs_label(crs: CRS) -> str:
    name = crs.name or crs.to_string()
    return name.replace("WGS 84 / ", "")


def place_notes(model: ViewerModel, names: list[str]) -> list[PlaceNote]:
    """One note per file among the layers ``names`` that lies far from the nearest of the session's
    other layers, in another hemisphere, or where the map CRS distorts it (north turned, areas
    wrong); the map CRS is offered only when it is not the one the map is in."""
    layers = {layer.name: layer for layer in model.dataset.layers}
    others = [layer.lonlat_bounds for name, layer in layers.items()
              if name not in names and layer.lonlat_bounds is not None]
    by_file: dict[object, list] = {}
    for name in names:
        if name in layers and layers[name].lonlat_bounds is not None:
            by_file.setdefault(layers[name].path, []).append(layers[name])
    notes = []
    for path, group in by_file.items():
        box = union([layer.lonlat_bounds for layer in group])
        reasons = _reasons(model.dataset.map_crs, box, others)
        if not reasons:
            continue
        better = suitable_crs(box)
        if better is not None and better.equals(model.dataset.map_crs):
            better = None  # the map is in its zone already: only the zoom helps
        offer = f"; zoom to it or switch the map CRS to {crs_label(better)}" if better is not None else \
            "; zoom to it"
        what = f"Layer {group[0].name}" if len(group) == 1 else \
            f"Layers {', '.join(layer.name for layer in group)} ({getattr(path, 'name', path)})"
        notes.append(PlaceNote(tuple(layer.name for layer in group), f"{what}: {'; '.join(reasons)}{offer}.",
                               better, box))
    return notes


def _reasons(crs: CRS, box: Box, others: list[Box]) -> list[str]:
    """Why the layers in ``box`` need a note: far from the nearest of the ``others`` (each layer's
    box: their union's centre lay in Central Asia with Hengyang and Verdun open, 5,118 km from a
    layer in Hengyang), in the other hemisphere, or distorted by the map CRS."""
    lon, lat = centre(box)
    reasons = []
    if others:
        km, (olon, olat) = min((GEOD.inv(*middle, lon, lat)[2] / 1000.0, middle)
                               for middle in map(centre, others))
        if km > FAR_KM:
            reasons.append(f"{km:,.0f} km from the other data")
        elif (lat >= 0) != (olat >= 0):
            reasons.append("in the other hemisphere")
    bent = distortion(crs, lon, lat)
    if bent is not None and (bent[0] > MAX_TURN_DEG or bent[1] > MAX_SCALE_ERROR):
        how = f"north turned {bent[0]:.0f}°, areas off by {bent[1]:.0%}" if math.isfinite(bent[1]) \
            else "no true shape there"
        reasons.append(f"would be distorted in the map CRS {crs_label(crs)} ({how})")
    return reasons
