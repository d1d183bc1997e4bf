"""The day's events and the variants of a feature, as the events panel lists them: worked out from
tables read once, they follow the layer's time offset and hand out attributes the caller may change."""

from __future__ import annotations

import gc
import sqlite3
import weakref
from pathlib import Path

import geopandas as gpd
import pytest
import shapely

from terrain_viewer.core.model import ViewerModel
from terrain_viewer.core.query.events import events_on, sources_differ
from terrain_viewer.core.temporal.timeline import parse_iso


@pytest.fixture
def model(tmp_path: Path) -> ViewerModel:
    """Three dated events (one with two readings of its date in a ``variants`` table)."""
    path = tmp_path / "siege.gpkg"
    gpd.GeoDataFrame({"title": ["Bridge blown", "Gate stormed", "Truce"],
                      "feature_id": ["e1", "e2", " e3 "],
                      "start_date": ["1870-09-02", "1870-09-03", "1870-09-05"],
                      "end_date": ["1870-09-02", "1870-09-04", "1870-09-05"]},
                     geometry=shapely.points([(5.0, 49.0), (5.01, 49.01), (5.02, 49.0)]),
                     crs=4326).to_file(path, layer="events", engine="pyogrio")
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE variants (fid INTEGER PRIMARY KEY, feature_id TEXT, layer TEXT, field TEXT, "
                   "value TEXT, source TEXT)")
        db.executemany("INSERT INTO variants VALUES (?, ?, ?, ?, ?, ?)",
                       [(1, "e2", "events", "start_date", "1870-09-03", "Staff history"),
                        (2, "e2", "events", "start_date", "1870-09-04", "Regimental diary"),
                        (3, "e3", "events", "start_date", "1870-09-06", "Letter")])
        db.execute("INSERT INTO gpkg_contents (table_name, data_type, identifier) "
                   "VALUES ('variants', 'attributes', 'variants')")
    db.close()
    return ViewerModel.open([path])


def to_t(day: str) -> float:
    return parse_iso(day)[0] + 0.5  # noon of that day


def titles(model: ViewerModel, day: str) -> list[str]:
    return [event.title for event in events_on(model, to_t(day))]


def test_each_day_lists_the_events_that_touch_it_in_start_order(model):
    assert titles(model, "1870-09-02") == ["Bridge blown"]
    assert titles(model, "1870-09-03") == ["Gate stormed"]
    assert titles(model, "1870-09-04") == ["Gate stormed"]
    assert titles(model, "1870-09-05") == ["Truce"]
    assert titles(model, "1870-09-01") == []


def test_a_time_offset_moves_the_listing_with_the_map(model):
    titles(model, "1870-09-02")  # read once before the offset
    model.set_time_offset("events", 2)
    assert titles(model, "1870-09-02") == []
    assert titles(model, "1870-09-04") == ["Bridge blown"]
    assert titles(model, "1870-09-07") == ["Truce"]


def test_the_attributes_handed_out_are_the_callers_own(model):
    first = events_on(model, to_t("1870-09-02"))[0]
    first.attrs["title"] = "changed by the caller"
    assert titles(model, "1870-09-02") == ["Bridge blown"]


def test_sources_differ_lists_every_reading_with_its_source(model):
    gate = events_on(model, to_t("1870-09-03"))[0]
    assert sources_differ(model, "events", gate.attrs) == [
        "start_date: 1870-09-03 (Staff history) | 1870-09-04 (Regimental diary)"]
    truce = events_on(model, to_t("1870-09-05"))[0]  # its feature_id has spaces around it
    assert sources_differ(model, "events", truce.attrs) == ["start_date: 1870-09-06 (Letter)"]
    bridge = events_on(model, to_t("1870-09-02"))[0]
    assert sources_differ(model, "events", bridge.attrs) == []


def test_a_closed_sessions_tables_are_not_kept_alive_by_the_listing(model):
    other = ViewerModel.open(model.paths)
    gate = events_on(other, to_t("1870-09-03"))[0]
    assert sources_differ(other, "events", gate.attrs)
    table = weakref.ref(other.dataset.layer("events").gdf)
    variants = weakref.ref(other.dataset.tables["variants"])
    del other, gate
    gc.collect()
    assert table() is None and variants() is None
    assert titles(model, "1870-09-03") == ["Gate stormed"]  # the session still open still lists
