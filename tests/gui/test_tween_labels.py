"""The date handle dragged an hour at a time through a day: each frame keeps its labels where the
frame before had them, as an export's frames within a day do (the window planned each frame alone:
names hopped sides and popped in and out from one hour to the next, and a video of the same hours
showed other labels than the window)."""

from __future__ import annotations

from person import LEFT, NO_MOD, handle_rect
from PyQt6.QtCore import QPoint

from terrain_viewer.core.render.renderer import MapRenderer


def _labels(renderer) -> list[tuple]:
    return sorted((p.spec.text, p.ha, p.va, round(p.dx, 1), round(p.dy, 1)) for p in renderer.last_labels)


def test_dragging_the_handle_through_a_day_keeps_the_labels_places_as_an_export_does(qtbot, hengyang):
    canvas, slider, time = hengyang.canvas, hengyang.time_slider.slider, hengyang.model.time
    canvas.render_ahead = False  # the frames drawn are the frames shown: the export's sequence to compare
    time.set_date("1944-06-28")
    assert canvas.wait_settled()
    start = handle_rect(slider).center()
    qtbot.mousePress(slider, LEFT, NO_MOD, start)
    shown = [(time.t, _labels(canvas.renderer))]
    for dx in range(1, 5):  # a pixel at a time: an hour or two a move
        qtbot.mouseMove(slider, QPoint(start.x() + dx, start.y()))
        assert canvas.wait_settled()
        shown.append((time.t, _labels(canvas.renderer)))
    qtbot.mouseRelease(slider, LEFT, NO_MOD, QPoint(start.x() + 4, start.y()))
    hours = [round((t - shown[0][0]) * 24) for t, _ in shown]
    assert hours[0] == 0 and 4 <= hours[-1] <= 8 and hours == sorted(set(hours))

    export, alone = MapRenderer(hengyang.model), MapRenderer(hengyang.model)
    size, view = canvas.pixel_size(), canvas.view()
    differs = False
    for k, (t, labels) in enumerate(shown):
        if k:
            export.planner.follow(shown[k - 1][0])
        export.render(t=t, size=size, view=view)
        assert _labels(export) == labels, f"{hours[k]} h into 28 June"
        alone.render(t=t, size=size, view=view)
        differs |= _labels(alone) != labels
    assert differs  # planned alone, some hour's labels would have moved: the comparison can fail


def test_the_first_hour_dragged_to_follows_the_day_on_screen_not_the_next_day_drawn_ahead(qtbot, hengyang):
    """After a jump to a day the window draws the next day ahead; the first hour dragged to was then
    planned alone (the last frame drawn was another day's): labels moved between 00:00 and 01:00
    (a documentary maker's 10 July). It follows the day on screen."""
    canvas, time = hengyang.canvas, hengyang.model.time
    time.set_date("1944-06-28")
    assert canvas.wait_settled()
    day = (time.t, _labels(canvas.renderer))
    qtbot.waitUntil(lambda: canvas.render_ahead and len(canvas._ahead) >= 1 and not canvas._ahead_running,
                    timeout=10000)  # the next day drawn ahead: the render thread's last frame
    _an_hour_on_follows(qtbot, hengyang, day)


def test_the_first_hour_after_the_window_warmed_the_coming_days_follows_the_day_on_screen(qtbot, hengyang):
    """A window left idle draws the coming days into its caches: more than the plans the labels
    remembered (8), so the first hour dragged to after a look at the map was planned alone and
    labels popped in and out against the day on screen (24 June: 3 of 40)."""
    canvas, time = hengyang.canvas, hengyang.model.time
    time.set_date("1944-06-24")
    assert canvas.wait_settled()
    day = (time.t, _labels(canvas.renderer))
    qtbot.waitUntil(lambda: len(canvas._warmed) >= 12 and not canvas._ahead_running, timeout=30000)  # noqa: SLF001
    _an_hour_on_follows(qtbot, hengyang, day)


def _an_hour_on_follows(qtbot, window, day: tuple) -> None:
    """Drag the date handle a pixel on from ``day`` (its date and labels on screen): the frame
    shown has the labels of an export's frame that follows the day, and not those planned alone."""
    canvas, slider, time = window.canvas, window.time_slider.slider, window.model.time
    start = handle_rect(slider).center()
    qtbot.mousePress(slider, LEFT, NO_MOD, start)
    qtbot.mouseMove(slider, QPoint(start.x() + 1, start.y()))
    assert canvas.wait_settled()
    qtbot.mouseRelease(slider, LEFT, NO_MOD, QPoint(start.x() + 1, start.y()))
    hour = (time.t, _labels(canvas.renderer))
    assert 0 < hour[0] - day[0] <= 0.25

    export, alone = MapRenderer(window.model), MapRenderer(window.model)
    size, view = canvas.pixel_size(), canvas.view()
    export.render(t=day[0], size=size, view=view)
    assert _labels(export) == day[1]
    export.planner.follow(day[0])
    export.render(t=hour[0], size=size, view=view)
    alone.render(t=hour[0], size=size, view=view)
    assert _labels(export) == hour[1]
    assert _labels(alone) != hour[1]  # planned alone, the hour's labels differ: the comparison can fail
