"""Checks on what tile sources hand over: tile images, zoom levels, URL templates, attributions.

A tile must be 256x256 pixels (checked from the image header before any pixel is decoded), a zoom
level a whole number 0-24, a URL template may hold only ``{x} {y} {z} {s} {r} {-y}`` (no format
specs), and an attribution is shown as plain text.
"""

from __future__ import annotations

import html
import io
import re
from pathlib import Path

import numpy as np

from terrain_viewer.core.common.errors import DataError

TILE = 256
MAX_ZOOM = 24  # zoom levels 0..24 (about 2 cm per pixel); anything else in a tile file is refused
MAX_TILE_BYTES = 4_000_000  # a downloaded tile larger than this is cut off (and then not an image)
MAX_ATTRIBUTION = 300  # characters of a provider's attribution
PLACEHOLDERS = {"x", "y", "z", "s", "r", "-y"}
GCJ02_MARKERS = ("gaode", "autonavi")  # Chinese providers whose tiles are in shifted GCJ-02 coordinates


def decode_png(data: bytes) -> np.ndarray | None:
    """Tile bytes (PNG/JPEG/WebP) as (256, 256, 4) uint8 RGBA; None when they are not an image or
    not 256x256 (checked from the header, before any pixel is decoded: no decompression bombs)."""
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(data)) as image:
            if image.size != (TILE, TILE):
                return None
            rgba = np.asarray(image.convert("RGBA"))
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError):
        return None
    return rgba if rgba.shape[:2] == (TILE, TILE) else None


def plain_text(text: object, limit: int = MAX_ATTRIBUTION) -> str:
    """An attribution as plain one-line text: HTML tags dropped, entities decoded, control
    characters removed, at most ``limit`` characters."""
    out = html.unescape(re.sub(r"<[^>]*>", "", str(text or "")))
    out = " ".join("".join(c if c.isprintable() else " " for c in out).split())
    return out if len(out) <= limit else out[: limit - 1] + "…"


def check_zoom(value: object, what: str, path: Path | None = None) -> int:
    """``value`` as a zoom level 0..MAX_ZOOM, else a one-line DataError."""
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or not 0 <= value <= MAX_ZOOM:
        shown = str(value)[:30]
        raise DataError(f"{what} zoom level {shown!r} is not a whole number from 0 to {MAX_ZOOM}", path)
    return int(value)


def is_gcj02(name: str, url: str = "") -> bool:
    """Whether a provider serves China's GCJ-02 (offset) coordinates, which do not fit WGS 84 data."""
    text = f"{name} {url}".lower()
    return any(marker in text for marker in GCJ02_MARKERS)


def tile_url(template: str, z: int, x: int, y: int) -> str:
    """The URL of one tile: ``{z}/{x}/{y}`` (``{-y}``: TMS rows from the bottom), a subdomain for
    ``{s}``, nothing for ``{r}`` (retina). Plain substitution: no format specs."""
    values = {"z": z, "x": x, "y": y, "-y": (1 << z) - 1 - y, "s": "a", "r": ""}
    return re.sub(r"\{(-?\w+)\}", lambda m: str(values[m.group(1)]), template)


def check_url(url: str) -> None:
    """DataError unless ``url`` is an http(s) template with {z}, {x} and {y} ({-y} for TMS) and
    no other braces (no format specs such as ``{x:>9}``)."""
    shown = plain_text(url, 200)
    if not re.match(r"https?://", url, re.IGNORECASE):
        raise DataError(f"a tile URL starts with http:// or https://: {shown}")
    names = re.findall(r"\{(-?\w+)\}", url)
    leftover = re.sub(r"\{(-?\w+)\}", "", url)
    unknown = sorted({n for n in names if n not in PLACEHOLDERS})
    if unknown or "{" in leftover or "}" in leftover:
        what = ", ".join(f"{{{n}}}" for n in unknown) or "a brace that is not {x} {y} {z} {s} {r} {-y}"
        raise DataError(f"tile URL has a placeholder the viewer cannot fill ({what}): {shown}")
    if not ("{z}" in url and "{x}" in url and ("{y}" in url or "{-y}" in url)):
        raise DataError(f"tile URL needs {{z}}, {{x}} and {{y}}: {shown}")
