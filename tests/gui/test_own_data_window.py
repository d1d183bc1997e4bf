"""A researcher's own data, first-class: a UTM 33N GeoPackage of another battle (January 1943) and a
GeoPackage with a Chinese layer name, opened beside the Hengyang data through the real window."""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import shapely
from matplotlib.colors import to_rgba
from person import pixels
from PyQt6.QtCore import QPoint, Qt
from PyQt6.QtGui import QColor
from PyQt6.QtWidgets import QColorDialog, QFileDialog

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "core"))
from own_data import CN_LAYER, CN_NAMES, X0, Y0, make_battle, make_chinese  # noqa: E402

from terrain_viewer.core.render import annotations  # noqa: E402
from terrain_viewer.core.render.items import visible_items  # noqa: E402
from terrain_viewer.core.render.renderer import MapRenderer  # noqa: E402
from terrain_viewer.core.temporal.timeline import day_number  # noqa: E402

UNITS, FRONT = "units (river_battle_1943)", "front_lines (river_battle_1943)"
BLUE = np.array([0x1D, 0x4F, 0x91])  # the default colour of side 'blue'
SIZE = (800, 600)


def jan(day: int) -> float:
    return day_number(dt.date(1943, 1, day))


def mask(rgba: np.ndarray, colour, tolerance: int = 14) -> np.ndarray:
    return (np.abs(rgba[..., :3].astype(int) - np.asarray(colour)) <= tolerance).all(axis=-1)


@pytest.fixture
def opened(hengyang, tmp_path, monkeypatch, message_boxes):
    """The Hengyang window after File ▸ Open of both files."""
    files = [str(make_battle(tmp_path)), str(make_chinese(tmp_path))]
    monkeypatch.setattr(QFileDialog, "getOpenFileNames", lambda *a, **k: (files, ""))
    hengyang.open_action.trigger()
    assert not message_boxes, message_boxes
    return hengyang


def test_the_distant_layers_are_named_and_zoom_to_shows_them_true_in_their_utm_zone(opened):
    window = opened
    bar = window.place_bar
    assert bar is not None and UNITS in bar.label.text() and "km from the other data" in bar.label.text()
    assert "UTM zone 33N" in bar.label.text()
    problems = [window.problems_list.item(i).text() for i in range(window.problems_list.count())]
    assert any(UNITS in p and "distorted" in p for p in problems)
    bar.zoom_button.click()
    model = window.model
    assert model.dataset.map_crs.to_epsg() == 32633
    units = model.dataset.layer(UNITS).gdf
    first = units[units["unit_id"] == "b1"].geometry.iloc[0]
    assert (first.x, first.y) == pytest.approx((X0, Y0), abs=0.01)  # the file's own coordinates: true
    x0, y0, x1, y1 = model.view
    assert all(x0 < g.x < x1 and y0 < g.y < y1 for g in units.geometry)
    assert abs(window.canvas.renderer.model.dataset.map_crs.to_epsg() - 32633) == 0


def test_the_warning_line_ends_in_an_ellipsis_where_the_status_bar_is_too_narrow(qtbot, opened):
    """The line was cut off mid-letter at the buttons; it now ends in "…", the whole in its tooltip."""
    label = opened.place_bar.label
    assert label.toolTip() == label.text() and "km from the other data" in label.text()
    for width in (900, 937, 974, 1011):
        opened.resize(width, 700)
        qtbot.waitUntil(lambda w=width: opened.width() == w, timeout=3000)
        assert label.fontMetrics().horizontalAdvance(label.text()) > label.contentsRect().width()
        ink = pixels(label)
        dark = (ink[..., :3].astype(int).sum(axis=-1) < 3 * 110).any(axis=0)
        columns = np.nonzero(dark)[0]
        assert len(columns) > 50 and columns.max() < label.width() - 2  # nothing cut at the edge


def test_switch_map_crs_shows_the_distant_layers_and_the_readout_names_the_new_crs(qtbot, opened):
    """*Switch map CRS* on the warning line: the map is in UTM 33N, zoomed to the distant layers, the
    line has gone, and the coordinate readout no longer names the old CRS."""
    window = opened
    canvas = window.canvas
    qtbot.mouseMove(canvas, canvas.rect().center())
    qtbot.waitUntil(lambda: "EPSG:32649" in window.coords_label.text(), timeout=5000)
    button = window.place_bar.crs_button
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton, pos=button.rect().center())
    model = window.model
    assert model.dataset.map_crs.to_epsg() == 32633
    x0, y0, x1, y1 = model.view
    assert all(x0 < g.x < x1 and y0 < g.y < y1 for g in model.dataset.layer(UNITS).gdf.geometry)
    assert window.place_bar is None
    assert "32649" not in window.coords_label.text()
    qtbot.mouseMove(canvas, canvas.rect().center() + QPoint(5, 5))
    qtbot.waitUntil(lambda: "EPSG:32633" in window.coords_label.text(), timeout=5000)


