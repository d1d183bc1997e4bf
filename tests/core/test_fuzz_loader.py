"""Fuzzing the vector loader and the project reader: damaged files and wild values either load or
raise the project's own error (TerrainViewerError) - never another exception, a hang or a crash.

Each example has a hypothesis deadline (it only reports slowness after the fact); ``signal.alarm``
interrupts a hang in Python code, and ``faulthandler`` ends the run with stack dumps if GDAL or
SQLite hang inside C code, where no Python handler can run. The loader runs in-process: thousands
of non-derandomized examples (see the report) found no crash of GDAL/SQLite that would call for
a subprocess.
"""

from __future__ import annotations

import faulthandler
import math
import os
import signal
import subprocess
import sys
import warnings
from contextlib import contextmanager
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import shapely
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from terrain_viewer.core.common.errors import TerrainViewerError
from terrain_viewer.core.data import readers as io
from terrain_viewer.core.data.layers import open_dataset
from terrain_viewer.core.data.validate import validate_file

EXAMPLES = int(os.environ.get("TERRAIN_VIEWER_FUZZ_EXAMPLES", "50"))  # the nightly run asks for 1,000
FUZZ = settings(max_examples=EXAMPLES, deadline=3000, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                       HealthCheck.data_too_large])  # wild values are meant to be large
ALARM_SECONDS = 20


class Hang(Exception):
    """Raised by the alarm: the loader hung."""


@contextmanager
def alarm(seconds: int = ALARM_SECONDS):
    def on_alarm(signum, frame):
        raise Hang(f"loader still busy after {seconds} s")

    previous = signal.signal(signal.SIGALRM, on_alarm)
    signal.alarm(seconds)
    # a hang inside C code never returns to Python to run on_alarm: then a watchdog thread
    # prints every thread's stack and ends the test run (a loud failure, not a silent hang)
    faulthandler.dump_traceback_later(seconds + 10, exit=True)
    try:
        yield
    finally:
        faulthandler.cancel_dump_traceback_later()
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def _frame(n: int, start: list, end: list, ids: list, names: list, xs, ys) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"unit_id": ids, "start_date": start, "end_date": end, "name_zh": names,
         "source": ["fuzz"] * n, "confidence": ["low"] * n},
        geometry=shapely.points(xs, ys), crs=4326)


@pytest.fixture(scope="module")
def seed_gpkg(tmp_path_factory) -> bytes:
    """A small valid GeoPackage with keyframes, a dated layer and a static line layer."""
    path = tmp_path_factory.mktemp("seed") / "seed.gpkg"
    _frame(3, ["1944-06-23", "1944-06-24", "1944-06-25"], ["1944-06-23", None, "1944-06-30"],
           ["a", "a", "b"], ["第十军", "预十师", "x"], [112.6, 112.61, 112.5], [26.9, 26.9, 26.8]
           ).to_file(path, layer="units")
    gpd.GeoDataFrame({"start_date": ["1944-07-01T05:00"], "end_date": ["1944-07-01T06:00"]},
                     geometry=shapely.points([112.6], [26.9]), crs=4326).to_file(path, layer="events")
    river = shapely.LineString([(112.62, 26.85), (112.63, 26.95)])
    gpd.GeoDataFrame({"name_en": ["Xiang"]}, geometry=[river], crs=4326).to_file(path, layer="rivers")
    assert len(open_dataset([path]).layers) == 3
    return path.read_bytes()


def _load_everything(path: Path) -> None:
    """Every loader entry point; only TerrainViewerError may come out."""
    with alarm():
        ds = open_dataset([path])  # catches TerrainViewerError itself, so anything else escapes
        for layer in ds.layers:
            for t in (-9320.0, -9315.5, 0.0):
                layer.features_at(t)
        for problem in ds.problems:
            assert problem.startswith(str(path)) and "\n" not in problem
        validate_file(path)
        try:
            for info in io.list_layers(path):
                if info.geometry_type:
                    io.read_layer(path, info.name)
        except TerrainViewerError:
            pass


