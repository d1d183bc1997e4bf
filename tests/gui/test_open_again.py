"""A file opened again is read again, not added twice: a researcher who changed a GeoPackage and
chose File ▸ Open on it got a second copy of its layers under session-only names ("places (gui)")
that a saved project could not give back (it reopened to an empty map, with no word)."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import shapely
from person import check_states, click_check
from PyQt6.QtWidgets import QFileDialog

from terrain_viewer.core.project import load_project, save_project


def places(path: Path, name: str) -> Path:
    geoms = [shapely.Point(112.6, 26.9), shapely.Point(112.62, 26.88)]
    gpd.GeoDataFrame({"name": [name, "Yanwuping"]}, geometry=geoms, crs=4326).to_file(
        path, layer="places_mine", engine="pyogrio")
    return path


def test_opening_a_changed_file_again_shows_it_as_it_is_now_in_one_copy(hengyang, qtbot, tmp_path,
                                                                         monkeypatch, message_boxes):
    path = places(tmp_path / "mine.gpkg", "Old name")
    monkeypatch.setattr(QFileDialog, "getOpenFileNames", lambda *a, **k: ([str(path)], ""))
    hengyang.open_action.trigger()  # File ▸ Open…
    tree = hengyang.layer_panel.tree
    click_check(qtbot, tree, hengyang.layer_panel.item("units"))  # a state the reload must keep
    count = len(hengyang.model.layer_states)
    places(path, "New name")  # changed on disk (by QGIS, say)
    hengyang.open_action.trigger()  # … and opened again
    assert not message_boxes, message_boxes
    model = hengyang.model
    assert len(model.layer_states) == count
    assert "places_mine (mine)" not in {s.name for s in model.layer_states}
    assert list(model.dataset.layer("places_mine").gdf["name"]) == ["New name", "Yanwuping"]
    assert check_states(tree)["units"] is False and check_states(tree)["places_mine"] is True
    assert "Reloaded mine.gpkg" in hengyang.statusBar().currentMessage()
    project = tmp_path / "study.tvproj"
    save_project(model, project)
    again, info = load_project(project)
    assert {s.name for s in again.layer_states} == {s.name for s in model.layer_states} and not info.problems


def test_a_project_naming_layers_its_file_no_longer_gives_says_so(tmp_path):
    """A project saved with a second copy's name (before this change) names what it dropped."""
    from terrain_viewer.core.model import ViewerModel

    path = places(tmp_path / "mine.gpkg", "Old name")
    model = ViewerModel.open([path])
    model.add_files([path])  # the core still adds a second copy when asked to
    assert "places_mine (mine)" in {s.name for s in model.layer_states}
    save_project(model, tmp_path / "study.tvproj")
    _, info = load_project(tmp_path / "study.tvproj")
    assert any("places_mine (mine)" in p and "mine.gpkg" in p for p in info.problems), info.problems
