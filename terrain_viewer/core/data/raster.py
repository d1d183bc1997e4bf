"""Georeferenced rasters (elevation grids, scanned maps) reprojected onto the map CRS."""

from __future__ import annotations

import math
import threading
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from pyproj import CRS

from terrain_viewer.core.common.errors import DataError
from terrain_viewer.core.data.readers import LOAD_ERRORS, NO_NETWORK, check_readable, data_error, safe


class Derived:
    """What is worked out from a raster's data and kept with it (its hill shading), by key, the last
    ``SIZE`` kept. A copy of the raster shares it (its data is never changed after loading); a
    pickled raster (an export worker's) starts with none."""

    SIZE = 8

    def __init__(self) -> None:
        self._lock = threading.Lock()  # the window's render thread and the GUI thread both draw
        self._items: dict[tuple, object] = {}

    def get(self, key: tuple, make: Callable[[], object]) -> object:
        with self._lock:
            hit = self._items.get(key)
        if hit is None:
            hit = make()
            with self._lock:
                self._items[key] = hit
                while len(self._items) > self.SIZE:
                    self._items.pop(next(iter(self._items)))
        return hit

    def __deepcopy__(self, memo: dict) -> Derived:
        return self

    def __copy__(self) -> Derived:
        return self

    def __reduce__(self):
        return Derived, ()


@dataclass
class RasterLayer:
    """A raster in the map CRS: ``data`` is (bands, rows, cols), NaN where there is no data."""

    name: str
    path: Path
    data: np.ndarray
    bounds: tuple[float, float, float, float]  # left, bottom, right, top in the map CRS
    kind: str  # "elevation" (one float band) or "image" (RGB/RGBA or greyscale map scan)
    tags: dict[str, str] = field(default_factory=dict)
    source_size: tuple[int, int] = (0, 0)  # the file's own width and height (cells)
    source_crs: str = ""  # the file's own CRS (``data`` is warped to the map CRS)
    table: str | None = None  # the GeoPackage tile table it was read from (None: the file itself)
    derived: Derived = field(default_factory=Derived, init=False, compare=False, repr=False)

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
MAX_BANDS_READ = 4  # an image shows RGB(A) or grey; an elevation grid its first band only
MAX_VALUES = 48_000_000  # bands x cells of the warped result (~190 MB float32); coarser above


def _bands(src, kind: str) -> list[int]:
    """The bands worth reading: band 1 of an elevation grid, the first 1-4 bands of an image."""
    return [1] if kind == "elevation" else list(range(1, min(src.count, MAX_BANDS_READ) + 1))


def _open_checked(path: Path, table: str | None):
    """rasterio.open with GDAL kept off the network, after the file checks."""
    import rasterio

    try:
        check_readable(path)  # a regular, readable file (for a tile table: its GeoPackage)
    except DataError as exc:
        raise data_error(f"cannot read raster: {exc.problem}", path, table) from None
    source = f"GPKG:{path}:{table}" if table else path
    return rasterio.open(source)


def raster_centre(path: str | Path) -> tuple[float, float] | None:
    """The longitude and latitude of a raster's centre, or None when it cannot be read or placed
    (the map CRS of a session of rasters only is the UTM zone there, as for vector data)."""
    import rasterio
    from pyproj import Transformer

    try:
        with warnings.catch_warnings(), rasterio.Env(**NO_NETWORK):
            warnings.simplefilter("ignore")
            with _open_checked(Path(path), None) as src:
                crs = src.crs or _sidecar_crs(Path(path))
                if crs is None:
                    return None
                left, bottom, right, top = src.bounds
                to_lonlat = Transformer.from_crs(CRS.from_user_input(crs), 4326, always_xy=True)
                lon, lat = to_lonlat.transform((left + right) / 2, (bottom + top) / 2)
    except Exception:  # noqa: BLE001 - its load says what is wrong with it
        return None
    return (lon, lat) if math.isfinite(lon) and math.isfinite(lat) else None


