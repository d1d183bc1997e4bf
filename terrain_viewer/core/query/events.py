"""The events of a day, from every visible layer whose role is ``events``, and the variants that
say where sources differ about a feature (a GeoPackage's ``variants`` attribute table)."""

from __future__ import annotations

import math
import weakref
from dataclasses import dataclass

import numpy as np
import pandas as pd
import shapely

from terrain_viewer.core.data.roles import text
from terrain_viewer.core.model import ViewerModel

VARIANT_COLUMNS = ("feature_id", "layer", "field", "value")


@dataclass(frozen=True)
class Event:
    """One event on the map: its layer, its attributes and where it is (map CRS)."""

    layer: str
    attrs: dict
    xy: tuple[float, float]

    @property
    def title(self) -> str:
        return text(self.attrs.get("title")) or text(self.attrs.get("name_en")) or "(untitled event)"


def event_layers(model: ViewerModel, visible_only: bool = True) -> list:
    """The layers with the events role (visible ones only, unless asked), in draw order."""
    states = {s.name: s for s in model.layer_states}
    return [layer for layer in model.dataset.layers if layer.data_role == "events"
            and (not visible_only or (layer.name in states and states[layer.name].visible))]


def events_on(model: ViewerModel, t: float) -> list[Event]:
    """The events shown on the day of ``t`` (any hour of it, each layer's time offset applied), in
    start order; the same features the map draws."""
    found: list[tuple[str, Event]] = []
    day = math.floor(t) + 0.5
    for layer in event_layers(model):
        if layer.role == "keyframes":  # moving events: where they are today
            records = _records(layer.features_at(day))
            rows = range(len(records))
        else:
            records = _read_once(_RECORDS, layer.gdf, _records)
            rows = layer.active_rows(day)
            rows = range(len(records)) if rows is None else rows
        for i in rows:
            if records[i] is not None:
                attrs, xy = records[i]
                found.append((str(attrs.get("start_date", "")), Event(layer.name, dict(attrs), xy)))
    return [event for _, event in sorted(found, key=lambda pair: pair[0])]


# id(table) -> (a weak reference to it, what was read from it): a closed session's tables are not
# kept alive, and an id reused by another table does not match its weak reference
_RECORDS: dict[int, tuple[weakref.ref, list]] = {}
_VARIANTS: dict[int, tuple[weakref.ref, dict]] = {}
KEPT_TABLES = 64  # kept tables, per kind, beyond which the kept readings are dropped


def _read_once(cache: dict, table: pd.DataFrame, read):
    """``read(table)``, worked out once per table while it lives: a day's listing then only picks
    rows, with no pandas while the date steps (on the GUI thread, beside the map's render thread)."""
    hit = cache.get(id(table))
    if hit is not None and hit[0]() is table:
        return hit[1]
    value = read(table)
    if len(cache) > KEPT_TABLES:
        cache.clear()
    cache[id(table)] = (weakref.ref(table), value)
    return value


def _records(gdf) -> list[tuple[dict, tuple[float, float]] | None]:
    """Each feature's attributes and the point that stands for it (None: no geometry)."""
    geoms = np.asarray(gdf.geometry.values)
    drawn = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    points = np.full((len(geoms), 2), np.nan)
    if drawn.any():
        points[drawn] = shapely.get_coordinates(shapely.point_on_surface(geoms[drawn]))[:, :2]
    rows = gdf.drop(columns=gdf.geometry.name).to_dict("records")
    return [(row, (float(x), float(y))) if ok else None
            for row, (x, y), ok in zip(rows, points, drawn, strict=True)]


def variants_tables(model: ViewerModel) -> list[pd.DataFrame]:
    """Every attribute table of the session shaped like a ``variants`` table."""
    return [table for table in model.dataset.tables.values()
            if all(column in table.columns for column in VARIANT_COLUMNS)]


def variants_for(model: ViewerModel, layer_name: str, attrs: dict) -> list[dict]:
    """The rows of the variants tables about this feature (by ``feature_id`` and source layer)."""
    feature = text(attrs.get("feature_id"))
    if not feature:
        return []
    try:
        source = next(lyr.source_layer for lyr in model.dataset.layers if lyr.name == layer_name)
    except StopIteration:
        source = layer_name
    out = []
    for table in variants_tables(model):
        by_feature = _read_once(_VARIANTS, table, _variant_index)
        out += [dict(row) for row in by_feature.get(feature, []) if row["layer"] in {source, layer_name}]
    return out


def _variant_index(table: pd.DataFrame) -> dict[str, list[dict]]:
    """A variants table's rows (values as text) by ``feature_id``."""
    index: dict[str, list[dict]] = {}
    for row in table.to_dict("records"):
        clean = {k: text(v) for k, v in row.items()}
        index.setdefault(clean["feature_id"], []).append(clean)
    return index


def sources_differ(model: ViewerModel, layer_name: str, attrs: dict) -> list[str]:
    """One line per field the sources disagree on: ``start_date: 1944-06-18 (source …); 1944-06-19 (…)``."""
    by_field: dict[str, list[str]] = {}
    for row in variants_for(model, layer_name, attrs):
        where = "; ".join(part for part in (row.get("source", ""), row.get("note", "")) if part)
        by_field.setdefault(row["field"], []).append(f"{row['value']} ({where})" if where else row["value"])
    return [f"{field}: {' | '.join(values)}" for field, values in by_field.items()]
