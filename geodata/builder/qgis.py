"""The QGIS side of the shipped data: the ``layer_styles`` table and the project ``hengyang_1944.qgz``.

* ``write_layer_styles(gpkg, layers)`` stores one QML per layer in the GeoPackage's
  ``layer_styles`` table (the QGIS convention, registered in gpkg_contents as 'attributes'), so
  QGIS draws a layer in the viewer's colours when it is added from the GeoPackage.
* ``project_bytes(layers, ...)`` is a QGIS project (a zip holding one .qgs) with every layer of the
  GeoPackage by relative path, the dated layers' temporal properties ("separate fields for start
  and end date/time", end included) and the project's time range 1944-06-23..1944-08-08 in 1-day
  steps: open it in QGIS and press play in the Temporal Controller.
"""

from __future__ import annotations

import io
import sqlite3
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path

import geopandas as gpd
from pyproj import CRS

from .common import BATTLE_END, BATTLE_START, CRS_UTM, TO_UTM
from .styles import DOCTYPE, LABELS, QGIS_VERSION, qml, style_elements

STYLE_TABLE = "layer_styles"
GEOMETRY_COLUMN = "geom"  # GDAL's default for GeoPackage
DEM_TITLE = "hengyang_dem (reconstructed relief)"
ZIP_TIME = (2000, 1, 1, 0, 0, 0)  # fixed member time: two builds give the same bytes
STYLE_COLUMNS = (
    "f_table_catalog", "f_table_schema", "f_table_name", "f_geometry_column", "styleName", "styleQML",
    "styleSLD", "useAsDefault", "description", "owner", "ui", "update_time",
)  # fmt: skip


def geometry_name(gdf: gpd.GeoDataFrame) -> str:
    """'Point', 'LineString' or 'Polygon' (the layers hold one type each)."""
    return str(gdf.geom_type.iloc[0])


def is_dated(gdf: gpd.GeoDataFrame) -> bool:
    return "start_date" in gdf.columns or "end_date" in gdf.columns


def write_layer_styles(gpkg: Path, layers: dict[str, gpd.GeoDataFrame], order: tuple[str, ...],
                       stamp: str) -> None:
    """Create ``layer_styles`` (as QGIS does) with a default QML per layer; ``stamp`` is update_time."""
    with sqlite3.connect(gpkg) as con:
        con.execute(
            f"CREATE TABLE {STYLE_TABLE} (id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL, "
            "f_table_catalog TEXT(256), f_table_schema TEXT(256), f_table_name TEXT(256), "
            "f_geometry_column TEXT(256), styleName TEXT(30), styleQML TEXT, styleSLD TEXT, "
            "useAsDefault BOOLEAN, description TEXT, owner TEXT(30), ui TEXT(30), update_time DATETIME)")
        rows = [("", "", name, GEOMETRY_COLUMN, name, qml(name, geometry_name(layers[name])), "", 1,
                 "terrain_viewer look (geodata/builder/styles.py)", "", "", stamp) for name in order]
        con.executemany(f"INSERT INTO {STYLE_TABLE} ({', '.join(STYLE_COLUMNS)}) "
                        f"VALUES ({', '.join('?' * len(STYLE_COLUMNS))})", rows)
        con.execute("INSERT INTO gpkg_contents (table_name, data_type, identifier, description, last_change) "
                    "VALUES (?, 'attributes', ?, 'QGIS layer styles', ?)", (STYLE_TABLE, STYLE_TABLE, stamp))
    con.close()


def _srs(parent: ET.Element, authid: str) -> None:
    """A spatialrefsys QGIS accepts (it needs the WKT or PROJ string, not only the code)."""
    crs = CRS.from_user_input(authid)
    node = ET.SubElement(parent, "spatialrefsys")
    ET.SubElement(node, "wkt").text = crs.to_wkt()
    ET.SubElement(node, "authid").text = authid
    ET.SubElement(node, "description").text = crs.name
    ET.SubElement(node, "geographicflag").text = "true" if crs.is_geographic else "false"


def _layer_id(name: str) -> str:
    return f"{name}_hengyang_1944"


def _vector_layer(name: str, gdf: gpd.GeoDataFrame, gpkg_name: str) -> ET.Element:
    geometry = geometry_name(gdf)
    node = ET.Element("maplayer", {"type": "vector", "geometry": geometry.replace("LineString", "Line"),
                                   "labelsEnabled": "1" if name in LABELS else "0",
                                   "styleCategories": "AllStyleCategories"})
    ET.SubElement(node, "id").text = _layer_id(name)
    ET.SubElement(node, "datasource").text = f"./{gpkg_name}|layername={name}"
    ET.SubElement(node, "layername").text = name
    _srs(ET.SubElement(node, "srs"), "EPSG:4326")
    ET.SubElement(node, "provider", encoding="UTF-8").text = "ogr"
    if is_dated(gdf):
        temporal = ET.SubElement(node, "temporal", {
            "enabled": "1", "mode": "2", "startField": "start_date" if "start_date" in gdf else "",
            "endField": "end_date" if "end_date" in gdf else "", "limitMode": "1", "accumulate": "0",
            "durationUnit": "min", "fixedDuration": "0", "startExpression": "", "endExpression": "",
            "durationField": ""})
        rng = ET.SubElement(temporal, "fixedRange")
        ET.SubElement(rng, "start")
        ET.SubElement(rng, "end")
    node.extend(style_elements(name, geometry))
    return node


