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
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg  # Agg directly: no pyplot, no backend switch
from matplotlib.figure import Figure

from terrain_viewer.core.common.atomic import atomic_path
from terrain_viewer.core.common.errors import ExportError, TerrainViewerError
from terrain_viewer.core.data.layers import Layer
from terrain_viewer.core.data.raster import RasterLayer
from terrain_viewer.core.model import Extent, LayerState, ViewerModel
from terrain_viewer.core.render import furniture as fu
from terrain_viewer.core.render import style as st
from terrain_viewer.core.render.symbols import spread, unit_symbol
from terrain_viewer.core.render.terrain import draw_elevation, window

log = logging.getLogger(__name__)

SIZE_PRESETS = {"720p": (1280, 720), "1080p": (1920, 1080), "1440p": (2560, 1440), "4k": (3840, 2160)}
UNIT_LAYERS = {"units"}
BASEMAP = "basemap"  # the basemap's name in a ``layers`` filter
ECHELON_SCALE = {"army": 1.15, "corps": 1.1, "division": 1.0, "brigade": 0.9, "regiment": 0.9,
                 "battalion": 0.8, "company": 0.75, "platoon": 0.7}
UNIT_SIZE_PT = 17.0  # milsymbol icon size in points (scaled by dpi)
CROWD = 300  # more units than this in view: no text amplifiers and no decluttering
BACKGROUND_CACHE = 4
SPRITE_CACHE = 96


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
    def symbols(self) -> bool:
        """Drawn as APP-6 symbols in pixel space (the ``units`` layer, or any layer with a sidc)."""
        return isinstance(self.obj, Layer) and (self.obj.source_layer in UNIT_LAYERS
                                                or "sidc" in self.obj.gdf.columns)

    @property
    def moves(self) -> bool:
        """Redrawn every frame: keyframed layers and symbol layers."""
        return isinstance(self.obj, Layer) and (self.obj.role == "keyframes" or self.symbols)


