"""A keyframed layer at one time, built cheaply on every frame.

The attribute rows of a track state change only when a keyframe is passed, so they are taken from
the layer once per distinct set of rows (the last few are kept); between keyframes only the
geometry moves. Points move as numpy coordinate arrays read once from the layer; lines morph.
"""

from __future__ import annotations

import threading
from collections import OrderedDict

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from geopandas.array import from_shapely

from terrain_viewer.core.temporal.tracks import TrackState, morph_line

KEEP_ROW_SETS = 128  # attribute frames kept (one per distinct set of keyframe rows: the days the
#                      window draws ahead while idle, gui.map_frames.WARM_DAYS, fit) ...
KEEP_ROWS = 200_000  # ... holding at most this many rows in all (beyond one set)
PLAIN_ROWS = 50_000  # a layer of at most this many keyframe rows has its text as numpy objects once


def plain_text(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """A copy of ``frame`` whose Arrow-backed text columns (and column names) are numpy objects.

    A state's frame is worked on every frame (copied, columns read, compared): on Arrow-backed
    text each of those calls into pyarrow, which lets go of the GIL, and in the window the render
    thread then waits for the GUI thread to hand it back (~0.5 ms a call, measured). The values
    are the same strings, a missing one NaN as ``to_numpy()`` gives it."""
    frame = frame.copy(deep=False)
    geometry = frame.geometry.name
    for position, dtype in enumerate(frame.dtypes):
        if isinstance(dtype, pd.StringDtype | pd.ArrowDtype) and frame.columns[position] != geometry:
            frame.isetitem(position, frame.iloc[:, position].astype(object))
    frame.columns = pd.Index(list(frame.columns), dtype=object)
    return frame


CODED_SHARE = 4  # a large layer's text column of at most 1 / this of its rows distinct is coded


class PlainRows:
    """``plain_text(gdf.iloc[rows])`` for any ``rows``, made cheaply. A small layer is made plain
    once (a take of numpy objects calls no pyarrow). A large one keeps its text columns of few
    distinct values as integer codes into their distinct strings, so a take is a numpy take and
    millions of rows are never held as Python strings; its other text is converted per take."""

    def __init__(self, gdf: gpd.GeoDataFrame):
        self._coded: list[tuple[int, object, np.ndarray, np.ndarray]] = []
        if len(gdf) <= PLAIN_ROWS:
            self._rest = plain_text(gdf)
            return
        geometry = gdf.geometry.name
        for position, dtype in enumerate(gdf.dtypes):
            name = gdf.columns[position]
            if isinstance(dtype, pd.StringDtype | pd.ArrowDtype) and name != geometry:
                coded = _coded(gdf.iloc[:, position])
                if coded is not None:
                    self._coded.append((position, name, *coded))
        taken = {position for position, *_ in self._coded}
        self._rest = gdf.iloc[:, [p for p in range(gdf.shape[1]) if p not in taken]]

    def take(self, rows: np.ndarray) -> gpd.GeoDataFrame:
        frame = self._rest.iloc[rows]
        if not self._coded:
            return frame
        frame = plain_text(frame)
        for position, name, codes, values in self._coded:
            frame.insert(position, name, pd.Series(values[codes[rows]], index=frame.index, dtype=object),
                         allow_duplicates=True)  # object, not inferred as text again
        frame.columns = pd.Index(list(frame.columns), dtype=object)
        return frame


def _coded(column: pd.Series) -> tuple[np.ndarray, np.ndarray] | None:
    """(codes, values) of a text column: ``values[codes]`` is the column as ``plain_text`` gives it
    (a missing value as it gives it too); None when too many of its values are distinct."""
    codes, uniques = pd.factorize(column)
    if len(uniques) * CODED_SHARE > len(column):
        return None
    missing = np.flatnonzero(codes < 0)
    na = column.iloc[missing[:1]].astype(object).iloc[0] if len(missing) else np.nan
    values = np.empty(len(uniques) + 1, dtype=object)
    values[:-1], values[-1] = np.asarray(uniques, dtype=object), na  # code -1 (missing): the last
    return codes.astype(np.min_scalar_type(-len(values))), values


class KeyframeFrames:
    """``features_at`` of one keyframed layer: ``at(state)`` gives what the old per-call
    ``gdf.iloc[rows].copy()`` with moved geometry and ``progress`` gave, value for value."""

    def __init__(self, gdf: gpd.GeoDataFrame, points: bool):
        self.gdf = gdf
        self.crs = gdf.crs
        self.points = points
        geoms = np.asarray(gdf.geometry.values)
        self.x = shapely.get_x(geoms) if points else None
        self.y = shapely.get_y(geoms) if points else None
        self._frames: OrderedDict[bytes, gpd.GeoDataFrame] = OrderedDict()
        self._held = 0  # rows in _frames
        self._lock = threading.Lock()  # the window's render thread and its GUI thread both ask

    def __getstate__(self) -> dict:  # copies (the GUI tests deep-copy a dataset) start with no frames
        return {k: v for k, v in self.__dict__.items() if k not in ("_frames", "_held", "_lock", "_plain")}

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state, _frames=OrderedDict(), _held=0, _lock=threading.Lock())

    def _source(self) -> PlainRows:
        """``PlainRows`` of the layer, made on first use."""
        plain = self.__dict__.get("_plain")
        if plain is None:
            plain = self._plain = PlainRows(self.gdf)
        return plain

    def rows_frame(self, rows: np.ndarray, moving: bool) -> gpd.GeoDataFrame:
        """``gdf.iloc[rows]`` (with a ``progress`` column when ``moving``), taken once per distinct
        ``rows`` and kept for the next frames: copy it before changing it."""
        key = np.asarray(rows, dtype=np.int64).tobytes()
        with self._lock:
            frame = self._frames.get(key)
            if frame is not None:
                self._frames.move_to_end(key)
                return frame
        frame = self._source().take(rows)
        if moving:
            frame = frame.copy(deep=False)
            frame["progress"] = 0.0
        with self._lock:
            if key not in self._frames:
                self._frames[key] = frame
                self._held += len(frame)
            while len(self._frames) > 1 and (len(self._frames) > KEEP_ROW_SETS or self._held > KEEP_ROWS):
                self._held -= len(self._frames.popitem(last=False)[1])
        return frame

    def at(self, state: TrackState) -> gpd.GeoDataFrame:
        """The rows of ``state`` (a new frame each call), moved toward their next keyframes."""
        moving = state.next_rows >= 0
        out = self.rows_frame(state.rows, bool(moving.any())).copy(deep=False)
        if not moving.any():
            return out
        there_rows = np.where(moving, state.next_rows, state.rows)
        if self.points:
            f = np.where(moving, state.fraction, 0.0)
            xa, ya = self.x[state.rows], self.y[state.rows]
            xb, yb = self.x[there_rows], self.y[there_rows]
            moved = shapely.points(xa + (xb - xa) * f, ya + (yb - ya) * f)
        else:
            geoms = self.gdf.geometry.values
            here, there = np.asarray(geoms[state.rows]), np.asarray(geoms[there_rows])
            moved = np.empty(len(here), dtype=object)
            moved[:] = [morph_line(a, b, f) for a, b, f in zip(here, there, state.fraction, strict=True)]
        geometry, progress = out.columns.get_loc("geometry"), out.columns.get_loc("progress")
        if isinstance(geometry, int) and isinstance(progress, int):  # by position: no pandas look-ups
            out.isetitem(geometry, from_shapely(moved, crs=self.crs))
            out.isetitem(progress, state.fraction)
        else:  # repeated column names
            out["geometry"] = gpd.GeoSeries(moved, index=out.index, crs=self.crs)
            out["progress"] = state.fraction
        return out
