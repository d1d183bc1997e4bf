"""The window draws on a thread of its own while the person changes the session: a change made to
the layers in place (a time shift, a role) waits for the frame being drawn to end. A new user set
a layer's time shift to 30 days and its points stayed on the map for good (the legend had dropped
them): the frame drawn meanwhile had cached the layer's old features under its new state's key."""

from __future__ import annotations

import threading

import geopandas as gpd
import numpy as np
import pytest
import shapely

from terrain_viewer.core.model import ViewerModel
from terrain_viewer.core.render.legend_cache import LegendCache
from terrain_viewer.core.render.renderer import MapRenderer

SIZE = (960, 640)  # wide enough for a legend (made before the map)


@pytest.fixture
def forts(tmp_path):
    """Three forts near Verdun (Lambert 93) and a front line, from 21 February to 18 December 1916."""
    points = [shapely.Point(872_000 + 3_000 * i, 6_900_000 + 2_000 * i) for i in range(3)]
    gdf = gpd.GeoDataFrame({"name": ["Fort Douaumont", "Fort Vaux", "Fort Souville"],
                            "start_date": ["1916-02-21"] * 3, "end_date": ["1916-12-18"] * 3,
                            "source": ["Ousby 2002"] * 3}, geometry=points, crs="EPSG:2154")
    path = tmp_path / "verdun.gpkg"
    gdf.to_file(path, layer="forts", driver="GPKG")
    line = shapely.LineString([(870_000, 6_897_000), (882_000, 6_906_000)])  # keeps the time range
    gpd.GeoDataFrame({"name": ["front"], "start_date": ["1916-02-21"], "end_date": ["1916-12-18"]},
                     geometry=[line], crs="EPSG:2154").to_file(path, layer="front", driver="GPKG")
    return path


def shifted_during_a_frame(model: ViewerModel, renderer: MapRenderer, monkeypatch) -> bool:
    """Draw a frame during which another thread (the GUI's) shifts the forts by 30 days, as the
    frame's legend is made (before its map); True when the shift was made before the frame ended."""
    changer = threading.Thread(target=model.set_time_offset, args=("forts", 30))
    entries = LegendCache.entries

    def legend_then_shift(self, *args, **kwargs):
        out = entries(self, *args, **kwargs)
        if changer.ident is None:
            changer.start()
            changer.join(0.5)  # the shift is made now, unless it waits for the frame
        return out

    monkeypatch.setattr(LegendCache, "entries", legend_then_shift)
    renderer.render(size=SIZE)
    made_during = not changer.is_alive()
    changer.join()
    monkeypatch.setattr(LegendCache, "entries", entries)
    return made_during


def test_a_time_shift_made_while_a_frame_is_drawn_waits_for_it(forts, monkeypatch):
    model = ViewerModel.open([forts])
    model.time.set_date("1916-03-15")
    shown_t = model.time.t
    shown = MapRenderer(model).render(size=SIZE)  # the forts, unshifted
    renderer = MapRenderer(model)  # its first frame works out the legend from the layer's features
    assert not shifted_during_a_frame(model, renderer, monkeypatch)
    assert model.dataset.find("forts").time_offset == 30 and model.time.t == shown_t
    after = renderer.render(size=SIZE)  # on 15 March the forts are shown from 23 March on: none
    fresh = MapRenderer(model).render(size=SIZE)
    assert np.array_equal(after, fresh)
    assert not np.array_equal(after, shown)  # the forts are gone
    model.time.set_date("1916-04-15")  # and back once their shifted days come
    assert np.array_equal(renderer.render(size=SIZE), MapRenderer(model).render(size=SIZE))
