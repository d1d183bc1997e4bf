"""A researcher's own GeoPackage opened through File ▸ Open: its points are drawn over its area (the
file listed the area last, and its tint covered the points: a new user's lilac bunkers came out
grey-teal), and a layer removed and its file opened again comes back beside its file's others, in
their group (it came back in "1944", the historical side of the swipe)."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely
from matplotlib.colors import to_rgba
from person import active_popup, check_states, click_entry, right_click, when_shown
from PyQt6.QtCore import QPoint
from PyQt6.QtWidgets import QFileDialog

from terrain_viewer.core.render.symbology import style_colour

LON, LAT = 112.66, 26.93  # north-east of the city: open paddy, no unit near on 23 June


def own_file(path: Path) -> Path:
    """Bunkers (points) first, then a position (a polygon over them), in UTM 49N, Chinese names."""
    points = gpd.GeoDataFrame({"名称": ["一号", "二号"], "source": ["survey"] * 2,
                               "confidence": ["high"] * 2},
                              geometry=shapely.points([LON, LON + 0.01], [LAT, LAT]), crs=4326)
    area = gpd.GeoDataFrame({"名称": ["阵地"], "source": ["survey"], "confidence": ["low"]},
                            geometry=[shapely.box(LON - 0.02, LAT - 0.02, LON + 0.03, LAT + 0.02)], crs=4326)
    points.to_crs(32649).to_file(path, layer="碉堡")
    area.to_crs(32649).to_file(path, layer="阵地")
    return path


def open_file(window, monkeypatch, path: Path) -> None:
    monkeypatch.setattr(QFileDialog, "getOpenFileNames", lambda *a, **k: ([str(path)], ""))
    window.open_action.trigger()  # File ▸ Open…


def panel_rows(tree) -> list[tuple[str, list[str]]]:
    """The panel's groups and their layers, top row first."""
    out = []
    for i in range(tree.topLevelItemCount()):
        group = tree.topLevelItem(i)
        out.append((group.text(0), [group.child(k).text(0) for k in range(group.childCount())]))
    return out


def test_own_points_are_drawn_over_own_area_in_their_own_colour(hengyang, qtbot, tmp_path, monkeypatch,
                                                                grab_map):
    open_file(hengyang, monkeypatch, own_file(tmp_path / "mine.gpkg"))
    tree = hengyang.layer_panel.tree
    qtbot.waitUntil(lambda: "碉堡" in check_states(tree), timeout=5000)
    assert panel_rows(tree)[0] == ("added", ["碉堡", "阵地"])  # the points' row above the area's
    model = hengyang.model
    hengyang.canvas.zoom_to_layer("阵地")
    rgba = grab_map(hengyang)
    x, y = model.dataset.layer("碉堡").gdf.geometry.iloc[0].coords[0]
    px, py = (round(v) for v in hengyang.canvas.to_pixel(x, y))
    colour = np.array(to_rgba(style_colour(model.dataset.layer("碉堡"), {}, "color"))[:3]) * 255
    centre = rgba[py - 1:py + 2, px - 1:px + 2, :3].reshape(-1, 3).astype(float)
    assert np.abs(centre - colour).sum(axis=1).min() < 30, (centre, colour)  # not under the tint


def test_a_removed_layer_comes_back_in_its_files_group_when_the_file_is_opened_again(
        hengyang, qtbot, tmp_path, monkeypatch, message_boxes):
    path = own_file(tmp_path / "mine.gpkg")
    open_file(hengyang, monkeypatch, path)
    panel, tree = hengyang.layer_panel, hengyang.layer_panel.tree
    qtbot.waitUntil(lambda: "碉堡" in check_states(tree), timeout=5000)
    before = panel_rows(tree)
    item = panel.item("碉堡")
    errors = when_shown(active_popup, lambda menu: click_entry(qtbot, menu, "Remove layer"))
    right_click(qtbot, tree.viewport(), QPoint(tree.visualItemRect(item).center().x(),
                                               tree.visualItemRect(item).center().y()))
    qtbot.waitUntil(lambda: bool(errors) or "碉堡" not in check_states(tree), timeout=5000)
    assert not errors, errors
    open_file(hengyang, monkeypatch, path)  # the same file again
    qtbot.waitUntil(lambda: "碉堡" in check_states(tree), timeout=5000)
    assert panel_rows(tree) == before and not message_boxes
    assert hengyang.model.state("碉堡").group == "added"
