"""The QGIS peer of ``date_step``: run by ``run.py qgis_peer_step_1080p`` with a Python that has QGIS.

    python3 qgis_peer.py PROJECT.qgz WIDTH HEIGHT XMIN YMIN XMAX YMAX FIRST_DAY DAYS

Renders the project (the shipped GeoPackage with QGIS's own temporal settings) day after day at
WIDTH x HEIGHT over the given extent (the project CRS), each day through QGIS's temporal filter
(a one-day range), and prints JSON: the milliseconds of each day's render. No terrain_viewer import.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
import time

from qgis.core import QgsProject, QgsRectangle
from qgis_common import map_settings, project_layers, render_day, start


def main(project_path: str, width: str, height: str, x0: str, y0: str, x1: str, y1: str, first: str,
         days: str) -> dict:
    layers = project_layers(project_path)
    settings = map_settings(layers, QgsProject.instance().crs(), int(width), int(height),
                            QgsRectangle(float(x0), float(y0), float(x1), float(y1)))
    times = []
    day = dt.date.fromisoformat(first)
    for _ in range(int(days) + 1):
        t0 = time.perf_counter()
        render_day(settings, day)
        times.append((time.perf_counter() - t0) * 1000)
        day += dt.timedelta(days=1)
    return {"steps_ms": times[1:], "first_ms": times[0], "layers": len(layers)}


if __name__ == "__main__":
    app = start()
    print(json.dumps(main(*sys.argv[1:10])))
    app.exitQgis()