class MapRenderer:
    """Render the model's map at a time, size and view into an RGBA array or a PNG.

    Caches: the background (Agg region) per view/size/layer states/active features, and
    "sprites" (RGBA crops drawn once on a transparent twin figure) for furniture, the date
    caption and dated layers above the moving ones; unit symbols are cached by ``symbols``.
    """

    def __init__(self, model: ViewerModel):
        self.model = model
        self._fig: Figure | None = None
        self._canvas: FigureCanvasAgg | None = None
        self._overlay: Figure | None = None
        self._overlay_canvas: FigureCanvasAgg | None = None
        self._fig_key: tuple | None = None
        self._backgrounds: OrderedDict[tuple, object] = OrderedDict()
        self._sprites: OrderedDict[tuple, _Sprite] = OrderedDict()
        self._cjk: str | None | bool = False  # False = not looked up yet
        self._source_cache: dict[tuple, list[str]] = {}
        self._basemap: dict | None = None
        self._watched: set = set()
        self.wait_for_tiles = 0.0  # seconds a render may wait for basemap downloads (exports: > 0)
        self.on_tiles: Callable[[], None] | None = None  # called (from a thread) when tiles arrive
        self.frame_layers: set[str] | None = None  # credits/attribution of these (a swipe: both sides)
        self.last_timings: dict[str, float] = {}

    # ---- public --------------------------------------------------------------------------
    def render(self, t: float | None = None, size: tuple[int, int] = (1920, 1080),
               view: Extent | None = None, dpi: float = 100.0,
               layers: set[str] | None = None) -> np.ndarray:
        """The map as an (H, W, 4) uint8 RGBA array, row 0 at the top.

        ``layers`` limits the drawing to those layer names (``BASEMAP`` for the basemap). Without
        it, an enabled swipe draws the model's two compare groups either side of the divider.
        """
        if layers is None and self.model.swipe.enabled:
            from terrain_viewer.core.render.swipe import render_swipe

            return render_swipe(self, t, size, view, dpi)
        t0 = time.perf_counter()
        t = float(self.model.time.t if t is None else t)
        size = (int(size[0]), int(size[1]))
        if size[0] < 16 or size[1] < 16:
            raise ExportError(f"image size {size[0]}x{size[1]} is too small (at least 16x16)")
        view = fit_view(view or self.model.view, size)
        dpi = float(dpi)
        self._figure(size, dpi)
        for fig in (self._fig, self._overlay):
            fig.axes[0].set_xlim(view[0], view[2])
            fig.axes[0].set_ylim(view[1], view[3])
        items = self._items(layers)
        cut = next((i for i, item in enumerate(items) if item.moves), len(items))
        furniture = self._static_furniture(view, size, dpi)
        taken = [b for sprite in furniture for b in sprite.boxes]  # labels keep clear of these
        self._basemap = self._basemap_spec(layers)
        self._restore_background(items[:cut], t, view, size, dpi, taken)
        t1 = time.perf_counter()
        self._draw_top(items[cut:], t, view, dpi, taken)
        whole = items if self.frame_layers is None else self._items(self.frame_layers)
        self._draw_furniture(t, whole, furniture, size, dpi)
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
        """Forget cached backgrounds and sprites (they are also re-keyed automatically)."""
        self._backgrounds.clear()
        self._sprites.clear()

    # ---- figure and layers -----------------------------------------------------------------
    def _figure(self, size: tuple[int, int], dpi: float) -> None:
        key = (size, dpi)
        if self._fig_key == key:
            return
        w, h = size
        self._fig, self._canvas = _new_figure(w, h, dpi, st.PAPER)
        self._overlay, self._overlay_canvas = _new_figure(w, h, dpi, "none")
        self._fig_key = key
        self.invalidate()

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
        cjk = self._cjk_font() if opts.chinese_names else None
        return st.PaintContext(zorder=zorder, show_labels=opts.labels,
                               chinese=cjk is not None, cjk_font=cjk)

    def _cjk_font(self) -> str | None:
        if self._cjk is False:
            fonts = fu.text_fonts()  # the serif and, when one is installed, a CJK fallback
            self._cjk = fonts[1] if len(fonts) > 1 else None
            if self._cjk is None:
                fu.warn_once("cjk", "no CJK font found (install Noto Sans CJK); Chinese names are skipped")
        return self._cjk

    def _item_key(self, item: _Item, t: float) -> tuple:
        active = b""
        if isinstance(item.obj, Layer) and item.obj.role == "temporal":
            active = item.obj.index.active(t).tobytes()
        return (item.state.name, id(item.obj), item.state.opacity, repr(sorted(item.state.style.items())),
                item.position, active)

    # ---- background ------------------------------------------------------------------------
    def _restore_background(self, bottom: list[_Item], t: float, view: Extent, size, dpi,
                            taken: list) -> None:
        opts = self.model.options
        key = (_round(view), size, dpi, tuple(self._item_key(i, t) for i in bottom), opts.labels,
               opts.chinese_names, tuple(tuple(b.bounds) for b in taken), self._basemap_key())
        region = self._backgrounds.get(key)
        if region is None:
            region = self._draw_background(bottom, t, dpi, taken)
            self._backgrounds[key] = region
            while len(self._backgrounds) > BACKGROUND_CACHE:
                self._backgrounds.popitem(last=False)
        else:
            self._backgrounds.move_to_end(key)
        self._canvas.restore_region(region)

    def _draw_background(self, bottom: list[_Item], t: float, dpi: float, taken: list):
        ax = self._fig.axes[0]
        labels: list[st.LabelSpec] = []
        artists = self._draw_basemap(ax, _axes_view(ax), dpi) if self._basemap else []
        for item in bottom:
            ctx = self._context(10 + item.position, dpi)
            artists += self._paint(ax, item, t, ctx)
            labels += ctx.labels
        artists += st.place_labels(ax, self._canvas.get_renderer(), labels, taken=list(taken))
        self._canvas.draw()
        region = self._canvas.copy_from_bbox(self._fig.bbox)
        _remove(artists)
        return region

    def _paint(self, ax, item: _Item, t: float, ctx: st.PaintContext) -> list:
        state = item.state
        if isinstance(item.obj, RasterLayer):
            return self._paint_raster(ax, item.obj, state, ctx.zorder)
        gdf = item.obj.features_at(t)
        if len(gdf) > 50:  # skip what lies outside the view (fewer vertices, no far-off text)
            x0, y0, x1, y1 = _axes_view(ax)
            mx, my = (x1 - x0) * 0.1, (y1 - y0) * 0.1
            gdf = gdf.cx[x0 - mx:x1 + mx, y0 - my:y1 + my]
        if not len(gdf):
            return []
        artists = st.paint_layer(ax, item.obj.source_layer, gdf, st.clean_style(state.name, state.style), ctx)
        if state.opacity < 1.0:
            for artist in artists:
                artist.set_alpha(state.opacity * (artist.get_alpha() or 1.0))
        return artists

    @staticmethod
    def _paint_raster(ax, raster: RasterLayer, state: LayerState, zorder: float) -> list:
        if window(raster, _axes_view(ax)) is None:
            return []
        if raster.kind == "elevation":
            style = st.clean_style(state.name, state.style)
            return draw_elevation(ax, raster, state.opacity, style, zorder, _axes_view(ax))
        data = np.moveaxis(raster.data, 0, -1)
        if data.shape[2] == 1:
            return [ax.imshow(data[..., 0], extent=raster.extent, cmap="gray", alpha=state.opacity,
                              zorder=zorder, interpolation="bilinear")]
        valid = np.isfinite(data).all(axis=2)
        rgb = np.nan_to_num(data[..., :3]) / (255.0 if np.nanmax(data[..., :3]) > 1.0 else 1.0)
        alpha = valid.astype(float) if data.shape[2] == 3 else np.nan_to_num(data[..., 3]) / 255.0
        rgba = np.dstack([np.clip(rgb, 0, 1), alpha * state.opacity])
        return [ax.imshow(rgba, extent=raster.extent, zorder=zorder, interpolation="bilinear")]

    # ---- basemap ---------------------------------------------------------------------------
    def _basemap_spec(self, layers: set[str] | None) -> dict | None:
        spec = self.model.basemap
        if not spec or (layers is not None and BASEMAP not in layers):
            return None
        return spec

    def _basemap_key(self) -> tuple:
        """Changes when the basemap or its tiles change, so the cached background is redrawn."""
        if not self._basemap:
            return ()
        from terrain_viewer.core.data.tiles import source_for

        try:
            version = source_for(self._basemap).version
        except TerrainViewerError:
            version = -1
        return (repr(sorted(self._basemap.items())), version)

    def _tiles_arrived(self) -> None:
        if self.on_tiles is not None:
            self.on_tiles()

    def _draw_basemap(self, ax, view: Extent, dpi: float) -> list:
        """The basemap under everything, its attribution, or a note that tiles are unavailable."""
        from terrain_viewer.core.data.tiles import source_for
        from terrain_viewer.core.render.basemap import basemap_image

        spec = self._basemap
        size = self._fig_key[0]
        try:
            source = source_for(spec)
            if self.on_tiles is not None and source not in self._watched:
                self._watched.add(source)
                source.on_tile(self._tiles_arrived)  # held weakly by the source
            image = basemap_image(spec, view, size, self.model.dataset.map_crs, wait=self.wait_for_tiles)
        except TerrainViewerError as exc:
            return fu.map_note(ax, f"Basemap unavailable: {exc.message}")
        x0, y0, x1, y1 = view
        opacity = float(spec.get("opacity", 1.0))
        artists = [ax.imshow(image.rgba, extent=(x0, x1, y0, y1), zorder=1, alpha=opacity,
                             interpolation="nearest")]
        if image.failed:
            artists += fu.map_note(ax, f"{image.missing} basemap tiles unavailable (network)")
        return artists

    # ---- sprites ---------------------------------------------------------------------------
    def _sprite(self, key: tuple, make) -> _Sprite:
        """A cached RGBA crop of artists drawn by ``make(ax)`` on the transparent twin figure."""
        hit = self._sprites.get(key)
        if hit is not None:
            self._sprites.move_to_end(key)
            return hit
        renderer = self._overlay_canvas.get_renderer()
        renderer.clear()
        artists = make(self._overlay.axes[0])
        boxes = []
        for artist in artists:
            artist.draw(renderer)
            boxes.append(artist.get_window_extent(renderer))
        _remove(artists)
        boxes = [b for b in boxes if np.isfinite(b.extents).all()]
        hit = _Sprite.crop(np.asarray(self._overlay_canvas.buffer_rgba()), boxes)
        self._sprites[key] = hit
        while len(self._sprites) > SPRITE_CACHE:
            self._sprites.popitem(last=False)
        return hit

    def _blend(self, sprite: _Sprite) -> None:
        buffer = np.asarray(self._canvas.buffer_rgba())
        for rgba, left, top in sprite.pieces:
            composite(buffer, rgba, left, top)

    # ---- per frame -------------------------------------------------------------------------
    def _draw_top(self, top: list[_Item], t: float, view: Extent, dpi: float, taken: list) -> None:
        ax = self._fig.axes[0]
        renderer = self._canvas.get_renderer()
        opts = self.model.options
        for item in top:
            if item.symbols:
                self._draw_units(item, t, dpi)
            elif item.moves:
                ctx = self._context(10 + item.position, dpi)
                artists = self._paint(ax, item, t, ctx)
                artists += st.place_labels(ax, renderer, ctx.labels, taken=list(taken))
                for artist in artists:
                    artist.draw(renderer)
                _remove(artists)
            else:
                key = ("layer", _round(view), self._fig_key, self._item_key(item, t), opts.labels,
                       opts.chinese_names, tuple(tuple(b.bounds) for b in taken))
                self._blend(self._sprite(key, partial(self._paint_sprite, item=item, t=t, dpi=dpi,
                                                      taken=taken)))

    def _paint_sprite(self, ax, item: _Item, t: float, dpi: float, taken: list) -> list:
        ctx = self._context(10 + item.position, dpi)
        artists = self._paint(ax, item, t, ctx)
        return artists + st.place_labels(ax, self._overlay_canvas.get_renderer(), ctx.labels,
                                         taken=list(taken))

    def _draw_units(self, item: _Item, t: float, dpi: float) -> None:
        """Unit symbols at their (gliding) positions, pushed apart where they overlap, with a
        leader line back to the true position; composited into the frame in pixel space."""
        gdf = item.obj.features_at(t)
        if not len(gdf):
            return
        ax = self._fig.axes[0]
        buffer = np.asarray(self._canvas.buffer_rgba())
        height, width = buffer.shape[:2]
        true_xy = ax.transData.transform(st.point_xy(gdf))
        keep = ((true_xy[:, 0] > -100) & (true_xy[:, 0] < width + 100) & (true_xy[:, 1] > -100)
                & (true_xy[:, 1] < height + 100))
        if not keep.any():
            return
        true_xy = true_xy[keep]
        crowded = len(true_xy) > CROWD  # thousands of units: plain symbols, no text, no declutter
        sidc, side, echelon = (_column(gdf, c, keep) for c in ("sidc", "side", "echelon"))
        blank = [""] * len(true_xy)
        designation = blank if crowded else _column(gdf, "designation", keep)
        higher = blank if crowded else _column(gdf, "higher", keep)
        style = st.clean_style(item.state.name, item.state.style)
        base = style.get("marker_size", UNIT_SIZE_PT) * dpi / 72.0
        sizes = [max(int(round(base * ECHELON_SCALE.get(e, 0.8))), 8) for e in echelon]
        symbols = [unit_symbol(*args) for args in zip(sidc, designation, higher, sizes, side, strict=True)]
        half = np.array([(0.8 * size, 0.62 * size) for size in sizes])
        placed = spread(true_xy, half) if style.get("declutter", True) and not crowded else true_xy
        self._draw_leaders(true_xy, placed, dpi, item.state.opacity)
        for i in sorted(range(len(symbols)), key=lambda i: (-sizes[i], i)):
            sym, (px, py) = symbols[i], placed[i]
            left, top = int(round(px - sym.anchor[0])), int(round(height - py - sym.anchor[1]))
            composite(buffer, sym.rgba, left, top, item.state.opacity)

    def _draw_leaders(self, true_xy: np.ndarray, placed: np.ndarray, dpi: float, opacity: float) -> None:
        """Thin lines from displaced symbols back to a dot at the unit's true position."""
        moved = np.hypot(*(placed - true_xy).T) > 2.0
        if not moved.any():
            return
        from matplotlib.collections import LineCollection
        from matplotlib.lines import Line2D
        from matplotlib.transforms import IdentityTransform

        segments = np.stack([true_xy[moved], placed[moved]], axis=1)
        leaders = LineCollection(segments, colors=st.INK, linewidths=0.7, alpha=0.8 * opacity,
                                 transform=IdentityTransform())
        dots = Line2D(true_xy[moved, 0], true_xy[moved, 1], linestyle="none", marker="o",
                      markersize=2.6, markerfacecolor=st.INK, markeredgewidth=0, alpha=opacity,
                      transform=IdentityTransform())
        for artist in (leaders, dots):
            artist.set_figure(self._fig)
            artist.draw(self._canvas.get_renderer())

    # ---- furniture ---------------------------------------------------------------------------
    def _static_furniture(self, view: Extent, size, dpi: float) -> list[_Sprite]:
        """Legend, scale bar with north arrow, and title: sprites keyed so that a pan redraws none."""
        opts = self.model.options
        sprites = []
        if opts.legend:
            states = tuple((i.state.name, repr(sorted(i.state.style.items()))) for i in self._items(None))
            key = ("legend", size, dpi, states)
            sprites.append(self._sprite(key, lambda ax: fu.legend(ax, self._legend_entries())))
        if opts.scale_bar or opts.north_arrow:
            width = view[2] - view[0]
            turn = round(fu.grid_convergence(self.model.dataset.map_crs, view), 1)
            key = ("scale", size, dpi, round(width, 3), turn, opts.scale_bar, opts.north_arrow)

            def make(ax) -> list:
                made = fu.scale_bar(ax, view) if opts.scale_bar else []
                return made + (fu.north_arrow(ax, turn) if opts.north_arrow else [])

            sprites.append(self._sprite(key, make))
        if opts.title:
            title = opts.title
            sprites.append(self._sprite(("title", size, dpi, title), lambda ax: fu.title(ax, title)))
        return sprites

    def _legend_entries(self) -> list[tuple]:
        entries, seen = [], set()
        for item in reversed(self._items(None)):
            if isinstance(item.obj, RasterLayer):
                if item.obj.kind == "elevation" and "Contours" not in seen:
                    seen.add("Contours")
                    entries.append(fu.contour_entry(st.clean_style(item.state.name, item.state.style),
                                                    item.obj.tags.get("reconstructed") == "yes"))
                continue
            gdf = item.obj.gdf
            kinds = set(gdf["kind"].dropna().astype(str)) if "kind" in gdf.columns else set()
            for handle, label in fu.legend_entries(item.obj.source_layer, item.obj.geometry_type,
                                                   st.clean_style(item.state.name, item.state.style), kinds):
                if label not in seen:
                    seen.add(label)
                    entries.append((handle, label))
        return entries

    def _draw_furniture(self, t: float, items: list[_Item], furniture: list[_Sprite], size,
                        dpi: float) -> None:
        opts = self.model.options
        for sprite in furniture:
            self._blend(sprite)
        if opts.caption:
            text = fu.caption_text(t, opts.caption_format)
            self._blend(self._sprite(("caption", text, size, dpi), lambda ax: fu.caption(ax, text)))
        basemap = self._attribution()
        if opts.credits:
            text = fu.credits_text(self._sources(items, t))
            text = f"{text} · {basemap}" if text and basemap else text or basemap
            self._blend(self._sprite(("credits", text, size, dpi), lambda ax: fu.credits(ax, text)))
        elif basemap:  # tile licences ask for it on every map
            self._blend(self._sprite(("attribution", basemap, size, dpi),
                                     lambda ax: fu.attribution(ax, basemap)))

    def _attribution(self) -> str:
        """'Basemap: © …' for the basemap drawn in this frame, or ''."""
        spec = self._basemap if self.frame_layers is None else self._basemap_spec(self.frame_layers)
        if not spec:
            return ""
        from terrain_viewer.core.data.tiles import source_for

        try:
            text = source_for(spec).attribution.strip()
        except TerrainViewerError:
            return ""
        if not text:
            return ""
        return "Basemap: " + (text if text.startswith(("©", "(C)", "(c)")) else f"© {text}")

    def _sources(self, items: list[_Item], t: float) -> list[str]:
        """The ``source`` values of the features drawn at ``t`` (distinct values cached per set)."""
        sources: list[str] = []
        for item in items:
            if isinstance(item.obj, RasterLayer):
                if item.obj.tags.get("source"):
                    sources.append("elevation reconstructed by the dataset author")
                continue
            if "source" not in item.obj.gdf.columns:
                continue
            rows = item.obj.active_rows(t)
            key = ("sources", id(item.obj), rows.tobytes() if rows is not None else b"all")
            hit = self._source_cache.get(key)
            if hit is None:
                column = item.obj.gdf["source"]
                values = column if rows is None else column.iloc[rows]
                hit = self._source_cache[key] = [str(s) for s in values.dropna().unique()]
                while len(self._source_cache) > SPRITE_CACHE:
                    self._source_cache.pop(next(iter(self._source_cache)))
            sources += hit
        return sources


