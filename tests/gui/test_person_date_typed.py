"""A date typed in the date bar: a click on the big date opens it for typing (Time ▸ Go to date…,
Ctrl+G, too); Enter goes there, a date that is not one is said and kept for another try, Esc puts
the date back. Found by a new user: the bar's date could only be reached by dragging or stepping."""

from __future__ import annotations

from person import LEFT, click_menu, handle_centre_for
from PyQt6.QtCore import Qt

from terrain_viewer.gui.qt_time_slider import STEPS_PER_DAY


def open_date(qtbot, window) -> None:
    bar = window.time_slider
    qtbot.mouseClick(bar.date_label, LEFT, pos=bar.date_label.rect().center())
    qtbot.waitUntil(bar.date_field.isVisible, timeout=3000)
    assert bar.date_field.hasFocus() and bar.date_field.selectedText() == "23 June 1944"


def test_a_date_typed_over_the_big_date_is_gone_to(qtbot, hengyang):
    bar = hengyang.time_slider
    open_date(qtbot, hengyang)
    qtbot.keyClicks(bar.date_field, "14 July 1944")  # its spaces are text, not Play
    qtbot.keyClick(bar.date_field, Qt.Key.Key_Return)
    assert not bar.playing and bar.date_label.isVisible() and not bar.date_field.isVisible()
    assert bar.date_label.text() == "14 July 1944" and hengyang.model.time.t == hengyang.model.time.start + 21
    handle = handle_centre_for(bar.slider, 21 * STEPS_PER_DAY)  # the handle moved with it
    assert bar.slider.value() == 21 * STEPS_PER_DAY and handle.x() > bar.slider.width() // 3
    qtbot.keyClick(bar, Qt.Key.Key_Right)  # the date keys are the bar's again
    assert bar.date_label.text() == "15 July 1944"


def test_iso_and_yearless_dates_are_read(qtbot, hengyang):
    bar = hengyang.time_slider
    typed_shown = (("1944-08-02", "2 August 1944"), ("30 June", "30 June 1944"), ("7/7/1944", "7 July 1944"),
                   ("1944-7-20", "20 July 1944"), ("3 Aug 1944", "3 August 1944"),
                   ("1 Sept 1944", "3 August 1944"))  # unpadded ISO; Sept: read (and outside the battle)
    for typed, shown in typed_shown:
        qtbot.mouseClick(bar.date_label, LEFT, pos=bar.date_label.rect().center())
        qtbot.waitUntil(bar.date_field.isVisible, timeout=3000)
        qtbot.keyClicks(bar.date_field, typed)
        qtbot.keyClick(bar.date_field, Qt.Key.Key_Return)
        if "Sept" in typed:  # a date, outside the battle: said so (it was "not a date"), then Esc
            assert "outside 23 June 1944" in hengyang.statusBar().currentMessage(), typed
            qtbot.keyClick(bar.date_field, Qt.Key.Key_Escape)
        assert bar.date_label.text() == shown, typed


def test_a_date_that_is_not_one_is_said_and_kept_for_another_try(qtbot, hengyang):
    bar = hengyang.time_slider
    open_date(qtbot, hengyang)
    qtbot.keyClicks(bar.date_field, "31 June 1944")
    qtbot.keyClick(bar.date_field, Qt.Key.Key_Return)
    said = hengyang.statusBar().currentMessage()
    assert "June 1944 has 30 days" in said and "stays 23 June 1944" in said
    assert bar.date_field.isVisible() and bar.date_field.selectedText() == "31 June 1944"
    qtbot.keyClicks(bar.date_field, "1 September 1944")  # after the battle's last day
    qtbot.keyClick(bar.date_field, Qt.Key.Key_Return)
    assert "outside 23 June 1944 – 8 August 1944" in hengyang.statusBar().currentMessage()
    qtbot.keyClick(bar.date_field, Qt.Key.Key_Escape)
    assert bar.date_label.isVisible() and bar.date_label.text() == "23 June 1944"
    assert hengyang.model.time.t == hengyang.model.time.start
    open_date(qtbot, hengyang)
    qtbot.keyClicks(bar.date_field, "4 July 1944")
    qtbot.keyClick(bar.date_field, Qt.Key.Key_Return)
    assert bar.date_label.text() == "4 July 1944"
    assert hengyang.statusBar().currentMessage() == ""  # not "… the date stays 23 June 1944" under it


def test_go_to_date_in_the_time_menu_opens_the_date_for_typing(qtbot, hengyang):
    click_menu(qtbot, hengyang, "Time", "Go to date…")
    bar = hengyang.time_slider
    qtbot.waitUntil(bar.date_field.hasFocus, timeout=3000)
    qtbot.keyClicks(bar.date_field, "8 August 1944")
    qtbot.keyClick(bar.date_field, Qt.Key.Key_Enter)
    assert bar.date_label.text() == "8 August 1944"


def test_a_date_with_a_time_of_day_goes_to_that_hour(qtbot, hengyang):
    """A documentary maker paused on 10 July at 14:00 could come back to it only by dragging: a
    typed "1944-07-10T14:00" was "not a date" (``render --date`` takes it)."""
    bar, time = hengyang.time_slider, hengyang.model.time
    typed_hours = (("1944-07-10T14:00", "14:00"), ("11 July 1944 09:30", "09:30"), ("12 July, 6:05", "06:05"))
    for typed, hour in typed_hours:
        qtbot.mouseClick(bar.date_label, LEFT, pos=bar.date_label.rect().center())
        qtbot.waitUntil(bar.date_field.isVisible, timeout=3000)
        qtbot.keyClicks(bar.date_field, typed)
        qtbot.keyClick(bar.date_field, Qt.Key.Key_Return)
        assert not bar.date_field.isVisible(), hengyang.statusBar().currentMessage()
        assert bar.hour_label.text() == hour, typed
    assert bar.date_label.text() == "12 July 1944"
    assert time.t == time.start + 19 + (6 * 60 + 5) / 1440
    qtbot.mouseClick(bar.date_label, LEFT, pos=bar.date_label.rect().center())
    qtbot.waitUntil(bar.date_field.isVisible, timeout=3000)
    qtbot.keyClicks(bar.date_field, "12 July 1944 25:00")  # no such hour: said, the moment kept
    qtbot.keyClick(bar.date_field, Qt.Key.Key_Return)
    assert "is not a date" in hengyang.statusBar().currentMessage()
    assert time.t == time.start + 19 + (6 * 60 + 5) / 1440
