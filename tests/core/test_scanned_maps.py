"""Scanned historic maps: georeferenced GeoTIFFs and GeoPackage raster tables, in any CRS, land in
the right place over Hengyang, take their layer's opacity, and bad scans are one-line problems."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import rasterio
from affine import Affine
from pyproj import Transformer
from rasterio.warp import calculate_default_transform, reproject

from terrain_viewer.core.data.builtin import builtin_paths
from terrain_viewer.core.model import ViewerModel
from terrain_viewer.core.render.renderer import MapRenderer

SIZE = (480, 360)
GREEN = (30, 160, 60)
RUST = (150, 60, 20)


def write_scan(path: Path, colour: tuple[int, int, int], lonlat: tuple[float, float],
               half_deg: float = 0.01, cells: int = 100) -> Path:
    """A one-colour "scan" of ±``half_deg`` around ``lonlat``, georeferenced in lon/lat."""
    lon, lat = lonlat
    step = 2 * half_deg / cells
    data = np.broadcast_to(np.array(colour, np.uint8)[:, None, None], (3, cells, cells)).copy()
    with rasterio.open(path, "w", driver="GTiff", width=cells, height=cells, count=3, dtype="uint8",
                       crs="EPSG:4326",
                       transform=Affine(step, 0, lon - half_deg, 0, -step, lat + half_deg)) as dst:
        dst.write(data)
    return path


def pixel(model: ViewerModel, renderer: MapRenderer, lon: float, lat: float) -> tuple[int, int]:
    x, y = Transformer.from_crs(4326, model.dataset.map_crs, always_xy=True).transform(lon, lat)
    px, py = renderer.map_to_pixel(x, y, model.view, SIZE)
    return int(py), int(px)


def near(rgb: np.ndarray, colour: tuple[int, int, int], tolerance: int = 12) -> bool:
    return bool(np.abs(rgb[:3].astype(int) - colour).max() < tolerance)


def only(model: ViewerModel, name: str) -> tuple[np.ndarray, MapRenderer]:
    model.set_options(legend=False, caption=False, scale_bar=False, north_arrow=False)
    renderer = MapRenderer(model)
    return renderer.render(size=SIZE, layers={name}), renderer


def test_a_scanned_geotiff_in_another_crs_lands_in_place_with_its_opacity(tmp_path, target_lonlat):
    lon, lat = target_lonlat
    path = write_scan(tmp_path / "scan_1944.tif", GREEN, target_lonlat)
    model = ViewerModel.open([*builtin_paths(), path])
    rgba, renderer = only(model, "scan_1944")
    row, col = pixel(model, renderer, lon, lat)
    assert near(rgba[row, col], GREEN)
    far_row, far_col = pixel(model, renderer, lon + 0.03, lat)  # 3 km east: off the scan
    assert not near(rgba[far_row, far_col], GREEN, 50)
    edge_in, edge_out = pixel(model, renderer, lon + 0.009, lat), pixel(model, renderer, lon + 0.011, lat)
    assert near(rgba[edge_in], GREEN) and not near(rgba[edge_out], GREEN, 50)  # its east edge is in place
    model.set_opacity("scan_1944", 0.5)
    half = renderer.render(size=SIZE, layers={"scan_1944"})
    assert 60 < half[row, col, 1] < 200 and half[row, col, 0] > 60  # green mixed with the paper


def test_a_scan_in_a_geopackage_raster_table_draws_in_place_and_fades(tmp_path, target_lonlat):
    lon, lat = target_lonlat
    tif = write_scan(tmp_path / "scan.tif", RUST, (lon + 0.02, lat), half_deg=0.008, cells=64)
    gpkg = tmp_path / "scans_1944.gpkg"
    with rasterio.open(tif) as src:  # a GeoPackage raster table, written by rasterio (no GDAL programs)
        profile = dict(width=src.width, height=src.height, count=src.count, dtype=src.dtypes[0], crs=src.crs,
                       transform=src.transform)
        data = src.read()
    with rasterio.open(gpkg, "w", driver="GPKG", RASTER_TABLE="army_map_1944", **profile) as dst:
        dst.write(data)
    model = ViewerModel.open(builtin_paths())
    assert model.add_files([gpkg]) == []  # a GeoPackage of rasters only is not a problem
    assert model.state("army_map_1944").group == "added"
    rgba, renderer = only(model, "army_map_1944")
    inside, outside = pixel(model, renderer, lon + 0.02, lat), pixel(model, renderer, lon, lat)
    assert near(rgba[inside], RUST) and not near(rgba[outside], RUST, 50)
    model.set_opacity("army_map_1944", 0.0)
    gone = renderer.render(size=SIZE, layers={"army_map_1944"})
    assert not near(gone[inside], RUST, 50)


def test_a_scanned_picture_with_a_world_file_and_a_prj_lands_in_place(tmp_path, target_lonlat):
    """A PNG georeferenced the GIS way, by a world file (.pgw) and a .prj beside it (GDAL reads
    the world file, not the .prj): opened as a scan, in place (it was refused as vector data)."""
    from PIL import Image

    lon, lat = target_lonlat
    step, cells = 0.0002, 100
    Image.fromarray(np.full((cells, cells, 3), RUST, np.uint8)).save(tmp_path / "scan_1938.png")
    (tmp_path / "scan_1938.pgw").write_text(f"{step}\n0\n0\n{-step}\n{lon - 0.01 + step / 2}\n"
                                            f"{lat + 0.01 - step / 2}\n")
    (tmp_path / "scan_1938.prj").write_text(rasterio.crs.CRS.from_epsg(4326).to_wkt())
    model = ViewerModel.open([*builtin_paths(), tmp_path / "scan_1938.png"])
    assert model.dataset.problems == [] and "scan_1938" in [r.name for r in model.dataset.rasters]
    rgba, renderer = only(model, "scan_1938")
    assert near(rgba[pixel(model, renderer, lon, lat)], RUST)
    assert not near(rgba[pixel(model, renderer, lon + 0.03, lat)], RUST, 50)
    (tmp_path / "scan_1938.prj").unlink()  # a world file alone: where, but not in which CRS
    problems = ViewerModel.open([tmp_path / "scan_1938.png"]).dataset.problems
    assert len(problems) == 1 and "scan_1938.png: raster has no CRS" in problems[0]


def test_a_scan_that_is_not_georeferenced_is_a_one_line_problem(tmp_path):
    from PIL import Image

    plain = tmp_path / "photo_of_map.tif"
    Image.fromarray(np.zeros((32, 32, 3), np.uint8)).save(plain)
    model = ViewerModel.open(builtin_paths())
    problems = model.add_files([plain])
    assert len(problems) == 1 and "photo_of_map.tif" in problems[0] and "\n" not in problems[0]
    assert "georeferenced" in problems[0]
    assert model.layer_states and MapRenderer(model).render(size=SIZE).shape == (SIZE[1], SIZE[0], 4)


@pytest.mark.parametrize("crs", ["EPSG:3857", "EPSG:32649"])
def test_scans_in_projected_crss_land_in_the_same_place(tmp_path, target_lonlat, crs):
    lon, lat = target_lonlat
    source = write_scan(tmp_path / "lonlat.tif", GREEN, target_lonlat)
    path = tmp_path / f"scan_{crs.split(':')[1]}.tif"
    with rasterio.open(source) as src:
        transform, w, h = calculate_default_transform(src.crs, crs, src.width, src.height, *src.bounds)
        data = np.zeros((3, h, w), np.uint8)
        reproject(src.read(), data, src_transform=src.transform, src_crs=src.crs, dst_transform=transform,
                  dst_crs=crs)
    with rasterio.open(path, "w", driver="GTiff", width=w, height=h, count=3, dtype="uint8", crs=crs,
                       transform=transform, nodata=0) as dst:
        dst.write(data)
    model = ViewerModel.open([*builtin_paths(), path])
    rgba, renderer = only(model, path.stem)
    assert near(rgba[pixel(model, renderer, lon, lat)], GREEN)
    assert not near(rgba[pixel(model, renderer, lon - 0.03, lat)], GREEN, 50)


def test_a_scan_in_view_is_in_the_legend_drawn_under_the_layers_above_it(tmp_path, target_lonlat):
    """A scan drawn on the map had no legend entry (a new user, a historian): it is listed where it
    is drawn, above the relief's contours; out of view it is not listed."""
    from terrain_viewer.core.render.annotations import legend
    from terrain_viewer.core.render.items import visible_items

    path = write_scan(tmp_path / "scan_1944.tif", GREEN, target_lonlat)
    model = ViewerModel.open([*builtin_paths(), path])
    def labels(view) -> list[str]:
        return [label for _, label in legend(visible_items(model), model.time.t, view)]

    shown = labels(model.view)
    contours = next(x for x in shown if "Contours" in x)
    assert shown.index("scan_1944 (scanned map)") == shown.index(contours) - 1
    x0, y0, x1, y1 = model.view
    assert "scan_1944 (scanned map)" not in labels((x1 + 50_000, y0, x1 + 60_000, y1))  # 50 km east