def test_the_slider_shows_years_and_the_events_panel_lists_their_events_with_variants(qtbot, opened):
    window = opened
    assert "1943" in window.time_slider.start_label.text() and "1944" in window.time_slider.end_label.text()
    window.model.time.set_t(jan(5))
    assert window.time_slider.date_label.text() == "5 January 1943"
    panel = window.events_panel
    qtbot.waitUntil(panel.is_current, timeout=5000)
    assert panel.heading.text() == "1 event on 5 January 1943"
    assert panel.list.item(0).text().startswith("Crossing\n14:00")
    details = panel.details.toPlainText()
    assert "sources differ:" in details and "Divisional report" in details
    window.model.time.set_t(jan(8))
    qtbot.waitUntil(panel.is_current, timeout=5000)
    assert "Counter-attack at the ford" in panel.list.item(0).text()


def test_units_labelled_from_a_chosen_field_front_visible_with_units_on_and_sides_named(opened, monkeypatch):
    window = opened
    window.layer_panel.select(UNITS)
    dialog = window.layer_panel.open_properties(UNITS)
    dialog.label_field.setCurrentIndex(dialog.label_field.findData("callsign"))
    assert window.model.state(UNITS).style["label_field"] == "callsign"
    window.place_bar.switch()  # the map in UTM 33N: the file's own coordinates
    model = window.model
    model.time.set_t(jan(5))
    assert model.state(UNITS).style["label_field"] == "callsign"  # kept through the switch
    view = (X0 - 3000, Y0 - 7000, X0 + 14000, Y0 + 7000)
    renderer = MapRenderer(model)
    rgba = renderer.render(t=jan(5), size=SIZE, view=view)
    texts = {placed.spec.text for placed in renderer.last_labels}
    assert {"Falcon", "Hammer", "Anvil"} <= texts  # from the chosen field, not name_en
    front = model.dataset.layer(FRONT).features_at(jan(5)).geometry.iloc[0]
    blue = mask(rgba, BLUE)
    near = 0
    for frac in np.linspace(0.1, 0.9, 9):
        p = front.interpolate(frac, normalized=True)
        px, py = (int(v) for v in renderer.map_to_pixel(p.x, p.y, view, SIZE))
        near += bool(blue[py - 3:py + 4, px - 3:px + 4].any())
    assert near >= 8 and model.state(UNITS).visible  # the front line stays drawn with the units on
    labels = [label for _, label in annotations.legend(visible_items(model))]
    assert "Blue Army front" in labels and "Blue Army unit" in labels and "Red Corps unit" in labels
    assert "Japanese front" in labels  # the shipped front keeps its own name
    monkeypatch.setattr(QColorDialog, "getColor", lambda *a, **k: QColor("#00aa00"))
    dialog = window.layer_panel.open_properties(FRONT)
    dialog.buttons["side:blue"].click()
    recoloured = renderer.render(t=jan(5), size=SIZE, view=view)
    assert mask(recoloured, (0x00, 0xAA, 0x00)).sum() > 0.5 * blue.sum()


def test_chinese_layer_labelled_in_chinese_without_the_switch(opened):
    window = opened
    model = window.model
    layer = model.dataset.layer(CN_LAYER)
    assert layer.data_role == "generic"
    x0, y0, x1, y1 = layer.gdf.total_bounds
    view = (x0 - 1500, y0 - 1500, x1 + 1500, y1 + 1500)
    renderer = MapRenderer(model)
    renderer.render(t=model.time.t, size=SIZE, view=view, layers={CN_LAYER})
    assert not model.options.chinese_names
    placed = [p for p in renderer.last_labels if p.spec.text in CN_NAMES]
    assert len(placed) == 3
    family = dict(placed[0].props)["family"]
    assert any("CJK" in f for f in family)  # drawn with the CJK font


