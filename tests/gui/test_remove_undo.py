"""A layer removed from the panel by mistake comes back with Ctrl+Z (Edit ▸ Undo remove layer), where
it was and as it was; the Identify panel never lists what is no longer on the map. Found by a new
user: "Remove layer" sits under "Properties…", went at once, and Ctrl+Z did nothing; the Identify
panel kept a removed layer's feature, and with Pan kept "3 features here on 8 August" while the map
showed 25 June."""

from __future__ import annotations

from person import active_popup, check_states, click_check, click_entry, click_menu, right_click, when_shown
from PyQt6.QtCore import QPoint, Qt
from PyQt6.QtWidgets import QApplication


def focus_map(qtbot, window) -> None:
    """Back on the map, its window the active one (a menu's closing leaves none active offscreen)."""
    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window, timeout=3000)
    qtbot.mouseClick(window.canvas, Qt.MouseButton.LeftButton, pos=QPoint(20, 20))
    window.canvas.setFocus()


def remove_by_menu(qtbot, window, name: str) -> None:
    panel, tree = window.layer_panel, window.layer_panel.tree
    item = panel.item(name)
    tree.scrollToItem(item)
    errors = when_shown(active_popup, lambda menu: click_entry(qtbot, menu, "Remove layer"))
    rect = tree.visualItemRect(item)
    right_click(qtbot, tree.viewport(), QPoint(rect.center().x(), rect.center().y()))
    qtbot.waitUntil(lambda: bool(errors) or name not in check_states(tree), timeout=5000)
    assert not errors, errors


def test_ctrl_z_puts_a_removed_layer_back_where_it_was_as_it_was(qtbot, hengyang):
    model, tree = hengyang.model, hengyang.layer_panel.tree
    click_check(qtbot, tree, hengyang.layer_panel.item("rivers"))  # a setting the undo must keep
    order = [s.name for s in model.layer_states]
    remove_by_menu(qtbot, hengyang, "rivers")
    assert "Ctrl+Z puts it back" in hengyang.statusBar().currentMessage()
    remove_by_menu(qtbot, hengyang, "units")
    focus_map(qtbot, hengyang)
    qtbot.keyClick(hengyang.canvas, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: "units" in check_states(tree), timeout=3000)
    assert "rivers" not in check_states(tree)  # the last one first
    click_menu(qtbot, hengyang, "Edit", "Undo remove rivers")
    qtbot.waitUntil(lambda: "rivers" in check_states(tree), timeout=3000)
    assert [s.name for s in model.layer_states] == order
    assert check_states(tree)["rivers"] is False and model.dataset.layer("rivers") is not None
    assert "rivers is back" in hengyang.statusBar().currentMessage()
    assert not hengyang.undo_remove_action.isEnabled()
    focus_map(qtbot, hengyang)
    qtbot.keyClick(hengyang.canvas, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)  # nothing left
    assert [s.name for s in model.layer_states] == order


def test_identify_lists_only_what_is_on_the_map(qtbot, hengyang):
    gate = hengyang.model.dataset.layer("gates").gdf.iloc[0]
    hengyang.canvas.zoom_to_layer("gates")
    hengyang.identify_action.trigger()
    px, py = hengyang.canvas.to_pixel(gate.geometry.x, gate.geometry.y)
    qtbot.mouseClick(hengyang.canvas, Qt.MouseButton.LeftButton, pos=QPoint(round(px), round(py)))
    assert any(layer == "gates" for layer, _ in hengyang.identify_panel.hits)
    remove_by_menu(qtbot, hengyang, "gates")
    qtbot.waitUntil(lambda: all(layer != "gates" for layer, _ in hengyang.identify_panel.hits), timeout=3000)
    assert gate["name_en"] not in hengyang.identify_panel.browser.toPlainText()
    hengyang.pan_action.trigger()
    assert hengyang.identify_panel.hits == []
    assert "click the map" in hengyang.identify_panel.heading.text()


def test_the_delete_key_on_a_layers_row_removes_it_and_ctrl_z_puts_it_back(qtbot, hengyang):
    """As in other desktop GIS; the key did nothing (a new user)."""
    model, panel = hengyang.model, hengyang.layer_panel
    tree = panel.tree
    rect = tree.visualItemRect(panel.item("railways"))
    qtbot.mouseClick(tree.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())  # the row chosen
    assert panel.current_name() == "railways"
    order = [s.name for s in model.layer_states]
    qtbot.keyClick(tree, Qt.Key.Key_Delete)
    qtbot.waitUntil(lambda: "railways" not in check_states(tree), timeout=5000)
    assert "railways" not in [s.name for s in model.layer_states]
    assert "Ctrl+Z puts it back" in hengyang.statusBar().currentMessage()
    focus_map(qtbot, hengyang)
    qtbot.keyClick(hengyang.canvas, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: "railways" in check_states(tree), timeout=5000)
    assert [s.name for s in model.layer_states] == order


def test_a_removed_layers_load_problems_leave_the_problems_panel_and_come_back_with_it(qtbot, tmp_path):
    """They stayed listed for a layer no longer in the session (a new user)."""
    import geopandas as gpd
    import shapely

    from terrain_viewer.gui.app import create_window

    path = tmp_path / "verdun.gpkg"
    points = [shapely.Point(5.43 + 0.01 * i, 49.2) for i in range(2)]
    gpd.GeoDataFrame({"name": ["Fort Douaumont", "Fort Vaux"], "start_date": ["1916-02-21", "1916-13-45"]},
                     geometry=points, crs=4326).to_file(path, layer="forts", driver="GPKG")
    gpd.GeoDataFrame({"name": ["front"], "start_date": ["1916-02-21"]},
                     geometry=[shapely.LineString([(5.40, 49.18), (5.50, 49.22)])], crs=4326) \
        .to_file(path, layer="front", driver="GPKG")
    window = create_window([str(path)], None)
    qtbot.addWidget(window)
    window.show()
    listed = window.problems_list

    def shown() -> list[str]:
        return [listed.item(i).text() for i in range(listed.count()) if not listed.item(i).isHidden()]

    assert any("layer 'forts': 1 unreadable date" in line for line in shown())
    tree = window.layer_panel.tree
    rect = tree.visualItemRect(window.layer_panel.item("forts"))
    qtbot.mouseClick(tree.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    qtbot.keyClick(tree, Qt.Key.Key_Delete)
    qtbot.waitUntil(lambda: "forts" not in check_states(tree), timeout=5000)
    assert not any("layer 'forts'" in line for line in shown())
    focus_map(qtbot, window)
    qtbot.keyClick(window.canvas, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: "forts" in check_states(tree), timeout=5000)
    assert any("layer 'forts': 1 unreadable date" in line for line in shown())
