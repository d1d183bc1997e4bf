"""The Qt-free map renderer (matplotlib, Agg), drawn from the ViewerModel.

The same renderer draws the desktop canvas and every exported frame. For speed, the layers
that do not move between keyframes (static layers, rasters, and dated layers whose set of
features is unchanged) below the first moving layer are drawn once into a cached background
(Agg ``copy_from_bbox``); a date step restores that background and draws only the moving
layers, the unit symbols and the furniture on top (``restore_region`` + ``draw_artist``).
"""

from __future__ import annotations

import contextlib
import logging
import os
import tempfile
import time
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path

import matplotlib

matplotlib.use("Agg", force=False)

import numpy as np  # noqa: E402
from matplotlib.backends.backend_agg import FigureCanvasAgg  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.image import FigureImage  # noqa: E402

from . import furniture as fu  # noqa: E402
from . import style as st  # noqa: E402
from .errors import ExportError  # noqa: E402
from .layers import Layer  # noqa: E402
from .model import Extent, LayerState, ViewerModel  # noqa: E402
from .raster import RasterLayer  # noqa: E402
from .symbols import unit_symbol  # noqa: E402
from .terrain import draw_elevation  # noqa: E402

log = logging.getLogger(__name__)

SIZE_PRESETS = {"720p": (1280, 720), "1080p": (1920, 1080), "1440p": (2560, 1440), "4k": (3840, 2160)}
UNIT_LAYERS = {"units"}
ECHELON_SCALE = {"army": 1.15, "corps": 1.1, "division": 1.0, "brigade": 0.9, "regiment": 0.9,
                 "battalion": 0.8, "company": 0.75, "platoon": 0.7}
UNIT_SIZE_PT = 17.0  # milsymbol icon size in points (scaled by dpi)
BACKGROUND_CACHE = 4


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


@dataclass
class _Item:
    """One visible layer in draw order: a vector Layer or a RasterLayer, with its state."""

    state: LayerState
    obj: Layer | RasterLayer
    position: int

    @property
    def moves(self) -> bool:
        return isinstance(self.obj, Layer) and self.obj.role == "keyframes"


