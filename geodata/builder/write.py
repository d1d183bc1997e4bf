"""Writing the outputs atomically (temp file beside the target, then os.replace) and checking layers."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import rasterio

from .common import CONFIDENCE, CRS_UTM, VARIANTS_TABLE, BuildError, daterange
from .dem import DEM_DESCRIPTION, DEM_SOURCE
from .qgis import project_bytes, write_layer_styles

# Fixed GeoPackage timestamp (gpkg_contents.last_change) so two builds are byte-identical.
FIXED_GPKG_TIME = "2000-01-01T00:00:00.000Z"
LAYER_ORDER = (
    "water_areas", "rivers", "hills", "spot_heights", "flooded_fields", "city", "gates", "railways",
    "stations", "airfield", "places", "defense_lines", "moats", "pillboxes", "units", "front_lines",
    "events",
)  # fmt: skip
# Layers whose features are places: each carries modern_name and today.
PLACE_LAYERS = ("rivers", "hills", "spot_heights", "city", "gates", "stations", "airfield", "places")
VARIANT_COLUMNS = ["feature_id", "layer", "field", "value", "source", "note"]
TIME_COLUMNS = ("start_date", "end_date")
END_OF_DAY = "T23:59:59.999"  # a date-only end_date: the last millisecond of that day


def _bound(value: str | None, column: str) -> str | None:
    """One ISO bound as a full date-time: a date starts at 00:00 and (as an end) ends at 23:59:59.999."""
    if value is None or value != value:  # None or NaN
        return None
    if len(value) == 10:
        return value + (END_OF_DAY if column == "end_date" else "T00:00:00")
    return value


def with_datetimes(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """``start_date``/``end_date`` as UTC datetimes (GeoPackage DATETIME, what QGIS animates).

    The sources give Hengyang clock times without a zone; they are stored as they are, with the
    'Z' the GeoPackage format requires (no shift), and the viewer reads them as clock times.
    """
    out = gdf.copy()
    for column in TIME_COLUMNS:
        if column in out.columns:
            values = [_bound(v, column) for v in out[column]]
            out[column] = pd.to_datetime(values, format="ISO8601", utc=True)
    return out


def _tmp_path(final: Path) -> Path:
    fd, name = tempfile.mkstemp(prefix=f".{final.stem}.", suffix=final.suffix, dir=final.parent)
    os.close(fd)
    os.unlink(name)
    return Path(name)


def write_gpkg(path: Path, layers: dict[str, gpd.GeoDataFrame], variants: pd.DataFrame) -> None:
    """The GeoPackage: the layers (dates as DATETIME), ``variants`` and the QGIS ``layer_styles``."""
    tmp = _tmp_path(path)
    pyogrio.set_gdal_config_options({"OGR_CURRENT_DATE": FIXED_GPKG_TIME})
    try:
        for i, name in enumerate(LAYER_ORDER):
            # GeoPackage 1.2 keeps the file readable by older GDAL/QGIS builds.
            opts = {"dataset_options": {"VERSION": "1.2"}} if i == 0 else {}
            # Every date-time as 'YYYY-MM-DDTHH:MM:SS.SSSZ' (the GeoPackage form), so the text sorts as time.
            opts["layer_options"] = {"DATETIME_PRECISION": "MILLISECOND"}
            with_datetimes(layers[name]).to_file(tmp, layer=name, driver="GPKG", engine="pyogrio", **opts)
        # A non-spatial attribute table (gpkg_contents data_type 'attributes').
        pyogrio.write_dataframe(variants[VARIANT_COLUMNS], tmp, layer=VARIANTS_TABLE, driver="GPKG")
        write_layer_styles(tmp, layers, LAYER_ORDER, FIXED_GPKG_TIME)
        os.replace(tmp, path)
    finally:
        pyogrio.set_gdal_config_options({"OGR_CURRENT_DATE": None})
        if tmp.exists():
            tmp.unlink()


def write_project(path: Path, layers: dict[str, gpd.GeoDataFrame], gpkg_name: str, dem_name: str) -> None:
    """The QGIS project beside the GeoPackage (relative paths), written atomically."""
    tmp = _tmp_path(path)
    try:
        tmp.write_bytes(project_bytes(layers, LAYER_ORDER, gpkg_name, dem_name, f"{path.stem}.qgs"))
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()


def write_dem(path: Path, z: np.ndarray, transform) -> None:
    tmp = _tmp_path(path)
    try:
        profile = {
            "driver": "GTiff", "width": z.shape[1], "height": z.shape[0], "count": 1,
            "dtype": "float32", "crs": CRS_UTM, "transform": transform, "compress": "deflate",
            "predictor": 3, "zlevel": 9, "tiled": True, "blockxsize": 256, "blockysize": 256,
        }  # fmt: skip
        with rasterio.open(tmp, "w", **profile) as dst:
            dst.write(z, 1)
            dst.set_band_description(1, "elevation_m (reconstructed)")
            dst.update_tags(
                TIFFTAG_IMAGEDESCRIPTION=DEM_DESCRIPTION,
                description=DEM_DESCRIPTION,
                reconstructed="yes",
                source=DEM_SOURCE,
                units="metre",
                vertical_datum="none (relative; plain set to ~60 m, hills fitted to heights above sea level)",
            )
            dst.update_tags(1, units="metre")
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()


def check_layers(layers: dict[str, gpd.GeoDataFrame]) -> None:
    missing = set(LAYER_ORDER) - set(layers)
    if missing:
        raise BuildError(f"missing layers {sorted(missing)}")
    for name, gdf in layers.items():
        if gdf.empty:
            raise BuildError(f"layer {name} is empty")
        for col in ("source", "confidence", "estimated", "name_en", "uncertainty_m"):
            if col not in gdf.columns:
                raise BuildError(f"layer {name} lacks {col}")
        if gdf["source"].isna().any() or (gdf["source"].str.strip() == "").any():
            raise BuildError(f"layer {name}: empty source")
        if not gdf["confidence"].isin(CONFIDENCE).all():
            raise BuildError(f"layer {name}: bad confidence")
        if name in PLACE_LAYERS and (gdf["modern_name"].isna() | gdf["today"].isna()).any():
            raise BuildError(f"layer {name}: a place without modern_name or today")
    units = layers["units"]
    days: set[str] = set()
    for _uid, g in units.groupby("unit_id"):
        first, last = pd.Timestamp(g["start_date"].min()).date(), pd.Timestamp(g["end_date"].max()).date()
        days.update(d.isoformat() for d in daterange(first, last))
    start, end = pd.Timestamp("1944-06-23").date(), pd.Timestamp("1944-08-08").date()
    want = {d.isoformat() for d in daterange(start, end)}
    if want - days:
        raise BuildError(f"units miss days {sorted(want - days)[:5]}")
