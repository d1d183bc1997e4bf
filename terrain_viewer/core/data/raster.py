"""Georeferenced rasters (elevation grids, scanned maps) reprojected onto the map CRS."""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from pyproj import CRS

from terrain_viewer.core.common.errors import DataError


@dataclass
class RasterLayer:
    """A raster in the map CRS: ``data`` is (bands, rows, cols), NaN where there is no data."""

    name: str
    path: Path
    data: np.ndarray
    bounds: tuple[float, float, float, float]  # left, bottom, right, top in the map CRS
    kind: str  # "elevation" (one float band) or "image" (RGB/RGBA or greyscale map scan)
    tags: dict[str, str] = field(default_factory=dict)

    @property
    def extent(self) -> tuple[float, float, float, float]:
        """(left, right, bottom, top) as matplotlib's imshow wants it."""
        left, bottom, right, top = self.bounds
        return left, right, bottom, top

    @property
    def cell_size(self) -> float:
        left, bottom, right, top = self.bounds
        return (right - left) / self.data.shape[2]


def _kind(src) -> str:
    if src.count == 1 and np.dtype(src.dtypes[0]).kind == "f":
        return "elevation"
    return "image"


MAX_CELLS = 40_000_000  # larger rasters are refused (use them as a basemap or make overviews)


def load_raster(path: str | Path, map_crs: CRS, table: str | None = None) -> RasterLayer:
    """Read a raster (a GeoPackage tile ``table``) with rasterio and warp it to ``map_crs``;
    raise DataError on failure."""
    import rasterio
    from rasterio.warp import Resampling, calculate_default_transform, reproject

    path = Path(path)
    if not path.exists():
        raise DataError("file not found", path)
    source = f"GPKG:{path}:{table}" if table else path
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with rasterio.open(source) as src:
                if src.crs is None:
                    raise DataError("raster has no CRS (not georeferenced)", path, table)
                if src.width * src.height > MAX_CELLS:
                    raise DataError(f"raster of {src.width}x{src.height} cells is too large to show; "
                                    "use it as a basemap (View > Basemap) or make it smaller", path, table)
                kind = _kind(src)
                dst_crs = rasterio.crs.CRS.from_wkt(map_crs.to_wkt())
                transform, width, height = calculate_default_transform(
                    src.crs, dst_crs, src.width, src.height, *src.bounds)
                data = np.full((src.count, height, width), np.nan, dtype="float32")
                reproject(source=rasterio.band(src, list(range(1, src.count + 1))),
                          destination=data, src_transform=src.transform, src_crs=src.crs,
                          src_nodata=src.nodata, dst_transform=transform, dst_crs=dst_crs,
                          dst_nodata=np.nan, resampling=Resampling.bilinear)
                tags = {str(k): str(v) for k, v in src.tags().items()}
    except DataError:
        raise
    except Exception as exc:
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        raise DataError(f"cannot read raster: {first}", path, table) from exc
    left, top = transform.c, transform.f
    right, bottom = left + transform.a * width, top + transform.e * height
    return RasterLayer(name=table or path.stem, path=path, data=data,
                       bounds=(left, bottom, right, top), kind=kind, tags=tags)
