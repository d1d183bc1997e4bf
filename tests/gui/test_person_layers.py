"""The Layers panel used with the mouse and keyboard: the check box's rectangle, the row drag, the
opacity slider's handle, the right-click menu, ▲/▼, colour, line width, double-click (issue 11)."""

from __future__ import annotations

import random

import numpy as np
import pytest
from person import (
    LEFT,
    NO_MOD,
    active_popup,
    check_rect,
    check_states,
    click_check,
    click_entry,
    double_click,
    drag_slider,
    handle_rect,
    layer_items,
    right_click,
    unit_pixels,
    when_shown,
)
from PyQt6.QtCore import QPoint, QPointF, Qt
from PyQt6.QtGui import QColor, QDragEnterEvent, QDragMoveEvent, QDropEvent
from PyQt6.QtWidgets import QApplication, QColorDialog, QInputDialog


def _row_text_point(tree, item) -> QPoint:
    """A point on the row's name, right of the check box and swatch."""
    rect = tree.visualItemRect(item)
    return QPoint(check_rect(tree, item).right() + 40, rect.center().y())


def _click_row(qtbot, tree, item) -> None:
    qtbot.mouseClick(tree.viewport(), LEFT, NO_MOD, _row_text_point(tree, item))


def _magenta(rgba: np.ndarray) -> int:
    r, g, b = (rgba[..., i].astype(int) for i in range(3))
    return int(((r > 230) & (g < 30) & (b > 230)).sum())


def test_clicking_the_units_check_box_hides_and_shows_the_units_on_the_map(qtbot, hengyang, grab_map):
    model, tree = hengyang.model, hengyang.layer_panel.tree
    model.time.set_date("1944-07-11")
    shown = grab_map(hengyang)
    assert unit_pixels(shown) > 2000
    item = hengyang.layer_panel.item("units")
    click_check(qtbot, tree, item)
    assert model.state("units").visible is False
    assert item.checkState(0) == Qt.CheckState.Unchecked
    hidden = grab_map(hengyang)
    assert unit_pixels(hidden) == 0
    click_check(qtbot, tree, hengyang.layer_panel.item("units"))
    assert model.state("units").visible is True
    assert np.array_equal(grab_map(hengyang), shown)


def test_a_click_beside_the_check_box_selects_the_row_and_leaves_the_layer_shown(qtbot, hengyang):
    panel = hengyang.layer_panel
    _click_row(qtbot, panel.tree, panel.item("rivers"))
    assert panel.current_name() == "rivers" and hengyang.model.state("rivers").visible


def test_a_hundred_check_box_clicks_in_a_row_keep_the_window_and_the_model_in_step(qtbot, hengyang, grab_map):
    model, tree = hengyang.model, hengyang.layer_panel.tree
    rng = random.Random(1944)
    names = [item.data(0, Qt.ItemDataRole.UserRole) for item in layer_items(tree)]
    expected = {s.name: s.visible for s in model.layer_states}
    for i in range(100):
        name = rng.choice(names)
        click_check(qtbot, tree, hengyang.layer_panel.item(name))
        expected[name] = not expected[name]
        if i % 10 == 9:
            qtbot.wait(5)  # let the queued work run between bursts, as a person pauses
    assert hengyang.isVisible()
    assert {s.name: s.visible for s in model.layer_states} == expected
    assert check_states(tree) == expected
    assert grab_map(hengyang).any()