class MapRenderer:
    """Render the model's map at a time, size and view into an RGBA array or a PNG."""

    def __init__(self, model: ViewerModel):
        self.model = model
        self._fig: Figure | None = None
        self._canvas: FigureCanvasAgg | None = None
        self._fig_key: tuple | None = None
        self._backgrounds: OrderedDict[tuple, object] = OrderedDict()
        self._furniture: list = []
        self._furniture_key: tuple | None = None
        self._furniture_boxes: list = []
        self._cjk: str | None | bool = False  # False = not looked up yet
        self.last_timings: dict[str, float] = {}

    # ---- public --------------------------------------------------------------------------
    def render(self, t: float | None = None, size: tuple[int, int] = (1920, 1080),
               view: Extent | None = None, dpi: float = 100.0,
               layers: set[str] | None = None) -> np.ndarray:
        """The map as an (H, W, 4) uint8 RGBA array, row 0 at the top."""
        t0 = time.perf_counter()
        t = float(self.model.time.t if t is None else t)
        size = (int(size[0]), int(size[1]))
        if size[0] < 16 or size[1] < 16:
            raise ExportError(f"image size {size[0]}x{size[1]} is too small (at least 16x16)")
        view = fit_view(view or self.model.view, size)
        fig, ax = self._figure(size, float(dpi))
        ax.set_xlim(view[0], view[2])
        ax.set_ylim(view[1], view[3])
        items = self._items(layers)
        cut = next((i for i, item in enumerate(items) if item.moves), len(items))
        bottom, top = items[:cut], items[cut:]
        self._restore_background(bottom, t, view, size, dpi)
        t1 = time.perf_counter()
        self._ensure_furniture(view, size, dpi)
        self._draw_top(top, t, size, dpi)
        self._draw_furniture(t, items)
        rgba = np.asarray(self._canvas.buffer_rgba()).copy()
        t2 = time.perf_counter()
        self.last_timings = {"background_ms": (t1 - t0) * 1e3, "dynamic_ms": (t2 - t1) * 1e3,
                             "total_ms": (t2 - t0) * 1e3}
        return rgba

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

    def invalidate(self) -> None:
        """Forget cached backgrounds and furniture (they are also re-keyed automatically)."""
        self._backgrounds.clear()
        self._furniture_key = None

    # ---- figure and layers -----------------------------------------------------------------
    def _figure(self, size: tuple[int, int], dpi: float):
        key = (size, dpi)
        if self._fig_key != key:
            w, h = size
            self._fig = Figure(figsize=(w / dpi, h / dpi), dpi=dpi, facecolor=st.PAPER)
            self._canvas = FigureCanvasAgg(self._fig)
            ax = self._fig.add_axes((0, 0, 1, 1))
            ax.set_axis_off()
            ax.set_facecolor(st.PAPER)
            ax.set_autoscale_on(False)
            self._fig_key = key
            self._backgrounds.clear()
            self._furniture, self._furniture_key = [], None
        return self._fig, self._fig.axes[0]

    def _items(self, only: set[str] | None) -> list[_Item]:
        vectors = {layer.name: layer for layer in self.model.dataset.layers}
        rasters = {r.name: r for r in self.model.dataset.rasters}
        items = []
        for position, state in enumerate(self.model.layer_states):
            obj = vectors.get(state.name) or rasters.get(state.name)
            if obj is None or not state.visible or state.opacity <= 0:
                continue
            if only is not None and state.name not in only:
                continue
            items.append(_Item(state, obj, position))
        return items

    def _context(self, zorder: float, dpi: float) -> st.PaintContext:
        opts = self.model.options
        return st.PaintContext(zorder=zorder, scale=dpi / 100.0, show_labels=opts.labels,
                               chinese=opts.chinese_names, cjk_font=self._cjk_font() if opts.chinese_names
                               else None)

    def _cjk_font(self) -> str | None:
        if self._cjk is False:
            from matplotlib import font_manager

            self._cjk = None
            for family in (st.CJK_SERIF, st.CJK_SANS):
                try:
                    font_manager.findfont(font_manager.FontProperties(family=family),
                                          fallback_to_default=False)
                    self._cjk = family
                    break
                except ValueError:
                    continue
            if self._cjk is None:
                fu.warn_once("cjk", "no CJK font found (install Noto Sans CJK); Chinese names are skipped")
        return self._cjk

    # ---- background ------------------------------------------------------------------------
    def _background_key(self, bottom: list[_Item], t: float, view: Extent, size, dpi) -> tuple:
        parts = []
        for item in bottom:
            active = b""
            if isinstance(item.obj, Layer) and item.obj.role == "temporal":
                active = item.obj.index.active(t).tobytes()
            parts.append((item.state.name, id(item.obj), item.state.opacity,
                          repr(sorted(item.state.style.items())), active))
        opts = self.model.options
        return (tuple(round(v, 6) for v in view), size, dpi, tuple(parts), opts.labels, opts.chinese_names)

    def _restore_background(self, bottom: list[_Item], t: float, view: Extent, size, dpi) -> None:
        key = self._background_key(bottom, t, view, size, dpi)
        region = self._backgrounds.get(key)
        if region is None:
            region = self._draw_background(bottom, t, dpi)
            self._backgrounds[key] = region
            while len(self._backgrounds) > BACKGROUND_CACHE:
                self._backgrounds.popitem(last=False)
        else:
            self._backgrounds.move_to_end(key)
        self._canvas.restore_region(region)

    def _draw_background(self, bottom: list[_Item], t: float, dpi: float):
        ax = self._fig.axes[0]
        hidden = [a for a in self._furniture if a.get_visible()]
        for artist in hidden:
            artist.set_visible(False)
        labels: list[st.LabelSpec] = []
        artists = []
        for item in bottom:
            ctx = self._context(10 + item.position, dpi)
            artists += self._paint(ax, item, t, ctx)
            labels += ctx.labels
        artists += st.place_labels(ax, self._canvas.get_renderer(), labels)
        self._canvas.draw()
        region = self._canvas.copy_from_bbox(self._fig.bbox)
        _remove(artists)
        for artist in hidden:
            artist.set_visible(True)
        return region

    def _paint(self, ax, item: _Item, t: float, ctx: st.PaintContext) -> list:
        state = item.state
        if isinstance(item.obj, RasterLayer):
            return self._paint_raster(ax, item.obj, state, ctx.zorder)
        gdf = item.obj.features_at(t)
        if not len(gdf):
            return []
        artists = st.paint_layer(ax, item.obj.source_layer, gdf, state.style, ctx)
        if state.opacity < 1.0:
            for artist in artists:
                artist.set_alpha(state.opacity * (artist.get_alpha() or 1.0))
        return artists

    @staticmethod
    def _paint_raster(ax, raster: RasterLayer, state: LayerState, zorder: float) -> list:
        if raster.kind == "elevation":
            return draw_elevation(ax, raster, state.opacity, state.style, zorder)
        data = np.moveaxis(raster.data, 0, -1)
        if data.shape[2] == 1:
            return [ax.imshow(data[..., 0], extent=raster.extent, cmap="gray", alpha=state.opacity,
                              zorder=zorder, interpolation="bilinear")]
        valid = np.isfinite(data).all(axis=2)
        rgb = np.nan_to_num(data[..., :3]) / (255.0 if np.nanmax(data[..., :3]) > 1.0 else 1.0)
        alpha = valid.astype(float) if data.shape[2] == 3 else np.nan_to_num(data[..., 3]) / 255.0
        rgba = np.dstack([np.clip(rgb, 0, 1), alpha * state.opacity])
        return [ax.imshow(rgba, extent=raster.extent, zorder=zorder, interpolation="bilinear")]

    # ---- per frame -------------------------------------------------------------------------
    def _draw_top(self, top: list[_Item], t: float, size, dpi: float) -> None:
        ax = self._fig.axes[0]
        renderer = self._canvas.get_renderer()
        labels: list[st.LabelSpec] = []
        for item in top:
            if isinstance(item.obj, Layer) and item.obj.source_layer in UNIT_LAYERS:
                self._draw_units(item, t, dpi)
                continue
            ctx = self._context(10 + item.position, dpi)
            artists = self._paint(ax, item, t, ctx)
            labels += ctx.labels
            for artist in artists:
                artist.draw(renderer)
                artist.remove()
        taken = list(self._furniture_boxes)
        for artist in st.place_labels(ax, renderer, labels, taken=taken):
            artist.draw(renderer)
            artist.remove()

    def _draw_units(self, item: _Item, t: float, dpi: float) -> None:
        gdf = item.obj.features_at(t)
        if not len(gdf):
            return
        ax, fig = self._fig.axes[0], self._fig
        renderer = self._canvas.get_renderer()
        xy = ax.transData.transform(st.point_xy(gdf))
        rows = gdf.drop(columns=gdf.geometry.name).to_dict("records")
        base = item.state.style.get("marker_size", UNIT_SIZE_PT) * dpi / 72.0
        order = sorted(range(len(rows)), key=lambda i: -ECHELON_SCALE.get(str(rows[i].get("echelon")), 0.8))
        w, h = fig.bbox.width, fig.bbox.height
        for i in order:
            row, (px, py) = rows[i], xy[i]
            if not (-50 <= px <= w + 50 and -50 <= py <= h + 50):
                continue
            size = max(int(round(base * ECHELON_SCALE.get(str(row.get("echelon")), 0.8))), 8)
            sym = unit_symbol(_text(row.get("sidc")), _text(row.get("designation")), _text(row.get("higher")),
                              size, _text(row.get("side")))
            rows_, _cols = sym.rgba.shape[:2]
            image = FigureImage(fig, offsetx=int(round(px - sym.anchor[0])),
                                offsety=int(round(py - (rows_ - sym.anchor[1]))), origin="upper")
            image.set_array(sym.rgba)
            if item.state.opacity < 1.0:
                image.set_alpha(item.state.opacity)
            image.draw(renderer)

    # ---- furniture ---------------------------------------------------------------------------
    def _ensure_furniture(self, view: Extent, size, dpi: float) -> None:
        opts = self.model.options
        entries = self._legend_entries()
        key = (tuple(round(v, 6) for v in view), size, dpi, opts.legend, opts.scale_bar, opts.north_arrow,
               opts.title, tuple(label for _, label in entries), self._elevation_note())
        if key == self._furniture_key:
            return
        for artist in self._furniture:
            artist.remove()
        ax = self._fig.axes[0]
        made = []
        if opts.legend:
            made += fu.legend(ax, entries, self._elevation_note())
        if opts.scale_bar:
            made += fu.scale_bar(ax, view)
        if opts.north_arrow:
            made += fu.north_arrow(ax, fu.grid_convergence(self.model.dataset.map_crs, view))
        if opts.title:
            made += fu.title(ax, opts.title)
        renderer = self._canvas.get_renderer()
        self._furniture_boxes = [a.get_window_extent(renderer) for a in made]
        self._furniture, self._furniture_key = made, key

    def _legend_entries(self) -> list[tuple]:
        entries, seen = [], set()
        for item in reversed(self._items(None)):
            if isinstance(item.obj, RasterLayer):
                continue
            gdf = item.obj.gdf
            kinds = set(gdf["kind"].dropna().astype(str)) if "kind" in gdf.columns else set()
            for handle, label in fu.legend_entries(item.obj.source_layer, item.obj.geometry_type,
                                                   item.state.style, kinds):
                if label not in seen:
                    seen.add(label)
                    entries.append((handle, label))
        return entries

    def _elevation_note(self) -> str:
        for item in self._items(None):
            if isinstance(item.obj, RasterLayer) and item.obj.kind == "elevation":
                note = "contours 10 m; relief reconstructed, not surveyed"
                return note if item.obj.tags.get("reconstructed") == "yes" else "contours 10 m"
        return ""

    def _draw_furniture(self, t: float, items: list[_Item]) -> None:
        ax = self._fig.axes[0]
        renderer = self._canvas.get_renderer()
        opts = self.model.options
        for artist in self._furniture:
            artist.draw(renderer)
        extra = []
        if opts.caption:
            extra += fu.caption(ax, fu.caption_text(t, opts.caption_format))
        if opts.credits:
            extra += fu.credits(ax, fu.credits_text(self._sources(items, t)))
        for artist in extra:
            artist.draw(renderer)
            artist.remove()

    @staticmethod
    def _sources(items: list[_Item], t: float) -> list[str]:
        sources: list[str] = []
        for item in items:
            if isinstance(item.obj, RasterLayer):
                if item.obj.tags.get("source"):
                    sources.append("elevation reconstructed by the dataset author")
                continue
            gdf = item.obj.features_at(t)
            if "source" in gdf.columns and len(gdf):
                sources += [str(s) for s in gdf["source"].dropna().unique()]
        return sources


def _remove(artists: list) -> None:
    """Take artists off the figure (contour labels may already have gone with their contours)."""
    for artist in artists:
        with contextlib.suppress(ValueError, NotImplementedError):
            artist.remove()


def _text(value: object) -> str:
    if value is None or (isinstance(value, float) and value != value):
        return ""
    return str(value).strip()


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
