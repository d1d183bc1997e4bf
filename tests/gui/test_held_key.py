"""A held → after a quiet spell: the window used the idle time to draw what the coming days draw
new (their date captions, labels, dated layers) into its caches, so stepping through them draws
none of it again, and what it shows is still, pixel for pixel, what a fresh renderer draws."""

from __future__ import annotations

import numpy as np
from person import image_array
from PyQt6.QtCore import Qt

from terrain_viewer.core.render import furniture
from terrain_viewer.core.render.renderer import MapRenderer


def test_days_drawn_while_idle_are_not_drawn_again_when_a_key_is_held(hengyang, qtbot, monkeypatch):
    canvas = hengyang.canvas
    captions: list[str] = []
    caption = furniture.caption
    monkeypatch.setattr(furniture, "caption",
                        lambda ax, text, *a: captions.append(text) or caption(ax, text, *a))
    hengyang.model.time.set_date("1944-07-25")
    assert canvas.wait_settled()
    days_left = int(hengyang.model.time.end - hengyang.model.time.t)  # to 8 August
    qtbot.waitUntil(lambda: len(set(captions)) >= days_left + 1, timeout=30000)  # idle: drawn ahead
    drawn_while_idle = len(captions)
    canvas.setFocus()
    for _ in range(4):  # a held key: each press as soon as the last day is on screen
        qtbot.keyClick(canvas, Qt.Key.Key_Right)
        assert canvas.wait_settled()
    assert str(hengyang.model.time.date) == "1944-07-29"
    assert len(captions) == drawn_while_idle, str(captions)  # no day's caption was drawn again
    shown = image_array(canvas.grab().toImage())[..., :3]
    width, height = canvas.pixel_size()
    fresh = MapRenderer(hengyang.model)
    fresh.look = canvas.renderer.look
    want = fresh.render(t=hengyang.model.time.t, size=(width, height), view=canvas.view())[..., :3]
    assert np.array_equal(shown, want)


def test_a_step_stops_the_drawing_ahead_until_the_window_is_idle_again(hengyang, qtbot, monkeypatch):
    canvas = hengyang.canvas
    hengyang.model.time.set_date("1944-07-01")
    assert canvas.wait_settled()
    canvas.setFocus()
    renders: list[float] = []
    render = canvas.renderer.render
    monkeypatch.setattr(canvas.renderer, "render",
                        lambda t=None, **kw: renders.append(t) or render(t=t, **kw))
    for step in range(4):
        qtbot.keyClick(canvas, Qt.Key.Key_Right)
        assert canvas.wait_settled()
        if step == 0:
            renders.clear()  # from here on the window is never idle long
        qtbot.wait(200)  # less than a quiet spell
    day = hengyang.model.time.t
    assert renders and max(renders) <= day + 1  # the day shown and the next, nothing further
    qtbot.waitUntil(lambda: max(renders) >= day + 5, timeout=30000)  # quiet: the coming days


def test_no_day_is_drawn_ahead_while_a_dialog_is_open(hengyang, qtbot, monkeypatch):
    from PyQt6.QtWidgets import QDialog

    canvas = hengyang.canvas
    hengyang.model.time.set_date("1944-07-01")
    assert canvas.wait_settled()
    dialog = QDialog(hengyang)
    dialog.open()  # window-modal, as File ▸ Open… and the export dialog are
    qtbot.waitUntil(lambda: dialog.isVisible())
    renders: list[float] = []
    render = canvas.renderer.render
    monkeypatch.setattr(canvas.renderer, "render",
                        lambda t=None, **kw: renders.append(t) or render(t=t, **kw))
    qtbot.wait(300)  # a day being drawn as the dialog opened is finished
    renders.clear()
    qtbot.wait(1500)  # a quiet spell, with the dialog open
    day = hengyang.model.time.t
    assert all(t <= day + 1 for t in renders), renders
    dialog.reject()
    qtbot.waitUntil(lambda: bool(renders) and max(renders) >= day + 5, timeout=30000)  # closed: ahead
