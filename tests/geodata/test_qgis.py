"""The shipped data in the GIS world: DATETIME dates that mean what the ISO text meant, QGIS styles
in the GeoPackage, and a QGIS project that animates it day by day like the viewer.

The QGIS comparison runs when a Python with QGIS is found (Debian: ``apt-get install python3-qgis``,
used through /usr/bin/python3; ``TERRAIN_VIEWER_QGIS_PYTHON`` names another); without it the
project is checked as XML.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import sqlite3
import subprocess
import sys
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path

import numpy as np
import pyogrio
import pytest

from terrain_viewer.core.data.layers import open_dataset
from terrain_viewer.core.temporal.timeline import day_number

ROOT = Path(__file__).resolve().parents[2]
GEODATA = ROOT / "geodata"
GPKG = GEODATA / "hengyang_1944.gpkg"
QGZ = GEODATA / "hengyang_1944.qgz"
FIRST, LAST = dt.date(1944, 6, 20), dt.date(1944, 8, 9)
DAYS = [FIRST + dt.timedelta(days=k) for k in range((LAST - FIRST).days + 1)]
DATED = ("flooded_fields", "defense_lines", "moats", "pillboxes", "units", "front_lines", "events")
HOURS = (0.0, 0.25, 0.5, 0.75, 0.999)  # times of day the viewer is asked about (frames per day)

sys.path.insert(0, str(ROOT))
from geodata.builder import build_layers  # noqa: E402


@pytest.fixture(scope="module")
def text_copy(tmp_path_factory) -> Path:
    """The same layers written the old way: start_date/end_date as ISO 8601 TEXT."""
    layers, _variants = build_layers()
    path = tmp_path_factory.mktemp("text") / "hengyang_text.gpkg"
    for name in DATED:
        layers[name].to_file(path, layer=name, driver="GPKG", engine="pyogrio")
    return path


@pytest.fixture(scope="module")
def shipped():
    return open_dataset([GPKG])


def _iso(value) -> str | None:
    return None if value is None or value != value else str(value)


def test_dates_are_geopackage_datetime_columns(text_copy):
    """DATETIME columns; a date starts at 00:00, a date-only end is the last millisecond of its day,
    a date-time is kept as the source gives it (Hengyang clock time, with the 'Z' the format wants)."""
    with sqlite3.connect(GPKG) as con, sqlite3.connect(text_copy) as old:
        for name in DATED:
            types = {row[1]: row[2] for row in con.execute(f"PRAGMA table_info({name})")}
            assert types["start_date"] == "DATETIME" and types["end_date"] == "DATETIME", name
            info = pyogrio.read_info(GPKG, layer=name)
            dtypes = dict(zip(info["fields"], info["dtypes"], strict=True))
            assert dtypes["start_date"].startswith("datetime64"), (name, dtypes["start_date"])
            query = f"SELECT start_date, end_date FROM {name} ORDER BY fid"
            for (start, end), (s_text, e_text) in zip(con.execute(query), old.execute(query), strict=True):
                want_start = None if s_text is None else s_text + ("T00:00" if len(s_text) == 10 else "")
                want_end = None if e_text is None else e_text + ("T23:59:59.999" if len(e_text) == 10 else "")
                assert _norm(start) == _norm(want_start and want_start + "Z"), (name, start, s_text)
                assert _norm(end) == _norm(want_end and want_end + "Z"), (name, end, e_text)


def _norm(value: str | None) -> str | None:
    """'1944-07-16T22:00Z', '...T22:00:00Z' and '...T22:00:00.000Z' are the same instant."""
    if value is None:
        return None
    assert value.endswith("Z"), value
    return dt.datetime.fromisoformat(value[:-1]).isoformat(timespec="milliseconds")


def test_viewer_shows_the_same_rows_as_with_iso_text(text_copy, shipped):
    """Every dated layer, every day 20 June - 9 August, at five times of day and over the whole day."""
    old = open_dataset([text_copy])
    assert not old.problems and not shipped.problems
    for name in DATED:
        a, b = old.layer(name), shipped.layer(name)
        assert a.role == b.role and len(a.gdf) == len(b.gdf), name
        for day in DAYS:
            for hour in HOURS:
                t = day_number(day) + hour
                assert np.array_equal(a.active_rows(t), b.active_rows(t)), (name, day, hour)
                ga, gb = a.features_at(t).geometry, b.features_at(t).geometry
                assert list(ga.to_wkb()) == list(gb.to_wkb()), (name, day, hour)
            d = day_number(day)  # the whole day (the events panel's rule)
            whole_a = (a.times.start < d + 1) & (a.times.end > d)
            whole_b = (b.times.start < d + 1) & (b.times.end > d)
            assert np.array_equal(whole_a, whole_b), (name, day)
        # the parsed bounds are identical: a T23:59:59.999 end is read as its (inclusive) date
        assert np.array_equal(a.times.start, b.times.start), name
        assert np.array_equal(a.times.end, b.times.end), name
        assert np.array_equal(a.times.end_inclusive, b.times.end_inclusive, equal_nan=True), name
        assert a.dated_extent == b.dated_extent, name
    assert old.animation_extent == shipped.animation_extent


def _whole_day(layer, d: float) -> list[int]:
    """Rows that exist at some time of the day starting at ``d`` (the Events panel's rule)."""
    return np.flatnonzero((layer.times.start < d + 1) & (layer.times.end > d)).tolist()


def _viewer_day(layer, d: float) -> list[int]:
    """What the viewer's map shows on the day starting at ``d``: events for the whole day (a layer
    the viewer takes for events, when it tells), everything else at midnight."""
    if getattr(layer, "data_role", None) == "events":
        return _whole_day(layer, d)
    return [int(r) for r in layer.active_rows(d)]


def _starts(text: str | None, moment: dt.datetime, inclusive: bool) -> bool:
    """The ISO start is before (or, inclusive, at) ``moment``; an empty start always was."""
    if _iso(text) is None:
        return True
    start = dt.datetime.fromisoformat(text)
    return start <= moment if inclusive else start < moment


def _ends_on(text: str | None, day: dt.date) -> bool:
    """The ISO end is on ``day`` or later (a date-only end is inclusive; any time of a day is on it)."""
    return _iso(text) is None or text[:10] >= day.isoformat()


def test_viewer_rows_match_the_iso_text_rule(text_copy, shipped):
    """Independent of the viewer's parser: at midnight of day D a row is there when its start is at
    or before that midnight and its end is on day D or later (a date-only end is inclusive); over
    the whole day when it starts before the next midnight and ends on day D or later."""
    for name in ("flooded_fields", "defense_lines", "moats", "pillboxes", "events"):
        df = pyogrio.read_dataframe(text_copy, layer=name, read_geometry=False)
        layer = shipped.layer(name)
        for day in DAYS:
            midnight = dt.datetime.combine(day, dt.time())
            rows = list(zip(df["start_date"], df["end_date"], strict=True))
            nxt = midnight + dt.timedelta(days=1)
            at = [i for i, (s, e) in enumerate(rows) if _starts(s, midnight, True) and _ends_on(e, day)]
            whole = [i for i, (s, e) in enumerate(rows) if _starts(s, nxt, False) and _ends_on(e, day)]
            assert list(layer.index.active(day_number(day))) == at, (name, day)
            assert _whole_day(layer, day_number(day)) == whole, (name, day)
            assert _viewer_day(layer, day_number(day)) in (at, whole), (name, day)


def test_layer_styles_table_is_qgis_convention_and_skipped_by_the_viewer(shipped):
    with sqlite3.connect(GPKG) as con:
        kind = con.execute("SELECT data_type FROM gpkg_contents WHERE table_name='layer_styles'").fetchone()
        cols = [row[1] for row in con.execute("PRAGMA table_info(layer_styles)")]
        rows = con.execute("SELECT f_table_name, f_geometry_column, styleQML, useAsDefault "
                           "FROM layer_styles").fetchall()
    assert kind == ("attributes",)
    for col in ("f_table_catalog", "f_table_schema", "f_table_name", "f_geometry_column", "styleName",
                "styleQML", "styleSLD", "useAsDefault", "description", "owner", "ui", "update_time"):
        assert col in cols
    spatial = {name for name, geom in pyogrio.list_layers(GPKG) if geom}
    assert {r[0] for r in rows} == spatial
    for name, geom_col, qml, default in rows:
        assert geom_col == "geom" and default == 1
        root = ET.fromstring(qml.split("\n", 1)[1])
        assert root.tag == "qgis" and root.find("renderer-v2") is not None, name
    flooded = ET.fromstring(dict((r[0], r[2]) for r in rows)["flooded_fields"].split("\n", 1)[1])
    styles = {o.get("value") for o in flooded.iter("Option") if o.get("name") == "style"}
    assert {"cross", "horizontal"} <= styles  # the viewer's hatches: ++ paddy, --- marsh
    assert any("layer_styles" in note and "QGIS style table" in note for note in shipped.notes)
    assert {layer.name for layer in shipped.layers} == spatial


def _project() -> ET.Element:
    with zipfile.ZipFile(QGZ) as zf:
        names = zf.namelist()
        assert names == ["hengyang_1944.qgs"]
        return ET.fromstring(zf.read(names[0]).decode("utf-8").split("\n", 1)[1])


def test_qgis_project_names_every_layer_with_time_settings():
    root = _project()
    layers = {m.findtext("layername"): m for m in root.iter("maplayer") if m.get("type") == "vector"}
    spatial = {name for name, geom in pyogrio.list_layers(GPKG) if geom}
    assert set(layers) == spatial
    for name, node in layers.items():
        assert node.findtext("datasource") == f"./hengyang_1944.gpkg|layername={name}"
        temporal = node.find("temporal")
        if name in DATED:
            got = [temporal.get(k) for k in ("enabled", "mode", "startField", "endField", "limitMode")]
            assert got == ["1", "2", "start_date", "end_date", "1"], name
        else:
            assert temporal is None, name
    assert root.find("properties/Paths/Absolute").text == "false"
    time = root.find("ProjectTimeSettings")
    assert (time.get("timeStep"), time.get("timeStepUnit")) == ("1", "d")
    assert time.findtext("TemporalRange/start") == "1944-06-23T00:00:00Z"
    assert time.findtext("TemporalRange/end").startswith("1944-08-08T")


def test_built_project_and_styles_match_the_shipped_ones(tmp_path):
    """The .qgz and the styles come from the data build: rebuilding gives the same bytes."""
    from geodata.builder import main

    assert main(["--out", str(tmp_path)]) == 0
    assert (tmp_path / "hengyang_1944.qgz").read_bytes() == QGZ.read_bytes()
    query = "SELECT f_table_name, styleQML FROM layer_styles ORDER BY f_table_name"
    with sqlite3.connect(GPKG) as a, sqlite3.connect(tmp_path / "hengyang_1944.gpkg") as b:
        assert a.execute(query).fetchall() == b.execute(query).fetchall()


def _qgis_python() -> str | None:
    for python in (os.environ.get("TERRAIN_VIEWER_QGIS_PYTHON"), "/usr/bin/python3"):
        if python and Path(python).exists():
            probe = subprocess.run([python, "-c", "import qgis.core"], capture_output=True, timeout=60)
            if probe.returncode == 0:
                return python
    return None


@pytest.fixture(scope="module")
def qgis_days() -> dict:
    python = _qgis_python()
    if python is None:
        pytest.skip("no Python with QGIS (apt-get install python3-qgis)")
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "TZ": os.environ.get("TZ", "Asia/Shanghai")}
    script = str(Path(__file__).with_name("qgis_days.py"))
    run = subprocess.run([python, script, str(QGZ), FIRST.isoformat(), LAST.isoformat()],
                         capture_output=True, text=True, timeout=300, env=env, cwd=GEODATA)
    assert run.returncode == 0, run.stderr[-2000:]
    out = json.loads(run.stdout.strip().splitlines()[-1])
    assert "error" not in out, out
    return out