def test_dragging_a_layer_row_onto_another_reorders_the_drawing(qtbot, hengyang, grab_map):
    """The user picks the row with the mouse and drops it on the top half of another row.

    The offscreen platform's QDrag returns at once (no drag loop), so the drag's events are sent to
    the viewport as the window system delivers them (the Xvfb smoke test drives a real one)."""
    panel, tree, model = hengyang.layer_panel, hengyang.layer_panel.tree, hengyang.model
    model.time.set_date("1944-07-11")
    _click_row(qtbot, tree, panel.item("water_areas"))
    before = grab_map(hengyang)
    target = tree.visualItemRect(panel.item("units"))
    where = QPointF(target.center().x(), target.top() + 2)
    mime = tree.mimeData([panel.item("water_areas")])
    for kind in (QDragEnterEvent, QDragMoveEvent, QDropEvent):
        event = kind(where if kind is QDropEvent else where.toPoint(), Qt.DropAction.MoveAction, mime,
                     LEFT, NO_MOD)
        QApplication.sendEvent(tree.viewport(), event)
    names = [s.name for s in model.layer_states]
    assert names.index("water_areas") == names.index("units") + 1  # just above = drawn just after
    assert np.any(before != grab_map(hengyang), axis=2).sum() > 100  # water now covers some units

    def listed_above() -> bool:
        rows = [panel.item(n) for n in ("water_areas", "units")]
        return rows[0].parent().indexOfChild(rows[0]) + 1 == rows[1].parent().indexOfChild(rows[1])

    qtbot.waitUntil(listed_above, timeout=10000)
    assert panel.current_name() == "water_areas"


def test_up_and_down_buttons_move_the_selected_layer(qtbot, hengyang):
    panel, model = hengyang.layer_panel, hengyang.model
    _click_row(qtbot, panel.tree, panel.item("rivers"))
    before = [s.name for s in model.layer_states].index("rivers")
    qtbot.mouseClick(panel.up_button, LEFT)
    assert [s.name for s in model.layer_states].index("rivers") == before + 1
    qtbot.mouseClick(panel.down_button, LEFT)
    qtbot.mouseClick(panel.down_button, LEFT)
    assert [s.name for s in model.layer_states].index("rivers") == before - 1
    qtbot.waitUntil(lambda: panel.current_name() == "rivers", timeout=10000)  # still selected after rebuilds


def test_dragging_the_opacity_handle_fades_the_layer_and_shows_the_percentage(qtbot, hengyang, grab_map):
    panel, model = hengyang.layer_panel, hengyang.model
    model.set_options(legend=False)
    _click_row(qtbot, panel.tree, panel.item("water_areas"))
    assert panel.opacity_label.text() == "100 %"
    opaque = grab_map(hengyang)
    drag_slider(qtbot, panel.opacity, 30)
    value = panel.opacity.value()
    assert 20 <= value <= 40, value  # the handle went where the mouse took it
    assert panel.opacity_label.text() == f"{value} %"
    assert model.state("water_areas").opacity == pytest.approx(value / 100)
    faded = grab_map(hengyang)
    assert np.any(opaque != faded, axis=2).mean() > 0.01
    assert handle_rect(panel.opacity).center().x() < panel.opacity.width() / 2


def test_right_click_remove_layer_takes_it_off_the_list_and_the_map(qtbot, hengyang, grab_map):
    panel, tree, model = hengyang.layer_panel, hengyang.layer_panel.tree, hengyang.model
    model.time.set_date("1944-07-11")
    assert unit_pixels(grab_map(hengyang)) > 2000
    errors = when_shown(active_popup, lambda menu: click_entry(qtbot, menu, "Remove layer"))
    right_click(qtbot, tree.viewport(), _row_text_point(tree, panel.item("units")))
    qtbot.waitUntil(lambda: bool(errors) or "units" not in check_states(tree), timeout=5000)
    assert not errors, errors
    assert "units" not in [s.name for s in model.layer_states]
    assert unit_pixels(grab_map(hengyang)) == 0
    assert check_states(tree) == {s.name: s.visible for s in model.layer_states}


def test_removing_a_layer_keeps_the_event_chosen_in_the_events_list(qtbot, hengyang):
    """The Events list is listed again when a layer goes (its events may go with it); the event the
    user had clicked was dropped for the day's first one. Found by a new user."""
    panel, tree, events = hengyang.layer_panel, hengyang.layer_panel.tree, hengyang.events_panel
    hengyang.model.time.set_date("1944-07-13")
    qtbot.waitUntil(events.is_current, timeout=5000)
    assert events.list.count() >= 2
    second = events.list.item(1)
    qtbot.mouseClick(events.list.viewport(), LEFT, NO_MOD, events.list.visualItemRect(second).center())
    chosen = events.list.currentItem().text()
    assert chosen == second.text()
    errors = when_shown(active_popup, lambda menu: click_entry(qtbot, menu, "Remove layer"))
    right_click(qtbot, tree.viewport(), _row_text_point(tree, panel.item("rivers")))
    qtbot.waitUntil(lambda: bool(errors) or "rivers" not in check_states(tree), timeout=5000)
    assert not errors, errors
    assert events.list.currentItem().text() == chosen
    assert chosen.split("\n")[0] in events.details.toPlainText()


