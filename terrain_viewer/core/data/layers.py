"""Layers in the map CRS with their time index, and a Dataset that holds them.

``open_dataset`` loads every layer it can from any number of files: a layer that fails
becomes a one-line problem in ``Dataset.problems`` and the rest still load.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely
from pyproj import CRS, Transformer

from terrain_viewer.core.common.errors import DataError, TerrainViewerError
from terrain_viewer.core.data import readers as io
from terrain_viewer.core.temporal.timeline import ParsedTimes, TimeIndex, extent_of, parse_times
from terrain_viewer.core.temporal.tracks import Tracks, interpolate_points, morph_line

TIME_COLUMNS = ("start_date", "end_date")
KEYFRAME_IDS = ("unit_id", "line_id")


def utm_crs_for(lon: float, lat: float) -> CRS:
    """The WGS 84 UTM zone that contains ``lon, lat`` (Hengyang: EPSG:32649)."""
    zone = min(max(int(math.floor((lon + 180.0) / 6.0)) + 1, 1), 60)
    return CRS.from_epsg((32600 if lat >= 0 else 32700) + zone)


@dataclass
class Layer:
    """One vector layer in the map CRS, with its time behaviour.

    ``role`` is ``static`` (always shown), ``temporal`` (shown from start to end) or
    ``keyframes`` (rows of one ``unit_id``/``line_id`` move between dates).
    """

    name: str
    path: Path
    source_layer: str
    gdf: gpd.GeoDataFrame
    source_crs: str
    geometry_type: str
    role: str = "static"
    times: ParsedTimes | None = None
    index: TimeIndex | None = None
    tracks: Tracks | None = None
    problems: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def time_extent(self) -> tuple[float, float] | None:
        return extent_of(self.times) if self.times is not None else None

    @property
    def dated_extent(self) -> tuple[float, float] | None:
        """The span of the dates actually written (open ends ignored)."""
        return extent_of(self.times, open_ends=False) if self.times is not None else None

    @property
    def is_static(self) -> bool:
        return self.role == "static"

    def features_at(self, t: float) -> gpd.GeoDataFrame:
        """The features on the map at time ``t``; keyframed ones moved to where they are."""
        if self.role == "static":
            return self.gdf
        if self.role == "temporal":
            return self.gdf.iloc[self.index.active(t)]
        return self._keyframes_at(t)

    def active_rows(self, t: float) -> np.ndarray | None:
        """Row numbers (in ``gdf``) of the features on the map at ``t``; None for all (static)."""
        if self.role == "temporal":
            return np.asarray(self.index.active(t))
        if self.role == "keyframes":
            return np.asarray(self.tracks.state(t).rows)
        return None

    def _keyframes_at(self, t: float) -> gpd.GeoDataFrame:
        state = self.tracks.state(t)
        out = self.gdf.iloc[state.rows].copy()
        geoms = self.gdf.geometry.values
        here = np.asarray(geoms[state.rows])
        moving = state.next_rows >= 0
        if not moving.any():
            return out
        there = here.copy()
        there[moving] = np.asarray(geoms[state.next_rows[moving]])
        if self.geometry_type.endswith("Point"):
            moved = interpolate_points(here, there, np.where(moving, state.fraction, 0.0))
        else:
            moved = [morph_line(a, b, f) for a, b, f in zip(here, there, state.fraction, strict=True)]
        out["geometry"] = gpd.GeoSeries(moved, index=out.index, crs=self.gdf.crs)
        out["progress"] = state.fraction
        return out


@dataclass
class Dataset:
    """Everything loaded for one session: vector layers, rasters and what went wrong."""

    layers: list[Layer]
    map_crs: CRS
    rasters: list = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    def layer(self, name: str) -> Layer:
        for layer in self.layers:
            if layer.name == name:
                return layer
        raise KeyError(name)

    @property
    def time_extent(self) -> tuple[float, float] | None:
        """The finite span of all dated layers (open ends do not extend it)."""
        return _union([layer.dated_extent for layer in self.layers])

    @property
    def animation_extent(self) -> tuple[float, float] | None:
        """The span the date slider covers: that of the moving (keyframed) layers, if any."""
        moving = [layer.dated_extent for layer in self.layers if layer.role == "keyframes"]
        return _union(moving) or self.time_extent

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        boxes = [layer.gdf.total_bounds for layer in self.layers if len(layer.gdf)]
        boxes += [r.bounds for r in self.rasters]
        if not boxes:
            return (0.0, 0.0, 1.0, 1.0)
        arr = np.array(boxes, dtype=float)
        return (arr[:, 0].min(), arr[:, 1].min(), arr[:, 2].max(), arr[:, 3].max())


def _union(extents: list[tuple[float, float] | None]) -> tuple[float, float] | None:
    values = [v for e in extents if e for v in e]
    return (min(values), max(values)) if values else None


def _lonlat_centre(gdf: gpd.GeoDataFrame) -> tuple[float, float] | None:
    if gdf.crs is None or gdf.empty:
        return None
    x0, y0, x1, y1 = gdf.total_bounds
    to_ll = Transformer.from_crs(gdf.crs, 4326, always_xy=True)
    lon, lat = to_ll.transform((x0 + x1) / 2, (y0 + y1) / 2)
    return (lon, lat) if np.isfinite([lon, lat]).all() else None


def _check_crs(gdf: gpd.GeoDataFrame, path: Path, name: str) -> None:
    if gdf.crs is None:
        raise DataError("no CRS (coordinate reference system); cannot place it on the map", path, name)
    if gdf.crs.is_geographic and not gdf.empty:
        x0, y0, x1, y1 = gdf.total_bounds
        if max(abs(x0), abs(x1)) > 180 or max(abs(y0), abs(y1)) > 90:
            raise DataError(
                f"coordinates up to ({x1:.0f}, {y1:.0f}) do not fit its CRS "
                f"{gdf.crs.to_string()} (degrees); wrong CRS?", path, name)


def _clean_geometries(gdf: gpd.GeoDataFrame, problems: list[str],
                      warns: list[str]) -> gpd.GeoDataFrame:
    geoms = gdf.geometry.values
    missing = shapely.is_missing(geoms) | shapely.is_empty(geoms)
    if missing.any():
        problems.append(f"{int(missing.sum())} features with null or empty geometry skipped")
        gdf = gdf[~missing]
        geoms = gdf.geometry.values
    finite = np.isfinite(shapely.get_coordinates(geoms)).all(axis=1) if len(gdf) else np.array([])
    if len(gdf) and not finite.all():
        bad = np.unique(shapely.get_coordinates(geoms, return_index=True)[1][~finite])
        problems.append(f"{len(bad)} features with NaN or infinite coordinates skipped")
        gdf = gdf.drop(gdf.index[bad])
        geoms = gdf.geometry.values
    invalid = ~shapely.is_valid(geoms)
    if invalid.any():
        problems.append(f"{int(invalid.sum())} invalid geometries repaired (make_valid)")
        gdf = gdf.copy()
        gdf.loc[invalid, "geometry"] = shapely.make_valid(geoms[invalid])
    types = set(gdf.geom_type.unique())
    base = {t.replace("Multi", "") for t in types}
    if len(base) > 1:
        warns.append(f"mixed geometry types in one layer: {', '.join(sorted(types))}")
    return gdf


def _attach_time(layer: Layer) -> None:
    gdf = layer.gdf
    if not any(c in gdf.columns for c in TIME_COLUMNS):
        return
    starts = gdf["start_date"].tolist() if "start_date" in gdf.columns else None
    ends = gdf["end_date"].tolist() if "end_date" in gdf.columns else None
    parsed = parse_times(starts, ends, len(gdf))
    if parsed.bad_rows:
        row, column, text = parsed.bad_rows[0]
        layer.problems.append(
            f"{len(parsed.bad_rows)} unparseable dates (not ISO 8601), e.g. {column}={text!r} "
            f"in row {row + 1}; those features are hidden")
        parsed.start[[r for r, _, _ in parsed.bad_rows]] = np.inf
    backwards = (parsed.end <= parsed.start) & np.isfinite(parsed.start)  # end is exclusive here
    if backwards.any():
        layer.problems.append(f"{int(backwards.sum())} features with end_date before start_date")
    layer.times = parsed
    id_column = next((c for c in KEYFRAME_IDS if c in gdf.columns), None)
    if id_column and "start_date" in gdf.columns:
        layer.role = "keyframes"
        layer.tracks = Tracks(gdf[id_column].fillna("").to_numpy(), parsed.start, parsed.end)
    else:
        layer.role = "temporal"
        layer.index = TimeIndex(parsed.start, parsed.end)


def _require_geometry(path: Path, info: io.LayerInfo) -> None:
    if info.geometry_type is None:
        raise DataError("no geometry column (an attribute table, not a map layer)", path, info.name)


def load_layer(path: str | Path, info: io.LayerInfo, map_crs: CRS | None = None,
               gdf: gpd.GeoDataFrame | None = None) -> Layer:
    """Read, check and reproject one layer; raise DataError when it cannot be shown."""
    path = Path(path)
    _require_geometry(path, info)
    if gdf is None:
        gdf = io.read_layer(path, info.name)
    problems: list[str] = []
    warns: list[str] = []
    gdf = _clean_geometries(gdf, problems, warns)
    _check_crs(gdf, path, info.name)  # after cleaning: NaN/inf coordinates must not look like a wrong CRS
    source_crs = gdf.crs.to_string()
    if map_crs is not None and not gdf.empty:
        gdf = gdf.to_crs(map_crs)
    gdf = gdf.reset_index(drop=True)
    layer = Layer(name=info.name, path=path, source_layer=info.name, gdf=gdf,
                  source_crs=source_crs, geometry_type=info.geometry_type or "Unknown",
                  problems=problems, warnings=warns)
    _attach_time(layer)
    return layer


RawLayer = tuple[Path, io.LayerInfo, gpd.GeoDataFrame]


def _read_all(paths: Sequence[Path], problems: list[str]) -> list[RawLayer]:
    out = []
    for path in paths:
        try:
            infos = io.list_layers(path)
        except TerrainViewerError as exc:
            if not io.gpkg_tile_tables(path):  # a GeoPackage of rasters only is fine
                problems.append(exc.message)
            continue
        for info in infos:
            try:
                _require_geometry(path, info)
                out.append((path, info, io.read_layer(path, info.name)))
            except TerrainViewerError as exc:
                problems.append(exc.message)
    return out


def choose_map_crs(frames: Iterable[gpd.GeoDataFrame]) -> CRS:
    """A metric CRS for the map: the UTM zone at the centre of the data."""
    centres = [c for c in (_lonlat_centre(g) for g in frames) if c]
    if not centres:
        return CRS.from_epsg(3857)
    lon = float(np.median([c[0] for c in centres]))
    lat = float(np.median([c[1] for c in centres]))
    if not (-180 <= lon <= 180 and -84 <= lat <= 84):
        return CRS.from_epsg(3857)
    return utm_crs_for(lon, lat)


def unique_name(name: str, path: Path, taken: set[str]) -> str:
    if name not in taken:
        return name
    candidate = f"{name} ({path.stem})"
    n = 2
    while candidate in taken:
        candidate, n = f"{name} ({path.stem} {n})", n + 1
    return candidate


def open_dataset(paths: Sequence[str | Path], map_crs: CRS | str | int | None = None) -> Dataset:
    """Load every layer of every path; failures become problems, never exceptions."""
    paths = [Path(p) for p in paths]
    problems: list[str] = []
    vector_paths = [p for p in paths if p.suffix.lower() not in io.RASTER_SUFFIXES]
    raster_paths = [p for p in paths if p.suffix.lower() in io.RASTER_SUFFIXES]
    raw = _read_all(vector_paths, problems)
    crs = CRS.from_user_input(map_crs) if map_crs is not None else choose_map_crs(
        g for _, _, g in raw if g.crs is not None)
    layers: list[Layer] = []
    taken: set[str] = set()
    for path, info, gdf in raw:
        try:
            layer = load_layer(path, info, crs, gdf)
        except TerrainViewerError as exc:
            problems.append(exc.message)
            continue
        layer.name = unique_name(layer.name, path, taken)
        taken.add(layer.name)
        problems.extend(DataError(p, path, info.name).message
                        for p in layer.problems + layer.warnings)
        layers.append(layer)
    scans = [(p, table) for p in vector_paths for table in io.gpkg_tile_tables(p)]  # scanned maps
    rasters = _load_rasters([(p, None) for p in raster_paths] + scans, crs, problems)
    return Dataset(layers=layers, map_crs=crs, rasters=rasters, problems=problems)


def _load_rasters(sources: Sequence[tuple[Path, str | None]], crs: CRS, problems: list[str]) -> list:
    """Raster files, and GeoPackage tile tables (scanned maps, named after their table)."""
    from terrain_viewer.core.data.raster import load_raster

    rasters = []
    for path, table in sources:
        try:
            rasters.append(load_raster(path, crs, table=table))
        except TerrainViewerError as exc:
            problems.append(exc.message)
    return rasters
