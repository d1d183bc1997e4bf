"""Writing a rendered frame: PNG (with text metadata, optionally a world file and .prj) or GeoTIFF,
atomically (a hidden temp file beside the target, then renamed)."""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

import numpy as np
from pyproj import CRS

from terrain_viewer.core.common.atomic import atomic_path, atomic_write_text
from terrain_viewer.core.common.errors import ExportError

Extent = tuple[float, float, float, float]
GEOTIFF_SUFFIXES = (".tif", ".tiff")
STILL_LEVEL = 6  # zlib level of a still: a one-off, so the smaller file


def _folder(path: Path) -> None:
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise ExportError("is a file, not a folder" if folder.exists() else "folder does not exist", folder)


def write_png(path: str | Path, rgba: np.ndarray, dpi: float = 100.0,
              metadata: dict[str, str] | None = None) -> Path:
    """Write an RGBA array as PNG atomically; ``metadata`` become PNG text chunks (Title, Source …).
    zlib level 6 without row filters: smaller than Pillow's default and faster (1080p: 0.39 MB in
    about 48 ms, Pillow 0.45 MB in about 83 ms)."""
    path = Path(path)
    _folder(path)
    data = png_bytes(np.asarray(rgba), STILL_LEVEL, text=metadata, dpi=dpi)
    with atomic_path(path, overwrite=True, error=ExportError) as tmp:
        Path(tmp).write_bytes(data)
    return path


def png_bytes(pixels: np.ndarray, level: int = 1, text: dict[str, str] | None = None,
              dpi: float | None = None) -> bytes:
    """An (H, W, 3) RGB or (H, W, 4) RGBA uint8 array as PNG file bytes: 8 bits a channel, no
    row filter, zlib at ``level``, no timestamp (the same pixels give the same bytes); ``text``
    as UTF-8 iTXt chunks (empty values left out), ``dpi`` as a pHYs chunk.

    Faster than Pillow for the same pixels: Pillow tries five row filters on every row (about
    35 ms of a 1080p frame before any compression); the maps' flat colours compress as well
    without a filter (1080p frames: 0.43 MB at level 1, Pillow's level 2 gives 0.45 MB). numpy's
    copy and zlib release the GIL, so frames encode on threads while the next one renders.
    """
    height, width, channels = pixels.shape
    if channels not in (3, 4) or pixels.dtype != np.uint8:
        raise ValueError(f"PNG pixels must be (H, W, 3 or 4) uint8, not {pixels.shape} {pixels.dtype}")
    rows = np.zeros((height, 1 + width * channels), np.uint8)  # a 0 byte (no filter) before each row
    view = rows[:, 1:].reshape(height, width, channels)
    if pixels.strides[1] == channels:  # whole pixels side by side (RGB, or RGBA with its alpha)
        view[:] = pixels
    else:  # RGB out of RGBA a channel at a time: ~2 ms a 1080p frame, 3-byte pixels took ~7
        for channel in range(channels):
            view[..., channel] = pixels[..., channel]
    deflate = zlib.compressobj(level, zlib.DEFLATED, 15, 9)
    data = deflate.compress(rows) + deflate.flush()
    header = struct.pack(">IIBBBBB", width, height, 8, 6 if channels == 4 else 2, 0, 0, 0)
    extra = [_chunk(b"pHYs", struct.pack(">IIB", *[int(dpi / 0.0254 + 0.5)] * 2, 1))] if dpi else []
    extra += [_chunk(b"iTXt", key.encode("latin-1") + b"\0\0\0\0\0" + str(value).encode())
              for key, value in (text or {}).items() if value]  # no compression, language, translation
    return b"".join((b"\x89PNG\r\n\x1a\n", _chunk(b"IHDR", header), *extra, _chunk(b"IDAT", data),
                     _chunk(b"IEND", b"")))


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def world_file_text(view: Extent, size: tuple[int, int]) -> str:
    """The six lines of an ESRI world file: pixel size, rotation, centre of the top-left pixel."""
    x0, _y0, x1, y1 = view
    width, height = size
    px, py = (x1 - x0) / width, (y1 - view[1]) / height
    return "\n".join(f"{v:.10f}" for v in (px, 0.0, 0.0, -py, x0 + px / 2, y1 - py / 2)) + "\n"


def georeference_png(path: str | Path, view: Extent, size: tuple[int, int], crs: CRS) -> list[Path]:
    """Write ``name.pgw``, ``name.prj`` (ESRI) and ``name.png.aux.xml`` (GDAL and QGIS read the CRS
    from it) beside a PNG so GIS programs place it; return the three."""
    from xml.sax.saxutils import escape

    path = Path(path)
    world, prj, aux = path.with_suffix(".pgw"), path.with_suffix(".prj"), Path(f"{path}.aux.xml")
    atomic_write_text(world, world_file_text(view, size))
    atomic_write_text(prj, crs.to_wkt("WKT1_ESRI"))
    atomic_write_text(aux, f"<PAMDataset>\n  <SRS>{escape(crs.to_wkt())}</SRS>\n</PAMDataset>\n")
    return [world, prj, aux]


def write_geotiff(path: str | Path, rgba: np.ndarray, view: Extent, crs: CRS,
                  metadata: dict[str, str] | None = None) -> Path:
    """Write an RGBA frame as a georeferenced GeoTIFF (4 bands, deflate) with tags; atomically."""
    import rasterio
    from rasterio.transform import from_bounds

    path = Path(path)
    _folder(path)
    height, width = rgba.shape[:2]
    profile = {"driver": "GTiff", "width": width, "height": height, "count": 4, "dtype": "uint8",
               "crs": crs.to_wkt(), "transform": from_bounds(*view, width, height), "compress": "deflate",
               "photometric": "RGB", "alpha": "YES"}  # band 4 is alpha (setting colorinterp after
    #                                                    the write did not stick: GIS saw 4 colour bands)
    with (atomic_path(path, overwrite=True, error=ExportError) as tmp,
          rasterio.open(tmp, "w", **profile) as out):
        out.write(np.moveaxis(np.asarray(rgba), -1, 0))
        out.update_tags(**{k.upper(): v for k, v in (metadata or {}).items() if v})
    return path