def test_qgis_opens_the_project_with_styles_and_time(qgis_days):
    assert qgis_days["crs"] == "EPSG:32649"
    time = qgis_days["time"]
    assert (time["step"], time["frames"]) == (1.0, 47)  # 23 June .. 8 August, one frame a day
    assert time["start"].startswith("1944-06-23T00:00:00")
    assert time["last_frame"].startswith("1944-08-08T00:00")
    layers = qgis_days["layers"]
    assert all(layer["valid"] for layer in layers.values())
    assert layers["flooded_fields"]["renderer"] == "categorizedSymbol"
    assert layers["places"]["labels"] and layers["places"]["label_field"] == "name_en"
    for name in DATED:
        assert layers[name]["fields"]["start_date"] == "DateTime", name
        assert layers[name]["temporal"] == {"active": True, "mode": 2, "start": "start_date",
                                            "end": "end_date", "limit": 1}, name


def test_qgis_shows_the_viewers_features_every_day(qgis_days, shipped):
    """Each day, QGIS's 1-day frame (what it draws when playing) = the rows the viewer shows at some
    time that day, and QGIS at midnight = the viewer's map at midnight (for events, which the viewer
    shows all day, its map = QGIS's frame). QGIS runs in the Asia/Shanghai time zone."""
    for name in DATED:
        q, layer = qgis_days["layers"][name], shipped.layer(name)
        key = "unit_id" if "unit_id" in layer.gdf.columns else "feature_id"
        assert q["fids"] == list(range(1, len(layer.gdf) + 1)), name  # fid = row + 1
        assert q["keys"] == list(layer.gdf[key]), name
        events = getattr(layer, "data_role", None) == "events"
        for day in DAYS:
            d, iso = day_number(day), day.isoformat()
            shown = [r + 1 for r in _viewer_day(layer, d)]
            assert shown == (q["frame"][iso] if events else q["instant"][iso]), (name, day)
            assert q["frame"][iso] == [r + 1 for r in _whole_day(layer, d)], (name, day)
            if layer.role == "temporal":
                assert q["instant"][iso] == [int(r) + 1 for r in layer.index.active(d)], (name, day)