def test_another_battles_dated_positions_extend_the_date_bar_and_show_then(hengyang, qtbot, tmp_path,
                                                                            monkeypatch, message_boxes):
    """A file whose dated layers do not move (positions with start and end dates, Belgium, winter
    1944-45) added to Hengyang: the date bar reaches its days, and dragged there the map shows them."""
    from person import drag_slider, pixels

    from terrain_viewer.core.render.symbology import generic_colour

    path = tmp_path / "ardennes.gpkg"
    xs = [700_000 + 1500 * i for i in range(6)]
    gpd.GeoDataFrame({"name": [f"Position {i}" for i in range(6)], "start_date": ["1944-12-16"] * 6,
                      "end_date": ["1945-01-14"] * 6, "source": "test", "confidence": "low"},
                     geometry=[shapely.Point(x, 560_000) for x in xs], crs=3812).to_file(
        path, layer="positions", engine="pyogrio")
    monkeypatch.setattr(QFileDialog, "getOpenFileNames", lambda *a, **k: ([str(path)], ""))
    hengyang.open_action.trigger()
    bar = hengyang.time_slider
    assert bar.end_label.text().endswith("1945"), bar.end_label.text()
    button = hengyang.place_bar.crs_button
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton, pos=button.rect().center())
    colour = np.array(to_rgba(generic_colour("positions"))[:3]) * 255
    canvas = hengyang.canvas

    def marked() -> int:
        assert canvas.wait_settled()
        return int(mask(pixels(canvas), colour, tolerance=30).sum())

    assert hengyang.model.time.date == dt.date(1944, 12, 16)  # the slider on their days now
    assert bar.start_label.text() == "16 Dec 1944" and marked() > 6 * 20  # the six positions
    drag_slider(qtbot, bar.slider, bar.slider.maximum())
    assert hengyang.model.time.date.year == 1945
    assert marked() > 6 * 20  # the six positions


def test_a_geocentric_crs_is_refused_and_a_geographic_one_reads_true(qtbot, hengyang, monkeypatch):
    """View ▸ Map CRS…: EPSG:4978 (earth-centred XYZ) leaves the map as it was, with the reason in
    the status bar; EPSG:4326 is taken."""
    from person import click_menu
    from PyQt6.QtWidgets import QInputDialog

    answers = iter([("EPSG:4978", True), ("EPSG:4326", True)])
    monkeypatch.setattr(QInputDialog, "getItem", lambda *a, **k: next(answers))
    click_menu(qtbot, hengyang, "View", "Map CRS…")
    assert hengyang.model.dataset.map_crs.to_epsg() == 32649
    assert "geocentric" in hengyang.statusBar().currentMessage()
    click_menu(qtbot, hengyang, "View", "Map CRS…")
    assert hengyang.model.dataset.map_crs.to_epsg() == 4326
    assert hengyang.canvas.wait_settled()


def test_the_far_layers_line_goes_when_another_project_is_opened(qtbot, opened, tmp_path, monkeypatch):
    """The warning line about the opened battle's layers belongs to that session: File ▸ Open
    project… takes it away (its Switch map CRS would act on the new project's layers)."""
    from person import click_menu

    from terrain_viewer.core.data.builtin import builtin_paths
    from terrain_viewer.core.model import ViewerModel
    from terrain_viewer.core.project import save_project

    assert opened.place_bar is not None and opened.place_bar.isVisible()
    project = tmp_path / "plain.tvproj"
    save_project(ViewerModel.open(builtin_paths()), project)
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (str(project), ""))
    click_menu(qtbot, opened, "File", "Open project…")
    assert opened.project_path == project and opened.place_bar is None
    assert not any(w.objectName() == "placeBar" and w.isVisible() for w in opened.statusBar().children()
                   if hasattr(w, "objectName"))


def test_in_degrees_the_map_zooms_in_as_in_metres_down_to_200_m(qtbot, hengyang, monkeypatch):
    """The closest zoom (200 m across) was compared with the view's width in map units: in a map in
    EPSG:4326 (0.15° wide) no zoom in was ever taken, by the wheel or the menu."""
    from person import click_menu
    from PyQt6.QtWidgets import QInputDialog

    monkeypatch.setattr(QInputDialog, "getItem", lambda *a, **k: ("EPSG:4326", True))
    click_menu(qtbot, hengyang, "View", "Map CRS…")
    from pyproj import Geod

    def across() -> float:  # metres across the view at its middle (the map is in degrees)
        x0, y0, x1, y1 = canvas.view()
        return Geod(ellps="WGS84").inv(x0, (y0 + y1) / 2, x1, (y0 + y1) / 2)[2]

    canvas = hengyang.canvas
    assert hengyang.model.dataset.map_crs.to_epsg() == 4326
    widths = [across()]
    for _ in range(14):
        click_menu(qtbot, hengyang, "View", "Zoom in")
        widths.append(across())
    assert widths[1] == pytest.approx(widths[0] / 1.5, rel=0.01)  # taken
    assert 200 <= widths[-1] < 300 and widths[-1] == widths[-2]  # and no closer than 200 m


