"""Layers added through File ▸ Open, as a new user found them: a layer of one's own in its default
colour had no swatch in the panel beside two recoloured ones; *Colour…* on a scanned map only put
a false swatch beside it; a scanned map opened over Hengyang hid every unit and front (it went on
top), their labels left floating over it."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely
from person import click_check, pixels, unit_pixels
from PIL import Image
from PyQt6.QtCore import Qt
from PyQt6.QtWidgets import QFileDialog

from terrain_viewer.core.render.symbology import generic_colour


def swatch(panel, name: str) -> tuple[int, int, int, int]:
    """The colour of a layer row's swatch, as painted (once the panel shows the row)."""
    from PyQt6.QtWidgets import QApplication

    for _ in range(50):
        try:
            item = panel.item(name)
            break
        except KeyError:
            QApplication.processEvents()
    image = item.icon(0).pixmap(12, 12).toImage()
    colour = image.pixelColor(6, 6)
    return colour.red(), colour.green(), colour.blue(), colour.alpha()


def scan(folder: Path) -> Path:
    """A grey 'scanned map' with a world file and a .prj over the city."""
    path = folder / "scan1938.png"
    Image.new("RGB", (200, 160), (150, 150, 150)).save(path)
    path.with_suffix(".pgw").write_text("0.0006\n0\n0\n-0.0006\n112.55\n26.94\n")
    path.with_suffix(".prj").write_text('GEOGCS["WGS 84",DATUM["WGS_1984",SPHEROID["WGS 84",6378137,'
                                        '298.257223563]],PRIMEM["Greenwich",0],UNIT["degree",0.0174532925199433]]')
    return path


def test_a_layer_in_its_default_colour_has_its_swatch(hengyang, tmp_path, monkeypatch, message_boxes):
    path = tmp_path / "bunkers.gpkg"
    gpd.GeoDataFrame({"name": ["a"]}, geometry=[shapely.Point(112.6, 26.9)], crs=4326).to_file(
        path, layer="bunkers", engine="pyogrio")
    monkeypatch.setattr(QFileDialog, "getOpenFileNames", lambda *a, **k: ([str(path)], ""))
    hengyang.open_action.trigger()
    assert not message_boxes
    red, green, blue, alpha = swatch(hengyang.layer_panel, "bunkers")
    assert alpha == 255 and f"#{red:02x}{green:02x}{blue:02x}" == generic_colour("bunkers")


def test_a_scanned_map_goes_under_the_units_and_takes_no_colour(hengyang, qtbot, tmp_path, monkeypatch,
                                                                message_boxes):
    canvas = hengyang.canvas
    assert canvas.wait_settled()
    before = unit_pixels(pixels(canvas))
    monkeypatch.setattr(QFileDialog, "getOpenFileNames", lambda *a, **k: ([str(scan(tmp_path))], ""))
    hengyang.open_action.trigger()
    assert not message_boxes, message_boxes
    assert canvas.wait_settled()
    shown = pixels(canvas)
    assert (np.abs(shown[..., :3].astype(int) - 150) <= 3).all(axis=-1).sum() > 20_000  # the scan is there
    assert unit_pixels(shown) > 0.8 * before > 0  # … under the units, not over them
    panel = hengyang.layer_panel
    swatch(panel, "scan1938")  # the row is there
    click_check(qtbot, panel.tree, panel.item("scan1938"))  # off and on: a person checking what it is
    click_check(qtbot, panel.tree, panel.item("scan1938"))
    panel.tree.setCurrentItem(panel.item("scan1938"))
    assert not panel.color_button.isEnabled()
    qtbot.mouseClick(panel.color_button, Qt.MouseButton.LeftButton)  # a greyed button does nothing
    assert swatch(panel, "scan1938")[3] == 0