def _dem_layer(dem_name: str) -> ET.Element:
    node = ET.Element("maplayer", type="raster")
    ET.SubElement(node, "id").text = _layer_id("dem")
    ET.SubElement(node, "datasource").text = f"./{dem_name}"
    ET.SubElement(node, "layername").text = DEM_TITLE
    _srs(ET.SubElement(node, "srs"), CRS_UTM)
    ET.SubElement(node, "provider").text = "gdal"
    pipe = ET.SubElement(node, "pipe")
    ET.SubElement(pipe, "rasterrenderer", {"type": "hillshade", "band": "1", "opacity": "0.45",
                                           "alphaBand": "-1", "zfactor": "2", "azimuth": "315",
                                           "angle": "45", "multidirection": "0"})
    return node


def _time_settings(root: ET.Element) -> None:
    node = ET.SubElement(root, "ProjectTimeSettings", timeStep="1", timeStepUnit="d", frameRate="2",
                         cumulativeTemporalRange="0")
    rng = ET.SubElement(node, "TemporalRange")
    ET.SubElement(rng, "start").text = f"{BATTLE_START.isoformat()}T00:00:00Z"
    ET.SubElement(rng, "end").text = f"{BATTLE_END.isoformat()}T23:59:59Z"  # 47 one-day frames


def _canvas(root: ET.Element, layers: dict[str, gpd.GeoDataFrame]) -> None:
    x0, y0, x1, y1 = gpd.GeoSeries(
        [g for gdf in layers.values() for g in gdf.geometry], crs="EPSG:4326").total_bounds
    (ux0, ux1), (uy0, uy1) = TO_UTM.transform([x0, x1], [y0, y1])
    canvas = ET.SubElement(root, "mapcanvas", name="theMapCanvas", annotationsVisible="1")
    ET.SubElement(canvas, "units").text = "meters"
    extent = ET.SubElement(canvas, "extent")
    for key, value in zip(("xmin", "ymin", "xmax", "ymax"), (ux0, uy0, ux1, uy1), strict=True):
        ET.SubElement(extent, key).text = f"{value:.1f}"
    _srs(ET.SubElement(canvas, "destinationsrs"), CRS_UTM)


def project_xml(layers: dict[str, gpd.GeoDataFrame], order: tuple[str, ...], gpkg_name: str,
                dem_name: str | None) -> str:
    """The .qgs text: layers drawn in ``order`` (first at the bottom), relative paths."""
    root = ET.Element("qgis", projectname="Battle of Hengyang (1944)", version=QGIS_VERSION)
    ET.SubElement(root, "homePath", path="")
    ET.SubElement(root, "title").text = "Battle of Hengyang (1944), 23 June - 8 August"
    _srs(ET.SubElement(root, "projectCrs"), CRS_UTM)
    tree = ET.SubElement(root, "layer-tree-group")
    names = list(reversed(order))  # the layer tree lists the top layer first
    for name in names:
        ET.SubElement(tree, "layer-tree-layer", id=_layer_id(name), name=name, providerKey="ogr",
                      source=f"./{gpkg_name}|layername={name}", checked="Qt::Checked", expanded="0")
    if dem_name:
        ET.SubElement(tree, "layer-tree-layer", id=_layer_id("dem"), name=DEM_TITLE, providerKey="gdal",
                      source=f"./{dem_name}", checked="Qt::Checked", expanded="0")
    _canvas(root, layers)
    project_layers = ET.SubElement(root, "projectlayers")
    project_layers.extend(_vector_layer(name, layers[name], gpkg_name) for name in names)
    if dem_name:
        project_layers.append(_dem_layer(dem_name))
    props = ET.SubElement(root, "properties")
    ET.SubElement(ET.SubElement(props, "Paths"), "Absolute", type="bool").text = "false"
    srs = ET.SubElement(props, "SpatialRefSys")
    ET.SubElement(srs, "ProjectionsEnabled", type="int").text = "1"
    ET.SubElement(srs, "ProjectCrs", type="QString").text = CRS_UTM
    _time_settings(root)
    ET.indent(root)
    return DOCTYPE + ET.tostring(root, encoding="unicode")


def project_bytes(layers: dict[str, gpd.GeoDataFrame], order: tuple[str, ...], gpkg_name: str,
                  dem_name: str | None, qgs_name: str) -> bytes:
    """The .qgz: a zip holding ``qgs_name`` (deterministic: fixed member time and order)."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        info = zipfile.ZipInfo(qgs_name, date_time=ZIP_TIME)
        info.compress_type = zipfile.ZIP_DEFLATED
        info.external_attr = 0o644 << 16
        zf.writestr(info, project_xml(layers, order, gpkg_name, dem_name).encode("utf-8"))
    return buf.getvalue()
