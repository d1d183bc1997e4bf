"""A held → after a quiet spell: the window used the idle time to draw what the coming days draw
new (their date captions, labels, dated layers) into its caches, so stepping through them draws
none of it again, and what it shows is still, pixel for pixel, what a fresh renderer draws."""

from __future__ import annotations

import numpy as np
from person import handle_centre_for, image_array
from PyQt6.QtCore import Qt

from terrain_viewer.core.render import furniture
from terrain_viewer.core.render.renderer import MapRenderer
from terrain_viewer.gui.map_frames import AHEAD_STEPS, WARM_IDLE_MS


def rendered_dates(canvas, monkeypatch) -> list[float]:
    """The dates the canvas's renderer is asked to draw from now on, in order."""
    renders: list[float] = []
    render = canvas.renderer.render
    monkeypatch.setattr(canvas.renderer, "render",
                        lambda t=None, **kw: renders.append(t) or render(t=t, **kw))
    return renders


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
    renders = rendered_dates(canvas, monkeypatch)
    for step in range(4):
        qtbot.keyClick(canvas, Qt.Key.Key_Right)
        assert canvas.wait_settled()
        if step == 0:
            renders.clear()  # from here on the window is never idle long
        qtbot.wait(WARM_IDLE_MS // 3)  # less than a quiet spell
    day = hengyang.model.time.t
    assert renders and max(renders) <= day + AHEAD_STEPS  # the day shown and the next steps, no further
    qtbot.waitUntil(lambda: max(renders) >= day + 5, timeout=30000)  # quiet: the coming days


def test_no_day_is_drawn_ahead_while_a_dialog_is_open(hengyang, qtbot, monkeypatch):
    from PyQt6.QtWidgets import QDialog

    canvas = hengyang.canvas
    hengyang.model.time.set_date("1944-07-01")
    assert canvas.wait_settled()
    dialog = QDialog(hengyang)
    dialog.open()  # window-modal, as File ▸ Open… and the export dialog are
    qtbot.waitUntil(lambda: dialog.isVisible())
    renders = rendered_dates(canvas, monkeypatch)
    qtbot.wait(300)  # a day being drawn as the dialog opened is finished
    renders.clear()
    qtbot.wait(1500)  # a quiet spell, with the dialog open
    day = hengyang.model.time.t
    assert all(t <= day + 1 for t in renders), renders
    dialog.reject()
    qtbot.waitUntil(lambda: bool(renders) and max(renders) >= day + 5, timeout=30000)  # closed: ahead


def test_the_next_day_shows_at_once_while_a_later_day_is_being_drawn_ahead(hengyang, qtbot, monkeypatch):
    import time as clock

    canvas = hengyang.canvas
    hengyang.model.time.set_date("1944-06-30")
    assert canvas.wait_settled()
    canvas.setFocus()
    qtbot.keyClick(canvas, Qt.Key.Key_Right)  # a step of a day: the next is rendered ahead
    assert canvas.wait_settled()
    day = hengyang.model.time.t
    later: list[float] = []
    render = canvas.renderer.render

    def slow_for_later_days(t=None, **kw):
        if t is not None and t > day + 1:
            later.append(t)
            clock.sleep(0.5)  # a day drawn ahead takes long
        return render(t=t, **kw)

    monkeypatch.setattr(canvas.renderer, "render", slow_for_later_days)
    qtbot.waitUntil(lambda: bool(later), timeout=10000)  # quiet: a later day is being drawn ahead
    qtbot.keyClick(canvas, Qt.Key.Key_Right)  # the next day was rendered ahead before that
    assert canvas.settled  # on screen at once, not after the later day's render


def test_after_a_jump_the_next_two_days_are_drawn_ahead_and_each_shows_at_once(hengyang, qtbot, monkeypatch):
    """A click on the date bar's groove jumps days on (a jump, not a step to repeat): the days drawn
    ahead are the next two, and two presses of → then show each at once."""
    assert AHEAD_STEPS == 2
    canvas = hengyang.canvas
    done: list[float] = []
    render = canvas.renderer.render

    def recorded(t=None, **kw):
        rgba = render(t=t, **kw)
        done.append(t)
        return rgba

    monkeypatch.setattr(canvas.renderer, "render", recorded)
    slider = hengyang.time_slider.slider
    start = hengyang.model.time.t
    qtbot.mouseClick(slider, Qt.MouseButton.LeftButton, pos=handle_centre_for(slider, 20 * 24))
    day = hengyang.model.time.t
    assert day - start > 1 and day == int(day)  # a jump of days, to a whole day
    assert canvas.wait_settled()
    # the coming days are drawn into the caches only once the frames drawn ahead are back in the
    # window: the third day drawn says both are there
    qtbot.waitUntil(lambda: {day + 1, day + 2, day + 3} <= set(done), timeout=10000)
    canvas.setFocus()
    for n in (1, 2):
        qtbot.keyClick(canvas, Qt.Key.Key_Right)
        assert hengyang.model.time.t == day + n
        assert canvas.settled  # on screen at once: it was drawn ahead


def test_no_coming_day_is_drawn_while_the_day_asked_for_is_painted(hengyang, qtbot, monkeypatch):
    """The window draws the next steps ahead only once the frame a person asked for is on screen:
    a render started with the frame would hold the interpreter the paint needs (the paint came
    5-15 ms later on a slow machine)."""
    import time

    from PyQt6.QtCore import QEvent, QObject

    canvas = hengyang.canvas
    renders: list[tuple[float, float]] = []
    render = canvas.renderer.render

    def timed(*args, **kwargs):
        start = time.perf_counter()
        try:
            return render(*args, **kwargs)
        finally:
            renders.append((start, time.perf_counter()))

    monkeypatch.setattr(canvas.renderer, "render", timed)
    paints: list[list[float]] = []

    class PaintWatch(QObject):
        def eventFilter(self, obj, event):  # noqa: N802 (Qt name)
            if event.type() == QEvent.Type.Paint:
                paints.append([time.perf_counter(), float("inf")])
            return False

    hengyang.model.time.set_date("1944-07-05")
    assert canvas.wait_settled()
    qtbot.waitUntil(lambda: canvas.painted_gen == canvas._gen)  # noqa: SLF001
    watch = PaintWatch()
    canvas.installEventFilter(watch)
    canvas.painted.connect(lambda: paints and paints[-1].__setitem__(1, time.perf_counter()))
    canvas.setFocus()
    for _ in range(4):  # a person's presses, a moment apart: each day is drawn ahead in between
        qtbot.wait(250)
        qtbot.keyClick(canvas, Qt.Key.Key_Right)
        assert canvas.wait_settled()
        qtbot.waitUntil(lambda: canvas.painted_gen == canvas._gen)  # noqa: SLF001
    qtbot.wait(250)
    canvas.removeEventFilter(watch)
    assert len(renders) >= 4 and len(paints) >= 4
    overlaps = [(p, r) for p in paints for r in renders if r[0] < p[1] and p[0] < r[1]]
    assert not overlaps
