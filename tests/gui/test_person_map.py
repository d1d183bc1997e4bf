"""The map used with the mouse and the keyboard: drag to pan, wheel to zoom, Ctrl+0 and the View
menu, the cursor's coordinates, Identify (I), Measure (M) and the Events list."""

from __future__ import annotations

import re

import numpy as np
import pytest
from person import LEFT, NO_MOD, click_menu, drag, hover, wheel
from pyproj import Transformer
from PyQt6.QtCore import QPoint, Qt


def _centre(window) -> tuple[float, float]:
    x0, y0, x1, y1 = window.canvas.view()
    return (x0 + x1) / 2, (y0 + y1) / 2


def _focus_map(qtbot, window) -> None:
    qtbot.mouseClick(window.canvas, LEFT, NO_MOD, QPoint(20, 20))
    window.canvas.setFocus()  # offscreen windows are not activated by a click
    assert window.canvas.hasFocus()


def test_a_mouse_drag_pans_the_map_and_the_pixels_follow(qtbot, hengyang, grab_map):
    canvas = hengyang.canvas
    hengyang.model.set_options(legend=False, caption=False, scale_bar=False, north_arrow=False)
    before = grab_map(hengyang)
    cx, cy = _centre(hengyang)
    upp = canvas.units_per_pixel()
    drag(qtbot, canvas, QPoint(200, 300), QPoint(260, 340))
    assert _centre(hengyang) == pytest.approx((cx - 60 * upp, cy + 40 * upp))
    after = grab_map(hengyang)
    # what was at (x, y) is now at (x + 60, y + 40): the shifted picture matches far better
    moved = np.abs(after[100:400, 120:300, :3].astype(int) - before[60:360, 60:240, :3].astype(int)).mean()
    still = np.abs(after[100:400, 120:300, :3].astype(int) - before[100:400, 120:300, :3].astype(int)).mean()
    assert moved < 0.5 * still


def test_the_wheel_zooms_about_the_cursor_and_ctrl_0_zooms_back_out(qtbot, hengyang, grab_map):
    canvas = hengyang.canvas
    full = grab_map(hengyang)
    upp = canvas.units_per_pixel()
    anchor = canvas.to_map(150, 250)
    wheel(canvas, QPoint(150, 250), 2)
    assert canvas.units_per_pixel() == pytest.approx(upp / 1.25 ** 2)
    assert canvas.to_map(150, 250) == pytest.approx(anchor)
    assert np.any(grab_map(hengyang) != full)
    wheel(canvas, QPoint(150, 250), -1)
    assert canvas.units_per_pixel() == pytest.approx(upp / 1.25)
    _focus_map(qtbot, hengyang)
    qtbot.keyClick(canvas, Qt.Key.Key_0, Qt.KeyboardModifier.ControlModifier)
    assert hengyang.model.view == hengyang.model.full_extent()
    assert np.array_equal(grab_map(hengyang), full)


def test_view_menu_zoom_in_out_and_full_extent_clicked(qtbot, hengyang):
    canvas = hengyang.canvas
    upp, centre = canvas.units_per_pixel(), _centre(hengyang)
    click_menu(qtbot, hengyang, "View", "Zoom in")
    assert canvas.units_per_pixel() == pytest.approx(upp / 1.5) and _centre(hengyang) == pytest.approx(centre)
    click_menu(qtbot, hengyang, "View", "Zoom in")
    click_menu(qtbot, hengyang, "View", "Zoom out")
    assert canvas.units_per_pixel() == pytest.approx(upp / 1.5)
    drag(qtbot, canvas, QPoint(100, 100), QPoint(200, 150))
    click_menu(qtbot, hengyang, "View", "Zoom to full extent")
    assert hengyang.model.view == hengyang.model.full_extent()


def test_right_after_the_window_is_resized_the_settled_map_is_drawn_at_its_new_size(hengyang, grab_map):
    small = grab_map(hengyang)
    hengyang.resize(1600, 1000)
    assert hengyang.canvas.width() > small.shape[1] + 100
    shown = grab_map(hengyang)  # "until the latest state is on screen"
    hengyang.canvas.refresh()  # a fresh render of the same state at this size
    assert np.array_equal(shown, grab_map(hengyang))


