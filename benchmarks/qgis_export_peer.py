"""The QGIS peer of an export: run by ``run.py qgis_export_peer_*`` with a Python that has QGIS.

    python3 qgis_export_peer.py SOURCE OUT_FOLDER WIDTH HEIGHT FIRST_DAY DAYS

SOURCE is a QGIS project (its layers, styles and temporal settings) or a GeoPackage (every vector
table, QGIS's default styles, and a layer with ``start_date``/``end_date`` fields animated by them,
as QGIS's temporal controller would). Renders DAYS PNG frames of WIDTH x HEIGHT over the full
extent, one a day from FIRST_DAY through QGIS's temporal filter, and saves each; the caller times
the whole process (start-up included). Prints JSON with the frame count. No terrain_viewer import.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
import sys
from pathlib import Path

from qgis.core import QgsProject, QgsRectangle, QgsVectorLayer, QgsVectorLayerTemporalProperties
from qgis_common import map_settings, project_layers, render_day, start


def _gpkg_layers(path: str) -> list[QgsVectorLayer]:
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as db:
        query = "SELECT table_name FROM gpkg_contents WHERE data_type = 'features'"
        names = [row[0] for row in db.execute(query)]
    layers = []
    for name in names:
        layer = QgsVectorLayer(f"{path}|layername={name}", name, "ogr")
        fields = layer.fields().names()
        if "start_date" in fields and "end_date" in fields:
            props = layer.temporalProperties()
            props.setIsActive(True)
            props.setMode(QgsVectorLayerTemporalProperties.ModeFeatureDateTimeStartAndEndFromFields)
            props.setStartField("start_date")
            props.setEndField("end_date")
        layers.append(layer)
    return layers


def _settings(source: str, width: int, height: int):
    project = QgsProject.instance()
    if source.endswith((".qgz", ".qgs")):
        layers = project_layers(source)
    else:
        layers = _gpkg_layers(source)
        project.addMapLayers(layers)
        project.setCrs(layers[0].crs())
    extent = QgsRectangle()
    for layer in layers:
        extent.combineExtentWith(layer.extent())
    return map_settings(layers, project.crs(), width, height, extent)


def main(source: str, out: str, width: str, height: str, first: str, days: str) -> dict:
    settings = _settings(source, int(width), int(height))
    day = dt.date.fromisoformat(first)
    for index in range(int(days)):
        if not render_day(settings, day).save(str(Path(out) / f"frame_{index:05d}.png")):
            raise SystemExit(f"{out}: QGIS could not save frame {index}")
        day += dt.timedelta(days=1)
    return {"frames": int(days), "layers": len(settings.layers())}


if __name__ == "__main__":
    app = start()
    print(json.dumps(main(*sys.argv[1:7])), flush=True)
    app.exitQgis()
