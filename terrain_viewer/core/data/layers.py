"""Layers in the map CRS with their time index, and a Dataset that holds them.

``open_dataset`` loads every layer it can from any number of files: a layer that fails
becomes a one-line problem in ``Dataset.problems`` and the rest still load.
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS
from pyproj.exceptions import ProjError

from terrain_viewer.core.common.errors import TerrainViewerError, counted
from terrain_viewer.core.data import pointlayer
from terrain_viewer.core.data import readers as io
from terrain_viewer.core.data.geomcheck import (
    check_crs,
    check_placeable,
    clean_geometries,
    crs_name,
    drop_nonfinite,
    points_to_crs,
)
from terrain_viewer.core.data.keyframes import KeyframeFrames, PlainRows
from terrain_viewer.core.data.mapcrs import choose_map_crs, utm_crs_for
from terrain_viewer.core.data.roles import (
    detect_role,
    layer_metadata,
    lonlat_bounds,
    row_name,
    side_names,
)
from terrain_viewer.core.temporal.dates import iso_problem
from terrain_viewer.core.temporal.timeline import (
    ParsedTimes,
    TimeIndex,
    extent_of,
    parse_iso,
    parse_times,
    to_datetime,
)
from terrain_viewer.core.temporal.tracks import Tracks

TIME_COLUMNS = ("start_date", "end_date")
KEYFRAME_IDS = io.KEYFRAME_FIELDS
MAX_VERTICES = 5_000_000  # vertices per layer; larger layers are refused with a message
MAX_PROJECTED = 1e9  # |x| or |y| beyond this in a projected CRS is not on Earth in any unit
PROJECTED_WHY = f"coordinates beyond ±{MAX_PROJECTED:.0e} (not on Earth)"
__all__ = ["Dataset", "Layer", "choose_map_crs", "load_layer", "open_dataset", "unique_name", "utm_crs_for"]


@dataclass
class Layer:
    """One vector layer in the map CRS, with its time behaviour.

    ``role`` is ``static`` (always shown), ``temporal`` (shown from start to end) or
    ``keyframes`` (rows of one ``unit_id``/``line_id`` move between dates). ``data_role`` is what
    the layer is (``units``, ``front_lines``, ``events``, ... see ``roles``): detected from the data
    (``detected_role``) unless the user overrides it. ``time_offset`` (days) shifts the layer in time:
    its features of date D are shown at D + offset. ``lonlat_bounds`` is its box in degrees.
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
    data_role: str = "generic"
    detected_role: str = "generic"
    side_names: dict[str, str] = field(default_factory=dict)
    time_offset: float = 0.0
    lonlat_bounds: tuple[float, float, float, float] | None = None
    _frames: KeyframeFrames | None = field(default=None, repr=False, compare=False)
    _plain: tuple | None = field(default=None, repr=False, compare=False)

    def _shifted(self, extent: tuple[float, float] | None) -> tuple[float, float] | None:
        return None if extent is None else (extent[0] + self.time_offset, extent[1] + self.time_offset)

    @property
    def time_extent(self) -> tuple[float, float] | None:
        return self._shifted(extent_of(self.times)) if self.times is not None else None

    @property
    def dated_extent(self) -> tuple[float, float] | None:
        """The span of the dates actually written (open ends ignored), shifted by ``time_offset``."""
        return self._shifted(extent_of(self.times, open_ends=False)) if self.times is not None else None

    @property
    def is_static(self) -> bool:
        return self.role == "static"

    def features_at(self, t: float) -> gpd.GeoDataFrame:
        """The features on the map at time ``t``; keyframed ones moved to where they are."""
        if self.role == "static":
            return self.gdf
        t -= self.time_offset
        if self.role == "temporal":
            return self._rows_source().take(self._active(t))
        return self._keyframes_at(t)

    def _rows_source(self) -> PlainRows:
        """``PlainRows`` of ``gdf``, made once, as a keyframed layer's (each pyarrow call lets
        go of the interpreter lock, and in the window the render thread then waits for the GUI
        thread to give it back)."""
        plain = self._plain
        if plain is None or plain[0] is not self.gdf:
            plain = self._plain = (self.gdf, PlainRows(self.gdf))
        return plain[1]

    def __getstate__(self) -> dict:  # a copy (an export worker's) makes its own plain text when asked
        return {**self.__dict__, "_plain": None}

    def active_rows(self, t: float) -> np.ndarray | None:
        """Row numbers (in ``gdf``) of the features on the map at ``t``; None for all (static)."""
        t -= self.time_offset
        if self.role == "temporal":
            return np.asarray(self._active(t))
        if self.role == "keyframes":
            return np.asarray(self.tracks.state(t).rows)
        return None

    def _active(self, t: float) -> np.ndarray:
        """Dated rows at ``t`` (layer time); events are shown all day on each day they touch."""
        if self.data_role != "events" or self.times is None:
            return self.index.active(t)
        day = math.floor(t)
        return np.flatnonzero((self.times.start < day + 1) & (self.times.end > day))

    def _keyframes_at(self, t: float) -> gpd.GeoDataFrame:
        frames = self._frames
        if frames is None or frames.gdf is not self.gdf:
            frames = self._frames = KeyframeFrames(self.gdf, self.geometry_type.endswith("Point"))
        return frames.at(self.tracks.state(t))