def test_the_status_bar_follows_the_cursor_in_degrees_and_utm(hengyang):
    canvas = hengyang.canvas
    hover(canvas, QPoint(120, 330))
    x, y = canvas.to_map(120, 330)
    lon, lat = Transformer.from_crs(hengyang.model.dataset.map_crs, 4326, always_xy=True).transform(x, y)
    text = hengyang.coords_label.text()
    east, north = Transformer.from_crs(4326, 32649, always_xy=True).transform(lon, lat)  # UTM 49N
    assert f"{lat:.5f}° N" in text and f"{lon:.5f}° E" in text
    assert f"{east:,.0f} E {north:,.0f} N" in text and "32649" in text


def test_identify_key_then_a_click_on_a_gate_lists_its_source(qtbot, hengyang):
    gate = hengyang.model.dataset.layer("gates").gdf.iloc[0]
    hengyang.canvas.zoom_to_layer("gates")
    _focus_map(qtbot, hengyang)
    qtbot.keyClick(hengyang.canvas, Qt.Key.Key_I)
    assert hengyang.identify_action.isChecked() and hengyang.canvas.tool == "identify"
    px, py = hengyang.canvas.to_pixel(gate.geometry.x, gate.geometry.y)
    qtbot.mouseClick(hengyang.canvas, LEFT, NO_MOD, QPoint(round(px), round(py)))
    names = [attrs.get("name_en") for layer, attrs in hengyang.identify_panel.hits if layer == "gates"]
    assert gate["name_en"] in names
    assert hengyang.identify_dock.isVisible()
    assert str(gate["source"]) in hengyang.identify_panel.browser.toPlainText()


def test_measure_key_clicks_give_a_distance_and_a_right_click_clears_it(qtbot, hengyang, grab_map):
    canvas = hengyang.canvas
    _focus_map(qtbot, hengyang)
    qtbot.keyClick(canvas, Qt.Key.Key_M)
    assert canvas.tool == "measure"
    plain = grab_map(hengyang)
    for point in (QPoint(60, 100), QPoint(300, 100)):
        qtbot.mouseClick(canvas, LEFT, NO_MOD, point)
    assert "(1 segment, geodesic)" in hengyang.measure_label.text()
    number, unit = re.search(r"Distance: ([\d,.]+) (k?m)", hengyang.measure_label.text()).groups()
    metres = float(number.replace(",", "")) * (1000 if unit == "km" else 1)
    assert metres == pytest.approx(240 * canvas.units_per_pixel(), rel=0.02)  # UTM metres ≈ geodesic here
    drawn = grab_map(hengyang)
    assert np.any(drawn[95:106, 60:300] != plain[95:106, 60:300])  # the line is drawn along the clicks
    qtbot.mouseClick(canvas, Qt.MouseButton.RightButton, NO_MOD, QPoint(200, 300))
    assert hengyang.measure.points == [] and "click points" in hengyang.measure_label.text()
    assert np.array_equal(grab_map(hengyang), plain)
    qtbot.keyClick(canvas, Qt.Key.Key_P)
    assert canvas.tool == "pan"


def test_a_measured_distance_is_set_apart_from_the_coordinates(qtbot, hengyang):
    """It ran straight into them in the status bar ("geodesic)  49.20250° N", a new user)."""
    from person import image_array

    canvas = hengyang.canvas
    _focus_map(qtbot, hengyang)
    qtbot.keyClick(canvas, Qt.Key.Key_M)
    for point in (QPoint(60, 100), QPoint(300, 100)):
        qtbot.mouseClick(canvas, LEFT, NO_MOD, point)
    hover(canvas, QPoint(400, 200))
    measure, coords = hengyang.measure_label, hengyang.coords_label
    assert measure.isVisible() and "geodesic" in measure.text() and "°" in coords.text()
    bar = hengyang.statusBar()
    ink = image_array(bar.grab().toImage())[..., :3].astype(int).sum(axis=-1) < 3 * 120
    columns = np.flatnonzero(ink.any(axis=0))
    text_end = columns[columns < coords.geometry().left()].max()  # the distance's last letter
    text_start = columns[columns >= coords.geometry().left()].min()  # the coordinates' first
    assert text_start - text_end >= 14
    qtbot.mouseClick(canvas, Qt.MouseButton.RightButton, NO_MOD, QPoint(200, 300))
    qtbot.keyClick(canvas, Qt.Key.Key_P)
    assert not measure.isVisible()  # no distance, no rule beside the coordinates