def test_shift_f10_opens_the_selected_layers_menu_as_a_right_click_does(qtbot, hengyang):
    """A keyboard user's right click (GNOME, KDE, Windows): it did nothing here; the Menu key did."""
    panel, tree = hengyang.layer_panel, hengyang.layer_panel.tree
    qtbot.mouseClick(tree.viewport(), LEFT, NO_MOD, _row_text_point(tree, panel.item("rivers")))
    assert tree.currentItem() is panel.item("rivers")
    seen: list[list[str]] = []
    errors = when_shown(active_popup, lambda menu: seen.append([a.text() for a in menu.actions()])
                        or menu.close())
    qtbot.keyClick(tree, Qt.Key.Key_F10, Qt.KeyboardModifier.ShiftModifier)
    qtbot.waitUntil(lambda: bool(seen or errors), timeout=5000)
    assert not errors, errors
    assert "Zoom to layer" in seen[0] and "Remove layer" in seen[0]


def test_right_click_move_to_a_new_group_typed_by_the_user(qtbot, hengyang, monkeypatch):
    panel, tree, model = hengyang.layer_panel, hengyang.layer_panel.tree, hengyang.model
    monkeypatch.setattr(QInputDialog, "getText", lambda *a, **k: ("  today ", True))

    def choose(menu) -> None:
        entry = next(a for a in menu.actions() if a.menu() is not None)  # "Move rivers to group"
        qtbot.mouseClick(menu, LEFT, NO_MOD, menu.actionGeometry(entry).center())
        qtbot.waitUntil(entry.menu().isVisible, timeout=3000)
        click_entry(qtbot, entry.menu(), "New group…")

    errors = when_shown(active_popup, choose)
    right_click(qtbot, tree.viewport(), _row_text_point(tree, panel.item("rivers")))
    qtbot.waitUntil(lambda: bool(errors) or model.state("rivers").group == "today", timeout=5000)
    assert not errors, errors
    qtbot.waitUntil(lambda: panel.item("rivers").parent().text(0) == "today", timeout=10000)


def test_right_clicks_closed_with_escape_leave_no_menus_behind(qtbot, hengyang):
    from PyQt6.QtCore import QCoreApplication, QEvent
    from PyQt6.QtWidgets import QMenu

    panel, tree = hengyang.layer_panel, hengyang.layer_panel.tree

    def menus() -> int:
        QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete.value)
        return len(panel.findChildren(QMenu))

    before = menus()
    for name in ("rivers", "units", "rivers"):
        errors = when_shown(active_popup, lambda menu: qtbot.keyClick(menu, Qt.Key.Key_Escape))
        right_click(qtbot, tree.viewport(), _row_text_point(tree, panel.item(name)))
        qtbot.waitUntil(lambda: active_popup() is None, timeout=5000)
        assert not errors, errors
    assert menus() == before  # each menu (and its "Move to group" menu) went with its closing


def test_colour_button_recolours_the_layer_on_the_map(qtbot, hengyang, grab_map, monkeypatch):
    panel = hengyang.layer_panel
    monkeypatch.setattr(QColorDialog, "getColor", lambda *a: QColor("#ff00ff"))
    _click_row(qtbot, panel.tree, panel.item("water_areas"))
    assert _magenta(grab_map(hengyang)) == 0
    qtbot.mouseClick(panel.color_button, LEFT)
    assert hengyang.model.state("water_areas").style["color"] == "#ff00ff"
    assert _magenta(grab_map(hengyang)) > 500
    swatch = panel.item("water_areas").icon(0).pixmap(12, 12).toImage()
    assert QColor(swatch.pixel(6, 6)).name() == "#ff00ff"