@dataclass
class Dataset:
    """Everything loaded for one session: vector layers, rasters and what went wrong.

    ``problems`` are one line each (file, layer, problem) for what could not be loaded or was
    repaired; ``notes`` say what was skipped on purpose (style and attribute tables);
    ``tables`` holds attribute tables (no geometry) by name, e.g. a ``variants`` table.
    ``time_extent``/``animation_extent`` are None when no layer has a date ("no time").
    """

    layers: list[Layer]
    map_crs: CRS
    rasters: list = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)

    @property
    def has_time(self) -> bool:
        """Whether any layer has a date (else hide the date caption and slider)."""
        return self.time_extent is not None

    @property
    def unreadable(self) -> bool:
        """Nothing could be loaded and something went wrong (``info`` exits non-zero)."""
        return not self.layers and not self.rasters and bool(self.problems)

    def layer(self, name: str) -> Layer:
        found = self.find(name)
        if found is None:
            raise KeyError(name)
        return found

    def files(self) -> set[str]:
        """The absolute paths of the files that gave a layer or a raster."""
        return {os.path.abspath(o.path) for o in [*self.layers, *self.rasters]}

    def find(self, name: str) -> Layer | None:
        """The vector layer ``name``, or None (a raster's name, or a layer whose file is gone)."""
        return next((layer for layer in self.layers if layer.name == name), None)

    @property
    def time_extent(self) -> tuple[float, float] | None:
        """The finite span of all dated layers (open ends do not extend it)."""
        return _union([layer.dated_extent for layer in self.layers])

    @property
    def animation_extent(self) -> tuple[float, float] | None:
        """The span the date slider covers: per file, that of its moving (keyframed) layers if it
        has any (a battle's days, not the years its defences were built), else that of its dated
        layers; the union over the files (another battle's file added extends it to its days)."""
        files: dict[Path, list[Layer]] = {}
        for layer in self.layers:
            files.setdefault(layer.path, []).append(layer)
        spans = []
        for layers in files.values():
            moving = [layer.dated_extent for layer in layers if layer.role == "keyframes"]
            spans.append(_union(moving) or _union([layer.dated_extent for layer in layers]))
        return _union(spans)

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        boxes = [layer.gdf.total_bounds for layer in self.layers if len(layer.gdf)]
        boxes += [r.bounds for r in self.rasters]
        if not boxes:
            return (0.0, 0.0, 1.0, 1.0)
        arr = np.array(boxes, dtype=float)
        return (arr[:, 0].min(), arr[:, 1].min(), arr[:, 2].max(), arr[:, 3].max())


def _union(extents: list[tuple[float, float] | None]) -> tuple[float, float] | None:
    values = [v for e in extents if e for v in e if math.isfinite(v)]
    return (min(values), max(values)) if values else None