def test_clicking_a_days_event_centres_the_map_on_it(qtbot, hengyang):
    panel = hengyang.events_panel
    hengyang.model.time.set_date("1944-07-11")
    qtbot.waitUntil(lambda: panel.is_current() and panel.list.count() > 0, timeout=5000)
    item = panel.list.item(panel.list.count() - 1)
    x, y = item.data(Qt.ItemDataRole.UserRole)
    qtbot.mouseClick(panel.list.viewport(), LEFT, NO_MOD, panel.list.visualItemRect(item).center())
    assert _centre(hengyang) == pytest.approx((x, y))


def test_after_a_run_of_right_key_presses_the_events_panel_lists_the_last_day(qtbot, hengyang):
    """→ pressed five times in quick succession (a held key): the panel lists the day reached, with
    its heading, once the date rests."""
    panel = hengyang.events_panel
    _focus_map(qtbot, hengyang)
    for _ in range(5):
        qtbot.keyClick(hengyang.canvas, Qt.Key.Key_Right)
    qtbot.waitUntil(panel.is_current, timeout=5000)
    assert panel.heading.text().endswith("on 28 June 1944")
    titles = {panel.list.item(i).text().split("\n")[0] for i in range(panel.list.count())}
    assert titles and titles == {event.title for event in panel.day_events()}


def test_identify_heads_a_users_feature_with_its_name(qtbot, hengyang, tmp_path, monkeypatch, message_boxes):
    """A researcher's layer named by a plain ``name`` column: identify heads the feature with that
    name (what the map labels it with), not with the layer's name."""
    import geopandas as gpd
    import shapely
    from PyQt6.QtWidgets import QFileDialog

    x, y = Transformer.from_crs(32649, 4326, always_xy=True).transform(*hengyang.canvas.view()[:2])
    lon, lat = x + 0.05, y + 0.05
    path = tmp_path / "cities.gpkg"
    gpd.GeoDataFrame({"name": ["東京 Tokyo"], "source": ["my notes"], "confidence": ["low"]},
                     geometry=shapely.points([lon], [lat]), crs=4326).to_file(path, layer="cities")
    monkeypatch.setattr(QFileDialog, "getOpenFileNames", lambda *a, **k: ([str(path)], ""))
    click_menu(qtbot, hengyang, "File", "Open…")
    click_menu(qtbot, hengyang, "Tools", "Identify")
    east, north = Transformer.from_crs(4326, 32649, always_xy=True).transform(lon, lat)
    px, py = hengyang.canvas.to_pixel(east, north)
    qtbot.mouseClick(hengyang.canvas, LEFT, NO_MOD, QPoint(round(px), round(py)))
    assert any(layer == "cities" for layer, _ in hengyang.identify_panel.hits)
    text = hengyang.identify_panel.browser.toPlainText()
    assert text.startswith("東京 Tokyo\nlayer cities"), text[:80]


def test_identify_a_click_on_a_unit_symbol_pushed_off_its_position_lists_that_unit(qtbot, hengyang):
    """Crowded unit symbols are pushed apart, a leader back to the true position: a click in the
    middle of such a symbol listed only the elevation (the unit was looked for at its true
    position). Found by a new-user test (units 568 and 569, ~230 m from their points)."""
    from terrain_viewer.core.render.labels import PRIORITY
    from terrain_viewer.core.render.renderer import MapRenderer
    from terrain_viewer.gui.qt_identify import TOLERANCE_PX

    canvas = hengyang.canvas
    assert canvas.wait_settled()
    ratio, t = canvas.devicePixelRatioF(), hengyang.model.time.t
    frame = MapRenderer(hengyang.model)  # what the window drew: each unit's label names its symbol
    frame.render(t=t, size=canvas.pixel_size(), view=canvas.view(), dpi=100.0 * ratio)  # where drawn
    units = hengyang.model.dataset.layer("units").features_at(t)
    true = {str(d): canvas.to_pixel(g.x, g.y) for d, g in zip(units["designation"], units.geometry,
                                                               strict=True)}
    drawn = [(*canvas.to_pixel(p.spec.x, p.spec.y), p.spec.text) for p in frame.last_labels
             if p.spec.priority == PRIORITY["unit"] and list(units["designation"]).count(p.spec.text) == 1]
    x, y, name = max(drawn, key=lambda d: np.hypot(d[0] - true[d[2]][0], d[1] - true[d[2]][1]))
    assert np.hypot(x - true[name][0], y - true[name][1]) > 2 * TOLERANCE_PX  # off its point
    _focus_map(qtbot, hengyang)
    qtbot.keyClick(canvas, Qt.Key.Key_I)
    qtbot.mouseClick(canvas, LEFT, NO_MOD, QPoint(round(x), round(y)))
    hits = hengyang.identify_panel.hits
    listed = [str(attrs.get("designation")) for layer, attrs in hits if layer == "units"]
    assert listed and listed[0] == name


