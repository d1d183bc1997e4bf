"""The main window driven like a user: layers, identify, open, events, coordinates, measure, navigation."""

from __future__ import annotations

import datetime as dt
import re

import numpy as np
import pytest
from person import click_menu
from pyproj import Geod, Transformer
from PyQt6.QtCore import QEvent, QMimeData, QPoint, QPointF, Qt, QUrl
from PyQt6.QtGui import QColor, QCursor, QDragEnterEvent, QDragMoveEvent, QDropEvent, QMouseEvent, QWheelEvent
from PyQt6.QtWidgets import QApplication, QColorDialog, QFileDialog

from terrain_viewer.core.model import ViewerModel
from terrain_viewer.gui.qt_map_canvas import PAN_REFRESH_MS


def _magenta(pixels: np.ndarray) -> int:
    r, g, b = (pixels[..., i].astype(int) for i in range(3))
    return int(((r > 230) & (g < 30) & (b > 230)).sum())


def _centre(window) -> tuple[float, float]:
    x0, y0, x1, y1 = window.canvas.view()
    return (x0 + x1) / 2, (y0 + y1) / 2


def test_colour_from_the_panel_then_hiding_the_layer_removes_its_pixels(hengyang, grab_map, monkeypatch):
    panel = hengyang.layer_panel
    panel.select("water_areas")
    monkeypatch.setattr(QColorDialog, "getColor", lambda *a: QColor("#ff00ff"))
    panel.color_button.click()
    assert hengyang.model.state("water_areas").style["color"] == "#ff00ff"
    shown = _magenta(grab_map(hengyang))
    assert shown > 500
    panel.item("water_areas").setCheckState(0, Qt.CheckState.Unchecked)  # the user unticks the box
    assert not hengyang.model.state("water_areas").visible
    assert _magenta(grab_map(hengyang)) == 0
    panel.item("water_areas").setCheckState(0, Qt.CheckState.Checked)
    assert _magenta(grab_map(hengyang)) == shown


def test_panel_groups_opacity_width_and_order(hengyang):
    panel, model = hengyang.layer_panel, hengyang.model
    groups = [panel.tree.topLevelItem(i).text(0) for i in range(panel.tree.topLevelItemCount())]
    assert groups == sorted({s.group for s in model.layer_states})
    panel.select("rivers")
    panel.opacity.setValue(40)
    assert model.state("rivers").opacity == pytest.approx(0.4)
    panel.width_box.setValue(3.0)
    assert model.state("rivers").style["linewidth"] == 3.0
    names = [s.name for s in model.layer_states]
    panel.up_button.click()
    moved = [s.name for s in model.layer_states]
    assert moved.index("rivers") == names.index("rivers") + 1
    assert panel.current_name() == "rivers" and panel.opacity.value() == 40  # kept after the rebuild


def test_zoom_to_layer_and_full_extent(hengyang):
    hengyang.layer_panel.select("airfield")
    hengyang.zoom_layer_action.trigger()
    ax0, ay0, ax1, ay1 = hengyang.model.layer_extent("airfield")
    x0, y0, x1, y1 = hengyang.canvas.view()
    assert x0 < ax0 and ax1 < x1 and y0 < ay0 and ay1 < y1
    assert (x1 - x0) < 0.5 * (hengyang.model.full_extent()[2] - hengyang.model.full_extent()[0])
    hengyang.zoom_full_action.trigger()
    assert hengyang.model.view == hengyang.model.full_extent()
    upp, centre = hengyang.canvas.units_per_pixel(), _centre(hengyang)
    hengyang.zoom_in_action.trigger()
    assert hengyang.canvas.units_per_pixel() == pytest.approx(upp / 1.5)
    assert _centre(hengyang) == pytest.approx(centre)
    hengyang.zoom_out_action.trigger()
    assert hengyang.canvas.units_per_pixel() == pytest.approx(upp)


