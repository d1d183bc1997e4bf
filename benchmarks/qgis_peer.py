"""The QGIS peer of ``date_step``: run by ``run.py qgis_peer_step_1080p`` with a Python that has QGIS.

    python3 qgis_peer.py PROJECT.qgz WIDTH HEIGHT XMIN YMIN XMAX YMAX FIRST_DAY DAYS

Renders the project (the shipped GeoPackage with QGIS's own temporal settings) day after day at
WIDTH x HEIGHT over the given extent (the project CRS), each day through QGIS's temporal filter
(a one-day range), and prints JSON: the milliseconds of each day's render. No terrain_viewer import.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import sys
import time

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from qgis.core import (  # noqa: E402
    QgsApplication,
    QgsDateTimeRange,
    QgsMapRendererParallelJob,
    QgsMapSettings,
    QgsProject,
    QgsRectangle,
)
from qgis.PyQt.QtCore import QDate, QDateTime, QSize, Qt, QTime  # noqa: E402


def _utc(day: dt.date) -> QDateTime:
    return QDateTime(QDate(day.year, day.month, day.day), QTime(0, 0), Qt.UTC)


def main(project_path: str, width: str, height: str, x0: str, y0: str, x1: str, y1: str, first: str,
         days: str) -> dict:
    project = QgsProject.instance()
    if not project.read(project_path):
        raise SystemExit(f"{project_path}: QGIS cannot read the project")
    settings = QgsMapSettings()
    settings.setLayers(list(project.layerTreeRoot().checkedLayers()))
    settings.setDestinationCrs(project.crs())
    settings.setOutputSize(QSize(int(width), int(height)))
    settings.setExtent(QgsRectangle(float(x0), float(y0), float(x1), float(y1)))
    settings.setIsTemporal(True)
    times = []
    day = dt.date.fromisoformat(first)
    for _ in range(int(days) + 1):
        settings.setTemporalRange(QgsDateTimeRange(_utc(day), _utc(day + dt.timedelta(days=1))))
        t0 = time.perf_counter()
        job = QgsMapRendererParallelJob(settings)
        job.start()
        job.waitForFinished()
        job.renderedImage()
        times.append((time.perf_counter() - t0) * 1000)
        day += dt.timedelta(days=1)
    return {"steps_ms": times[1:], "first_ms": times[0], "layers": len(settings.layers())}


if __name__ == "__main__":
    QgsApplication.setPrefixPath(os.environ.get("QGIS_PREFIX_PATH", "/usr"), True)
    app = QgsApplication([], False)
    app.initQgis()
    print(json.dumps(main(*sys.argv[1:10])))
    app.exitQgis()