def test_identify_an_event_star_is_headed_with_the_events_title(qtbot, hengyang):
    """The map names an event by its title; identify headed it with its place (name_en
    'Hengyang'). Found by a new-user test."""
    t = hengyang.model.time.t
    events = hengyang.model.dataset.layer("events").features_at(t)
    event = events.iloc[0]
    assert event["title"] and event["title"] != event.get("name_en")
    canvas = hengyang.canvas
    _focus_map(qtbot, hengyang)
    qtbot.keyClick(canvas, Qt.Key.Key_I)
    px, py = canvas.to_pixel(event.geometry.x, event.geometry.y)
    qtbot.mouseClick(canvas, LEFT, NO_MOD, QPoint(round(px), round(py)))
    text = hengyang.identify_panel.browser.toPlainText()
    assert text.lstrip().startswith(str(event["title"])), text[:120]
    end = event["end_date"]  # the day through its end, not '… 23:59:59.999000' (a second new user)
    assert f"end_date\n{end.date().isoformat()}\n" in text
    assert "23:59:59" not in text and "NaT" not in text


def test_the_identify_ring_lists_what_is_there_on_each_new_date(qtbot, hengyang):
    """Identify clicked on a Japanese unit on 23 June, then → pressed: the unit moves on and the
    panel, which kept listing it under the ring with nothing saying of which date, lists what is at
    the ring on the day reached, named in its heading (a new user's finding)."""
    canvas, panel = hengyang.canvas, hengyang.identify_panel
    units = hengyang.model.dataset.layer("units").features_at(hengyang.model.time.t)
    unit = units[units["side"] == "jp"].iloc[0]
    _focus_map(qtbot, hengyang)
    qtbot.keyClick(canvas, Qt.Key.Key_I)
    px, py = canvas.to_pixel(unit.geometry.x, unit.geometry.y)
    qtbot.mouseClick(canvas, LEFT, NO_MOD, QPoint(round(px), round(py)))
    listed = [str(attrs.get("designation")) for layer, attrs in panel.hits if layer == "units"]
    assert str(unit["designation"]) in listed
    assert panel.heading.text().endswith("here on 23 June 1944")
    canvas.setFocus()
    for _ in range(20):
        qtbot.keyClick(canvas, Qt.Key.Key_Right)
    qtbot.waitUntil(lambda: panel.heading.text().endswith("on 13 July 1944") or
                    panel.heading.text() == "Nothing here on 13 July 1944.", timeout=5000)
    now = [str(attrs.get("designation")) for layer, attrs in panel.hits if layer == "units"]
    assert str(unit["designation"]) not in now  # it has moved on (the data: 3.9 km away by then)
    assert canvas.marker is not None


