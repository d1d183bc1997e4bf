"""The viewer model's events: specific, disconnectable, batched; undated data shows no date."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import shapely

from terrain_viewer.core.model import ViewerModel
from terrain_viewer.core.render.renderer import MapRenderer


def _record(model: ViewerModel, *kinds: str) -> list[tuple[str, str | None, object]]:
    seen: list[tuple[str, str | None, object]] = []
    for kind in kinds:
        model.events.signal(kind).connect(lambda c: seen.append((c.kind, c.layer, c.value)))
    return seen


def test_each_change_has_its_own_event_naming_the_layer(small_gpkg):
    model = ViewerModel.open([small_gpkg])
    name = model.layer_states[0].name
    seen = _record(model, "visibility", "opacity", "style", "layer_moved", "time", "view")
    model.set_visible(name, False)
    model.set_visible(name, False)  # no change, no event
    model.set_opacity(name, 0.5)
    model.set_style(name, color="#ff0000")
    model.move_layer(name, 2)
    model.time.step(1)
    assert [s[:2] for s in seen] == [("visibility", name), ("opacity", name), ("style", name),
                                     ("layer_moved", name), ("time", None)]
    assert seen[0][2] is False and seen[1][2] == 0.5 and seen[2][2]["color"] == "#ff0000"


def test_a_disconnected_listener_hears_nothing_and_any_hears_everything(small_gpkg):
    model = ViewerModel.open([small_gpkg])
    name = model.layer_states[0].name
    heard, everything = [], []
    listener = model.events.visibility.connect(heard.append)
    model.events.any.connect(everything.append)
    model.set_visible(name, False)
    model.events.visibility.disconnect(listener)
    model.set_visible(name, True)
    model.set_opacity(name, 0.3)
    assert len(heard) == 1
    assert [c.kind for c in everything] == ["visibility", "visibility", "opacity"]


def test_a_batch_tells_each_change_once_with_its_last_value(small_gpkg):
    model = ViewerModel.open([small_gpkg])
    name = model.layer_states[0].name
    seen = _record(model, "opacity", "time")
    with model.events.batch():
        for value in (0.1, 0.2, 0.3):
            model.set_opacity(name, value)
        model.time.step(1)
        model.time.step(1)
        assert seen == []  # held until the batch ends
    assert seen == [("opacity", name, 0.3), ("time", None, model.time.t)]


def test_adding_and_removing_files_tells_each_layer(small_gpkg, tmp_path):
    model = ViewerModel.open([small_gpkg])
    other = tmp_path / "other.gpkg"
    gpd.GeoDataFrame({"name_en": ["road"]}, geometry=[shapely.LineString([(112.5, 26.8), (112.7, 26.9)])],
                     crs=4326).to_file(other, layer="roads")
    seen = _record(model, "layer_added", "layer_removed")
    model.add_files([other])
    assert seen == [("layer_added", "roads", None)]
    model.remove_layer("roads")
    assert seen[-1] == ("layer_removed", "roads", None)
    assert "roads" not in [s.name for s in model.layer_states]
    assert "roads" not in [layer.name for layer in model.dataset.layers]


def test_undated_data_has_no_date_and_no_caption(tmp_path):
    path = tmp_path / "roads.gpkg"
    gpd.GeoDataFrame({"name_en": ["road"]}, geometry=[shapely.LineString([(112.5, 26.8), (112.7, 26.9)])],
                     crs=4326).to_file(path, layer="roads")
    model = ViewerModel.open([path])
    assert not model.has_time
    renderer = MapRenderer(model)
    with_caption = renderer.render(size=(480, 320))
    model.set_options(caption=False)
    without = renderer.render(size=(480, 320))
    assert np.array_equal(with_caption, without)  # no "1 January 1970" drawn