def test_identify_click_on_a_gate_lists_its_attributes_and_source(qtbot, hengyang):
    model = hengyang.model
    gates = model.dataset.layer("gates").gdf
    gate = gates.iloc[0]
    hengyang.canvas.zoom_to_layer("gates")
    hengyang.identify_action.trigger()
    px, py = hengyang.canvas.to_pixel(gate.geometry.x, gate.geometry.y)
    qtbot.mouseClick(hengyang.canvas, Qt.MouseButton.LeftButton, pos=QPoint(round(px), round(py)))
    hits = hengyang.identify_panel.hits
    found = [attrs for layer, attrs in hits if layer == "gates" and attrs.get("name_en") == gate["name_en"]]
    assert found and found[0]["source"] == gate["source"]
    text = hengyang.identify_panel.browser.toPlainText()
    assert text.index("Source") < text.index("Confidence") < text.index("feature_id")  # prominent, first
    for key, value in found[0].items():
        assert key.lower() in text.lower() and (value is None or str(value) in text)
    assert hengyang.canvas.marker == pytest.approx(hengyang.canvas.to_map(round(px), round(py)))


def test_open_of_a_bad_file_shows_a_message_and_the_window_keeps_running(
        hengyang, tmp_path, monkeypatch, message_boxes, grab_map):
    bad = tmp_path / "broken.gpkg"
    bad.write_bytes(b"not a geopackage at all" * 10)
    monkeypatch.setattr(QFileDialog, "getOpenFileNames", lambda *a: ([str(bad)], ""))
    layers = len(hengyang.model.layer_states)
    hengyang.open_action.trigger()
    assert len(message_boxes) == 1 and "broken.gpkg" in message_boxes[0][2]
    assert "broken.gpkg" in hengyang.problems_list.item(hengyang.problems_list.count() - 1).text()
    assert hengyang.isVisible() and len(hengyang.model.layer_states) == layers
    hengyang.model.time.step(1)
    assert grab_map(hengyang).any()  # still drawing


def test_open_of_a_good_file_adds_an_added_group(qtbot, small_gpkg, hengyang, monkeypatch, message_boxes):
    monkeypatch.setattr(QFileDialog, "getOpenFileNames", lambda *a: ([str(small_gpkg)], ""))
    hengyang.open_action.trigger()
    assert message_boxes == []
    added = [s.name for s in hengyang.model.layer_states if s.group == "added"]
    assert len(added) == 3
    tree = hengyang.layer_panel.tree
    groups = lambda: [tree.topLevelItem(i).text(0) for i in range(tree.topLevelItemCount())]  # noqa: E731
    qtbot.waitUntil(lambda: "added" in groups(), timeout=10000)


def _events_on(model, day: str) -> set[str]:
    """Titles of the events whose date range (by calendar day) includes ``day``."""
    gdf = model.dataset.layer("events").gdf
    start = gdf["start_date"].astype(str).str[:10]
    end = gdf["end_date"].fillna("9999-12-31").astype(str).str[:10]
    return set(gdf.loc[(start <= day) & (day <= end), "title"])