def test_identify_while_swiping_lists_only_the_side_clicked(qtbot, hengyang):
    """With the rivers moved to 'modern' and the swipe on, a click right of the divider listed the
    1944 relief and fields there too, hidden on that side: a historian could take a 1944 feature
    for present where the map showed only the modern side (a new user)."""
    canvas, model = hengyang.canvas, hengyang.model
    menu = hengyang.layer_panel.group_menu("rivers")  # the layer's right-click ▸ Move to group ▸ modern
    next(a for a in menu.actions() if a.text() == "modern").trigger()
    click_menu(qtbot, hengyang, "View", "Swipe compare")
    assert model.swipe.enabled
    _focus_map(qtbot, hengyang)
    qtbot.keyClick(canvas, Qt.Key.Key_I)
    divider = round(model.swipe.position * canvas.width())
    listed = {}
    for side, column in (("left", divider - 80), ("right", divider + 80)):
        qtbot.mouseClick(canvas, LEFT, NO_MOD, QPoint(column, canvas.height() // 2))
        listed[side] = {layer for layer, _ in hengyang.identify_panel.hits}
    assert "hengyang_dem" in listed["left"] and "hengyang_dem" not in listed["right"]
    assert listed["right"] <= {s.name for s in model.layer_states if s.group == "modern"}


def test_identify_on_a_scan_lists_the_files_own_values(qtbot, hengyang, tmp_path, monkeypatch, message_boxes):
    """A historian's 8-bit scan identified as band_1 190.9547576904297: the map's copy, warped and
    blended between cells, not the file's 191 (a new user)."""
    import rasterio
    from PyQt6.QtWidgets import QFileDialog
    from rasterio.transform import from_origin

    cells = np.indices((20, 20)).sum(axis=0) % 2 * 240 + 10  # 10 and 250, cell by cell: blending shows
    bands = np.stack([cells, 255 - cells, np.full_like(cells, 7)]).astype(np.uint8)
    left, top, size = 112.60, 26.90, 0.0005  # degrees (≈ 50 m) by Hengyang: warped to the map's UTM 49N
    path = tmp_path / "scan1944.tif"
    with rasterio.open(path, "w", driver="GTiff", width=20, height=20, count=3, dtype="uint8",
                       crs="EPSG:4326", transform=from_origin(left, top, size, size)) as dst:
        dst.write(bands)
    monkeypatch.setattr(QFileDialog, "getOpenFileNames", lambda *a, **k: ([str(path)], ""))
    hengyang.open_action.trigger()
    qtbot.waitUntil(lambda: any(r.name == "scan1944" for r in hengyang.model.dataset.rasters), timeout=10000)
    assert not message_boxes, message_boxes
    canvas = hengyang.canvas
    canvas.zoom_to_layer("scan1944")
    _focus_map(qtbot, hengyang)
    qtbot.keyClick(canvas, Qt.Key.Key_I)
    to_map = Transformer.from_crs(4326, 32649, always_xy=True)
    for row, col in ((5, 6), (5, 7), (12, 3)):
        x, y = to_map.transform(left + (col + 0.5) * size, top - (row + 0.5) * size)
        px, py = canvas.to_pixel(x, y)
        qtbot.mouseClick(canvas, LEFT, NO_MOD, QPoint(round(px), round(py)))
        (attrs,) = [a for layer, a in hengyang.identify_panel.hits if layer == "scan1944"]
        listed = (attrs["band_1"], attrs["band_2"], attrs["band_3"])
        assert listed == tuple(int(v) for v in bands[:, row, col])


def test_identify_says_an_empty_end_date_is_still_there_and_rules_off_each_feature(
        qtbot, hengyang, tmp_path, monkeypatch, message_boxes, grab_map):
    """A strongpoint with no end_date was listed with end_date blank, and the line under it was drawn
    beside its last row, out past the panel's edge (a new user)."""
    import geopandas as gpd
    import pandas as pd
    import shapely
    from person import image_array
    from PyQt6.QtWidgets import QFileDialog

    path = tmp_path / "works.gpkg"
    gdf = gpd.GeoDataFrame({"name": ["Redoubt"], "start_date": pd.to_datetime(["1944-06-20"]),
                            "end_date": pd.to_datetime([None]), "source": ["survey"], "confidence": ["low"]},
                           geometry=[shapely.Point(112.60, 26.90)], crs=4326)
    gdf.to_file(path, layer="strongpoints")
    monkeypatch.setattr(QFileDialog, "getOpenFileNames", lambda *a, **k: ([str(path)], ""))
    hengyang.open_action.trigger()
    qtbot.waitUntil(lambda: any(s.name == "strongpoints" for s in hengyang.model.layer_states), timeout=10000)
    canvas = hengyang.canvas
    canvas.zoom_to_layer("strongpoints")
    grab_map(hengyang)
    _focus_map(qtbot, hengyang)
    qtbot.keyClick(canvas, Qt.Key.Key_I)
    x, y = hengyang.model.dataset.layer("strongpoints").gdf.geometry.iloc[0].coords[0]
    px, py = canvas.to_pixel(x, y)
    qtbot.mouseClick(canvas, LEFT, NO_MOD, QPoint(round(px), round(py)))
    browser = hengyang.identify_panel.browser
    assert "end_date\nnone: still there" in browser.toPlainText()
    assert "start_date\n1944-06-20" in browser.toPlainText()
    shown = image_array(browser.viewport().grab().toImage())[..., :3].astype(int)
    dark = (shown.sum(axis=-1) < 3 * 120)  # the text, and the old rule's line
    rule = (np.abs(shown - (0xB8, 0xB2, 0xA4)).max(axis=-1) < 12)
    width = shown.shape[1]
    assert any(row.mean() > 0.85 for row in rule)  # the rule, across the panel
    assert not any(row[width // 2:].mean() > 0.4 for row in dark)  # no line beside a row
