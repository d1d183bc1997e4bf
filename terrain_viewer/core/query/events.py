"""The events of a day, from every visible layer whose role is ``events``, and the variants that
say where sources differ about a feature (a GeoPackage's ``variants`` attribute table)."""

from __future__ import annotations

import math
from dataclasses import dataclass

import pandas as pd

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
    for layer in event_layers(model):
        gdf = layer.features_at(math.floor(t) + 0.5)
        for (_, row), geom in zip(gdf.iterrows(), gdf.geometry.values, strict=True):
            if geom is None or geom.is_empty:
                continue
            point = geom.representative_point()
            attrs = {k: v for k, v in row.items() if k != gdf.geometry.name}
            found.append((str(attrs.get("start_date", "")), Event(layer.name, attrs, (point.x, point.y))))
    return [event for _, event in sorted(found, key=lambda pair: pair[0])]


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
        rows = table[(table["feature_id"].astype(str) == feature)
                     & table["layer"].astype(str).isin({source, layer_name})]
        out += [{k: text(v) for k, v in row.items()} for row in rows.to_dict("records")]
    return out


def sources_differ(model: ViewerModel, layer_name: str, attrs: dict) -> list[str]:
    """One line per field the sources disagree on: ``start_date: 1944-06-18 (source …); 1944-06-19 (…)``."""
    by_field: dict[str, list[str]] = {}
    for row in variants_for(model, layer_name, attrs):
        where = "; ".join(part for part in (row.get("source", ""), row.get("note", "")) if part)
        by_field.setdefault(row["field"], []).append(f"{row['value']} ({where})" if where else row["value"])
    return [f"{field}: {' | '.join(values)}" for field, values in by_field.items()]