@dataclass
class _Sprite:
    """RGBA crops, each placed with its top-left pixel at (left, top), and the artists' boxes."""

    pieces: list[tuple[np.ndarray, int, int]]
    boxes: list = field(default_factory=list)

    @classmethod
    def crop(cls, buffer: np.ndarray, boxes: list, pad: int = 12) -> _Sprite:
        """One trimmed crop per (merged) artist box, so far-apart artists cost no full frame."""
        h, w = buffer.shape[:2]
        spans = []
        for box in boxes:
            if not np.isfinite(box.extents).all():
                continue
            c0, c1 = int(box.x0) - pad, int(np.ceil(box.x1)) + pad
            r0, r1 = h - int(np.ceil(box.y1)) - pad, h - int(box.y0) + pad
            spans.append([max(r0, 0), min(r1, h), max(c0, 0), min(c1, w)])
        pieces = []
        for r0, r1, c0, c1 in _merge(spans):
            alpha = buffer[r0:r1, c0:c1, 3]
            rows, cols = np.flatnonzero(alpha.any(axis=1)), np.flatnonzero(alpha.any(axis=0))
            if rows.size:
                rr0, rr1, cc0, cc1 = r0 + rows[0], r0 + rows[-1] + 1, c0 + cols[0], c0 + cols[-1] + 1
                pieces.append((buffer[rr0:rr1, cc0:cc1].copy(), int(cc0), int(rr0)))
        return cls(pieces, boxes)


