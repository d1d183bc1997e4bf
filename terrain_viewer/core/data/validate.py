"""Validation reports: per layer, errors (exit non-zero) and warnings (informative)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from terrain_viewer.core.common.errors import TerrainViewerError, counted
from terrain_viewer.core.data import readers as io
from terrain_viewer.core.data.layers import Layer, load_layer

EVIDENCE_COLUMNS = ("source", "confidence")
EVIDENCE_WHY = {"source": "features do not say what they rest on",
                "confidence": "features do not say how sure their source is"}
CONFIDENCE_VALUES = {"high", "medium", "low"}
WATER_LISTED = 20  # unit-days in water listed per layer


@dataclass
class LayerReport:
    """What validation found in one layer (or in the file, when ``layer`` is None).

    ``notes`` are informative only (e.g. a QGIS ``layer_styles`` table that is skipped).
    """

    file: str
    layer: str | None
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    features: int = 0
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


def _evidence_warnings(layer: Layer) -> list[str]:
    gdf = layer.gdf
    missing = [f"no {column} column: {EVIDENCE_WHY[column]}" for column in EVIDENCE_COLUMNS
               if column not in gdf.columns]
    if missing:  # each said for itself: "no confidence column" said the features had no source
        return missing
    out = []
    empty = gdf["source"].isna() | (gdf["source"].astype(str).str.strip() == "")
    if empty.any():
        out.append(f"{counted(int(empty.sum()), 'feature')} with an empty source")
    bad = ~gdf["confidence"].astype(str).str.lower().isin(CONFIDENCE_VALUES)
    if bad.any():
        out.append(f"{counted(int(bad.sum()), 'feature')} whose confidence is not high, medium or low")
    return out


def validate_file(path: str | Path) -> list[LayerReport]:
    """Check every layer of one file; never raises for bad data."""
    path = Path(path)
    if path.suffix.lower() in io.RASTER_SUFFIXES:
        return [_validate_raster(path)]
    try:
        infos = io.list_layers(path)
    except TerrainViewerError as exc:
        return [LayerReport(io.safe(path), None, errors=[exc.problem])]
    reports = []
    for info in infos:
        report = LayerReport(io.safe(path), io.safe(info.name, 120), features=info.features)
        if info.geometry_type is None:
            kind = "QGIS style table" if info.name.lower() in io.STYLE_TABLES else "attribute table"
            report.notes.append(f"skipped: {kind} (no geometry), not a map layer")
            reports.append(report)
            continue
        try:
            layer = load_layer(path, info)
        except TerrainViewerError as exc:
            report.errors.append(exc.problem)
        else:
            report.errors.extend(layer.problems)
            report.warnings.extend(layer.warnings + _evidence_warnings(layer))
        reports.append(report)
    _water_warnings(path, reports)
    return reports


def _water_warnings(path: Path, reports: list[LayerReport]) -> None:
    """Warn on the unit layers' reports for each day a unit is drawn in water (see ``data.water``)."""
    from terrain_viewer.core.data.layers import open_dataset
    from terrain_viewer.core.data.water import units_in_water

    if not any(r.ok and r.layer for r in reports):
        return
    wet = units_in_water(open_dataset([path]).layers)
    for report in reports:
        mine = [w for w in wet if w.layer == report.layer]
        report.warnings += [w.text() for w in mine[:WATER_LISTED]]
        if len(mine) > WATER_LISTED:
            report.warnings.append(f"… and {len(mine) - WATER_LISTED} more unit-days in water")


def _validate_raster(path: Path) -> LayerReport:
    from pyproj import CRS

    from terrain_viewer.core.data.raster import load_raster

    report = LayerReport(io.safe(path), None)
    try:
        raster = load_raster(path, CRS.from_epsg(3857))
    except TerrainViewerError as exc:
        report.errors.append(exc.problem)
    else:
        report.layer = raster.name
        if not raster.tags.get("source") and not raster.tags.get("SOURCE"):
            report.warnings.append("no source tag: the raster does not say what it rests on")
    return report