def _attach_time(layer: Layer) -> None:
    gdf = layer.gdf
    if not any(c in gdf.columns for c in TIME_COLUMNS):
        _say_unread_dates(layer)
        return
    starts = gdf["start_date"] if "start_date" in gdf.columns else None
    ends = gdf["end_date"] if "end_date" in gdf.columns else None
    parsed = parse_times(starts, ends, len(gdf))
    if parsed.bad_rows:
        row, column, text = parsed.bad_rows[0]
        hidden = "that feature is hidden" if len(parsed.bad_rows) == 1 else "those features are hidden"
        layer.problems.append(f"{counted(len(parsed.bad_rows), 'unreadable date')}, e.g. {column}={text!r} "
                              f"in row {row + 1}{row_name(gdf, row)} ({iso_problem(text)}); {hidden}")
        parsed.start[[r for r, _, _ in parsed.bad_rows]] = np.inf
    backwards = np.flatnonzero((parsed.end <= parsed.start) & np.isfinite(parsed.start))  # end: exclusive
    if len(backwards):
        row = int(backwards[0])
        hidden = "that feature is hidden" if len(backwards) == 1 else "those features are hidden"
        layer.problems.append(f"{counted(len(backwards), 'feature')} with end_date before start_date, e.g. "
                              f"row {row + 1}{row_name(gdf, row)}; {hidden}")
        parsed.start[backwards] = np.inf
    layer.times = parsed
    id_column = next((c for c in KEYFRAME_IDS if c in gdf.columns), None)
    if id_column and "start_date" in gdf.columns:
        layer.role = "keyframes"
        layer.tracks = Tracks(gdf[id_column].fillna(""), parsed.start, parsed.end)
        parsed.ending = layer.tracks.last_rows(len(gdf))  # before any extent is worked out and kept
        if len(layer.tracks.id_names) > io.MAX_FEATURES:  # each id is a feature on the map
            raise io.data_error(f"{len(layer.tracks.id_names):,} distinct {id_column} values; the limit "
                                f"is {io.MAX_FEATURES:,} per layer", layer.path, layer.source_layer)
        _say_repeated_keyframes(layer, id_column)
    else:
        layer.role = "temporal"
        layer.index = TimeIndex(parsed.start, parsed.end)


def _say_unread_dates(layer: Layer) -> None:
    """A warning for a layer with no start_date or end_date whose column named like a date holds
    ISO dates (``date``, ``survey_date``, ``day``…): its features were drawn on every day, unsaid."""
    for column in layer.gdf.columns:
        name = str(column).lower()
        if column == "geometry" or not ("date" in name or name in ("day", "time", "datetime", "timestamp")):
            continue
        values = layer.gdf[column].dropna().head(20)
        if any(_reads_as_date(v) for v in values):
            layer.warnings.append(f"column {str(column)[:40]!r} holds dates but is not read as one: each "
                                  f"feature is drawn on every day; name it start_date (and add end_date) "
                                  f"to draw it on its days")
            return


def _reads_as_date(value: object) -> bool:
    try:
        return parse_iso(value) is not None
    except (ValueError, TypeError, OverflowError):
        return False


def _say_repeated_keyframes(layer: Layer, id_column: str) -> None:
    """A problem for keyframes that give one id two rows at the same time (a unit in two places
    at once: one of them was drawn, and ``validate`` said nothing)."""
    tracks = layer.tracks
    twice = np.flatnonzero(np.diff(tracks.keys) == 0)
    if not len(twice):
        return
    row = tracks.rows[twice[0] + 1]
    when = to_datetime(tracks.times[twice[0]]).isoformat(sep=" ", timespec="minutes").removesuffix(" 00:00")
    layer.problems.append(f"{counted(len(twice), 'repeated keyframe')}: {id_column}="
                          f"{str(tracks.id_names[tracks.codes[twice[0]]])!r} has two rows at {when} (rows "
                          f"{tracks.rows[twice[0]] + 1} and {row + 1}); the later row in the file is drawn")