def _merge(spans: list[list[int]]) -> list[list[int]]:
    """Merge overlapping [r0, r1, c0, c1] rectangles until none overlap."""
    spans = [s for s in spans if s[0] < s[1] and s[2] < s[3]]
    merged = True
    while merged:
        merged = False
        for i in range(len(spans)):
            for j in range(i + 1, len(spans)):
                a, b = spans[i], spans[j]
                if a[0] < b[1] and b[0] < a[1] and a[2] < b[3] and b[2] < a[3]:
                    spans[i] = [min(a[0], b[0]), max(a[1], b[1]), min(a[2], b[2]), max(a[3], b[3])]
                    del spans[j]
                    merged = True
                    break
            if merged:
                break
    return spans


def composite(buffer: np.ndarray, rgba: np.ndarray, left: int, top: int, opacity: float = 1.0) -> None:
    """Alpha-composite a straight-alpha RGBA image over the opaque frame ``buffer`` in place."""
    h, w = buffer.shape[:2]
    r0, c0 = max(top, 0), max(left, 0)
    r1, c1 = min(top + rgba.shape[0], h), min(left + rgba.shape[1], w)
    if r0 >= r1 or c0 >= c1:
        return
    src = rgba[r0 - top:r1 - top, c0 - left:c1 - left]
    a = src[..., 3:4].astype(np.uint16)
    if opacity < 1.0:
        a = (a * int(round(opacity * 255)) + 127) // 255
    dst = buffer[r0:r1, c0:c1, :3]
    dst[...] = (src[..., :3] * a + dst * (255 - a) + 127) // 255


