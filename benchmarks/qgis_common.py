"""What the QGIS peers share (run with a Python that has QGIS; no terrain_viewer import): starting
QGIS, a project's checked layers as map settings, and one day rendered through the temporal filter."""

from __future__ import annotations

import datetime as dt
import os

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


def start() -> QgsApplication:
    """QGIS started without a GUI (``exitQgis()`` when done)."""
    QgsApplication.setPrefixPath(os.environ.get("QGIS_PREFIX_PATH", "/usr"), True)
    app = QgsApplication([], False)
    app.initQgis()
    return app


def map_settings(layers: list, crs, width: int, height: int, extent: QgsRectangle) -> QgsMapSettings:
    """Temporal map settings of ``layers`` at ``width`` x ``height`` over ``extent`` (in ``crs``)."""
    settings = QgsMapSettings()
    settings.setLayers(layers)
    settings.setDestinationCrs(crs)
    settings.setOutputSize(QSize(width, height))
    settings.setExtent(extent)
    settings.setIsTemporal(True)
    return settings


def project_layers(path: str) -> list:
    """The checked layers of the QGIS project ``path`` (read into ``QgsProject.instance()``)."""
    if not QgsProject.instance().read(path):
        raise SystemExit(f"{path}: QGIS cannot read the project")
    return list(QgsProject.instance().layerTreeRoot().checkedLayers())


def render_day(settings: QgsMapSettings, day: dt.date):
    """The image of ``day`` (a one-day temporal range), rendered by QGIS's parallel job."""
    settings.setTemporalRange(QgsDateTimeRange(_utc(day), _utc(day + dt.timedelta(days=1))))
    job = QgsMapRendererParallelJob(settings)
    job.start()
    job.waitForFinished()
    return job.renderedImage()


def _utc(day: dt.date) -> QDateTime:
    return QDateTime(QDate(day.year, day.month, day.day), QTime(0, 0), Qt.UTC)
