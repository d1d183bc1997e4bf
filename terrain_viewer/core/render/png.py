"""Writing a rendered frame as PNG, atomically."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from terrain_viewer.core.common.atomic import atomic_path
from terrain_viewer.core.common.errors import ExportError


def write_png(path: str | Path, rgba: np.ndarray, dpi: float = 100.0) -> Path:
    """Write an RGBA array as PNG atomically (a hidden temp file beside it, then renamed)."""
    import matplotlib.image as mpimg

    path = Path(path)
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise ExportError("folder does not exist", folder)
    with atomic_path(path, overwrite=True, error=ExportError) as tmp:
        mpimg.imsave(tmp, rgba, format="png", dpi=dpi)
    return path
