"""The speed caches never change a pixel: a renderer that has drawn other dates, tween frames, views
and styles draws a date exactly as a fresh renderer does, and a change of style, visibility or
opacity of a cached (static or dated) layer is drawn at once."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from terrain_viewer.core.data.builtin import builtin_paths
from terrain_viewer.core.model import ViewerModel
from terrain_viewer.core.render import annotations as notes
from terrain_viewer.core.render.items import background_change_days, visible_items
from terrain_viewer.core.render.legend_cache import LegendCache
from terrain_viewer.core.render.renderer import MapRenderer
from terrain_viewer.core.temporal.timeline import day_number

SIZE = (960, 540)


@pytest.fixture(scope="module")
def model() -> ViewerModel:
    return ViewerModel.open(builtin_paths())


def day(iso: str, hour: float = 12.0) -> float:
    return day_number(dt.date.fromisoformat(iso)) + hour / 24


def fresh(model: ViewerModel, t: float, **kwargs) -> np.ndarray:
    return MapRenderer(model).render(t=t, size=SIZE, **kwargs)


def dated_change_days(model: ViewerModel) -> list[float]:
    """Noon of the days on which a dated layer under the moving ones changes (the background is
    recomposed)."""
    return [d + 0.5 for d in background_change_days(model)]


def test_the_map_has_dated_layers_under_the_units_that_change(model):
    assert dated_change_days(model)  # otherwise the tests below would not reach the dated-layer path


def test_a_renderer_that_drew_other_dates_draws_a_date_like_a_fresh_one(model):
    renderer = MapRenderer(model)
    changes = dated_change_days(model)
    tweens = [d + k / 12 for d in changes for k in (-12, -1, 0, 1)]  # around the dated-layer days
    sequence = [day("1944-06-25"), *tweens, day("1944-07-11", 3)]
    for t in sequence:
        renderer.render(t=t, size=SIZE)
    for t in (day("1944-07-11"), changes[0], changes[-1] - 1, day("1944-08-04", 18)):
        cached = renderer.render(t=t, size=SIZE)
        assert np.array_equal(cached, fresh(model, t)), to_iso(t)


def to_iso(t: float) -> str:
    return str(dt.date(1899, 12, 30) + dt.timedelta(days=t))


def test_the_same_date_after_a_pan_and_back_is_the_same_frame(model):
    renderer = MapRenderer(model)
    t = day("1944-07-11")
    first = renderer.render(t=t, size=SIZE)
    x0, y0, x1, y1 = model.view
    dx = (x1 - x0) * 0.2
    moved = renderer.render(t=t, size=SIZE, view=(x0 + dx, y0, x1 + dx, y1))
    assert not np.array_equal(first, moved)
    assert np.array_equal(renderer.render(t=t, size=SIZE), first)


@pytest.mark.parametrize("change", ["colour", "hidden", "opacity"])
def test_a_changed_dated_layer_is_drawn_at_once(change):
    model = ViewerModel.open(builtin_paths())
    renderer = MapRenderer(model)
    t = day("1944-07-11")
    name = "flooded_fields"
    assert any(i.dated and i.state.name == name for i in visible_items(model))
    before = renderer.render(t=t, size=SIZE)
    renderer.render(t=day("1944-07-20"), size=SIZE)
    if change == "colour":
        model.set_style(name, color="#ff00ff")
    elif change == "hidden":
        model.set_visible(name, False)
    else:
        model.set_opacity(name, 0.3)
    after = renderer.render(t=t, size=SIZE)
    assert not np.array_equal(before, after)
    assert np.array_equal(after, fresh(model, t))


def test_a_changed_static_layer_under_a_dated_one_is_drawn_at_once():
    model = ViewerModel.open(builtin_paths())
    renderer = MapRenderer(model)
    t = day("1944-07-11")
    before = renderer.render(t=t, size=SIZE)
    model.set_style("rivers", color="#ff00ff")  # in the cached base, under the dated layers
    after = renderer.render(t=t, size=SIZE)
    assert not np.array_equal(before, after)
    assert np.array_equal(after, fresh(model, t))


def test_the_cached_legend_names_what_the_frame_draws(model):
    legends = LegendCache()
    items = visible_items(model)
    dates = [day("1944-06-23"), day("1944-07-11"), day("1944-07-11", 20), day("1944-08-08")]
    for t in [*dates, *dates]:  # the second time round from the cache
        cached = legends.entries(items, t, model.view, lambda item, when: item.obj.features_at(when))
        direct = notes.legend(items, t, model.view)
        assert [label for _, label in cached] == [label for _, label in direct]


@pytest.mark.parametrize("where", [(0.5, 0.5, 1.0), (0.4, 0.4, 0.1), (0.6, 0.6, 0.2)])
def test_the_legend_of_moving_layers_between_days_is_the_legend_made_afresh(model, where):
    """Tween frames: over the whole battlefield the units' rows decide the legend; zoomed in on the
    town, what is in view (the Japanese front and the units come and go from one view to another)."""
    fx, fy, zoom = where
    x0, y0, x1, y1 = model.view
    cx, cy = x0 + (x1 - x0) * fx, y0 + (y1 - y0) * fy
    half_w, half_h = (x1 - x0) * zoom / 2, (y1 - y0) * zoom / 2
    view = (cx - half_w, cy - half_h, cx + half_w, cy + half_h)
    legends, items = LegendCache(), visible_items(model)
    days = [day(iso, 0) for iso in ("1944-06-25", "1944-07-05", "1944-07-20", "1944-08-03")]
    for t in [d + k / 12 for d in days for k in (0, 4, 8)] * 2:
        cached = legends.entries(items, t, view, lambda item, when: item.obj.features_at(when))
        direct = notes.legend(items, t, view)
        assert [label for _, label in cached] == [label for _, label in direct]