def test_a_file_of_another_year_opened_alone_is_grouped_under_its_year(qtbot, tmp_path):
    """A new user's 1916 file, opened on its own, went into a group "1944"."""
    from terrain_viewer.gui.app import create_window

    path = make_battle(tmp_path)  # January 1943
    window = create_window([str(path)], None)
    qtbot.addWidget(window)
    window.show()
    tree = window.layer_panel.tree
    groups = [tree.topLevelItem(i).text(0) for i in range(tree.topLevelItemCount())]
    assert groups == ["1943"]
    assert window.layer_panel.item("units").parent().text(0) == "1943"
    assert window.model.swipe.left_group == "1943"  # the swipe compares it with the modern group


def test_a_layer_at_hengyang_opened_beside_a_far_battle_is_not_called_far(qtbot, opened, tmp_path,
                                                                           monkeypatch, message_boxes):
    """With Hengyang and a far battle open, a researcher's survey points at Hengyang were "5,118 km
    from the other data" (measured from the middle of all the other layers together, far from
    both) with the map CRS it was already in offered: now measured from the nearest layer."""
    import geopandas as gpd
    import shapely

    far = opened.place_bar.label.text()
    assert UNITS in far
    path = tmp_path / "survey.gpkg"
    sites = shapely.points([651000, 652500], [2982000, 2983000])
    gpd.GeoDataFrame({"name": ["Ferry A", "Ferry B"]}, geometry=sites, crs=32649).to_file(
        path, layer="survey_sites", engine="pyogrio")
    monkeypatch.setattr(QFileDialog, "getOpenFileNames", lambda *a, **k: ([str(path)], ""))
    opened.open_action.trigger()
    assert not message_boxes, message_boxes
    assert opened.model.dataset.find("survey_sites") is not None
    problems = [opened.problems_list.item(i).text() for i in range(opened.problems_list.count())]
    assert not [p for p in problems if "survey_sites" in p], problems
    assert opened.place_bar is None or "survey_sites" not in opened.place_bar.label.text()


def test_the_problems_panel_keeps_the_far_note_and_the_refused_file_through_more_opens_and_a_crs_switch(
        qtbot, opened, tmp_path, monkeypatch, message_boxes):
    """A researcher's list emptied: opening another file dropped the note on the far layers, and
    switching the map CRS dropped the line on a file that could not be opened at all."""
    import geopandas as gpd
    import shapely

    def listed() -> list[str]:
        return [opened.problems_list.item(i).text() for i in range(opened.problems_list.count())]

    far = [p for p in listed() if UNITS in p and "km from the other data" in p]
    assert far
    broken = tmp_path / "broken.gpkg"
    broken.write_bytes(b"SQLite format 3\x00" + b"\x00" * 200)
    near = tmp_path / "near.gpkg"
    gpd.GeoDataFrame({"name": ["Ferry"]}, geometry=shapely.points([651000], [2982000]), crs=32649).to_file(
        near, layer="near_sites", engine="pyogrio")
    monkeypatch.setattr(QFileDialog, "getOpenFileNames", lambda *a, **k: ([str(broken), str(near)], ""))
    opened.open_action.trigger()
    refused = [p for p in listed() if p.startswith(f"{broken}: ")]
    assert refused and set(far) <= set(listed())  # the far note stays
    button = opened.place_bar.crs_button
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton, pos=button.rect().center())
    assert opened.model.dataset.map_crs.to_epsg() == 32633
    assert set(refused) <= set(listed()), listed()  # the file that could not be opened: still said


def test_zoom_to_the_distant_battle_puts_the_date_slider_on_its_days(qtbot, opened):
    """A researcher's few days opened beside Hengyang's: the slider ran from their battle to 1944,
    theirs a few pixels of it (a 5 px drag jumped two days). *Zoom to* shows their place and their
    days; the status bar says so and how to get every layer's days back (a new user)."""
    window = opened
    layer = window.model.dataset.layer(UNITS)
    first, last = (int(np.floor(v)) for v in layer.dated_extent)
    assert window.model.time_extent()[1] - first > 300  # the slider over both battles
    window.place_bar.zoom_button.click()
    model = window.model
    assert model.time_extent() == (first, last)
    assert first <= model.time.t <= last + 1
    assert window.time_slider.end_label.text() == f"{dt.date(1970, 1, 1) + dt.timedelta(days=last):%d %b %Y}"
    assert "covers their days now" in window.statusBar().currentMessage()
