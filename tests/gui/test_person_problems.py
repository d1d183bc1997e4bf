"""Problems met while drawing reach the person at the window: a layer whose names are in letters
no installed font has is opened with File ▸ Open…; the Problems panel and the status bar say which
script and which font to install (matplotlib only printed a warning per glyph on the console)."""

from __future__ import annotations

import geopandas as gpd
import pytest
import shapely
from person import click_menu
from PyQt6.QtWidgets import QFileDialog

from terrain_viewer.core.render.glyphs import missing_letter

HINDI = "झाँसी"  # Jhansi


def test_names_in_letters_no_font_has_are_reported_in_the_problems_panel(qtbot, hengyang, tmp_path,
                                                                        monkeypatch, message_boxes):
    if missing_letter(HINDI, {"family": ["serif"]}) is None:
        pytest.skip("this machine has a font for Devanagari")
    path = tmp_path / "india.gpkg"
    gpd.GeoDataFrame({"name": [HINDI], "source": ["test"], "confidence": ["low"]},
                     geometry=shapely.points([112.60], [26.90]), crs=4326).to_file(path, layer="towns")
    monkeypatch.setattr(QFileDialog, "getOpenFileNames", lambda *a, **k: ([str(path)], ""))
    window = hengyang
    click_menu(qtbot, window, "File", "Open…")
    assert message_boxes == []
    problems = window.problems_list

    def listed() -> list[str]:
        return [problems.item(i).text() for i in range(problems.count())]

    qtbot.waitUntil(lambda: any("Devanagari" in p for p in listed()), timeout=20000)
    said = [p for p in listed() if "Devanagari" in p]
    assert len(said) == 1 and "DEVANAGARI LETTER JHA" in said[0] and "Noto Sans Devanagari" in said[0]
    assert window.problems_dock.isVisible()
    assert "Devanagari" in window.statusBar().currentMessage()
    window.model.time.set_t(window.model.time.start + 3)  # drawn again: listed once
    assert window.canvas.wait_settled()
    qtbot.wait(200)
    assert len([p for p in listed() if "Devanagari" in p]) == 1

    more = tmp_path / "more.gpkg"  # a further file opened: the load problems are listed anew
    gpd.GeoDataFrame({"name": ["Well"], "source": ["test"], "confidence": ["low"]},
                     geometry=shapely.points([112.61], [26.91]), crs=4326).to_file(more, layer="wells")
    monkeypatch.setattr(QFileDialog, "getOpenFileNames", lambda *a, **k: ([str(more)], ""))
    click_menu(qtbot, window, "File", "Open…")
    qtbot.waitUntil(lambda: "wells" in [s.name for s in window.model.layer_states], timeout=20000)
    assert any("Devanagari" in p for p in listed()) and window.problems_dock.isVisible()  # still said


def test_an_empty_layer_is_said_and_the_date_bar_shows_no_1970(qtbot, tmp_path, monkeypatch):
    """Opening only an empty layer gave a date bar from "01 Jan 1970" to "01 Jan 1970", a map of
    nothing and no word. Found by a new user."""
    import geopandas as gpd

    from terrain_viewer.gui.app import create_window

    path = tmp_path / "empty.gpkg"
    gpd.GeoDataFrame({"name": []}, geometry=gpd.GeoSeries([], crs=4326)).to_file(path, layer="nothing")
    window = create_window([path])
    qtbot.addWidget(window)
    window.show()
    bar = window.time_slider
    assert bar.date_label.text() == "No dates" and "1970" not in bar.start_label.text() + bar.end_label.text()
    listed = [window.problems_list.item(i).text() for i in range(window.problems_list.count())]
    assert any("empty.gpkg" in p and "no features" in p for p in listed), listed


def test_an_empty_problems_panel_says_there_are_none(qtbot, hengyang):
    """View ▸ Panels ▸ Problems on the shipped data showed a blank white box, which looked broken or
    still loading (a new user); it says there are no problems, and once one is listed, that one."""
    import numpy as np
    from person import image_array

    from terrain_viewer.gui.qt_problems_log import ProblemsList

    window = hengyang
    click_menu(qtbot, window, "View", "Panels", "Problems")
    problems = window.problems_list
    qtbot.waitUntil(problems.isVisible, timeout=3000)

    def ink() -> int:
        shown = image_array(problems.viewport().grab().toImage())[..., :3].astype(int)
        return int((shown.sum(axis=-1) < 3 * 200).sum())

    assert problems.count() == 0 and ink() > 100  # the words, in the placeholder's grey
    problems.addItem("a problem")  # listed: the list, not the words (they would overlap it)
    problems.setFixedHeight(max(problems.height(), 200))
    shown = image_array(problems.viewport().grab().toImage())[..., :3].astype(int)
    rows = np.nonzero((shown.sum(axis=-1) < 3 * 200).any(axis=1))[0]
    assert len(rows) and rows.max() - rows.min() < 30  # one short line of ink: the item alone
    assert ProblemsList.EMPTY.split(":")[0] == "No problems"
