"""Starting the application: built-in data at 23 June 1944, load problems shown, uncaught errors logged."""

from __future__ import annotations

import datetime as dt
import logging
import sys

import pytest
from PyQt6.QtWidgets import QApplication

from terrain_viewer.core.common import logs
from terrain_viewer.gui import app


def test_create_window_on_the_builtin_data_at_the_first_day(qtbot, shipped_gpkg):
    window = app.create_window()
    qtbot.addWidget(window)
    assert window.model.paths[0].name == "hengyang_1944.gpkg"
    assert window.model.time.date == dt.date(1944, 6, 23)
    assert window.time_slider.date_label.text() == "23 June 1944"
    assert window.problems_dock.isHidden()


def test_what_the_first_frame_made_is_frozen_out_of_the_collectors_way(qtbot, shipped_gpkg):
    """The loaded data is frozen (``gc.freeze``) before the first frame, and what the first frame
    makes (figures, caches) once it is painted, so no full collection scans them while stepping."""
    import gc

    window = app.create_window()
    qtbot.addWidget(window)
    before = gc.get_freeze_count()
    window.show()
    qtbot.waitUntil(lambda: window.canvas.painted_gen >= 0, timeout=20_000)
    assert gc.get_freeze_count() > before
    frozen = gc.get_freeze_count()
    window.model.time.set_t(window.model.time.t + 1)
    qtbot.waitUntil(lambda: window.canvas.wait_settled(), timeout=20_000)
    qtbot.wait(50)
    assert gc.get_freeze_count() <= frozen  # once only (frozen objects that die leave the count)


def test_unreadable_files_fall_back_to_builtin_data_with_problems_shown(qtbot, tmp_path, shipped_gpkg):
    bad = tmp_path / "nothing.gpkg"
    bad.write_text("garbage")
    window = app.create_window([bad])
    qtbot.addWidget(window)
    window.show()
    problems = [window.problems_list.item(i).text() for i in range(window.problems_list.count())]
    assert any("nothing.gpkg" in p for p in problems)
    assert not window.problems_dock.isHidden()
    assert "problem" in window.statusBar().currentMessage()
    assert window.model.dataset.layer("units") is not None


def test_partial_problems_listed_without_blocking(qtbot, tmp_path, small_gpkg):
    bad = tmp_path / "broken.geojson"
    bad.write_text("{ not json")
    window = app.create_window([small_gpkg, bad])
    qtbot.addWidget(window)
    assert {s.name for s in window.model.layer_states} == {"units", "events", "rivers"}
    assert any("broken.geojson" in window.problems_list.item(i).text()
               for i in range(window.problems_list.count()))


def test_excepthook_logs_the_traceback_and_shows_one_line(tmp_path, message_boxes):
    log_file = logs.setup_logging(folder=tmp_path)
    hook = app.make_excepthook(None, log_file)
    try:
        raise RuntimeError("slot exploded")
    except RuntimeError:
        hook(*sys.exc_info())
    assert message_boxes[0][0] == "critical"
    assert "RuntimeError: slot exploded" in message_boxes[0][2] and str(log_file) in message_boxes[0][2]
    for handler in logging.getLogger("terrain_viewer").handlers:
        handler.flush()
    text = log_file.read_text()
    assert "slot exploded" in text and "Traceback" in text


def test_main_shows_the_window_and_installs_the_hook(qtbot, monkeypatch, tmp_path, small_gpkg):
    monkeypatch.setenv("TERRAIN_VIEWER_LOG_DIR", str(tmp_path))
    monkeypatch.setattr(sys, "excepthook", sys.excepthook)  # restored afterwards
    shown = []

    def fake_exec(_app=None) -> int:  # the real loop would block; a real quit() would end later loops
        shown.extend(w for w in QApplication.topLevelWidgets()
                     if type(w).__name__ == "QtMainWindow" and w.isVisible())
        return 7

    monkeypatch.setattr(QApplication, "exec", fake_exec)
    assert app.main([str(small_gpkg)]) == 7
    assert len(shown) == 1 and shown[0].model.paths[0] == small_gpkg
    assert shown[0].time_slider.date_label.text() == "23 June 1944"
    assert sys.excepthook.__name__ == "hook"
    assert (tmp_path / logs.LOG_NAME).exists()
    qtbot.addWidget(shown[0])


@pytest.mark.qt_no_exception_capture
def test_an_exception_in_a_qt_slot_is_logged_and_shown_not_fatal(qtbot, tmp_path, message_boxes, monkeypatch,
                                                                 small_gpkg):
    log_file = logs.setup_logging(folder=tmp_path)
    window = app.create_window([small_gpkg])
    qtbot.addWidget(window)
    monkeypatch.setattr(sys, "excepthook", app.make_excepthook(window, log_file))

    def broken(_change) -> None:
        raise ValueError("listener bug")

    window.model.events.time.connect(broken)
    window.time_slider.forward_button.click()  # a real slot; the exception escapes Qt's event loop
    assert [m[0] for m in message_boxes] == ["critical"] and "ValueError: listener bug" in message_boxes[0][2]
    for handler in logging.getLogger("terrain_viewer").handlers:
        handler.flush()
    assert "listener bug" in log_file.read_text()
    window.time_slider.back_button.click()
    assert len(message_boxes) == 2  # and keeps handling events


def test_the_window_wears_the_style_sheet_and_icon_from_resources(qtbot, small_gpkg):
    from terrain_viewer.gui import resources

    window = app.create_window([small_gpkg])
    qtbot.addWidget(window)
    assert "timeBar" in window.styleSheet() and window.styleSheet() == resources.style_sheet()
    assert not window.windowIcon().isNull()
    assert window.windowIcon().pixmap(32, 32).toImage().pixelColor(16, 4).alpha() > 0