@dataclass
class RawLayer:
    """One layer read and cleaned in its own CRS, before the map CRS is known."""

    path: Path
    info: io.LayerInfo
    gdf: gpd.GeoDataFrame
    problems: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    xy: np.ndarray | None = None  # a large point layer's coordinates; its points not made yet

    def sample(self) -> gpd.GeoDataFrame:
        """What the map CRS is chosen from (the layer, or the points it would use)."""
        return self.gdf if self.xy is None else pointlayer.sample_frame(self.gdf, self.xy)


def _require_geometry(path: Path, info: io.LayerInfo) -> None:
    if info.geometry_type is None:
        raise io.data_error("no geometry column (an attribute table, not a map layer)", path, info.name)


def prepare_layer(path: Path, info: io.LayerInfo, gdf: gpd.GeoDataFrame | None = None) -> RawLayer:
    """Read (unless given), clean and check one layer in its own CRS; DataError when unusable."""
    _require_geometry(path, info)
    with io.guarded(path, info.name):
        xy = None
        if gdf is None:
            gdf, xy = io.read_layer_xy(path, info.name, info.details)
        raw = RawLayer(path, info, gdf, xy=xy)
        if "unreadable" in gdf.attrs:
            raw.problems.append(gdf.attrs["unreadable"])
        if not len(gdf):  # said, not a map of nothing at 0°, 0° with no word
            raw.warnings.append("no features: the layer is empty, nothing of it is drawn")
        if xy is not None:  # present, finite, valid 2D points
            raw.gdf, raw.xy = pointlayer.check(gdf, xy, path, info.name, raw.problems, MAX_PROJECTED,
                                               PROJECTED_WHY)
            return _within_vertices(raw, len(raw.xy))
        raw.gdf = clean_geometries(gdf, raw.problems, raw.warnings)  # NaN out before the CRS checks
        check_crs(raw.gdf, path, info.name)
        check_placeable(raw.gdf, path, info.name)
        if raw.gdf.crs.is_projected:
            raw.gdf = drop_nonfinite(raw.gdf, raw.problems, PROJECTED_WHY, MAX_PROJECTED)
        return _within_vertices(raw, int(shapely.get_num_coordinates(raw.gdf.geometry.values).sum()))


def _within_vertices(raw: RawLayer, vertices: int) -> RawLayer:
    if vertices > MAX_VERTICES:
        raise io.data_error(f"{vertices:,} vertices; the limit is {MAX_VERTICES:,} per layer "
                            "(simplify it first)", raw.path, raw.info.name)
    return raw


def finish_layer(raw: RawLayer, map_crs: CRS | None) -> Layer:
    """Reproject a prepared layer to ``map_crs`` (rows that become non-finite are dropped) and
    attach its time behaviour."""
    path, name, gdf = raw.path, raw.info.name, raw.gdf
    source_crs = gdf.crs.to_string()
    problems = list(raw.problems)
    why = "coordinates outside the map CRS (not finite after reprojection)"
    if raw.xy is not None:
        crs = CRS.from_user_input(map_crs) if map_crs is not None else None
        with io.guarded(path, name):
            gdf = pointlayer.made(gdf, raw.xy, crs, problems, why)
    elif map_crs is not None and not gdf.empty:
        try:
            points = points_to_crs(gdf, CRS.from_user_input(map_crs), problems, why)
            gdf = points if points is not None else gdf.to_crs(map_crs)
        except ProjError:
            raise io.data_error(f"has CRS {crs_name(gdf.crs)} which cannot be transformed to the map "
                                f"CRS {crs_name(CRS.from_user_input(map_crs))}", path, name) from None
        if points is None:
            gdf = drop_nonfinite(gdf, problems, why)
    layer = Layer(name=io.safe(name, 120), path=path, source_layer=name, gdf=gdf.reset_index(drop=True),
                  source_crs=source_crs, geometry_type=raw.info.geometry_type or "Unknown",
                  problems=problems, warnings=list(raw.warnings))
    with io.guarded(path, name, "cannot read dates"):
        _attach_time(layer)
    layer.data_role = layer.detected_role = detect_role(gdf, layer.geometry_type, name, path)
    layer.side_names = side_names(gdf, layer_metadata(path, name, raw.info.details)
                                  if "side" in gdf.columns else None)
    layer.lonlat_bounds = lonlat_bounds(raw.gdf, None if raw.xy is None else pointlayer.bounds(raw.xy))
    return layer