def _new_figure(w: int, h: int, dpi: float, face) -> tuple[Figure, FigureCanvasAgg]:
    fig = Figure(figsize=(w / dpi, h / dpi), dpi=dpi, facecolor=face)
    canvas = FigureCanvasAgg(fig)
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_axis_off()
    ax.set_facecolor(face)
    ax.set_autoscale_on(False)
    return fig, canvas


def _axes_view(ax) -> Extent:
    (x0, x1), (y0, y1) = ax.get_xlim(), ax.get_ylim()
    return (x0, y0, x1, y1)


def _round(view: Extent) -> tuple:
    return tuple(round(float(v), 6) for v in view)


def _remove(artists: list) -> None:
    """Take artists off the figure (contour labels may already have gone with their contours)."""
    for artist in artists:
        with contextlib.suppress(ValueError, NotImplementedError):
            artist.remove()


def _column(gdf, name: str, keep: np.ndarray) -> list[str]:
    """One attribute as clean strings ('' for missing), for the kept rows."""
    if name not in gdf.columns:
        return [""] * int(keep.sum())
    return [_text(v) for v in gdf[name].to_numpy()[keep]]


def _text(value: object) -> str:
    if value is None or (isinstance(value, float) and value != value):
        return ""
    return str(value).strip()


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