def test_typing_a_line_width_thickens_the_rivers(qtbot, hengyang, grab_map):
    panel, model = hengyang.layer_panel, hengyang.model
    _click_row(qtbot, panel.tree, panel.item("rivers"))
    thin = grab_map(hengyang)
    qtbot.mouseClick(panel.width_box.lineEdit(), LEFT)
    qtbot.keyClick(panel.width_box.lineEdit(), Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClicks(panel.width_box.lineEdit(), "6")
    qtbot.keyClick(panel.width_box.lineEdit(), Qt.Key.Key_Return)
    assert model.state("rivers").style["linewidth"] == 6.0
    assert np.any(thin != grab_map(hengyang), axis=2).sum() > 200


def _clear_of_furniture(canvas, points) -> list:
    """The points (map coordinates) drawn off the map or under its furniture (legend, scale bar,
    caption, credits, north arrow) in the canvas's frame now on screen."""
    canvas.wait_settled()
    ratio = canvas.devicePixelRatioF()
    size = (round(canvas.width() * ratio), round(canvas.height() * ratio))
    boxes = canvas.renderer.furniture_boxes(size)
    assert boxes  # the frame has its furniture
    out = []
    for x, y in points:
        px, py = (v * ratio for v in canvas.to_pixel(x, y))
        if not (0 <= px < size[0] and 0 <= py < size[1]) or \
                any(b[0] - 4 <= px <= b[2] + 4 and b[1] - 4 <= py <= b[3] + 4 for b in boxes):
            out.append((x, y))
    return out


def test_double_clicking_a_layer_zooms_the_map_to_it(qtbot, hengyang):
    panel, canvas = hengyang.layer_panel, hengyang.canvas
    full = canvas.units_per_pixel()
    double_click(qtbot, panel.tree.viewport(), _row_text_point(panel.tree, panel.item("airfield")))
    ax0, ay0, ax1, ay1 = hengyang.model.layer_extent("airfield")
    x0, y0, x1, y1 = canvas.view()
    assert x0 < ax0 and ax1 < x1 and y0 < ay0 and ay1 < y1
    assert canvas.units_per_pixel() < full / 2
    assert not _clear_of_furniture(canvas, [(ax0, ay0), (ax0, ay1), (ax1, ay0), (ax1, ay1)])


@pytest.mark.parametrize("resized", [False, True])
def test_zoom_to_my_point_layer_leaves_no_point_under_the_furniture(qtbot, hengyang, tmp_path, monkeypatch,
                                                                     message_boxes, resized):
    """A researcher's points spread over 6 × 13 km (taller than the map): double-click fits them all
    where no legend, scale bar, caption or credits covers them (one sat under the scale bar), also
    right after the window was resized (they were fitted as if the map had no furniture)."""
    import geopandas as gpd
    import shapely
    from PyQt6.QtWidgets import QFileDialog

    lon, lat = np.meshgrid(np.linspace(112.54, 112.60, 3), np.linspace(26.82, 26.94, 6))
    path = tmp_path / "survey.gpkg"
    gpd.GeoDataFrame({"name": [f"P{i}" for i in range(lon.size)]},
                     geometry=shapely.points(lon.ravel(), lat.ravel()), crs=4326).to_file(
        path, layer="survey_points", engine="pyogrio")
    monkeypatch.setattr(QFileDialog, "getOpenFileNames", lambda *a, **k: ([str(path)], ""))
    hengyang.open_action.trigger()
    assert not message_boxes, message_boxes
    panel, canvas = hengyang.layer_panel, hengyang.canvas
    canvas.wait_settled()
    if resized:  # and double-clicked at once: no frame of the new size drawn yet, its furniture unknown
        hengyang.resize(1100, 760)  # (it was fitted as if the map had none)
    double_click(qtbot, panel.tree.viewport(), _row_text_point(panel.tree, panel.item("survey_points")))
    gdf = hengyang.model.dataset.layer("survey_points").gdf
    points = [(p.x, p.y) for p in gdf.geometry]
    assert not _clear_of_furniture(canvas, points)
    x0, y0, x1, y1 = hengyang.model.layer_extent("survey_points")
    upp = canvas.units_per_pixel()  # fitted, not lost in the frame (by its height: it is the taller)
    assert max((x1 - x0) / upp / canvas.width(), (y1 - y0) / upp / canvas.height()) > 0.4


def test_the_panel_and_the_properties_show_the_width_the_map_draws(qtbot, hengyang):
    """A layer with no width of its own: the panel's box and Properties… show the same width, the
    one its lines are drawn with; a layer whose painter takes no width has the boxes off."""
    panel = hengyang.layer_panel
    for name, drawn in (("rivers", 0.5), ("railways", 2.4), ("front_lines", 2.2)):
        _click_row(qtbot, panel.tree, panel.item(name))
        assert panel.width_box.isEnabled() and panel.width_box.value() == drawn, name
        qtbot.mouseClick(panel.properties_button, LEFT)
        dialog = panel.properties_dialog
        assert dialog.width.isEnabled() and dialog.width.value() == drawn, name
        dialog.close()
        assert "linewidth" not in hengyang.model.state(name).style  # shown, not set
    _click_row(qtbot, panel.tree, panel.item("units"))
    assert not panel.width_box.isEnabled()


def test_with_no_layer_selected_the_greyed_slider_shows_what_its_label_says(qtbot, hengyang):
    """No layer selected: the greyed opacity slider sat at 0 beside "100 %". Found by a new user."""
    from person import handle_centre_for

    panel, tree = hengyang.layer_panel, hengyang.layer_panel.tree

    def agree() -> None:
        assert panel.current_name() is None and not panel.opacity.isEnabled()
        shown = int(panel.opacity_label.text().removesuffix(" %"))
        assert handle_rect(panel.opacity).center().x() == handle_centre_for(panel.opacity, shown).x(), shown

    agree()
    _click_row(qtbot, tree, panel.item("water_areas"))
    drag_slider(qtbot, panel.opacity, 30)
    errors = when_shown(active_popup, lambda menu: click_entry(qtbot, menu, "Remove layer"))
    right_click(qtbot, tree.viewport(), _row_text_point(tree, panel.item("water_areas")))
    qtbot.waitUntil(lambda: bool(errors) or "water_areas" not in check_states(tree), timeout=5000)
    assert not errors, errors
    agree()  # the selected layer removed: none selected again


def test_the_opacity_slider_stays_put_from_a_raster_to_a_vector_layer(qtbot, hengyang):
    """Choosing the relief (a raster) hid the Line width row and the opacity slider moved 25 px down:
    a historian's drag on it missed (a new user). The row stays, greyed for a raster."""
    panel, tree = hengyang.layer_panel, hengyang.layer_panel.tree
    places = {}
    for name in ("rivers", "hengyang_dem", "rivers"):
        item = panel.item(name)
        tree.scrollToItem(item)
        qtbot.mouseClick(tree.viewport(), LEFT, pos=tree.visualItemRect(item).center())
        assert panel.current_name() == name
        places.setdefault(name, []).append(panel.opacity.mapTo(hengyang, QPoint(0, 0)))
        if name == "hengyang_dem":
            assert panel.width_box.isVisible() and not panel.width_box.isEnabled()
    assert len({(p.x(), p.y()) for ps in places.values() for p in ps}) == 1, places


def test_the_properties_hatch_shows_what_the_map_draws_and_none_takes_it_off(qtbot, hengyang):
    """The flooded fields' Properties showed Hatch "none" while the map drew their cross hatch, and
    choosing "none" did nothing (it was chosen already; a new user)."""
    from person import choose

    from terrain_viewer.core.render.symbology import layer_symbology

    panel, model = hengyang.layer_panel, hengyang.model

    def hatches() -> tuple:
        sym = layer_symbology(model.dataset.layer("flooded_fields"), model.state("flooded_fields").style)
        return sym["paddy"].hatch, sym["marsh"].hatch

    _click_row(qtbot, panel.tree, panel.item("flooded_fields"))
    qtbot.mouseClick(panel.properties_button, LEFT)
    dialog = panel.properties_dialog
    assert dialog.hatch.currentText() == "as its role draws it" and hatches() == ("++", "---")
    choose(qtbot, dialog.hatch, "none")
    assert not any(hatches())
    choose(qtbot, dialog.hatch, "as its role draws it")
    assert hatches() == ("++", "---") and "hatch" not in model.state("flooded_fields").style
    dialog.close()
