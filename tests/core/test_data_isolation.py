"""One bad file or layer never stops the others: each case is opened together with a good file;
the good layer loads and the one problem line names the bad file (and layer)."""

from __future__ import annotations

import os
import signal
import sqlite3
import warnings
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import shapely

from terrain_viewer.core.data.layers import open_dataset
from terrain_viewer.core.data.validate import validate_file

LOCAL_CRS = ('ENGCRS["Site grid",EDATUM["Site"],CS[Cartesian,2],AXIS["x",east,LENGTHUNIT["metre",1]],'
             'AXIS["y",north,LENGTHUNIT["metre",1]]]')


def _write(path: Path, layer: str, xs, ys, crs=4326) -> Path:
    frame = gpd.GeoDataFrame({"name": [f"p{i}" for i in range(len(xs))]},
                             geometry=shapely.points(np.asarray(xs, float), np.asarray(ys, float)), crs=crs)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        frame.to_file(path, layer=layer, engine="pyogrio")
    return path


@pytest.fixture
def good(tmp_path: Path) -> Path:
    return _write(tmp_path / "good.gpkg", "ok", [112.55, 112.6, 112.65], [26.9, 26.9, 26.9])


@pytest.fixture
def alarm():
    """Fail instead of hanging (a FIFO opened for reading blocks for ever)."""
    def on_alarm(signum, frame):
        raise TimeoutError("the loader blocked")

    old = signal.signal(signal.SIGALRM, on_alarm)
    signal.alarm(60)
    yield
    signal.alarm(0)
    signal.signal(signal.SIGALRM, old)


def _one_problem(ds, bad: Path | str, words: str) -> str:
    assert [layer.name for layer in ds.layers] == ["ok"], ds.problems
    assert len(ds.problems) == 1, ds.problems
    problem = ds.problems[0]
    assert problem.startswith(str(bad)[:60]) and words in problem and "\n" not in problem
    return problem


def test_an_unreadable_file_is_one_line(tmp_path, good, monkeypatch):
    bad = _write(tmp_path / "locked.gpkg", "units", [112.6], [26.9])
    real_open = Path.open

    def denied(self, *args, **kwargs):  # as chmod 000 does for a normal user (the tests may run as root)
        if self.name == bad.name:
            raise PermissionError(13, "Permission denied", str(self))
        return real_open(self, *args, **kwargs)

    monkeypatch.setattr(Path, "open", denied)
    _one_problem(open_dataset([bad, good]), bad, "permission denied")
    reports = validate_file(bad)
    assert len(reports) == 1 and "permission denied" in reports[0].errors[0]


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads files whatever their mode")
def test_a_file_without_read_permission_is_one_line(tmp_path, good):
    bad = _write(tmp_path / "locked.gpkg", "units", [112.6], [26.9])
    bad.chmod(0)
    _one_problem(open_dataset([bad, good]), bad, "permission denied")


def test_a_geopackage_with_non_utf8_table_names_is_one_line(tmp_path, good):
    bad = _write(tmp_path / "flipped.gpkg", "units", [112.6], [26.9])
    with sqlite3.connect(bad) as db:  # as a flipped bit in gpkg_contents leaves it
        db.execute("INSERT INTO gpkg_contents (table_name, data_type, srs_id) "
                   "VALUES (CAST(X'FFFE41' AS TEXT), 'tiles', 4326)")
    db.close()
    ds = open_dataset([bad, good])
    assert "ok" in [layer.name for layer in ds.layers]
    assert ds.problems and all(str(bad) in p and "\n" not in p for p in ds.problems)


def test_a_local_engineering_crs_is_named_in_one_line(tmp_path, good):
    bad = _write(tmp_path / "site.gpkg", "trenches", [10.0, 20.0], [5.0, 6.0], crs=LOCAL_CRS)
    problem = _one_problem(open_dataset([bad, good]), bad, "cannot be transformed to the map CRS")
    assert "layer 'trenches'" in problem


def test_coordinates_that_overflow_on_reprojection_are_dropped_with_a_count(tmp_path, good):
    mixed = _write(tmp_path / "mercator.gpkg", "far", [12_536_000.0, 1e300, 12_537_000.0],
                   [3_107_000.0, 1e300, 3_108_000.0], crs=3857)
    ds = open_dataset([mixed, good])
    assert len(ds.layer("far").gdf) == 2
    assert np.isfinite(ds.bounds).all() and ds.map_crs.to_epsg() == 32649
    assert len(ds.problems) == 1 and "layer 'far'" in ds.problems[0] and "1 feature " in ds.problems[0]


def test_nan_coordinates_are_cleaned_before_the_map_crs_is_chosen(tmp_path):
    path = _write(tmp_path / "nan.gpkg", "units", [112.6, np.nan, 112.62], [26.9, 26.9, np.nan])
    ds = open_dataset([path])
    assert ds.map_crs.to_epsg() == 32649  # Hengyang's UTM zone, not the web mercator fallback
    assert len(ds.layer("units").gdf) == 1 and "NaN" in ds.problems[0]


def test_a_path_of_5000_characters_is_one_line(tmp_path, good):
    bad = tmp_path / ("x" * 5000 + ".gpkg")
    problem = _one_problem(open_dataset([bad, good]), bad, "too long")
    assert len(problem) < 500


@pytest.mark.parametrize("name", ["pipe.gpkg", "pipe.geojson", "pipe.tif"])
def test_a_fifo_is_refused_without_being_opened(tmp_path, good, alarm, name):
    fifo = tmp_path / name
    os.mkfifo(fifo)
    _one_problem(open_dataset([fifo, good]), fifo, "not a regular file")
    assert validate_file(fifo)[0].errors


def test_a_device_or_a_folder_is_refused(tmp_path, good, alarm):
    _one_problem(open_dataset([Path("/dev/zero"), good]), "/dev/zero", "not a regular file")
    folder = tmp_path / "folder.gpkg"
    folder.mkdir()
    _one_problem(open_dataset([folder, good]), folder, "folder")


def test_control_characters_in_layer_names_are_escaped(tmp_path, good):
    bad = tmp_path / "odd.gpkg"
    frame = gpd.GeoDataFrame(geometry=shapely.points([1e6], [1e6]))  # no CRS: a problem to report
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        frame.to_file(bad, layer="bad\x1b[31mred\nname", engine="pyogrio")
    problem = _one_problem(open_dataset([bad, good]), bad, "no CRS")
    assert "\x1b" not in problem and "\\x1b[31mred\\nname" in problem
