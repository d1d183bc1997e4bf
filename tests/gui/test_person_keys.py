"""Keys where the focus is, Help ▸ Keyboard shortcuts, what the window remembers (QSettings), a first
window on a 1366×768 laptop, and a native crash written to the log folder."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from person import LEFT, NO_MOD, check_rect, click_menu, drag_slider, modal, type_into, when_shown
from PyQt6.QtCore import QPoint, Qt
from PyQt6.QtWidgets import QDialogButtonBox, QFileDialog

from terrain_viewer.core.model import ViewerModel
from terrain_viewer.gui.main_window import QtMainWindow
from terrain_viewer.gui.qt_help import QtShortcutsDialog

REPO = Path(__file__).resolve().parents[2]


def _click_row(qtbot, window, name: str) -> None:
    tree = window.layer_panel.tree
    item = window.layer_panel.item(name)
    point = QPoint(check_rect(tree, item).right() + 40, tree.visualItemRect(item).center().y())
    qtbot.mouseClick(tree.viewport(), LEFT, NO_MOD, point)
    tree.setFocus()  # offscreen windows are not activated by a click
    assert tree.hasFocus()


def test_home_and_end_on_the_focused_map_go_to_the_first_and_last_day(qtbot, hengyang):
    time, bar = hengyang.model.time, hengyang.time_slider
    qtbot.mouseClick(hengyang.canvas, LEFT, NO_MOD, QPoint(30, 30))
    hengyang.canvas.setFocus()
    qtbot.keyClick(hengyang.canvas, Qt.Key.Key_End)
    assert time.t == time.end and bar.date_label.text() == "8 August 1944"
    assert bar.slider.value() == bar.slider.maximum()
    qtbot.keyClick(hengyang.canvas, Qt.Key.Key_Home)
    assert time.t == time.start and bar.date_label.text() == "23 June 1944" and bar.slider.value() == 0


def test_in_the_layer_list_the_keys_move_through_the_list_not_through_time(qtbot, hengyang):
    time, panel = hengyang.model.time, hengyang.layer_panel
    time.set_date("1944-07-11")
    _click_row(qtbot, hengyang, "units")
    for key in (Qt.Key.Key_Right, Qt.Key.Key_Left, Qt.Key.Key_Home, Qt.Key.Key_End):
        qtbot.keyClick(panel.tree, key)
        assert time.date.isoformat() == "1944-07-11", key
    assert panel.tree.currentItem() is not panel.item("units")  # End went to the last row
    qtbot.keyClick(panel.tree, Qt.Key.Key_Space)  # Space ticks the current row instead of playing
    assert not hengyang.time_slider.playing
    last = panel.tree.currentItem().data(0, Qt.ItemDataRole.UserRole)
    assert hengyang.model.state(last).visible is False


def test_in_a_text_field_the_keys_edit_the_text(qtbot, hengyang):
    time, panel = hengyang.model.time, hengyang.layer_panel
    _click_row(qtbot, hengyang, "rivers")
    field = panel.width_box.lineEdit()
    type_into(qtbot, panel.width_box, "15")
    for key in (Qt.Key.Key_Left, Qt.Key.Key_Home, Qt.Key.Key_Right, Qt.Key.Key_End):
        qtbot.keyClick(field, key)
    qtbot.keyClick(field, Qt.Key.Key_Home)
    qtbot.keyClick(field, Qt.Key.Key_Delete)  # "15" → "5": the keys moved the cursor, not the date
    qtbot.keyClick(field, Qt.Key.Key_Return)
    assert time.t == time.start and not hengyang.time_slider.playing
    assert hengyang.model.state("rivers").style["linewidth"] == 5.0


def test_after_dragging_the_date_handle_the_arrow_keys_step_days(qtbot, hengyang):
    """The user picks a layer, then drags the date handle and presses → (the date bar has the focus)."""
    time, bar = hengyang.model.time, hengyang.time_slider
    _click_row(qtbot, hengyang, "rivers")
    drag_slider(qtbot, bar.slider, 10 * 24)
    day = time.date
    qtbot.keyClick(hengyang.focusWidget() or hengyang, Qt.Key.Key_Right)
    assert (time.date - day).days == 1, "→ after using the date bar did not step a day"


def test_help_keyboard_shortcuts_clicked_lists_the_keys_and_closes(qtbot, hengyang):
    listed: list[str] = []

    def read_and_close(dialog: QtShortcutsDialog) -> None:
        listed.append(dialog.text.toPlainText())
        close = dialog.findChild(QDialogButtonBox).button(QDialogButtonBox.StandardButton.Close)
        qtbot.mouseClick(close, LEFT)

    errors = when_shown(modal(QtShortcutsDialog), read_and_close)
    click_menu(qtbot, hengyang, "Help", "Keyboard shortcuts")
    assert not errors, errors
    text = listed[0]
    for key, what in (("Space", "Play / pause"), ("Home", "First day"), ("End", "Last day"),
                      ("Left", "Back one day"), ("Right", "Forward one day"),
                      ("Ctrl+0", "Zoom to full extent")):
        assert key in text and what in text, (key, what)
    assert "map or the date bar" in text


def _window(qtbot, paths) -> QtMainWindow:
    window = QtMainWindow(ViewerModel.open(paths))
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    return window


def test_the_window_remembers_its_size_docks_and_folders_between_runs(qtbot, small_gpkg, tmp_path,
                                                                      monkeypatch):
    first = _window(qtbot, [small_gpkg])
    first.resize(700, 500)  # within the offscreen screen (800×600): restoring keeps a window on screen
    click_menu(qtbot, first, "View", "Panels", "Events")
    assert not first.events_dock.isVisible()
    folders: list[str] = []
    data = tmp_path / "data"
    data.mkdir()
    copy = data / "more.gpkg"
    copy.write_bytes(small_gpkg.read_bytes())

    def pick(parent, caption, folder, *rest, **kw):
        folders.append(folder)
        return [str(copy)], ""

    monkeypatch.setattr(QFileDialog, "getOpenFileNames", pick)
    click_menu(qtbot, first, "File", "Open…")
    size = (first.width(), first.height())
    assert size[1] == 500  # what the user made it (its width no less than the window's minimum)
    click_menu(qtbot, first, "File", "Quit")  # closing saves what the window remembers
    second = _window(qtbot, [small_gpkg])
    screen = second.screen().availableGeometry().width()  # restoring keeps a window on its screen
    assert second.height() == size[1] and abs(second.width() - min(size[0], screen)) <= 4, size
    assert not second.events_dock.isVisible() and second.layers_dock.isVisible()
    click_menu(qtbot, second, "File", "Open…")
    assert folders == [str(small_gpkg.parent), str(data)]  # the own data's folder, then the one remembered


def test_open_recent_lists_a_saved_project_and_reopens_it(qtbot, small_gpkg, tmp_path, monkeypatch,
                                                          message_boxes):
    first = _window(qtbot, [small_gpkg])
    first.model.set_visible("rivers", False)
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(tmp_path / "siege"), ""))
    click_menu(qtbot, first, "File", "Save project as…")
    first.close()
    second = _window(qtbot, [small_gpkg])
    assert second.model.state("rivers").visible
    click_menu(qtbot, second, "File", "Open recent", "siege.tvproj")
    assert message_boxes == []
    assert second.project_path == tmp_path / "siege.tvproj" and second.model.state("rivers").visible is False


def _run_window_script(tmp_path: Path, body: str, platform: str) -> subprocess.CompletedProcess:
    """Run ``body`` in a fresh Python with its own QSettings and log folders."""
    env = {**os.environ, "QT_QPA_PLATFORM": platform, "XDG_CONFIG_HOME": str(tmp_path / "config"),
           "TERRAIN_VIEWER_LOG_DIR": str(tmp_path / "logs"), "TERRAIN_VIEWER_OFFLINE": "1"}
    return subprocess.run([sys.executable, "-c", textwrap.dedent(body)], env=env, cwd=REPO,
                          capture_output=True, text=True, timeout=180)


def test_a_first_window_fits_a_1366_by_768_laptop(tmp_path, shipped_gpkg):
    config = tmp_path / "screen.json"
    config.write_text(json.dumps({"screens": [{"name": "laptop", "x": 0, "y": 0, "width": 1366,
                                               "height": 768, "logicalDpi": 96, "dpr": 1}]}))
    result = _run_window_script(tmp_path, """
        import json
        from PyQt6.QtWidgets import QApplication
        app = QApplication([])
        from terrain_viewer.gui.app import create_window
        window = create_window()
        window.show()
        app.processEvents()
        area = window.screen().availableGeometry()
        print(json.dumps({"screen": [area.width(), area.height()],
                          "frame": [window.frameGeometry().width(), window.frameGeometry().height()],
                          "minimum": [window.minimumSizeHint().width(), window.minimumSizeHint().height()],
                          "canvas": [window.canvas.width(), window.canvas.height()],
                          "bar": window.time_slider.isVisible() and window.time_slider.height()}))
        window.close()  # as a person ends it (left open, PyQt's clean-up at exit crashed 1 in 8)
        app.processEvents()
    """, f"offscreen:configfile={config}")
    assert result.returncode == 0, result.stderr[-2000:]
    seen = json.loads(result.stdout.strip().splitlines()[-1])
    assert seen["screen"] == [1366, 768]
    assert seen["frame"][0] <= 1366 and seen["frame"][1] <= 768, seen
    assert seen["minimum"][0] <= seen["frame"][0] and seen["minimum"][1] <= seen["frame"][1], seen
    assert seen["canvas"][0] >= 500 and seen["canvas"][1] >= 300, seen  # the map keeps most of it
    assert seen["bar"] > 40, seen


def test_quit_by_the_file_menu_while_a_day_is_drawn_ends_the_app_cleanly(tmp_path, shipped_gpkg):
    """The installed app (``gui.app.main``) quit by File ▸ Quit at once after → (the day still being
    drawn on the render thread, the second renderer still starting) crashed at exit every time:
    the window's application-wide key filter saw the events of objects being destroyed, and a
    frame was handed to a window and application already gone. Three quits, each clean."""
    for _ in range(3):
        result = _run_window_script(tmp_path, """
            import sys
            from PyQt6.QtCore import Qt, QTimer
            from PyQt6.QtTest import QTest
            from PyQt6.QtWidgets import QApplication
            from terrain_viewer.gui import app

            LEFT, NONE = Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier

            def step_and_quit():
                window = next(w for w in QApplication.topLevelWidgets() if w.isVisible())
                QTest.keyClick(window.canvas, Qt.Key.Key_Right)
                bar = window.menuBar()
                file = next(a for a in bar.actions() if a.text() == "&File")
                QTest.mouseClick(bar, LEFT, NONE, bar.actionGeometry(file).center())
                menu = file.menu()
                item = next(a for a in menu.actions() if a.text() == "&Quit")
                QTest.mouseClick(menu, LEFT, NONE, menu.actionGeometry(item).center())

            real_exec = QApplication.exec
            def exec_with_a_person(*_args):
                QTimer.singleShot(800, step_and_quit)
                return real_exec()
            QApplication.exec = exec_with_a_person
            code = app.main([])
            print("main returned", code, flush=True)
            sys.exit(code)
        """, "offscreen")
        assert result.returncode == 0 and "main returned 0" in result.stdout, (result.returncode,
                                                                               result.stderr[-1500:])


@pytest.mark.skipif(sys.platform == "win32", reason="SIGSEGV on POSIX")
def test_a_native_crash_writes_the_python_stack_to_crash_log(tmp_path, shipped_gpkg):
    result = _run_window_script(tmp_path, """
        import faulthandler
        from PyQt6.QtCore import QTimer
        from PyQt6.QtWidgets import QApplication
        from terrain_viewer.gui import app

        real_exec = QApplication.exec
        def exec_then_crash(*_args):
            QTimer.singleShot(300, faulthandler._sigsegv)  # a native crash inside the event loop
            return real_exec()
        QApplication.exec = exec_then_crash
        app.main([])
    """, "offscreen")
    assert result.returncode != 0
    crash = tmp_path / "logs" / "crash.log"
    assert crash.is_file(), list((tmp_path / "logs").iterdir())
    text = crash.read_text()
    assert "Segmentation fault" in text and "exec_then_crash" in text, text[-2000:]


def test_in_an_open_menu_the_keys_move_through_the_menus_not_through_time(qtbot, hengyang):
    """File menu open (Alt+F or a click), → stepped the date a day instead of going to the next
    menu, and End in the menu jumped the map to 8 August. Found by a new user."""
    from person import active_popup

    qtbot.mouseClick(hengyang.canvas, LEFT, NO_MOD, QPoint(30, 30))
    hengyang.canvas.setFocus()  # offscreen windows are not activated by a click
    date = hengyang.time_slider.date_label.text()
    bar = hengyang.menuBar()
    file_menu = next(a for a in bar.actions() if a.text() == "&File")
    qtbot.mouseClick(bar, LEFT, NO_MOD, bar.actionGeometry(file_menu).center())
    qtbot.waitUntil(lambda: active_popup() is file_menu.menu(), timeout=3000)
    qtbot.keyClick(active_popup(), Qt.Key.Key_End)
    qtbot.keyClick(active_popup(), Qt.Key.Key_Right)
    qtbot.waitUntil(lambda: active_popup() not in (None, file_menu.menu()), timeout=3000)
    assert active_popup().title() == "&Edit"  # the next menu
    assert hengyang.time_slider.date_label.text() == date
    qtbot.keyClick(active_popup(), Qt.Key.Key_Escape)
    qtbot.keyClick(active_popup() or bar, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: active_popup() is None, timeout=3000)
    hengyang.canvas.setFocus()
    qtbot.keyClick(hengyang.canvas, Qt.Key.Key_Right)  # on the map again: a day on
    assert hengyang.time_slider.date_label.text() != date