def test_events_panel_lists_the_days_events_and_a_click_centres_the_map(qtbot, hengyang):
    model, panel = hengyang.model, hengyang.events_panel
    listed = {}
    for day in ("1944-06-23", "1944-07-11", "1944-08-06"):
        model.time.set_date(day)
        qtbot.waitUntil(panel.is_current, timeout=5000)  # the list follows once the date rests
        listed[day] = {panel.list.item(i).text().split("\n")[0] for i in range(panel.list.count())}
        assert listed[day] == _events_on(model, day) and listed[day]
    assert listed["1944-06-23"] != listed["1944-07-11"]
    timed = 0
    for i in range(panel.list.count()):  # 6 August: hour-dated events show their hours
        start = str(panel.list.item(i).data(Qt.ItemDataRole.UserRole + 1)["start_date"]).replace(" ", "T", 1)
        if "T" in start and start.startswith("1944-08-06") and start[11:16] != "00:00":  # DATETIME values
            timed += 1
            assert panel.list.item(i).text().split("\n")[1].startswith(start[11:16])
    assert timed
    assert panel.heading.text().endswith("on 6 August 1944")
    item = panel.list.item(1)
    x, y = item.data(Qt.ItemDataRole.UserRole)
    assert _centre(hengyang) != pytest.approx((x, y))
    rect = panel.list.visualItemRect(item)
    qtbot.mouseClick(panel.list.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert _centre(hengyang) == pytest.approx((x, y))
    assert "Source:" in panel.details.toPlainText()


def _hover(widget, x: int, y: int) -> None:
    """A mouse move with no button pressed, as the window system delivers it."""
    where = QPointF(x, y)
    QApplication.sendEvent(widget, QMouseEvent(QEvent.Type.MouseMove, where, widget.mapToGlobal(where),
                                               Qt.MouseButton.NoButton, Qt.MouseButton.NoButton,
                                               Qt.KeyboardModifier.NoModifier))


def test_status_bar_coordinates_follow_the_mouse(hengyang):
    canvas = hengyang.canvas
    _hover(canvas, 200, 150)
    x, y = canvas.to_map(200, 150)
    lon, lat = Transformer.from_crs(hengyang.model.dataset.map_crs, 4326, always_xy=True).transform(x, y)
    text = hengyang.coords_label.text()
    assert f"{lat:.5f}° N" in text and f"{lon:.5f}° E" in text
    assert f"{int(lat)}°" in text.split("|")[1] and "EPSG:32649" in text
    _hover(canvas, 400, 300)
    assert hengyang.coords_label.text() != text


def test_status_bar_coordinates_follow_the_map_moving_under_a_still_mouse(qtbot, hengyang):
    """Zoomed from the menu, the map moves under the mouse: the readout kept the old point's coordinates
    until the mouse moved (a new user read 80° N, 158° W while over Hengyang after Ctrl+0)."""
    canvas = hengyang.canvas
    QCursor.setPos(canvas.mapToGlobal(QPoint(200, 150)))
    _hover(canvas, 200, 150)
    before = hengyang.coords_label.text()
    click_menu(qtbot, hengyang, "View", "Zoom in")  # at the centre: (200, 150) is another point now
    x, y = canvas.to_map(200, 150)
    lon, lat = Transformer.from_crs(hengyang.model.dataset.map_crs, 4326, always_xy=True).transform(x, y)
    text = hengyang.coords_label.text()
    assert text != before and f"{lat:.5f}° N" in text and f"{lon:.5f}° E" in text


def test_measure_gives_the_geodesic_distance_and_draws_the_line(qtbot, hengyang, grab_map):
    canvas = hengyang.canvas
    hengyang.measure_action.trigger()
    plain = grab_map(hengyang)
    clicks = [(150, 200), (500, 420), (600, 120)]
    for px, py in clicks:
        qtbot.mouseClick(canvas, Qt.MouseButton.LeftButton, pos=QPoint(px, py))
    to_ll = Transformer.from_crs(hengyang.model.dataset.map_crs, 4326, always_xy=True)
    lonlat = [to_ll.transform(*canvas.to_map(px, py)) for px, py in clicks]
    geod = Geod(ellps="WGS84")
    expected = sum(geod.inv(*a, *b)[2] for a, b in zip(lonlat, lonlat[1:], strict=False))
    number, unit = re.search(r"Distance: ([\d,.]+) (k?m)", hengyang.measure_label.text()).groups()
    shown = float(number.replace(",", "")) * (1000 if unit == "km" else 1)
    assert shown == pytest.approx(expected, rel=1e-3)
    drawn = grab_map(hengyang)
    red = (np.abs(drawn[..., :3].astype(int) - [0xD1, 0x49, 0x5B]).sum(axis=2) < 30)
    assert red.sum() > 100 and red.sum() > (np.abs(plain[..., :3].astype(int) - [0xD1, 0x49, 0x5B])
                                            .sum(axis=2) < 30).sum()
    _hover(canvas, 600, 420)  # rubber band on to the cursor: one more leg, longer total
    onward = re.search(r"to cursor ([\d,.]+) (k?m)", hengyang.measure_label.text()).groups()
    assert float(onward[0].replace(",", "")) * (1000 if onward[1] == "km" else 1) > shown
    qtbot.mouseClick(canvas, Qt.MouseButton.RightButton, pos=QPoint(10, 10))
    assert hengyang.measure.points == [] and "click points" in hengyang.measure_label.text()


def test_drag_pans_and_wheel_zooms_about_the_cursor(qtbot, hengyang):
    canvas = hengyang.canvas
    cx, cy = _centre(hengyang)
    upp = canvas.units_per_pixel()
    qtbot.mousePress(canvas, Qt.MouseButton.LeftButton, pos=QPoint(300, 300))
    qtbot.mouseMove(canvas, QPoint(340, 320))
    qtbot.wait(2 * PAN_REFRESH_MS)  # a long drag: the view so far is written and drawn
    assert _centre(hengyang) == pytest.approx((cx - 40 * upp, cy + 20 * upp))
    qtbot.mouseMove(canvas, QPoint(400, 350))
    qtbot.mouseRelease(canvas, Qt.MouseButton.LeftButton, pos=QPoint(400, 350))
    assert _centre(hengyang) == pytest.approx((cx - 100 * upp, cy + 50 * upp))
    assert hengyang.identify_panel.hits == [] and hengyang.measure.points == []  # a drag is no click
    anchor = canvas.to_map(250, 200)
    where = QPointF(250, 200)
    event = QWheelEvent(where, canvas.mapToGlobal(where), QPoint(0, 0), QPoint(0, 120),
                        Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier, Qt.ScrollPhase.NoScrollPhase,
                        False)
    QApplication.sendEvent(canvas, event)
    assert canvas.units_per_pixel() == pytest.approx(upp / 1.25)
    assert canvas.to_map(250, 200) == pytest.approx(anchor)


def test_swipe_divider_is_drawn_and_dragged(qtbot, hengyang, grab_map):
    hengyang.swipe_action.trigger()
    assert hengyang.model.swipe.enabled
    canvas = hengyang.canvas
    x = round(hengyang.model.swipe.position * canvas.width())
    column = grab_map(hengyang)[:, x, :3].astype(int)
    assert (np.abs(column - [0x1F, 0x3B, 0x57]).sum(axis=1) < 20).mean() > 0.9  # the divider line
    qtbot.mousePress(canvas, Qt.MouseButton.LeftButton, pos=QPoint(x, 300))
    qtbot.mouseMove(canvas, QPoint(x - 150, 300))
    qtbot.mouseRelease(canvas, Qt.MouseButton.LeftButton, pos=QPoint(x - 150, 300))
    assert hengyang.model.swipe.position == pytest.approx((x - 150) / canvas.width())
    hengyang.model.set_swipe(enabled=False)
    assert not hengyang.swipe_action.isChecked()


def test_view_menu_toggles_write_options(hengyang, grab_map):
    was = hengyang.model.options.legend  # a small map starts without it
    assert hengyang.option_actions["legend"].isChecked() is was
    before = grab_map(hengyang)
    hengyang.option_actions["legend"].trigger()
    assert hengyang.model.options.legend is (not was)
    assert np.any(before != grab_map(hengyang))
    hengyang.chinese_action.trigger()
    assert hengyang.model.options.chinese_names is True


def test_set_model_rebinds_every_widget(hengyang, small_gpkg, grab_map):
    old = hengyang.model
    new = ViewerModel.open([small_gpkg])
    hengyang.set_model(new)
    assert hengyang.canvas.model is new and hengyang.time_slider.model is new
    names = {hengyang.layer_panel.tree.topLevelItem(0).child(i).text(0)
             for i in range(hengyang.layer_panel.tree.topLevelItem(0).childCount())}
    assert names == {"units", "events", "rivers"}
    new.time.set_date("1944-06-25")
    assert hengyang.time_slider.date_label.text() == "25 June 1944"
    old.time.set_date("1944-07-30")  # the old model no longer drives the window
    assert hengyang.time_slider.date_label.text() == "25 June 1944"
    assert grab_map(hengyang).any()


def test_menu_items_open_the_real_dialogs(qtbot, hengyang, monkeypatch):
    from terrain_viewer.gui import qt_compare

    hengyang.side_action.trigger()
    view = hengyang._side_by_side
    qtbot.waitExposed(view)
    assert isinstance(view, qt_compare.QtSideBySide) and view.left.model is hengyang.model
    view.close()


def test_home_end_and_map_keys_act_from_the_map_not_from_the_layer_list(qtbot, hengyang):
    time = hengyang.model.time
    hengyang.activateWindow()
    hengyang.canvas.setFocus()
    qtbot.keyClick(hengyang.canvas, Qt.Key.Key_End)
    assert time.t == time.end and hengyang.time_slider.date_label.text() == "8 August 1944"
    qtbot.keyClick(hengyang.canvas, Qt.Key.Key_Home)
    assert time.t == time.start
    tree = hengyang.layer_panel.tree
    tree.setFocus()
    tree.setCurrentItem(hengyang.layer_panel.item("units"))
    qtbot.keyClick(tree, Qt.Key.Key_Space)  # in the list, Space checks the row: it does not play
    assert not hengyang.time_slider.playing
    assert hengyang.model.state("units").visible is False
    qtbot.keyClick(tree, Qt.Key.Key_End)  # and End goes to the last row, not the last day
    assert time.t == time.start


def test_help_lists_the_keyboard_shortcuts(hengyang, monkeypatch):
    from terrain_viewer.gui import qt_help

    shown = []
    monkeypatch.setattr(qt_help.QtShortcutsDialog, "exec", lambda self: shown.append(dict(self.rows)))
    help_menu = next(a.menu() for a in hengyang.menuBar().actions() if a.text() == "&Help")
    next(a for a in help_menu.actions() if "Keyboard" in a.text()).trigger()
    keys = shown[0]
    for key, what in (("Space", "Play / pause"), ("Home", "First day"), ("End", "Last day"),
                      ("Right", "Forward one day"), ("Ctrl+E", "Export")):
        assert keys.get(key) == what, (key, keys)


def test_the_window_remembers_its_size_and_recent_projects(qtbot, small_gpkg, tmp_path):
    from terrain_viewer.core.model import ViewerModel
    from terrain_viewer.gui.main_window import QtMainWindow

    first = QtMainWindow(ViewerModel.open([small_gpkg]))
    qtbot.addWidget(first)
    screen = first.screen().availableGeometry()
    assert first.width() <= screen.width() and first.height() <= screen.height()  # fits a small screen
    first.resize(700, 500)
    project = tmp_path / "siege.tvproj"
    project.write_text("{}")
    first.project_path = project
    first.close()
    second = QtMainWindow(ViewerModel.open([small_gpkg]))
    qtbot.addWidget(second)
    assert (second.width(), second.height()) == (700, 500)
    second.recent_menu.aboutToShow.emit()
    assert [a.toolTip() for a in second.recent_menu.actions()] == [str(project.resolve())]


def test_about_lists_data_sources(hengyang, message_boxes):
    hengyang.about_action.trigger()
    kind, _title, text = message_boxes[0]
    assert kind == "about" and "Data sources" in text and "<li>" in text


def test_date_in_window_title(hengyang):
    hengyang.model.time.set_date(dt.date(1944, 7, 4))
    assert "4 July 1944" in hengyang.windowTitle()


def _drop(window, paths) -> None:
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(p)) for p in paths])
    where = QPointF(300, 300)
    for kind in (QDragEnterEvent, QDropEvent):
        event = kind(where.toPoint() if kind is QDragEnterEvent else where, Qt.DropAction.CopyAction, mime,
                     Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
        QApplication.sendEvent(window, event)


def test_dropping_files_adds_them_and_bad_ones_give_a_message(hengyang, small_gpkg, tmp_path, message_boxes):
    bad = tmp_path / "notes.geojson"
    bad.write_text("{ nope", encoding="utf-8")
    _drop(hengyang, [small_gpkg])
    assert message_boxes == [] and "small.gpkg" in hengyang.statusBar().currentMessage()
    assert len([s for s in hengyang.model.layer_states if s.group == "added"]) == 3
    _drop(hengyang, [bad])
    assert len(message_boxes) == 1 and "notes.geojson" in message_boxes[0][2]
    assert hengyang.isVisible()


def test_dragging_a_layer_in_the_panel_reorders_the_drawing(qtbot, hengyang):
    panel = hengyang.layer_panel
    panel.select("rivers")
    for above in (True, False):
        rect = panel.tree.visualItemRect(panel.item("units"))
        mime = panel.tree.mimeData([panel.item("rivers")])
        where = QPointF(rect.center().x(), rect.top() + 2 if above else rect.bottom() - 2)
        for kind in (QDragEnterEvent, QDragMoveEvent, QDropEvent):
            event = kind(where if kind is QDropEvent else where.toPoint(), Qt.DropAction.MoveAction, mime,
                         Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
            QApplication.sendEvent(panel.tree.viewport(), event)
        names = [s.name for s in hengyang.model.layer_states]
        assert names.index("rivers") == names.index("units") + (1 if above else -1)

        def rivers_listed_above() -> bool:
            listed = [panel.item(n) for n in ("rivers", "units")]
            rows = [listed[0].parent().indexOfChild(item) for item in listed]
            return rows[0] < rows[1]

        # the list shows the new order (top = drawn last) once the drop's own event is over
        qtbot.waitUntil(lambda a=above: rivers_listed_above() == a, timeout=10000)  # a loaded machine


def test_event_rows_show_the_time_within_the_day(qtbot, small_window):
    small_window.model.time.set_date("1944-06-24")
    qtbot.waitUntil(small_window.events_panel.is_current, timeout=5000)
    rows = [small_window.events_panel.list.item(i).text()
            for i in range(small_window.events_panel.list.count())]
    assert rows == ["(untitled event)\n23 Jun – 25 Jun", "(untitled event)\nfrom 24 Jun"]


def test_a_failing_render_is_shown_on_the_canvas_and_the_next_one_recovers(hengyang, grab_map, monkeypatch):
    hengyang.canvas.render_ahead = False  # a frame rendered ahead, before the fault, would hide it
    good = grab_map(hengyang)

    def fail(*args, **kwargs):
        raise RuntimeError("out of memory in Agg")

    with monkeypatch.context() as patch:  # fault injection: the renderer breaks once
        patch.setattr(hengyang.canvas.renderer, "render", fail)
        hengyang.model.time.step(1)
        broken = grab_map(hengyang)
    assert hengyang.canvas.error == "Cannot draw the map: out of memory in Agg"
    reds = (np.abs(broken[..., :3].astype(int) - [0xB0, 0x00, 0x20]).sum(axis=2) < 60).sum()
    assert reds > 20  # the message is drawn
    hengyang.model.time.step(-1)
    assert np.array_equal(grab_map(hengyang), good) and hengyang.canvas.error is None


def test_a_fresh_window_on_a_small_screen_starts_without_the_legend(qtbot, small_gpkg):
    from terrain_viewer.gui.main_window import LEGEND_WIDTH, QtMainWindow

    window = QtMainWindow(ViewerModel.open([small_gpkg]))
    qtbot.addWidget(window)
    window.resize(900, 600)  # a map well under LEGEND_WIDTH beside the docks
    window.show()
    qtbot.waitExposed(window)
    assert window.canvas.width() < LEGEND_WIDTH
    assert window.model.options.legend is False and not window.option_actions["legend"].isChecked()


def test_a_first_window_of_900_pixels_gives_the_map_more_than_half_and_shows_each_layer_button(
        qtbot, small_gpkg):
    """A 900 × 600 window left the map 320 px of 900 (the layer panel's one row of buttons held it
    309 px wide): the side panels take a share of a first window's width; the buttons stay whole."""
    from PyQt6.QtWidgets import QToolButton

    from terrain_viewer.gui.main_window import QtMainWindow

    window = QtMainWindow(ViewerModel.open([small_gpkg]))
    qtbot.addWidget(window)
    window.resize(900, 600)
    window.show()
    qtbot.waitExposed(window)
    qtbot.waitUntil(lambda: window.canvas.width() >= 450, timeout=3000)  # the docks laid out
    panel = window.layer_panel
    buttons = [b for b in panel.findChildren(QToolButton) if b.isVisible() and b.text()]
    assert {b.text() for b in buttons} >= {"▲", "▼", "Zoom to", "Colour…", "Properties…"}
    for button in buttons:
        corner = button.mapTo(panel, button.rect().bottomRight())
        assert panel.rect().contains(corner) and button.width() >= button.sizeHint().width(), button.text()


def test_a_first_window_shows_the_legend_by_the_width_its_map_gets(qtbot, small_gpkg):
    """A 1256 px window (a 1366 px laptop's) gave its map 728 px and started without the legend:
    the rule (no legend under 700 px) read the map's width before the side panels took their share."""
    from terrain_viewer.gui.main_window import LEGEND_WIDTH, QtMainWindow

    window = QtMainWindow(ViewerModel.open([small_gpkg]))
    qtbot.addWidget(window)
    window.resize(1256, 706)
    window.show()
    qtbot.waitExposed(window)
    assert window.canvas.width() >= LEGEND_WIDTH
    assert window.model.options.legend is True and window.option_actions["legend"].isChecked()
