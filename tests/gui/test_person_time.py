"""The date bar used with the mouse and the keyboard: the slider's handle dragged, ←/→ and Space on
the focused map, the play and step buttons, the speed, frames-per-day and loop controls."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
from person import (
    LEFT,
    NO_MOD,
    choose,
    click_menu,
    drag_slider,
    handle_rect,
    modal,
    pick_date_with_keys,
    type_date,
    when_shown,
)
from PyQt6.QtCore import QDate, QPoint, Qt

from terrain_viewer.core.temporal.timeline import day_number, to_date
from terrain_viewer.gui.qt_time_range import QtTimeRange
from terrain_viewer.gui.qt_time_slider import STEPS_PER_DAY, date_text

START = dt.date(1944, 6, 23)


def _focus_map(qtbot, window) -> None:
    """The user clicks the map (a click, not a drag: the pan tool does nothing with it)."""
    window.activateWindow()
    qtbot.mouseClick(window.canvas, LEFT, NO_MOD, QPoint(20, 20))
    window.canvas.setFocus()  # offscreen windows are not activated by a click
    assert window.canvas.hasFocus()


def test_dragging_the_date_handle_shows_the_release_date_in_the_label_the_model_and_the_map(
        qtbot, hengyang, grab_map):
    bar, time = hengyang.time_slider, hengyang.model.time
    first = grab_map(hengyang)
    target = (dt.date(1944, 7, 11) - START).days * STEPS_PER_DAY + 12  # noon, 11 July
    drag_slider(qtbot, bar.slider, target, steps=40)
    value = bar.slider.value()
    assert abs(value - target) <= 6, (value, target)  # where the mouse let go, to a pixel
    assert time.t == pytest.approx(time.start + value / STEPS_PER_DAY)
    released = to_date(time.t)
    assert released == dt.date(1944, 7, 11)
    assert bar.date_label.text() == "11 July 1944" == date_text(time.t)
    assert "11 July 1944" in hengyang.windowTitle()
    shown = grab_map(hengyang)  # the map settles on the release date (renders in between are dropped)
    assert np.any(first != shown, axis=2).mean() > 0.005
    t = time.t
    time.set_t(time.start)
    grab_map(hengyang)
    time.set_t(t)
    assert np.array_equal(grab_map(hengyang), shown)  # the same as a fresh render of that moment


def test_a_click_on_the_groove_right_of_the_handle_pages_a_week_forward(qtbot, hengyang):
    bar, time = hengyang.time_slider, hengyang.model.time
    handle = handle_rect(bar.slider)
    qtbot.mouseClick(bar.slider, LEFT, NO_MOD, QPoint(handle.right() + 60, handle.center().y()))
    assert bar.slider.value() == 7 * STEPS_PER_DAY, bar.slider.value()
    assert time.date == to_date(time.start + bar.slider.value() / STEPS_PER_DAY)
    assert bar.date_label.text() == date_text(time.t)


def test_right_and_left_keys_on_the_focused_map_step_a_day(qtbot, hengyang, grab_map):
    time = hengyang.model.time
    _focus_map(qtbot, hengyang)
    first = grab_map(hengyang)
    qtbot.keyClick(hengyang.canvas, Qt.Key.Key_Right)
    assert time.date == dt.date(1944, 6, 24)
    assert hengyang.time_slider.date_label.text() == "24 June 1944"
    assert np.any(first != grab_map(hengyang))
    for _ in range(3):
        qtbot.keyClick(hengyang.canvas, Qt.Key.Key_Right)
    assert time.date == dt.date(1944, 6, 27)
    qtbot.keyClick(hengyang.canvas, Qt.Key.Key_Left)
    assert time.date == dt.date(1944, 6, 26)
    qtbot.keyClick(hengyang.canvas, Qt.Key.Key_Left, NO_MOD)
    for _ in range(5):
        qtbot.keyClick(hengyang.canvas, Qt.Key.Key_Left)
    assert time.t == time.start  # no stepping before the first day
    assert np.array_equal(grab_map(hengyang), first)


def test_space_on_the_focused_map_plays_and_pauses(qtbot, hengyang):
    bar, time = hengyang.time_slider, hengyang.model.time
    _focus_map(qtbot, hengyang)
    choose(qtbot, bar.speed_box, "8 day/s")
    qtbot.keyClick(hengyang.canvas, Qt.Key.Key_Space)
    assert bar.playing and bar.play_button.text() == "❚❚"
    qtbot.waitUntil(lambda: time.t >= time.start + 2, timeout=5000)
    qtbot.keyClick(hengyang.canvas, Qt.Key.Key_Space)
    assert not bar.playing and bar.play_button.text() == "▶"
    stopped = time.t
    qtbot.wait(300)
    assert time.t == stopped
    assert bar.date_label.text() == date_text(stopped)


def test_step_buttons_and_play_button_clicked(qtbot, hengyang):
    bar, time = hengyang.time_slider, hengyang.model.time
    qtbot.mouseClick(bar.forward_button, LEFT)
    qtbot.mouseClick(bar.forward_button, LEFT)
    assert time.date == dt.date(1944, 6, 25) and bar.date_label.text() == "25 June 1944"
    qtbot.mouseClick(bar.back_button, LEFT)
    assert time.date == dt.date(1944, 6, 24)
    qtbot.mouseClick(bar.play_button, LEFT)
    assert bar.playing
    qtbot.mouseClick(bar.play_button, LEFT)
    assert not bar.playing


def test_one_frame_per_day_chosen_from_the_list_plays_whole_days(qtbot, hengyang):
    bar, time = hengyang.time_slider, hengyang.model.time
    choose(qtbot, bar.speed_box, "8 day/s")
    choose(qtbot, bar.fpd_box, "1 frame/day")
    time.set_date("1944-08-01")
    seen: list[float] = []
    hengyang.model.events.time.connect(lambda change: seen.append(change.value))
    qtbot.mouseClick(bar.play_button, LEFT)
    qtbot.waitUntil(lambda: not bar.playing, timeout=5000)
    assert seen and all(v == int(v) for v in seen)  # whole days only
    assert bar.date_label.text() == "8 August 1944" and bar.hour_label.text() == ""


def test_twelve_frames_per_day_glide_between_days(qtbot, hengyang):
    bar, time = hengyang.time_slider, hengyang.model.time
    choose(qtbot, bar.speed_box, "1 day/s")
    choose(qtbot, bar.fpd_box, "12 frames/day")
    time.set_date("1944-08-06")
    seen: list[float] = []
    hengyang.model.events.time.connect(lambda change: seen.append(change.value))
    qtbot.mouseClick(bar.play_button, LEFT)
    qtbot.waitUntil(lambda: time.t >= day_number(dt.date(1944, 8, 7)), timeout=5000)
    qtbot.mouseClick(bar.play_button, LEFT)
    fractions = [v for v in seen if v != int(v)]
    assert len(fractions) >= 3 and np.allclose(np.array(seen) * 12, np.round(np.array(seen) * 12))


def test_the_loop_box_clicked_makes_playback_start_over(qtbot, hengyang):
    bar, time = hengyang.time_slider, hengyang.model.time
    choose(qtbot, bar.speed_box, "8 day/s")
    qtbot.mouseClick(bar.loop_box, LEFT)
    assert bar.loop_box.isChecked()
    time.set_date("1944-08-07")
    qtbot.mouseClick(bar.play_button, LEFT)
    qtbot.waitUntil(lambda: time.t < day_number(dt.date(1944, 7, 1)), timeout=5000)
    assert bar.playing
    qtbot.mouseClick(bar.play_button, LEFT)
    qtbot.mouseClick(bar.loop_box, LEFT)
    assert not bar.loop_box.isChecked()


def test_while_playing_at_twelve_frames_a_day_the_events_panel_lists_each_day_shown(qtbot, hengyang):
    bar, time, panel = hengyang.time_slider, hengyang.model.time, hengyang.events_panel
    choose(qtbot, bar.speed_box, "1 day/s")
    choose(qtbot, bar.fpd_box, "12 frames/day")
    qtbot.mouseClick(bar.play_button, LEFT)
    qtbot.waitUntil(lambda: panel.heading.text().endswith("on 24 June 1944"), timeout=4000)
    assert bar.playing and to_date(time.t) == dt.date(1944, 6, 24)  # listed while the day is shown
    qtbot.mouseClick(bar.play_button, LEFT)


def test_time_range_dialog_refuses_a_last_day_before_the_first_then_takes_the_range(qtbot, hengyang):
    seen: dict = {}

    def fill(dialog: QtTimeRange) -> None:
        pick_date_with_keys(qtbot, dialog.end, *[Qt.Key.Key_Up] * 7)  # 8 Aug, seven weeks back: 20 June
        assert dialog.end.date() == QDate(1944, 6, 20)
        seen["refused"] = (dialog.ok.isEnabled(), dialog.problem.isVisible(), dialog.problem.text())
        qtbot.wait(50)  # laid out
        line = dialog.problem
        seen["room"] = (line.geometry().top() >= dialog.end.geometry().bottom()
                        and line.height() >= line.heightForWidth(line.width()) - 1)
        pick_date_with_keys(qtbot, dialog.end, *[Qt.Key.Key_Down] * 2)  # 4 July
        seen["enabled"] = dialog.ok.isEnabled() and not dialog.problem.isVisible()
        qtbot.mouseClick(dialog.ok, LEFT)

    errors = when_shown(modal(QtTimeRange), fill)
    click_menu(qtbot, hengyang, "Time", "Time range…")
    assert not errors, errors
    enabled, shown, text = seen["refused"]
    assert not enabled and shown and "before" in text
    assert seen["room"]  # the whole line, below the To field, not clipped under it
    assert seen["enabled"]
    bar = hengyang.time_slider
    assert (to_date(hengyang.model.time.start), to_date(hengyang.model.time.end)) == (
        dt.date(1944, 6, 23), dt.date(1944, 7, 4))
    assert bar.end_label.text() == "04 Jul 1944"


def test_dates_typed_whole_into_the_time_range_fields_are_taken(qtbot, hengyang):
    """Typing a date over a date field's text was refused at its first digit (Qt edits one
    section at a time): the field kept its date. Found by a new-user test."""
    def fill(dialog: QtTimeRange) -> None:
        type_date(qtbot, dialog.start, "1944-06-30")
        type_date(qtbot, dialog.end, "14 Jul 1944", Qt.Key.Key_Return)  # Enter: OK, as in any dialog

    errors = when_shown(modal(QtTimeRange), fill)
    click_menu(qtbot, hengyang, "Time", "Time range…")
    assert not errors, errors
    time = hengyang.model.time
    assert (to_date(time.start), to_date(time.end)) == (dt.date(1944, 6, 30), dt.date(1944, 7, 14))


def test_an_impossible_date_typed_into_the_time_range_is_said(qtbot, hengyang):
    """'31 June 1944' typed into From went back to the field's date without a word (the Export
    dialog says it; the Time range dialog uses the same field)."""
    said = []

    def fill(dialog: QtTimeRange) -> None:
        type_date(qtbot, dialog.start, "31 June 1944")
        said.append(dialog.problem.text())
        type_date(qtbot, dialog.start, "30 June 1944")  # a date taken: the line goes
        said.append(dialog.problem.text())
        type_date(qtbot, dialog.start, "midsummer")  # unreadable: an example near the field's date
        said.append(dialog.problem.text())
        dialog.reject()

    errors = when_shown(modal(QtTimeRange), fill)
    click_menu(qtbot, hengyang, "Time", "Time range…")
    assert not errors, errors
    assert "31 June 1944 is not a date" in said[0] and "June 1944 has 30 days" in said[0], said
    assert said[1] == ""
    assert said[2].startswith("From: midsummer is not a date (type one like 30 June 1944)"), said  # not 9999


def test_dragging_the_handle_while_playing_moves_the_date_and_play_goes_on_from_there(qtbot, hengyang):
    """While playing, a drag of the handle did nothing: the handle did not follow and playing went
    on. Found by a new user. Now the handle follows the hand and playing goes on from its place."""
    from person import handle_centre_for

    bar, time = hengyang.time_slider, hengyang.model.time
    time.set_date("1944-07-20")
    choose(qtbot, bar.speed_box, "1 day/s")
    qtbot.mouseClick(bar.play_button, LEFT)
    qtbot.waitUntil(lambda: to_date(time.t) >= dt.date(1944, 7, 21), timeout=4000)
    target = 5 * STEPS_PER_DAY  # 28 June
    start, end = handle_rect(bar.slider).center(), handle_centre_for(bar.slider, target)
    qtbot.mousePress(bar.slider, LEFT, NO_MOD, start)
    for i in range(1, 13):
        qtbot.mouseMove(bar.slider, QPoint(round(start.x() + (end.x() - start.x()) * i / 12), start.y()))
        qtbot.wait(40)  # the player's ticks go on meanwhile
    held = to_date(time.t)
    assert dt.date(1944, 6, 27) <= held <= dt.date(1944, 6, 29), held  # the hand, not the player
    qtbot.mouseRelease(bar.slider, LEFT, NO_MOD, QPoint(end.x(), start.y()))
    assert bar.playing  # playing on …
    qtbot.waitUntil(lambda: to_date(time.t) > held, timeout=4000)
    assert to_date(time.t) <= held + dt.timedelta(days=3)  # … from where the handle was let go
    qtbot.mouseClick(bar.play_button, LEFT)


def test_speed_frames_per_day_and_loop_are_in_the_time_menu(qtbot, hengyang):
    """The date bar's boxes take no focus (the arrow keys are the map's), so a keyboard user could
    not set speed, frames per day or loop. Found by a new user: the Time menu has them."""
    bar = hengyang.time_slider
    click_menu(qtbot, hengyang, "Time", "Speed", "4 day/s")
    click_menu(qtbot, hengyang, "Time", "Frames per day", "24 frames/day")
    click_menu(qtbot, hengyang, "Time", "Loop")
    assert bar.speed == 4.0 and bar.frames_per_day == 24 and bar.loop_box.isChecked()
    choose(qtbot, bar.speed_box, "0.5 day/s")  # and the menu shows what the bar shows
    speed_menu = next(a.menu() for a in hengyang.menuBar().actions() if a.text() == "&Time").actions()
    menu = next(a.menu() for a in speed_menu if a.menu() is not None and a.text() == "&Speed")
    menu.aboutToShow.emit()
    assert [a.text() for a in menu.actions() if a.isChecked()] == ["0.5 day/s"]
    click_menu(qtbot, hengyang, "Time", "Loop")
    assert not bar.loop_box.isChecked()
