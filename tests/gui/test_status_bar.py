"""A message too long for the status bar's room beside the coordinates ends in "…", whole in the
bar's tooltip; a wider window shows it whole. On a 1366 px laptop a message was cut mid-word at the
coordinates, with no way to read the rest (a new user)."""

from __future__ import annotations

import geopandas as gpd
import shapely
from person import check_states, hover
from PyQt6.QtCore import QPoint
from PyQt6.QtWidgets import QFileDialog, QStatusBar
from test_remove_undo import remove_by_menu

LONG = "survey_points_of_the_southern_hills_and_the_xiang_river_crossings_july_1944"


def shown(bar: QStatusBar) -> str:
    """The text the bar draws (Qt's own, not the whole message the window keeps)."""
    return QStatusBar.currentMessage(bar)


def test_a_long_message_ends_in_an_ellipsis_and_is_whole_in_the_tooltip(qtbot, hengyang, tmp_path,
                                                                      monkeypatch):
    path = tmp_path / "survey.gpkg"
    gpd.GeoDataFrame({"name": ["post"]}, geometry=[shapely.Point(112.6, 26.9)], crs=4326).to_file(
        path, layer=LONG)
    monkeypatch.setattr(QFileDialog, "getOpenFileNames", lambda *a, **k: ([str(path)], ""))
    hengyang.open_action.trigger()
    qtbot.waitUntil(lambda: LONG in check_states(hengyang.layer_panel.tree), timeout=5000)
    hengyang.resize(1366, 740)  # a laptop's window
    hover(hengyang.canvas, QPoint(300, 300))  # the coordinates shown beside the message
    remove_by_menu(qtbot, hengyang, LONG)
    bar = hengyang.statusBar()
    whole = bar.currentMessage()
    assert whole.startswith(f"Removed {LONG}") and whole.endswith("Ctrl+Z puts it back")
    text = shown(bar)
    assert text.endswith("…") and whole.startswith(text[:-1]), text
    assert bar.fontMetrics().horizontalAdvance(text) <= hengyang.coords_label.x() - 8
    assert bar.toolTip() == whole
    hengyang.resize(2400, 740)  # room for all of it
    qtbot.waitUntil(lambda: shown(bar) == whole, timeout=3000)
    assert bar.toolTip() == ""
