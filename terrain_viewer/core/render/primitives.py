"""Drawing primitives: geometries to matplotlib artists in a given look (see ``symbology``)."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import shapely
from matplotlib.collections import Collection, LineCollection, PatchCollection
from matplotlib.colors import to_rgba
from matplotlib.lines import Line2D
from matplotlib.patches import PathPatch
from matplotlib.path import Path as MplPath

from terrain_viewer.core.render.symbology import Fill, Mark, Stroke


def polygon_path(geom) -> MplPath:
    """A compound matplotlib path for a (Multi)Polygon, holes included. Agg fills by the non-zero
    rule, so a hole must wind against its shell: one that winds with it (valid data may have them
    so) is reversed, or it was filled; the rings are otherwise drawn as the file has them."""
    verts, codes = [], []
    for poly in getattr(geom, "geoms", [geom]):
        shell_ccw = poly.exterior.is_ccw
        for k, ring in enumerate([poly.exterior, *poly.interiors]):
            coords = np.asarray(ring.coords)[:, :2]
            if k and ring.is_ccw == shell_ccw:
                coords = coords[::-1]
            verts.append(coords)
            codes.append([MplPath.MOVETO] + [MplPath.LINETO] * (len(coords) - 2) + [MplPath.CLOSEPOLY])
    return MplPath(np.concatenate(verts), np.concatenate(codes))


def times_alpha(colour, k: float):
    """``colour`` as RGBA with its own alpha multiplied by ``k`` ('none' stays 'none'). matplotlib's
    ``alpha=`` replaces a colour's alpha (a 35 % face came out opaque), so looks multiply instead."""
    if colour is None or (isinstance(colour, str) and colour.lower() == "none"):
        return colour
    r, g, b, a = to_rgba(colour)
    return (r, g, b, a * k)


def dim(artist, k: float) -> None:
    """Make ``artist`` ``k`` times as opaque, keeping the alphas its colours have of their own."""
    if artist.get_alpha() is not None or not isinstance(artist, Collection | Line2D):
        artist.set_alpha(k * (artist.get_alpha() or 1.0))
    elif isinstance(artist, Collection):
        hatch = np.array(artist.get_hatchcolor(), float) if artist.get_hatch() else None
        for get, put in ((artist.get_facecolor, artist.set_facecolor),
                         (artist.get_edgecolor, artist.set_edgecolor)):
            rgba = np.array(get(), float)
            if rgba.size:
                rgba[:, 3] *= k
                put(rgba)
        if hatch is not None and hatch.size:
            hatch[:, 3] *= k
            artist.set_hatchcolor(hatch)
    else:
        artist.set_color(times_alpha(artist.get_color(), k))
        artist.set_markerfacecolor(times_alpha(artist.get_markerfacecolor(), k))
        artist.set_markeredgecolor(times_alpha(artist.get_markeredgecolor(), k))


def line_parts(geoms) -> list[np.ndarray]:
    """Coordinate arrays of every line part of (Multi)LineStrings or polygon boundaries."""
    parts = []
    for geom in geoms:
        if geom is None or geom.is_empty:
            continue
        if geom.geom_type.endswith("Polygon"):
            geom = geom.boundary
        for part in getattr(geom, "geoms", [geom]):
            parts.append(np.asarray(part.coords)[:, :2])
    return parts


def point_xy(gdf: gpd.GeoDataFrame) -> np.ndarray:
    """(n, 2) positions: points as they are, other geometries at a point inside them."""
    geoms = np.asarray(gdf.geometry.values)
    if not len(geoms):
        return np.zeros((0, 2))
    other = shapely.get_type_id(geoms) != 0
    if other.any():  # a point inside each of the others (none to work out for a layer of points)
        geoms = geoms.copy()
        geoms[other] = shapely.point_on_surface(geoms[other])
    return shapely.get_coordinates(geoms)[:, :2]


def fill_polygons(ax, geoms, zorder: float, look: Fill, effects: list | None = None) -> list:
    """The (Multi)Polygons among ``geoms`` as one collection."""
    paths = [polygon_path(g) for g in geoms if g is not None and not g.is_empty
             and g.geom_type.endswith("Polygon")]
    if not paths:
        return []
    k = look.alpha
    coll = PatchCollection([PathPatch(p) for p in paths], facecolor=times_alpha(look.face, k),
                           edgecolor=times_alpha(look.edge, k), linewidth=look.lw, linestyle=look.linestyle,
                           zorder=zorder)
    if look.hatch:
        coll.set_hatch(look.hatch)
        if look.hatch_colour is not None:
            coll.set_hatchcolor(times_alpha(look.hatch_colour, k))
        coll.set_hatch_linewidth(0.6)
    if effects:
        coll.set_path_effects(effects)
    ax.add_collection(coll, autolim=False)
    return [coll]


def draw_lines(ax, geoms, zorder: float, look: Stroke, effects: list | None = None) -> list:
    """Every line part (and polygon boundary) of ``geoms`` as one collection."""
    parts = line_parts(geoms)
    if not parts:
        return []
    coll = LineCollection(parts, colors=[times_alpha(look.colour, look.alpha)], linewidths=look.lw,
                          linestyles=look.linestyle, zorder=zorder, capstyle=look.capstyle, joinstyle="round")
    if effects:
        coll.set_path_effects(effects)
    ax.add_collection(coll, autolim=False)
    return [coll]


def draw_points(ax, xy: np.ndarray, zorder: float, look: Mark, effects: list | None = None) -> list:
    """Markers at the (n, 2) positions ``xy``."""
    if not len(xy):
        return []
    # a Line2D added as it is: ``ax.plot``'s argument parsing and data-limit update cost ~0.5 ms a
    # call, and the map's limits are set by the view anyway
    line = Line2D(xy[:, 0], xy[:, 1], linestyle="none", marker=look.marker, markersize=look.size,
                  markerfacecolor=times_alpha(look.face, look.alpha),
                  markeredgecolor=times_alpha(look.edge, look.alpha), markeredgewidth=look.lw, zorder=zorder)
    ax.add_artist(line)
    if effects:
        line.set_path_effects(effects)
    return [line]
