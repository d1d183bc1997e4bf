"""Comparing 1944 and today in the window: the swipe splits the pixels, the basemap dialog, tiles
arriving in the background, linked side-by-side views and layer groups."""

from __future__ import annotations

import numpy as np
import pytest
from person import pixels
from PyQt6.QtCore import QPoint, Qt

from terrain_viewer.gui import qt_compare

GREY = np.array([200, 200, 205])  # the test tiles


def grey(pixels: np.ndarray) -> float:
    return float((np.abs(pixels[..., :3].astype(int) - GREY).max(axis=-1) < 12).mean())


@pytest.fixture
def quiet(hengyang):
    """The window without furniture, so that pixels speak for the map."""
    hengyang.model.set_options(legend=False, caption=False, scale_bar=False, north_arrow=False)
    return hengyang


def test_the_swipe_puts_1944_left_and_the_basemap_right_and_follows_the_divider(qtbot, quiet, grab_map,
                                                                                mbtiles_file):
    quiet.model.set_basemap({"mbtiles": str(mbtiles_file)})
    quiet.swipe_action.trigger()
    pixels = grab_map(quiet)
    w = pixels.shape[1]
    assert grey(pixels[:, : w // 2 - 5]) < 0.05 and grey(pixels[:, w // 2 + 5:]) > 0.8
    canvas = quiet.canvas
    x = round(quiet.model.swipe.position * canvas.width())
    to = x - canvas.width() // 4
    qtbot.mousePress(canvas, Qt.MouseButton.LeftButton, pos=QPoint(x, 200))
    qtbot.mouseMove(canvas, QPoint(to, 200))
    qtbot.mouseRelease(canvas, Qt.MouseButton.LeftButton, pos=QPoint(to, 200))
    assert quiet.model.swipe.position == pytest.approx(to / canvas.width())
    moved = grab_map(quiet)
    split = round(quiet.model.swipe.position * moved.shape[1])
    assert grey(moved[:, : split - 5]) < 0.05 and grey(moved[:, split + 5:]) > 0.8


def test_the_basemap_dialog_sets_a_file_and_refuses_a_bad_one(qtbot, quiet, mbtiles_file, tmp_path):
    dialog = qt_compare.QtBasemapDialog(quiet.model, quiet)
    qtbot.addWidget(dialog)
    bad = tmp_path / "broken.mbtiles"
    bad.write_bytes(b"garbage" * 200)
    dialog.kind.setCurrentIndex(3)  # MBTiles
    dialog.file.setText(str(bad))
    dialog.accept()
    assert dialog.isVisible() is False or dialog.result() == 0
    assert quiet.model.basemap is None and "broken.mbtiles" in dialog.message.text()
    dialog.file.setText(str(mbtiles_file))
    dialog.opacity.setValue(70)
    dialog.accept()
    assert quiet.model.basemap == {"mbtiles": str(mbtiles_file), "opacity": 0.7, "group": "modern"}
    again = qt_compare.QtBasemapDialog(quiet.model, quiet)  # opens on the current basemap
    qtbot.addWidget(again)
    assert again.kind.currentData() == "mbtiles" and again.opacity.value() == 70
    again.kind.setCurrentIndex(0)
    again.accept()
    assert quiet.model.basemap is None


def test_tiles_arrive_in_the_background_and_the_map_redraws_itself(qtbot, quiet, grab_map, tile_server):
    tile_server.mode = "hang"
    quiet.model.set_basemap({"url": tile_server.url})
    before = grab_map(quiet)  # returns at once although the server hangs
    assert not tile_server.release.is_set() and grey(before) < 0.05
    qtbot.waitUntil(lambda: len(tile_server.requests) > 0, timeout=10000)
    tile_server.mode = "ok"
    tile_server.release.set()  # the hanging requests end without tiles …
    from terrain_viewer.core.data import tiles

    tiles.source_for({"url": tile_server.url}).retry_failed()
    quiet.canvas.refresh()  # … a redraw asks again, and this time they come
    qtbot.waitUntil(lambda: grey(grab_map(quiet)) > 0.3, timeout=30000)


def test_side_by_side_views_are_linked_and_show_one_group_each(qtbot, quiet, mbtiles_file):
    quiet.model.set_basemap({"mbtiles": str(mbtiles_file)})
    view = qt_compare.open_side_by_side(quiet)
    qtbot.addWidget(view)
    qtbot.waitExposed(view)
    left = pixels(view.left)
    right = pixels(view.right)
    assert grey(left) < 0.05 and grey(right) > 0.8
    before = quiet.model.view
    view.left.pan_by(120, 0)
    assert quiet.model.view != before and view.right.view() == view.left.view()
    assert view.left.view() == pytest.approx(quiet.model.view, rel=1e-12)  # the same view, fitted
    quiet.model.set_group("water_areas", "modern")
    assert "water_areas" in view.right.layers and "water_areas" not in view.left.layers


def test_the_layer_panel_moves_a_layer_to_another_group(qtbot, quiet):
    panel = quiet.layer_panel
    menu = panel.group_menu("rivers")
    entries = {a.text(): a for a in menu.actions() if a.text()}
    assert {"1944", "modern", "New group…"} <= set(entries) and entries["1944"].isChecked()
    entries["modern"].trigger()
    assert quiet.model.state("rivers").group == "modern"

    def groups() -> list[str]:
        return [panel.tree.topLevelItem(i).text(0) for i in range(panel.tree.topLevelItemCount())]

    qtbot.waitUntil(lambda: "modern" in groups(), timeout=10000)  # rebuilt once the menu's signal is over


def test_closing_side_by_side_leaves_the_window_working_and_it_opens_again(qtbot, quiet):
    from PyQt6.QtCore import QCoreApplication, QEvent

    view = qt_compare.open_side_by_side(quiet)
    qtbot.waitExposed(view)
    view.close()
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete.value)
    x0, y0, x1, y1 = quiet.model.view
    quiet.model.set_view((x0 + 500, y0, x1 + 500, y1))  # the hidden canvases must not break this
    quiet.model.set_swipe(left_group="1944", right_group="rivers")
    again = qt_compare.open_side_by_side(quiet)
    assert again is view and again.isVisible() and again.titles[1].text().startswith("rivers")
    lx0, _, lx1, _ = again.left.view()
    assert (lx0 + lx1) / 2 == pytest.approx((x0 + x1) / 2 + 500)  # it still follows the model's view


def test_the_basemap_dialog_lists_the_tile_tables_of_a_geopackage(qtbot, quiet, mbtiles_file, tmp_path):
    import rasterio

    gpkg = tmp_path / "basemaps.gpkg"
    with rasterio.open(mbtiles_file) as src:  # GeoPackage tile tables written by rasterio (no GDAL programs)
        profile = dict(width=src.width, height=src.height, count=src.count, dtype=src.dtypes[0], crs=src.crs,
                       transform=src.transform)
        data = src.read()
    for table in ("city_1990", "city_2020"):
        with rasterio.open(gpkg, "w", driver="GPKG", TILING_SCHEME="GoogleMapsCompatible", RASTER_TABLE=table,
                           APPEND_SUBDATASET="YES", **profile) as dst:
            dst.write(data)
    dialog = qt_compare.QtBasemapDialog(quiet.model, quiet)
    qtbot.addWidget(dialog)
    dialog.kind.setCurrentIndex(4)  # GeoPackage tiles
    dialog.file.setText(str(gpkg))
    assert [dialog.table.itemText(i) for i in range(dialog.table.count())] == ["city_1990", "city_2020"]
    dialog.table.setCurrentText("city_2020")
    dialog.accept()
    assert quiet.model.basemap["gpkg"] == str(gpkg) and quiet.model.basemap["table"] == "city_2020"
    again = qt_compare.QtBasemapDialog(quiet.model, quiet)
    qtbot.addWidget(again)
    assert again.table.currentText() == "city_2020"  # opens on the current basemap


def listed_rows(panel) -> list[str]:
    """The layer panel's rows, top to bottom, under whichever group's heading."""
    tree = panel.tree
    return [tree.topLevelItem(g).child(i).text(0) for g in range(tree.topLevelItemCount())
            for i in range(tree.topLevelItem(g).childCount())]


def drawn_top_first(model) -> list[str]:
    """The layers in the order the map draws them, the last drawn (on top) first."""
    return [s.name for s in reversed(model.layer_states)]


def test_the_panel_lists_the_layers_in_the_order_the_map_draws_them_across_groups(qtbot, quiet):
    """A row dropped among another group's rows joins that group there, and *Move to group* puts a
    layer on top of its new group: the panel, top to bottom, is always the draw order, top first
    (a drop into another group moved the layer in the map but left its row in its old group)."""
    panel, model = quiet.layer_panel, quiet.model

    def listed() -> list[str]:
        return listed_rows(panel)

    def drawn() -> list[str]:
        return drawn_top_first(model)

    modern = "water_areas"  # drawn first: at the bottom, alone in its group
    model.set_group(modern, "modern")
    qtbot.waitUntil(lambda: listed() == drawn(), timeout=10000)
    panel.tree.layer_dropped.emit(modern, "pillboxes", True)  # what a drop above the row emits
    qtbot.waitUntil(lambda: listed() == drawn(), timeout=10000)
    assert model.state(modern).group == "1944" and drawn().index(modern) == drawn().index("pillboxes") - 1
    menu = panel.group_menu("rivers")
    next(a for a in menu.actions() if a.text() == "modern").trigger()
    qtbot.waitUntil(lambda: listed() == drawn(), timeout=10000)
    assert model.state("rivers").group == "modern"


def test_swiping_with_nothing_on_one_side_says_why_the_side_is_blank(qtbot, quiet):
    """Only 1944 layers and no basemap: the swipe's right side has nothing to draw, and the status
    bar says so and how to fill it (it was just blank)."""
    from person import click_menu

    click_menu(qtbot, quiet, "View", "Swipe compare")
    assert quiet.model.swipe.enabled
    message = quiet.statusBar().currentMessage()
    assert "the right side (group 'modern') has no layers" in message and "Move to group" in message
    menu = quiet.layer_panel.group_menu("rivers")  # the layer's right-click ▸ Move to group ▸ modern
    next(a for a in menu.actions() if a.text() == "modern").trigger()
    assert quiet.model.state("rivers").group == "modern"
    assert quiet.statusBar().currentMessage() == ""  # no longer true: it went (it stayed 15 s)


def test_the_divider_dragged_onto_the_legend_leaves_its_text_whole(qtbot, hengyang, grab_map):
    """Dragged across the legend, the swipe's line cut its text (in the frame and in the window's
    own line over it). Found by a new user."""
    canvas = hengyang.canvas
    hengyang.resize(1900, 1000)  # a map wide enough for the legend
    hengyang.swipe_action.trigger()
    grab_map(hengyang)
    ratio = canvas.devicePixelRatioF()
    size = canvas.pixel_size()
    legend = max(canvas.renderer.furniture_boxes(size), key=lambda b: (b[2] - b[0]) * (b[3] - b[1]))
    x = round(canvas.model.swipe.position * canvas.width())
    to = round((legend[0] + legend[2]) / 2 / ratio)
    qtbot.mousePress(canvas, Qt.MouseButton.LeftButton, pos=QPoint(x, 100))
    qtbot.mouseMove(canvas, QPoint(to, 100))
    qtbot.mouseRelease(canvas, Qt.MouseButton.LeftButton, pos=QPoint(to, 100))
    shown = grab_map(hengyang)
    legend = max(canvas.renderer.furniture_boxes(size), key=lambda b: (b[2] - b[0]) * (b[3] - b[1]))
    column = shown[:, round(canvas.model.swipe.position * shown.shape[1]) - 1, :3].astype(int)
    line = (np.abs(column - (0x1F, 0x3B, 0x57)) < 40).all(axis=-1)  # the divider's blue
    rows = np.arange(len(column)) * (size[1] / len(column))
    inside = (rows > legend[1] + 3) & (rows < legend[3] - 3)
    assert inside.any() and line[~inside].mean() > 0.3 and not line[inside].any()


def test_swiping_with_only_added_layers_on_the_right_says_the_modern_group_is_empty(
        qtbot, hengyang, tmp_path, monkeypatch):
    """A researcher's own file (group 'added', drawn on both sides) and no 'modern' group: the right
    side showed only their layers, half the map blank, with no word. Found by a new user."""
    import geopandas as gpd
    import shapely
    from person import click_menu, hover
    from PyQt6.QtWidgets import QFileDialog

    path = tmp_path / "mine.gpkg"
    gpd.GeoDataFrame({"name": ["post"]}, geometry=[shapely.Point(112.6, 26.9)], crs=4326).to_file(path)
    monkeypatch.setattr(QFileDialog, "getOpenFileNames", lambda *a, **k: ([str(path)], ""))
    hengyang.open_action.trigger()
    qtbot.waitUntil(lambda: any(s.group == "added" for s in hengyang.model.layer_states), timeout=5000)
    click_menu(qtbot, hengyang, "View", "Swipe compare")
    message = hengyang.statusBar().currentMessage()
    assert "the right side (group 'modern') has no layers of its own" in message, message
    assert "Move to group" in message
    hengyang.resize(1456, 900)  # the window as the new user had it (cut off mid-sentence there)
    hover(hengyang.canvas, QPoint(300, 300))  # the coordinates shown beside it
    bar = hengyang.statusBar()
    room = bar.width() - hengyang.coords_label.sizeHint().width() - hengyang.measure_label.sizeHint().width()
    assert bar.fontMetrics().horizontalAdvance(message) < room - 40


def test_a_scan_is_listed_where_the_map_draws_it_and_moving_it_to_a_group_keeps_it_there(
        qtbot, quiet, tmp_path, monkeypatch, message_boxes):
    """A scan opened over Hengyang is drawn over the relief, under the 1944 vector layers, but its
    group's row was listed at the bottom; ▲ moved it in the map and not in the list; *Move to
    group ▸ 1944* put it on top of every layer (units and fronts hidden, their labels floating).
    A new user, a historian."""
    import rasterio
    from PyQt6.QtWidgets import QFileDialog
    from rasterio.transform import Affine

    scan = tmp_path / "scan_1938.tif"
    with rasterio.open(scan, "w", driver="GTiff", width=50, height=50, count=3, dtype="uint8",
                       crs="EPSG:4326", transform=Affine(0.002, 0, 112.55, 0, -0.002, 26.94)) as dst:
        dst.write(np.full((3, 50, 50), 200, np.uint8))
    monkeypatch.setattr(QFileDialog, "getOpenFileNames", lambda *a, **k: ([str(scan)], ""))
    quiet.open_action.trigger()
    assert not message_boxes, message_boxes
    panel, model = quiet.layer_panel, quiet.model

    def listed() -> list[str]:
        return listed_rows(panel)

    def drawn() -> list[str]:
        return drawn_top_first(model)

    name = model.dataset.rasters[-1].name
    vectors = {layer.name for layer in model.dataset.layers}
    assert all(other in vectors for other in drawn()[:drawn().index(name)])  # under every vector layer
    qtbot.waitUntil(lambda: listed() == drawn(), timeout=10000)
    panel.select(name)
    qtbot.mouseClick(panel.up_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: listed() == drawn(), timeout=10000)
    place = drawn().index(name)
    next(a for a in panel.group_menu(name).actions() if a.text() == "1944").trigger()
    qtbot.waitUntil(lambda: listed() == drawn(), timeout=10000)
    assert model.state(name).group == "1944" and drawn().index(name) == place  # still under the units


def test_a_layer_zoomed_to_with_the_swipe_on_is_fitted_on_its_own_side(qtbot, quiet):
    """Double-clicked, a layer of the modern group was fitted over the whole map, most of it left
    of the divider, where only 1944 is drawn: out of sight (a new user, a historian)."""
    from person import click_menu, double_click

    panel, model, canvas = quiet.layer_panel, quiet.model, quiet.canvas
    next(a for a in panel.group_menu("rivers").actions() if a.text() == "modern").trigger()
    qtbot.waitUntil(lambda: panel.item("rivers").parent().text(0) == "modern", timeout=10000)  # listed anew
    click_menu(qtbot, quiet, "View", "Swipe compare")
    model.set_swipe(position=0.6)
    rect = panel.tree.visualItemRect(panel.item("rivers"))
    double_click(qtbot, panel.tree.viewport(), rect.center())
    x0, y0, x1, y1 = model.layer_extent("rivers")
    left, _ = canvas.to_pixel(x0, y1)
    right, _ = canvas.to_pixel(x1, y0)
    divider = 0.6 * canvas.width()
    assert divider <= left < right <= canvas.width()  # all of it right of the divider, in sight


def test_the_swipe_says_which_group_is_on_which_side(qtbot, quiet, grab_map):
    """Nothing on the map said which side shows which group (a new user; the side-by-side window
    has titles): the groups' names sit either side of the divider's handle, on white."""
    from person import click_menu

    plain = grab_map(quiet)
    click_menu(qtbot, quiet, "View", "Swipe compare")
    pixels = grab_map(quiet)
    canvas = quiet.canvas
    x, y = round(quiet.model.swipe.position * canvas.width()), canvas.height() // 2
    band = slice(y - 4, y + 5)
    white = (pixels[band, :, :3] >= 250).all(axis=-1)
    before = (plain[band, :, :3] >= 250).all(axis=-1)
    for side in (slice(x - 60, x - 14), slice(x + 14, x + 60)):
        assert white[:, side].sum() > 15 + before[:, side].sum()  # a tag each side of the handle
    dark = (pixels[band, :, :3].astype(int).sum(axis=-1) < 3 * 110)
    assert dark[:, x - 60:x - 14].sum() > 5 and dark[:, x + 14:x + 60].sum() > 5  # with its name in it
