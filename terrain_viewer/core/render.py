"""The Qt-free map renderer: one matplotlib (Agg) figure per renderer, drawn from the ViewerModel.

The same renderer draws the desktop canvas and every exported frame.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import matplotlib

matplotlib.use("Agg", force=False)

import numpy as np  # noqa: E402
from matplotlib.backends.backend_agg import FigureCanvasAgg  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from .errors import ExportError  # noqa: E402
from .model import Extent, ViewerModel  # noqa: E402

SIZE_PRESETS = {"720p": (1280, 720), "1080p": (1920, 1080), "1440p": (2560, 1440), "4k": (3840, 2160)}


def fit_view(view: Extent, size: tuple[int, int]) -> Extent:
    """Expand ``view`` to the pixel aspect of ``size`` (width, height), keeping its centre."""
    x0, y0, x1, y1 = (float(v) for v in view)
    w, h = size
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    dx, dy = max(x1 - x0, 1e-9), max(y1 - y0, 1e-9)
    if dx / dy < w / h:
        dx = dy * w / h
    else:
        dy = dx * h / w
    return (cx - dx / 2, cy - dy / 2, cx + dx / 2, cy + dy / 2)


class MapRenderer:
    """Render the model's map at a time, size and view into an RGBA array or a PNG."""

    def __init__(self, model: ViewerModel):
        self.model = model

    def render(self, t: float | None = None, size: tuple[int, int] = (1920, 1080),
               view: Extent | None = None, dpi: float = 100.0,
               layers: set[str] | None = None) -> np.ndarray:
        """The map as an (H, W, 4) uint8 RGBA array, row 0 at the top."""
        t = self.model.time.t if t is None else float(t)
        view = fit_view(view or self.model.view, size)
        w, h = size
        fig = Figure(figsize=(w / dpi, h / dpi), dpi=dpi)
        canvas = FigureCanvasAgg(fig)
        ax = fig.add_axes((0, 0, 1, 1))
        ax.set_axis_off()
        fig.patch.set_facecolor("#f3ecd9")
        for state in self.model.layer_states:
            if not state.visible or (layers is not None and state.name not in layers):
                continue
            try:
                layer = self.model.dataset.layer(state.name)
            except KeyError:
                continue
            gdf = layer.features_at(t)
            if len(gdf):
                gdf.plot(ax=ax, alpha=state.opacity)
        ax.set_xlim(view[0], view[2])
        ax.set_ylim(view[1], view[3])
        canvas.draw()
        return np.asarray(canvas.buffer_rgba()).copy()

    def save_png(self, path: str | Path, t: float | None = None, size: tuple[int, int] = (1920, 1080),
                 view: Extent | None = None, dpi: float = 100.0) -> Path:
        """Render and write a PNG atomically; return the path."""
        return write_png(Path(path), self.render(t, size, view, dpi), dpi)

    def map_to_pixel(self, x: float, y: float, view: Extent, size: tuple[int, int]) -> tuple[float, float]:
        """Map coordinates to pixel (column, row from the top) in a render of ``view`` at ``size``."""
        x0, y0, x1, y1 = fit_view(view, size)
        w, h = size
        return (x - x0) / (x1 - x0) * w, (y1 - y) / (y1 - y0) * h

    def pixel_to_map(self, px: float, py: float, view: Extent, size: tuple[int, int]) -> tuple[float, float]:
        """Pixel (column, row from the top) to map coordinates."""
        x0, y0, x1, y1 = fit_view(view, size)
        w, h = size
        return x0 + px / w * (x1 - x0), y1 - py / h * (y1 - y0)


def write_png(path: Path, rgba: np.ndarray, dpi: float = 100.0) -> Path:
    """Write an RGBA array as PNG atomically (temp file in the same folder, then os.replace)."""
    import matplotlib.image as mpimg

    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise ExportError("folder does not exist", folder)
    fd, tmp = tempfile.mkstemp(suffix=".png", prefix=".tmp_", dir=folder)
    os.close(fd)
    try:
        mpimg.imsave(tmp, rgba, format="png", dpi=dpi)
        os.replace(tmp, path)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise ExportError(f"cannot write PNG: {exc.strerror or exc}", path) from exc
    return path
