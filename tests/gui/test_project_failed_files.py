"""A file that gave the session nothing is not one of its files: a project saved after it names
it no more than the window does (a truncated GeoPackage was saved, reported again on every open,
listed as "ok" by project-info and found by Locate)."""

from __future__ import annotations

import json

from person import click_menu
from PyQt6.QtWidgets import QFileDialog

from terrain_viewer.cli import main as cli


def test_a_file_that_failed_to_open_is_not_saved_in_the_project(qtbot, small_window, small_gpkg, tmp_path,
                                                               monkeypatch, message_boxes, capsys):
    truncated = tmp_path / "truncated.gpkg"
    truncated.write_bytes(small_gpkg.read_bytes()[: small_gpkg.stat().st_size // 2])
    monkeypatch.setattr(QFileDialog, "getOpenFileNames", lambda *a, **k: ([str(truncated)], ""))
    click_menu(qtbot, small_window, "File", "Open…")
    qtbot.waitUntil(lambda: bool(message_boxes) or small_window.problems_list.count() > 0, timeout=20000)
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(tmp_path / "siege"), ""))
    click_menu(qtbot, small_window, "File", "Save project as…")
    saved = tmp_path / "siege.tvproj"
    files = [entry["path"] for entry in json.loads(saved.read_text(encoding="utf-8"))["files"]]
    assert files and not any("truncated" in f for f in files)
    assert cli(["project-info", str(saved)]) == 0
    assert "truncated" not in capsys.readouterr().out