def load_layer(path: str | Path, info: io.LayerInfo, map_crs: CRS | None = None,
               gdf: gpd.GeoDataFrame | None = None) -> Layer:
    """Read, check and reproject one layer; raise DataError when it cannot be shown."""
    return finish_layer(prepare_layer(Path(path), info, gdf), map_crs)


def _table_note(path: Path, info: io.LayerInfo, tables: dict[str, pd.DataFrame]) -> str:
    """Skip a non-spatial table: QGIS styles silently, attribute tables kept in ``tables``."""
    if info.name.lower() in io.STYLE_TABLES:
        return io.data_error("skipped: QGIS style table (no geometry)", path, info.name).message
    try:
        tables[info.name] = io.read_table(path, info.name)
    except TerrainViewerError as exc:
        return exc.message
    return io.data_error("skipped as a map layer: attribute table (no geometry); kept as a table",
                         path, info.name).message


def _read_file(path: Path, problems: list[str], notes: list[str],
               tables: dict[str, pd.DataFrame]) -> list[RawLayer]:
    try:
        infos = io.list_layers(path)
    except TerrainViewerError as exc:
        if not io.gpkg_tile_tables(path):  # a GeoPackage of rasters only is fine
            problems.append(exc.message)
        return []
    out = []
    for info in infos:
        if info.geometry_type is None:
            notes.append(_table_note(path, info, tables))
            continue
        try:
            out.append(prepare_layer(path, info))
        except TerrainViewerError as exc:
            problems.append(exc.message)
    return out


def unique_name(name: str, path: Path, taken: set[str]) -> str:
    if name not in taken:
        return name
    candidate = f"{name} ({path.stem})"
    n = 2
    while candidate in taken:
        candidate, n = f"{name} ({path.stem} {n})", n + 1
    return candidate


def open_dataset(paths: Sequence[str | Path], map_crs: CRS | str | int | None = None) -> Dataset:
    """Load every layer of every path; failures become problems, never exceptions. Files loaded
    so before come from the disk cache (``load_cache``)."""
    from terrain_viewer.core.data.load_cache import cached

    return cached(paths, map_crs, lambda: _open_dataset(paths, map_crs))


def _open_dataset(paths: Sequence[str | Path], map_crs: CRS | str | int | None = None) -> Dataset:
    paths = [Path(p) for p in paths]
    problems: list[str] = []
    notes: list[str] = []
    tables: dict[str, pd.DataFrame] = {}
    vector_paths = [p for p in paths if p.suffix.lower() not in io.RASTER_SUFFIXES]
    raster_paths = [p for p in paths if p.suffix.lower() in io.RASTER_SUFFIXES]
    raw = [r for p in vector_paths for r in _read_file(p, problems, notes, tables)]
    crs = CRS.from_user_input(map_crs) if map_crs is not None else choose_map_crs(r.sample() for r in raw)
    if map_crs is None and not raw and raster_paths:  # rasters only: the UTM zone of the first placed
        from terrain_viewer.core.data.raster import raster_centre  # (was web mercator)

        centre = next((c for c in map(raster_centre, raster_paths) if c and -84 <= c[1] <= 84), None)
        crs = utm_crs_for(*centre) if centre else crs
    layers: list[Layer] = []
    taken: set[str] = set()
    for item in raw:
        try:
            layer = finish_layer(item, crs)
        except TerrainViewerError as exc:
            problems.append(exc.message)
            continue
        layer.name = unique_name(layer.name, item.path, taken)
        taken.add(layer.name)
        problems.extend(io.data_error(p, item.path, item.info.name).message
                        for p in layer.problems + layer.warnings)
        layers.append(layer)
    scans = [(p, table) for p in vector_paths for table in io.gpkg_tile_tables(p)]  # scanned maps
    rasters = _load_rasters([(p, None) for p in raster_paths] + scans, crs, problems)
    return Dataset(layers=layers, map_crs=crs, rasters=rasters, problems=problems, notes=notes,
                   tables=tables)


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
