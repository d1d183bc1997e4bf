"""Keyframed movement: where a unit (or a front line) is at any time between its keyframes.

Rows that share an id are keyframes at their ``start`` times. At time t an item is at its
last keyframe before t, moved toward its next keyframe by the fraction of the way between
them; it exists from its first keyframe until the end of its last row (the ends of the rows
before it say nothing: they are often left empty, and an empty end, "still there", kept a
unit on the map for ever after its last row ended).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import shapely

MORPH_SAMPLES = 96


@dataclass
class TrackState:
    """What is visible at one time: the keyframe row each item takes its attributes from,
    the next keyframe row (or -1) and the fraction of the way to it."""

    rows: np.ndarray
    next_rows: np.ndarray
    fraction: np.ndarray


class Tracks:
    """Keyframes grouped by id, answering ``state(t)`` for all ids at once (vectorised)."""

    def __init__(self, ids: np.ndarray, start: np.ndarray, end: np.ndarray):
        start = np.asarray(start, dtype=float)
        end = np.asarray(end, dtype=float)
        usable = np.isfinite(start)
        self.id_names, codes_all = _id_codes(ids, usable)
        rows = np.nonzero(usable)[0]
        order = np.lexsort((start[rows], codes_all[rows]))
        self.rows = rows[order]
        self.codes = codes_all[self.rows]
        self.times = start[self.rows]
        self.t0 = float(self.times.min()) if len(self.rows) else 0.0
        span = float(self.times.max() - self.t0) + 2.0 if len(self.rows) else 2.0
        self.span = span
        self.keys = self.codes * span + (self.times - self.t0)
        n_ids = len(self.id_names)
        self.first = np.searchsorted(self.codes, np.arange(n_ids), side="left")
        self.last = np.searchsorted(self.codes, np.arange(n_ids), side="right") - 1
        self.item_end = end[self.rows[self.last]] if n_ids else np.full(0, -np.inf)
        self._last: tuple[float, TrackState] | None = None

    def state(self, t: float) -> TrackState:
        """Keyframe rows, next rows and fractions for every id that exists at ``t`` (read-only
        arrays: a frame asks several times for the same ``t``, the last answer is kept)."""
        last = self._last
        if last is not None and last[0] == t:
            return last[1]
        state = self._state(t)
        for array in (state.rows, state.next_rows, state.fraction):
            array.setflags(write=False)
        self._last = (t, state)
        return state

    def _state(self, t: float) -> TrackState:
        n_ids = len(self.id_names)
        if n_ids == 0:
            empty = np.array([], dtype=int)
            return TrackState(empty, empty, np.array([], dtype=float))
        codes = np.arange(n_ids)
        pos = np.searchsorted(self.keys, codes * self.span + (t - self.t0), side="right") - 1
        pos = np.minimum(pos, self.last)
        alive = (pos >= self.first) & (t < self.item_end)
        codes, pos = codes[alive], pos[alive]
        has_next = pos < self.last[codes]
        nxt = np.where(has_next, pos + 1, pos)
        t_a, t_b = self.times[pos], self.times[nxt]
        with np.errstate(invalid="ignore", divide="ignore"):
            frac = np.where(has_next & (t_b > t_a), (t - t_a) / (t_b - t_a), 0.0)
        return TrackState(self.rows[pos], np.where(has_next, self.rows[nxt], -1), np.clip(frac, 0, 1))

    def keyframe_times(self, item: str) -> np.ndarray:
        """Keyframe times of one id (for tests and the identify panel)."""
        code = int(np.searchsorted(self.id_names, item))
        if code >= len(self.id_names) or self.id_names[code] != item:
            raise KeyError(item)
        return self.times[self.first[code] : self.last[code] + 1]

    def last_rows(self, n_rows: int) -> np.ndarray:
        """A mask of ``n_rows`` rows: each item's last keyframe (whose end is the item's)."""
        mask = np.zeros(n_rows, bool)
        mask[self.rows[self.last]] = True
        return mask


def _id_codes(ids: object, usable: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The sorted distinct ids (as text) of the ``usable`` rows, and each row's code in them (-1:
    not usable): ``np.unique`` of the ids as text, worked out on the distinct values only."""
    codes, uniques = pd.factorize(pd.Series(ids) if not isinstance(ids, pd.Series) else ids)
    if (codes < 0).any():  # missing ids: their text ("None", "nan") is what np.unique would see
        codes, uniques = pd.factorize(np.asarray(ids).astype(str))
    text = np.asarray(uniques, dtype=object).astype(str)
    present = np.bincount(codes[usable], minlength=len(text)) > 0
    names, inverse = np.unique(text[present], return_inverse=True)  # also joins 1 and "1"
    table = np.full(len(text), -1)
    table[present] = inverse
    out = np.full(len(codes), -1)
    out[usable] = table[codes[usable]]
    return names, out


def morph_line(a: shapely.Geometry, b: shapely.Geometry, fraction: float,
               samples: int = MORPH_SAMPLES) -> shapely.Geometry:
    """A line between ``a`` and ``b``: both resampled by length, then blended vertex by vertex."""
    if fraction <= 0 or b is None or a.equals(b):
        return a
    if fraction >= 1:
        return b
    steps = np.linspace(0.0, 1.0, samples)
    pa = shapely.get_coordinates(shapely.line_interpolate_point(a, steps, normalized=True))
    pb = shapely.get_coordinates(shapely.line_interpolate_point(b, steps, normalized=True))
    return shapely.linestrings(pa + (pb - pa) * fraction)