mutation = st.one_of(
    st.tuples(st.just("truncate"), st.floats(0.0, 1.0)),
    st.tuples(st.just("flip"), st.lists(st.tuples(st.floats(0.0, 1.0), st.integers(0, 7)), min_size=1,
                                        max_size=40)),
    st.tuples(st.just("flip_header"), st.lists(st.tuples(st.integers(0, 8191), st.integers(0, 7)),
                                               min_size=1, max_size=20)),
    st.tuples(st.just("overwrite"), st.tuples(st.floats(0.0, 1.0), st.binary(min_size=1, max_size=512))),
    st.tuples(st.just("random"), st.binary(min_size=0, max_size=4096)),
)


def _mutate(raw: bytes, how: tuple) -> bytes:
    kind, arg = how
    data = bytearray(raw)
    if kind == "truncate":
        return bytes(data[: int(len(data) * arg)])
    if kind in ("flip", "flip_header") and data:
        for where, bit in arg:
            pos = int(where * (len(data) - 1)) if kind == "flip" else where % len(data)
            data[pos] ^= 1 << bit
        return bytes(data)
    if kind == "overwrite":
        where, block = arg
        pos = int(where * max(len(data) - len(block), 0))
        data[pos: pos + len(block)] = block
        return bytes(data)
    return bytes(arg) if kind == "random" else bytes(data)


@FUZZ
@given(how=mutation)
def test_damaged_geopackages_load_or_raise_our_error(seed_gpkg, tmp_path, how):
    path = tmp_path / "fuzz.gpkg"
    path.write_bytes(_mutate(seed_gpkg, how))
    _load_everything(path)


date_text = st.one_of(
    st.none(),
    st.dates().map(lambda d: d.isoformat()),
    st.datetimes().map(lambda d: d.isoformat(timespec="minutes")),
    st.sampled_from(["", " ", "1944-02-30", "1944-13-01", "0000-00-00", "1944-07-01T25:00", "44/07/01",
                     "next Tuesday", "1944-07", "九四四年", "NaN", "-1", "9999-12-31T23:59:59"]),
    st.text(max_size=30),
    st.text(min_size=5000, max_size=20000).map(lambda s: s or "x"),
)
coordinate = st.one_of(st.floats(allow_nan=True, allow_infinity=True), st.floats(110, 115))
small_text = st.one_of(st.none(), st.text(max_size=40), st.sampled_from(["衡阳", "第十军", "🀄", "\x00a"]))


@st.composite
def attribute_layers(draw):
    n = draw(st.integers(1, 6))
    return dict(n=n,
                start=draw(st.lists(date_text, min_size=n, max_size=n)),
                end=draw(st.lists(date_text, min_size=n, max_size=n)),
                ids=draw(st.lists(st.sampled_from(["a", "b", "衡阳", ""]), min_size=n, max_size=n)),
                names=draw(st.lists(small_text, min_size=n, max_size=n)),
                xs=draw(st.lists(coordinate, min_size=n, max_size=n)),
                ys=draw(st.lists(coordinate, min_size=n, max_size=n)))


def _writable(text: object) -> object:
    """SQLite text cannot hold NUL; the writer (not the loader) would refuse it."""
    return text.replace("\x00", "") if isinstance(text, str) else text


