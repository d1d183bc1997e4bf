"""Non-spatial tables in a GeoPackage (QGIS ``layer_styles``, attribute tables such as ``variants``)
are skipped as map layers with a note, not an error; attribute tables are kept in ``Dataset.tables``."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import geopandas as gpd
import shapely

from terrain_viewer.core.data.layers import open_dataset
from terrain_viewer.core.data.validate import validate_file


def _add_attribute_table(path: Path, name: str, create: str, rows: list[tuple]) -> None:
    with sqlite3.connect(path) as db:
        db.execute(create)
        marks = ",".join("?" * len(rows[0]))
        db.executemany(f'INSERT INTO "{name}" VALUES ({marks})', rows)
        db.execute("INSERT INTO gpkg_contents (table_name, data_type, identifier) "
                   "VALUES (?, 'attributes', ?)", (name, name))
    db.close()


def styled_gpkg(tmp_path: Path) -> Path:
    """A layer as QGIS saves it with its style in the GeoPackage, plus a table of variant readings."""
    path = tmp_path / "styled.gpkg"
    gpd.GeoDataFrame({"unit_name": ["10th Army"]}, geometry=[shapely.Point(112.6, 26.9)],
                     crs=4326).to_file(path, layer="positions", engine="pyogrio")
    _add_attribute_table(path, "layer_styles",
                         "CREATE TABLE layer_styles (id INTEGER PRIMARY KEY, f_table_name TEXT, "
                         "styleName TEXT, styleQML TEXT, useAsDefault BOOLEAN)",
                         [(1, "positions", "default", "<qgis/>", 1)])
    _add_attribute_table(path, "variants",
                         "CREATE TABLE variants (fid INTEGER PRIMARY KEY, feature_id TEXT, field TEXT, "
                         "value TEXT, source TEXT)",
                         [(1, "u1", "strength", "17,000", "Japanese war history"),
                          (2, "u1", "strength", "16,000", "Chinese account")])
    return path


def test_style_and_attribute_tables_are_notes_not_problems(tmp_path):
    path = styled_gpkg(tmp_path)
    ds = open_dataset([path])
    assert [layer.name for layer in ds.layers] == ["positions"]
    assert ds.problems == [] and not ds.unreadable
    assert any("layer 'layer_styles'" in n and "style table" in n for n in ds.notes)
    assert any("layer 'variants'" in n and "attribute table" in n for n in ds.notes)
    variants = ds.tables["variants"]
    assert list(variants["value"]) == ["17,000", "16,000"]
    assert {"feature_id", "field", "value", "source"} <= set(variants.columns)
    assert "layer_styles" not in ds.tables


def test_validate_reports_tables_as_notes_and_no_errors(tmp_path):
    reports = validate_file(styled_gpkg(tmp_path))
    by_layer = {r.layer: r for r in reports}
    assert set(by_layer) == {"positions", "layer_styles", "variants"}
    assert all(r.ok for r in reports)
    assert by_layer["layer_styles"].notes and "skipped" in by_layer["layer_styles"].notes[0]


def test_a_file_with_no_readable_layer_is_reported_as_unreadable(tmp_path):
    bad = tmp_path / "nothing.gpkg"
    bad.write_bytes(b"SQLite format 3\x00" + bytes(50))
    ds = open_dataset([bad])
    assert ds.layers == [] and ds.unreadable and len(ds.problems) == 1
