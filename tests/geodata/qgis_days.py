"""Run by tests/geodata/test_qgis.py with a Python that has QGIS (Debian: /usr/bin/python3 + python3-qgis).

    python3 qgis_days.py PROJECT.qgz FIRST_DAY LAST_DAY

Opens the QGIS project, and prints JSON: the project's time settings, each layer's validity,
renderer, labels and temporal settings, its features' ids (fid order), and for every day the
fids QGIS keeps at midnight (an instant, the filter evaluated by QGIS's expression engine) and
over the whole day (the temporal controller's 1-day frame, through a feature request as QGIS draws
it), using the layer's own temporal filter. No terrain_viewer import: this runs outside its venv.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import sys

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from qgis.core import (  # noqa: E402
    QgsApplication,
    QgsDateTimeRange,
    QgsExpression,
    QgsExpressionContext,
    QgsFeatureRequest,
    QgsInterval,
    QgsProject,
    QgsTemporalNavigationObject,
    QgsVectorLayer,
    QgsVectorLayerTemporalContext,
)
from qgis.PyQt.QtCore import QDate, QDateTime, Qt, QTime  # noqa: E402


def _utc(day: dt.date) -> QDateTime:
    return QDateTime(QDate(day.year, day.month, day.day), QTime(0, 0), Qt.UTC)


def _fids(layer: QgsVectorLayer, rng: QgsDateTimeRange) -> list[int]:
    """The features the layer's temporal filter keeps, through a feature request (as QGIS renders)."""
    expr = layer.temporalProperties().createFilterString(QgsVectorLayerTemporalContext(), rng)
    request = QgsFeatureRequest(QgsExpression(expr)).setFlags(QgsFeatureRequest.NoGeometry)
    return sorted(f.id() for f in layer.getFeatures(request))


def _fids_evaluated(layer: QgsVectorLayer, rng: QgsDateTimeRange) -> list[int]:
    """The same filter evaluated by QGIS's expression engine feature by feature.

    For an instant, the provider's SQL compares the stored text ('...T00:00:00.000Z') with a
    literal without the 'Z' and misses a feature starting exactly then; the engine compares times.
    """
    expr = QgsExpression(layer.temporalProperties().createFilterString(QgsVectorLayerTemporalContext(), rng))
    ctx = QgsExpressionContext()
    out = []
    for feature in layer.getFeatures(QgsFeatureRequest().setFlags(QgsFeatureRequest.NoGeometry)):
        ctx.setFeature(feature)
        if expr.evaluate(ctx):
            out.append(feature.id())
    return sorted(out)


def _layer(layer, first: dt.date, last: dt.date) -> dict:
    out = {"valid": layer.isValid(), "type": "raster" if not isinstance(layer, QgsVectorLayer) else "vector",
           "source": layer.source()}
    if not isinstance(layer, QgsVectorLayer):
        out["renderer"] = layer.renderer().type() if layer.renderer() else None
        return out
    tp = layer.temporalProperties()
    key = "unit_id" if layer.fields().lookupField("unit_id") >= 0 else "feature_id"
    feats = sorted(layer.getFeatures(), key=lambda f: f.id())
    out.update({
        "renderer": layer.renderer().type(), "labels": layer.labelsEnabled(),
        "label_field": layer.labeling().settings().fieldName if layer.labeling() else None,
        "fields": {f.name(): f.typeName() for f in layer.fields()},
        "temporal": {"active": tp.isActive(), "mode": int(tp.mode()), "start": tp.startField(),
                     "end": tp.endField(), "limit": int(tp.limitMode())},
        "fids": [f.id() for f in feats],
        "keys": [f[key] if key in f.fields().names() else None for f in feats],
    })
    if tp.isActive():
        days, instant, frame = (last - first).days + 1, {}, {}
        for k in range(days):
            day = first + dt.timedelta(days=k)
            at = QgsDateTimeRange(_utc(day), _utc(day), True, True)
            instant[day.isoformat()] = _fids_evaluated(layer, at)
            nxt = day + dt.timedelta(days=1)
            frame[day.isoformat()] = _fids(layer, QgsDateTimeRange(_utc(day), _utc(nxt), True, False))
        out["instant"], out["frame"] = instant, frame
    return out


def main(path: str, first: str, last: str) -> dict:
    project = QgsProject.instance()
    if not project.read(path):
        return {"error": f"QGIS could not read {path}"}
    settings = project.timeSettings()
    nav = QgsTemporalNavigationObject()
    nav.setTemporalExtents(settings.temporalRange())
    nav.setFrameDuration(QgsInterval(settings.timeStep(), settings.timeStepUnit()))
    rng = settings.temporalRange()
    return {
        "crs": project.crs().authid(),
        "time": {"start": rng.begin().toString(Qt.ISODate), "end": rng.end().toString(Qt.ISODate),
                 "step": settings.timeStep(), "unit": int(settings.timeStepUnit()),
                 "frames": nav.totalFrameCount(),
                 "last_frame": nav.dateTimeRangeForFrameNumber(nav.totalFrameCount() - 1).begin().toString(
                     Qt.ISODate)},
        "layers": {lyr.name(): _layer(lyr, dt.date.fromisoformat(first), dt.date.fromisoformat(last))
                   for lyr in project.mapLayers().values()},
    }


if __name__ == "__main__":
    QgsApplication.setPrefixPath(os.environ.get("QGIS_PREFIX_PATH", "/usr"), True)
    app = QgsApplication([], False)
    app.initQgis()
    result = main(*sys.argv[1:4])
    print(json.dumps(result))
    app.exitQgis()
