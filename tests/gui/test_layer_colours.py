"""Layers of one's own in colours apart: two added layers whose names hash to one colour (bunkers,
depots: both magenta) came out alike on the map and in the legend; the later one now takes the
first generic colour no layer shows, in the window, the layer panel and the command line."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely
from matplotlib.colors import to_rgb
from person import pixels
from PIL import Image
from PyQt6.QtWidgets import QFileDialog

from terrain_viewer.core.render.symbology import GENERIC_COLOURS, generic_colour, style_colour

MAGENTA = generic_colour("bunkers")


def points(path: Path, layer: str, lon: float) -> Path:
    """Five points in a column at ``lon``, by Hengyang."""
    geoms = [shapely.Point(lon, 26.87 + 0.01 * i) for i in range(5)]
    gpd.GeoDataFrame({"name": [f"{layer} {i}" for i in range(5)]}, geometry=geoms, crs=4326).to_file(
        path, layer=layer, engine="pyogrio")
    return path


def columns_of(rgba: np.ndarray, colour: str) -> np.ndarray:
    """The x of the pixels drawn in ``colour``."""
    rgb = np.rint(np.array(to_rgb(colour)) * 255)
    return np.nonzero((np.abs(rgba[..., :3].astype(int) - rgb) <= 12).all(axis=-1))[1]


def test_two_added_layers_hashed_to_one_colour_are_drawn_apart(hengyang, tmp_path, monkeypatch,
                                                                message_boxes):
    assert generic_colour("depots") == MAGENTA  # the two names collide
    files = [str(points(tmp_path / "bunkers.gpkg", "bunkers", 112.57)),
             str(points(tmp_path / "depots.gpkg", "depots", 112.66))]
    monkeypatch.setattr(QFileDialog, "getOpenFileNames", lambda *a, **k: (files, ""))
    hengyang.open_action.trigger()  # File ▸ Open…
    assert not message_boxes, message_boxes
    layers = {layer.name: layer for layer in hengyang.model.dataset.layers}
    shown = {name: style_colour(layers[name], hengyang.model.state(name).style, "color")
             for name in ("bunkers", "depots")}  # what the layer panel's swatches show
    assert shown["bunkers"] == MAGENTA and shown["depots"] != MAGENTA and shown["depots"] in GENERIC_COLOURS
    assert hengyang.canvas.wait_settled()
    rgba = pixels(hengyang.canvas)
    west, east = columns_of(rgba, MAGENTA), columns_of(rgba, shown["depots"])
    assert len(west) > 20 and len(east) > 20
    assert west.max() < east.min()  # magenta only in the west column, the other colour in the east


def test_the_command_line_draws_them_apart_as_the_window_does(tmp_path):
    files = [str(points(tmp_path / "bunkers.gpkg", "bunkers", 112.57)),
             str(points(tmp_path / "depots.gpkg", "depots", 112.66))]
    out = tmp_path / "still.png"
    done = subprocess.run([sys.executable, "-m", "terrain_viewer.cli", "render", *files, "--size", "800x600",
                           "--out", str(out)], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    rgba = np.asarray(Image.open(out).convert("RGBA"))
    free = next(c for c in GENERIC_COLOURS if c != MAGENTA)
    west, east = columns_of(rgba, MAGENTA), columns_of(rgba, free)
    assert len(west) > 20 and len(east) > 20 and west.max() < east.min()
