"""A researcher's own data, never seen by the project: a UTM 33N GeoPackage of another battle
(January 1943: units, a front line, events, variant readings) and a GeoPackage with a Chinese
layer name and Chinese values near Hengyang. Used by the role tests, the window tests and the
screenshot script (docs/screenshots/make_own_data.py)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import geopandas as gpd
import shapely

UTM33 = "EPSG:32633"
X0, Y0 = 560_000.0, 5_430_000.0  # about 15.8°E, 49.0°N
CROSSING = "1943-01-05T14:00"
CN_LAYER = "守军阵地"
CN_NAMES = ["五桂岭", "张家山", "虎形巢"]


def _add_variants(path: Path, rows: list[tuple]) -> None:
    """A ``variants`` attribute table (feature_id, layer, field, value, source, note)."""
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE variants (fid INTEGER PRIMARY KEY, feature_id TEXT, layer TEXT, "
                   "field TEXT, value TEXT, source TEXT, note TEXT)")
        db.executemany("INSERT INTO variants VALUES (?,?,?,?,?,?,?)",
                       [(i + 1, *row) for i, row in enumerate(rows)])
        db.execute("INSERT INTO gpkg_contents (table_name, data_type, identifier) "
                   "VALUES ('variants', 'attributes', 'variants')")
    db.close()


def make_battle(folder: Path) -> Path:
    """``river_battle_1943.gpkg`` in UTM 33N: units (named in ``name`` and ``callsign``, no name_en, no
    sidc), a blue front line keyframed by ``line_id``, events with titles (one at 14:00), variants."""
    path = folder / "river_battle_1943.gpkg"
    days = ["1943-01-03", "1943-01-05", "1943-01-08"]
    rows = []
    for uid, side, side_name, name, call, (dx, dy) in (
            ("b1", "blue", "Blue Army", "1st Rifle Brigade", "Falcon", (0, 0)),
            ("b2", "blue", "Blue Army", "4th Tank Brigade", "Hammer", (3000, 2500)),
            ("r1", "red", "Red Corps", "7th Infantry Division", "Anvil", (9000, 500))):
        for k, start in enumerate(days):
            end = days[k + 1] if k + 1 < len(days) else "1943-01-10"
            rows.append({"unit_id": uid, "side": side, "side_name": side_name, "name": name, "callsign": call,
                         "start_date": start, "end_date": end,
                         "geometry": shapely.Point(X0 + dx + 600 * k, Y0 + dy + 300 * k)})
    gpd.GeoDataFrame(rows, crs=UTM33).to_file(path, layer="units", engine="pyogrio")
    front = [{"line_id": "blue_front", "side": "blue", "side_name": "Blue Army", "start_date": d,
              "end_date": "1943-01-10" if i == 2 else days[i + 1],
              "geometry": shapely.LineString([(X0 + 5000 + 300 * i, Y0 - 6000), (X0 + 5200 + 300 * i, Y0),
                                              (X0 + 5000 + 300 * i, Y0 + 6000)])}
             for i, d in enumerate(days)]
    gpd.GeoDataFrame(front, crs=UTM33).to_file(path, layer="front_lines", engine="pyogrio")
    events = gpd.GeoDataFrame(
        {"feature_id": ["ev_crossing", "ev_counter"], "title": ["Crossing", "Counter-attack at the ford"],
         "start_date": [CROSSING, "1943-01-08"], "end_date": ["1943-01-05T15:00", "1943-01-08"],
         "description": ["Blue Army crosses the river at dusk", "Red Corps strikes back"],
         "source": ["War diary, 5 Jan 1943", "Regimental history, p. 44"]},
        geometry=[shapely.Point(X0 + 5100, Y0 + 800), shapely.Point(X0 + 5600, Y0 - 1500)], crs=UTM33)
    events.to_file(path, layer="events", engine="pyogrio")
    _add_variants(path, [
        ("ev_crossing", "events", "start_date", "1943-01-05T14:00", "War diary", "chosen"),
        ("ev_crossing", "events", "start_date", "1943-01-06", "Divisional report", "a day later")])
    return path


def make_chinese(folder: Path) -> Path:
    """``阵地.gpkg``: a point layer with a Chinese name and Chinese values in ``名称``, near Hengyang."""
    path = folder / "zhendi.gpkg"
    gpd.GeoDataFrame({"名称": CN_NAMES, "备注": ["东", "西", "南"]},
                     geometry=shapely.points([112.600, 112.588, 112.596], [26.880, 26.872, 26.866]),
                     crs=4326).to_file(path, layer=CN_LAYER, engine="pyogrio")
    return path