def load_raster(path: str | Path, map_crs: CRS, table: str | None = None) -> RasterLayer:
    """Read a raster (a GeoPackage tile ``table``) with rasterio and warp it to ``map_crs``;
    raise DataError on failure. Above ``MAX_VALUES`` the result is computed on a coarser grid
    (noted in ``tags['note']``)."""
    import rasterio

    path = Path(path)
    try:
        with warnings.catch_warnings(), rasterio.Env(**NO_NETWORK):
            warnings.simplefilter("ignore")
            with _open_checked(path, table) as src:
                crs = src.crs or _sidecar_crs(path)
                if crs is None:
                    raise data_error("raster has no CRS (not georeferenced: no world file and .prj, "
                                     "or no CRS inside)", path, table)
                if src.width * src.height > MAX_CELLS:
                    raise data_error(f"raster of {src.width}x{src.height} cells is larger than the "
                                     f"{MAX_CELLS:,}-cell limit; use it as a basemap (View > Basemap) "
                                     "or make it smaller", path, table)
                kind, size = _kind(src), (src.width, src.height)
                data, transform, note = _warp(src, map_crs, crs)
                tags = {str(k): str(v) for k, v in src.tags().items()}
    except DataError:
        raise
    except (rasterio.errors.RasterioError, *LOAD_ERRORS) as exc:
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        raise data_error(f"cannot read raster: {safe(first)}", path, table) from exc
    if note:
        tags["note"] = note
    height, width = data.shape[1:]
    left, top = transform.c, transform.f
    right, bottom = left + transform.a * width, top + transform.e * height
    own = CRS.from_user_input(crs)
    code = own.to_epsg()
    return RasterLayer(name=safe(table or path.stem, 120), path=path, data=data,
                       bounds=(left, bottom, right, top), kind=kind, tags=tags, source_size=size,
                       source_crs=f"EPSG:{code}" if code else own.name, table=table)


def file_values(raster: RasterLayer, x: float, y: float, map_crs: CRS) -> list[float | int] | None:
    """The file's own values of the bands shown, in the cell under map point (x, y): what identify
    lists (``data`` is warped, its values blended between cells: 190.95 for a scan's 8-bit 191).
    None outside the file, on its no-data value, or when it cannot be read now."""
    import rasterio
    from pyproj import Transformer
    from rasterio.windows import Window

    try:
        with warnings.catch_warnings(), rasterio.Env(**NO_NETWORK):
            warnings.simplefilter("ignore")
            with _open_checked(raster.path, raster.table) as src:
                crs = src.crs or _sidecar_crs(raster.path)
                to_file = Transformer.from_crs(map_crs, CRS.from_user_input(crs), always_xy=True)
                row, col = src.index(*to_file.transform(x, y))
                if not (0 <= row < src.height and 0 <= col < src.width):
                    return None
                cell = src.read(_bands(src, _kind(src)), window=Window(col, row, 1, 1))[:, 0, 0]
                if src.nodata is not None and bool((cell == src.nodata).all()):
                    return None
                return [value.item() for value in cell]
    except Exception:  # noqa: BLE001 - moved or changed since it was opened: the map's values then
        return None


def _sidecar_crs(path: Path):
    """The CRS of a picture georeferenced by a world file (``.pgw``, ``.jgw``…) and a ``.prj`` beside
    it (GDAL reads the world file but not the ``.prj``); None when there is none or it is unreadable."""
    import rasterio

    prj = path.with_suffix(".prj")
    try:
        return rasterio.crs.CRS.from_wkt(prj.read_text(errors="replace")) if prj.is_file() else None
    except (OSError, rasterio.errors.CRSError):
        return None


def _warp(src, map_crs: CRS, src_crs=None):
    """The bands worth showing, warped to ``map_crs`` on a grid of at most MAX_VALUES values
    (``src_crs``: the source's CRS when the file does not hold it)."""
    import rasterio
    from rasterio.warp import Resampling, calculate_default_transform, reproject

    bands = _bands(src, _kind(src))
    src_crs = src_crs or src.crs
    dst_crs = rasterio.crs.CRS.from_wkt(map_crs.to_wkt())
    transform, width, height = calculate_default_transform(src_crs, dst_crs, src.width, src.height,
                                                           *src.bounds)
    note = ""
    factor = math.sqrt(len(bands) * width * height / MAX_VALUES)
    if factor > 1:
        note = (f"{len(bands)} bands of {width}x{height} cells exceed {MAX_VALUES:,} values; "
                f"shown {factor:.1f}x coarser")
        width, height = max(int(width / factor), 1), max(int(height / factor), 1)
        transform, width, height = calculate_default_transform(
            src_crs, dst_crs, src.width, src.height, *src.bounds, dst_width=width, dst_height=height)
    data = np.full((len(bands), height, width), np.nan, dtype="float32")
    # a Band brings its dataset's own CRS: a CRS from a .prj needs the cells read first
    source = rasterio.band(src, bands) if src_crs == src.crs else src.read(bands)
    reproject(source=source, destination=data, src_transform=src.transform,
              src_crs=src_crs, src_nodata=src.nodata, dst_transform=transform, dst_crs=dst_crs,
              dst_nodata=np.nan, resampling=Resampling.bilinear)
    return data, transform, note
