"""What a layer *is* (its role), read from its data, and the names of its sides.

A layer's role decides how it is drawn, labelled and listed: ``units`` (unit tracks), ``front_lines``,
``events``, ``spot_heights``, the book cartography of the shipped Hengyang layers, or ``generic``.
The rules (docs/data-model.md, "Layer roles") look at columns and values, never at the layer's name,
except that the shipped GeoPackage's static layers keep their book look. The user can override the
role (``LayerState.style["role"]``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio
from pyogrio.errors import DataLayerError, DataSourceError
from pyproj.exceptions import ProjError

from terrain_viewer.core.data.builtin import GPKG
from terrain_viewer.core.data.mapcrs import transformer

DATA_ROLES = ("units", "front_lines", "events", "spot_heights")
BOOK_ROLES = ("water_areas", "rivers", "hills", "flooded_fields", "city", "gates", "railways", "stations",
              "airfield", "places", "defense_lines", "moats", "pillboxes")
ROLES = (*DATA_ROLES, "generic", *BOOK_ROLES)
ROLE_TITLES = {"units": "Unit tracks", "front_lines": "Front line", "events": "Events",
               "spot_heights": "Spot heights", "generic": "Plain (by geometry)"}
KNOWN_SIDES = {"cn": "Chinese", "jp": "Japanese"}
NOT_LABELS = ("source", "confidence", "note", "description", "side", "kind", "estimated", "feature_id")
LABEL_DEFAULTS = ("name_en", "name", "title", "label", "designation", "name_zh")


def _lower(columns) -> dict[str, str]:
    return {str(c).lower(): str(c) for c in columns}


def _has_value(gdf: pd.DataFrame, column: str | None, value: str) -> bool:
    if column is None:
        return False
    values = gdf[column].dropna().astype(str).str.strip().str.lower()
    return bool((values == value).any())


def detect_role(gdf: pd.DataFrame, geometry_type: str, name: str, path: Path) -> str:
    """The role of one layer from its columns and values (see the module docstring)."""
    cols = _lower(gdf.columns)
    dated = "start_date" in cols or "end_date" in cols
    lines = "Line" in (geometry_type or "")
    if "unit_id" in cols and dated:
        return "units"
    if lines and ("line_id" in cols or _has_value(gdf, cols.get("kind"), "front")):
        return "front_lines"
    if dated and ("title" in cols or ("Point" in (geometry_type or "") and name.lower() == "events")):
        return "events"  # a title and dates; or dated points in a layer called events (no title to show)
    if Path(path).name == GPKG and name in BOOK_ROLES:
        return name  # the shipped file's own cartography
    if "Point" in (geometry_type or "") and "elev_m" in cols:
        return "spot_heights"
    return "generic"


def side_names(gdf: pd.DataFrame, metadata: Mapping[str, str] | None = None) -> dict[str, str]:
    """``{side value: name}``: from a ``side_name`` column, else the layer's metadata
    (``side_name.<value>`` or ``side_name_<value>``), else cn/jp as Chinese/Japanese, else the value."""
    if "side" not in gdf.columns:
        return {}
    out: dict[str, str] = {}
    sides = gdf["side"].dropna().astype(str).str.strip()
    named = gdf["side_name"] if "side_name" in gdf.columns else None
    meta = {str(k).lower(): str(v) for k, v in (metadata or {}).items()}
    for side in sides.unique():  # in order of appearance, each once
        if not side:
            continue
        name = ""
        if named is not None:
            found = named[sides.index[sides == side]].dropna().astype(str).str.strip()
            name = next((n for n in found if n), "")
        name = name or meta.get(f"side_name.{side.lower()}") or meta.get(f"side_name_{side.lower()}") or ""
        out[side] = name or KNOWN_SIDES.get(side.lower(), side[:1].upper() + side[1:])
    return out


def text_columns(gdf: pd.DataFrame) -> list[str]:
    """The columns that can label a feature: text (object) columns other than dates and geometry."""
    skip = {"start_date", "end_date", "geometry", "sidc"}
    out = []
    for column in gdf.columns:
        if str(column).lower() in skip or column == getattr(gdf, "_geometry_column_name", None):
            continue
        if gdf[column].dtype == object or str(gdf[column].dtype) in ("string", "str"):
            out.append(str(column))
    return out


def default_label_field(gdf: pd.DataFrame) -> str | None:
    """``name_en`` when there is one, else a name-like column, else the first text column that is
    not evidence, an id or a code; None when nothing fits."""
    cols = _lower(gdf.columns)
    for candidate in LABEL_DEFAULTS:
        if candidate in cols:
            return cols[candidate]
    texts = text_columns(gdf)
    named = [c for c in texts if "name" in c.lower() or "名" in c]
    plain = [c for c in texts if c.lower() not in NOT_LABELS and not c.lower().endswith("_id")]
    return (named or plain or [None])[0]


CHINESE_NAMES = ("name_zh", "name_cn", "name_chinese", "chinese_name", "zh_name", "cn_name", "中文名",
                 "中文名称", "名称", "名字", "地名")


def chinese_name_field(gdf: pd.DataFrame) -> str | None:
    """The column of a layer's Chinese names (what *Chinese names* adds after the English name):
    ``name_zh``, else a column named as such ones are (``name_cn``, ``中文名``, ``名称``…, any
    case), else a text column whose name has 名 in it; None when there is none."""
    cols = _lower(gdf.columns)
    for candidate in CHINESE_NAMES:
        if candidate in cols:
            return cols[candidate]
    return next((c for c in text_columns(gdf) if "名" in c), None)


def row_name(gdf: pd.DataFrame, row: int) -> str:
    """`` ('Fort Vaux')``: the name row ``row`` (a position) would be labelled with, to find it by
    (else nothing)."""
    column = default_label_field(gdf)
    value = None if column is None else gdf[column].iloc[row]
    return f" ({value.strip()[:60]!r})" if isinstance(value, str) and value.strip() else ""


def text(value: object) -> str:
    """A cell as display text ('' for missing)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return str(value).strip()


def layer_metadata(path: Path, name: str, info: dict | None = None) -> dict[str, str]:
    """GDAL metadata items of one layer ({} when there are none or they cannot be read); ``info``:
    its ``pyogrio.read_info`` when already read."""
    try:
        meta = (info or pyogrio.read_info(path, layer=name)).get("layer_metadata")
    except (DataSourceError, DataLayerError, OSError, ValueError):
        return {}
    return {str(k): str(v) for k, v in (meta or {}).items()}


def lonlat_bounds(gdf: gpd.GeoDataFrame, bounds: tuple[float, float, float, float] | None = None
                  ) -> tuple[float, float, float, float] | None:
    """A layer's box in degrees, from its own CRS (before any reprojection; ``bounds``: its total
    bounds when its geometries are not made)."""
    if gdf.empty or gdf.crs is None:
        return None
    try:
        box = transformer(gdf.crs, 4326).transform_bounds(
            *(gdf.total_bounds if bounds is None else bounds))
    except ProjError:
        return None
    return tuple(float(v) for v in box) if all(math.isfinite(v) for v in box) else None