@FUZZ
@given(spec=attribute_layers(), layer_name=st.sampled_from(["units", "衡阳_部队", "events", "a b-c"]))
def test_wild_attribute_values_load_or_raise_our_error(tmp_path, spec, layer_name):
    path = tmp_path / "attrs.gpkg"
    path.unlink(missing_ok=True)
    columns = {k: [_writable(v) for v in spec[k]] for k in ("start", "end", "ids", "names")}
    frame = _frame(spec["n"], columns["start"], columns["end"], columns["ids"], columns["names"],
                   np.array(spec["xs"], dtype=float), np.array(spec["ys"], dtype=float))
    if layer_name == "events":
        frame = frame.drop(columns="unit_id")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        frame.to_file(path, layer=layer_name, engine="pyogrio")
    _load_everything(path)
    ds = open_dataset([path])
    finite = [math.isfinite(x) and math.isfinite(y) for x, y in zip(spec["xs"], spec["ys"], strict=True)]
    if ds.layers:  # whatever loaded holds only finite coordinates
        coords = shapely.get_coordinates(ds.layers[0].gdf.geometry.values)
        assert np.isfinite(coords).all() and len(ds.layers[0].gdf) <= sum(finite)


# ---- project files ---------------------------------------------------------------------------
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: (st.lists(children, max_size=5)
                      | st.dictionaries(st.text(max_size=10), children, max_size=5)),
    max_leaves=20)
PROJECT_KEYS = ["format", "version", "files", "map_crs", "layers", "time", "view", "options", "swipe",
                "basemap", "export"]


@st.composite
def project_documents(draw):
    """Mostly well-formed projects with one or more fields replaced by arbitrary JSON."""
    doc = {"format": "terrain_viewer project", "version": 1,
           "files": [{"path": "data/x.gpkg", "layers": ["units"]}], "map_crs": "EPSG:32649",
           "layers": [{"name": "units", "visible": True, "opacity": 0.5, "group": "1944", "style": {}}],
           "time": -9305.0, "view": [0, 0, 10, 10], "options": {}, "swipe": {}, "basemap": None}
    for key in draw(st.lists(st.sampled_from(PROJECT_KEYS), max_size=4)):
        doc[key] = draw(json_values)
    if draw(st.booleans()):
        doc["layers"] = draw(st.lists(st.dictionaries(
            st.sampled_from(["name", "visible", "opacity", "group", "style", "x"]), json_values), max_size=3))
    return doc


@FUZZ
@given(doc=project_documents())
def test_odd_project_documents_load_or_raise_project_error(tmp_path, doc):
    import json

    from terrain_viewer.core.common.errors import ProjectError
    from terrain_viewer.core.project import load_project

    path = tmp_path / "fuzz.tvproj"
    path.write_text(json.dumps(doc), encoding="utf-8")
    with alarm():
        try:
            model, info = load_project(path)
        except ProjectError as exc:
            assert exc.message.startswith(str(path)) and "\n" not in exc.message
        else:
            assert info.path == path and all(s.name for s in model.layer_states)


@FUZZ
@given(how=mutation)
def test_damaged_project_files_load_or_raise_project_error(tmp_path, how):
    from terrain_viewer.core.common.errors import ProjectError
    from terrain_viewer.core.project import load_project

    good = (b'{\n  "format": "terrain_viewer project",\n  "version": 1,\n  "files": [],\n'
            b'  "layers": [{"name": "units", "opacity": 0.5}],\n  "time": -9305.0,\n'
            b'  "view": [0.0, 0.0, 10.0, 10.0],\n  "title": "\xe8\xa1\xa1\xe9\x98\xb3"\n}\n')
    path = tmp_path / "fuzz.tvproj"
    path.write_bytes(_mutate(good, how))
    with alarm():
        try:
            load_project(path)
        except ProjectError as exc:
            assert exc.message.startswith(str(path)) and "\n" not in exc.message


@pytest.mark.slow
def test_the_same_fuzzing_with_a_thousand_examples_each():
    """Nightly (``pytest -m slow``): every fuzz test above with 1,000 examples instead of 50."""
    env = {**os.environ, "TERRAIN_VIEWER_FUZZ_EXAMPLES": "1000"}
    run = subprocess.run([sys.executable, "-m", "pytest", "-q", "-n", "0", "-m", "not slow", __file__],
                         env=env, capture_output=True, text=True, timeout=3600)
    assert run.returncode == 0, run.stdout[-3000:]
