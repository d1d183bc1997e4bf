"""The Qt-free map renderer (matplotlib, Agg), drawn from the ViewerModel.

The same renderer draws the desktop canvas and every exported frame. For speed, the layers
that do not move between keyframes (static layers, rasters, and dated layers whose set of
features is unchanged) below the first moving layer are drawn once into a cached background
(Agg ``copy_from_bbox``); a date step restores that background and draws only the moving
layers, the unit symbols and the furniture on top (``restore_region`` + ``draw_artist``).
An enabled swipe is two such passes, one per compared group, joined at the divider, with one
set of furniture over the whole frame.
"""

from __future__ import annotations

import logging
import time
from collections import OrderedDict
from collections.abc import Callable
from functools import partial
from pathlib import Path

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from terrain_viewer.core.common.errors import ExportError, TerrainViewerError
from terrain_viewer.core.data.raster import RasterLayer
from terrain_viewer.core.model import Extent, LayerState, ViewerModel
from terrain_viewer.core.render import annotations as notes
from terrain_viewer.core.render import furniture as fu
from terrain_viewer.core.render.items import BASEMAP, Item, basemap_spec, visible_items
from terrain_viewer.core.render.labels import place_labels
from terrain_viewer.core.render.painters import PaintContext, paint_layer
from terrain_viewer.core.render.png import write_png
from terrain_viewer.core.render.sprites import Sprite, SpriteCache, blend, new_figure, remove
from terrain_viewer.core.render.swipe import divider_column, draw_divider, sides
from terrain_viewer.core.render.symbology import PAPER, clean_style
from terrain_viewer.core.render.terrain import draw_elevation, window
from terrain_viewer.core.render.units import draw_units
from terrain_viewer.core.render.view import SIZE_PRESETS, axes_view, fit_view, rounded
from terrain_viewer.core.render.view import map_to_pixel as to_pixel
from terrain_viewer.core.render.view import pixel_to_map as to_map

__all__ = ["BASEMAP", "SIZE_PRESETS", "MapRenderer", "fit_view", "write_png"]

log = logging.getLogger(__name__)

BACKGROUND_CACHE = 4


class MapRenderer:
    """Render the model's map at a time, size and view into an RGBA array or a PNG.

    Caches: the background (Agg region) per view/size/layer states/active features, and
    sprites (see ``sprites``) for furniture, the date caption and dated layers above the moving
    ones; unit symbols are cached by ``symbols``.
    """

    def __init__(self, model: ViewerModel):
        self.model = model
        self._fig: Figure | None = None
        self._canvas: FigureCanvasAgg | None = None
        self._fig_key: tuple | None = None
        self._backgrounds: OrderedDict[tuple, tuple] = OrderedDict()
        self._sprites = SpriteCache()
        self._cjk: str | None | bool = False  # False = not looked up yet
        self._source_cache: dict[tuple, list[str]] = {}
        self._basemap: dict | None = None
        self._watched: set = set()
        self.wait_for_tiles = 0.0  # seconds a render may wait for basemap downloads (exports: > 0)
        self.on_tiles: Callable[[], None] | None = None  # called (from a thread) when tiles arrive
        self.last_timings: dict[str, float] = {}
        self.last_label_boxes: list = []  # display-space boxes of the labels on the last frame

    # ---- public --------------------------------------------------------------------------
    def render(self, t: float | None = None, size: tuple[int, int] = (1920, 1080),
               view: Extent | None = None, dpi: float = 100.0,
               layers: set[str] | None = None) -> np.ndarray:
        """The map as an (H, W, 4) uint8 RGBA array, row 0 at the top.

        ``layers`` limits the drawing to those layer names (``BASEMAP`` for the basemap). Without
        it, an enabled swipe draws the model's two compare groups either side of the divider.
        """
        t0 = time.perf_counter()
        t = float(self.model.time.t if t is None else t)
        size = (int(size[0]), int(size[1]))
        if size[0] < 16 or size[1] < 16:
            raise ExportError(f"image size {size[0]}x{size[1]} is too small (at least 16x16)")
        view = fit_view(view or self.model.view, size)
        dpi = float(dpi)
        self._figure(size, dpi)
        for ax in (self._fig.axes[0], self._sprites.ax):
            ax.set_xlim(view[0], view[2])
            ax.set_ylim(view[1], view[3])
        swipe = layers is None and self.model.swipe.enabled
        passes = list(sides(self.model)) if swipe else [layers]
        shown = passes[0] | passes[1] if swipe else layers
        furniture = self._static_furniture(view, size, dpi)
        taken = [b for sprite in furniture for b in sprite.boxes]  # labels keep clear of these
        self.last_label_boxes = []
        x = divider_column(self.model.swipe.position, size[0]) if swipe else 0
        left, background_s = None, 0.0
        for only in passes:
            background_s += self._draw_map(only, t, view, size, dpi, taken)
            if swipe and left is None:
                left = np.asarray(self._canvas.buffer_rgba())[:, :x].copy()
        buffer = np.asarray(self._canvas.buffer_rgba())
        if left is not None:
            buffer[:, :x] = left
        self._draw_furniture(t, visible_items(self.model, shown), basemap_spec(self.model, shown), furniture,
                             size, dpi)
        rgba = buffer.copy()
        if swipe:
            draw_divider(rgba, x)
        total = time.perf_counter() - t0
        self.last_timings = {"background_ms": background_s * 1e3, "dynamic_ms": (total - background_s) * 1e3,
                             "total_ms": total * 1e3}
        return rgba

    def save_png(self, path: str | Path, t: float | None = None, size: tuple[int, int] = (1920, 1080),
                 view: Extent | None = None, dpi: float = 100.0) -> Path:
        """Render and write a PNG atomically; return the path."""
        return write_png(Path(path), self.render(t, size, view, dpi), dpi)

    def map_to_pixel(self, x: float, y: float, view: Extent, size: tuple[int, int]) -> tuple[float, float]:
        """Map coordinates to pixel (column, row from the top) in a render of ``view`` at ``size``."""
        return to_pixel(x, y, view, size)

    def pixel_to_map(self, px: float, py: float, view: Extent, size: tuple[int, int]) -> tuple[float, float]:
        """Pixel (column, row from the top) to map coordinates."""
        return to_map(px, py, view, size)

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
        self._fig, self._canvas = new_figure(w, h, dpi, PAPER)
        self._sprites.resize(w, h, dpi)
        self._fig_key = key
        self.invalidate()

    def _context(self, zorder: float) -> PaintContext:
        opts = self.model.options
        cjk = self._cjk_font() if opts.chinese_names else None
        return PaintContext(zorder=zorder, show_labels=opts.labels, chinese=cjk is not None, cjk_font=cjk)

    def _cjk_font(self) -> str | None:
        if self._cjk is False:
            fonts = fu.text_fonts()  # the serif and, when one is installed, a CJK fallback
            self._cjk = fonts[1] if len(fonts) > 1 else None
            if self._cjk is None:
                fu.warn_once("cjk", "no CJK font found (install Noto Sans CJK); Chinese names are skipped")
        return self._cjk

    def _draw_map(self, only: set[str] | None, t: float, view: Extent, size, dpi: float,
                  taken: list) -> float:
        """The layers of ``only`` (all when None) into the canvas; returns the background's seconds."""
        t0 = time.perf_counter()
        items = visible_items(self.model, only)
        cut = next((i for i, item in enumerate(items) if item.moves), len(items))
        self._basemap = basemap_spec(self.model, only)
        self._restore_background(items[:cut], t, view, size, dpi, taken)
        t1 = time.perf_counter()
        # the layers on top place their labels clear of the furniture and of each other, but over the
        # cached background's (which would otherwise push out the day's event titles)
        self._draw_top(items[cut:], t, view, taken)
        return t1 - t0

    # ---- background ------------------------------------------------------------------------
    def _restore_background(self, bottom: list[Item], t: float, view: Extent, size, dpi, taken: list) -> list:
        """Restore (or draw and cache) the background; return the boxes of its labels."""
        opts = self.model.options
        key = (rounded(view), size, dpi, tuple(i.key(t) for i in bottom), opts.labels,
               opts.chinese_names, tuple(tuple(b.bounds) for b in taken), self._basemap_key())
        hit = self._backgrounds.get(key)
        if hit is None:
            hit = self._backgrounds[key] = self._draw_background(bottom, t, dpi, taken)
            while len(self._backgrounds) > BACKGROUND_CACHE:
                self._backgrounds.popitem(last=False)
        else:
            self._backgrounds.move_to_end(key)
        region, labels = hit
        self._canvas.restore_region(region)
        self.last_label_boxes += labels
        return labels

    def _draw_background(self, bottom: list[Item], t: float, dpi: float, taken: list) -> tuple:
        ax = self._fig.axes[0]
        specs = []
        artists = self._draw_basemap(ax, axes_view(ax)) if self._basemap else []
        for item in bottom:
            ctx = self._context(10 + item.position)
            artists += self._paint(ax, item, t, ctx)
            specs += ctx.labels
        placed = list(taken)
        artists += place_labels(ax, self._canvas.get_renderer(), specs, taken=placed)
        self._canvas.draw()
        region = self._canvas.copy_from_bbox(self._fig.bbox)
        remove(artists)
        return region, placed[len(taken):]

    def _paint(self, ax, item: Item, t: float, ctx: PaintContext) -> list:
        state = item.state
        if isinstance(item.obj, RasterLayer):
            return self._paint_raster(ax, item.obj, state, ctx.zorder)
        gdf = item.obj.features_at(t)
        if len(gdf) > 50:  # skip what lies outside the view (fewer vertices, no far-off text)
            x0, y0, x1, y1 = axes_view(ax)
            mx, my = (x1 - x0) * 0.1, (y1 - y0) * 0.1
            gdf = gdf.cx[x0 - mx:x1 + mx, y0 - my:y1 + my]
        if not len(gdf):
            return []
        artists = paint_layer(ax, item.obj.source_layer, gdf, clean_style(state.name, state.style), ctx)
        if state.opacity < 1.0:
            for artist in artists:
                artist.set_alpha(state.opacity * (artist.get_alpha() or 1.0))
        return artists

    @staticmethod
    def _paint_raster(ax, raster: RasterLayer, state: LayerState, zorder: float) -> list:
        if window(raster, axes_view(ax)) is None:
            return []
        if raster.kind == "elevation":
            style = clean_style(state.name, state.style)
            return draw_elevation(ax, raster, state.opacity, style, zorder, axes_view(ax))
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

    def _draw_basemap(self, ax, view: Extent) -> list:
        """The basemap under everything, or a note that tiles are unavailable."""
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

    # ---- per frame -------------------------------------------------------------------------
    def _blend(self, sprite: Sprite) -> None:
        blend(np.asarray(self._canvas.buffer_rgba()), sprite)

    def _draw_top(self, top: list[Item], t: float, view: Extent, taken: list) -> None:
        ax = self._fig.axes[0]
        renderer = self._canvas.get_renderer()
        opts = self.model.options
        dpi = self._fig.dpi
        for item in top:
            if item.symbols:
                draw_units(self._fig, self._canvas, item.obj.features_at(t),
                           clean_style(item.state.name, item.state.style), item.state.opacity, dpi)
            elif item.moves:
                ctx = self._context(10 + item.position)
                artists = self._paint(ax, item, t, ctx)
                placed = list(taken)
                artists += place_labels(ax, renderer, ctx.labels, taken=placed)
                self.last_label_boxes += placed[len(taken):]
                taken = placed
                for artist in artists:
                    artist.draw(renderer)
                remove(artists)
            else:
                key = ("layer", rounded(view), self._fig_key, item.key(t), opts.labels,
                       opts.chinese_names, tuple(tuple(b.bounds) for b in taken))
                sprite = self._sprites.get(key, partial(self._paint_sprite, item=item, t=t, taken=taken))
                self.last_label_boxes += sprite.labels
                taken = taken + sprite.labels
                self._blend(sprite)

    def _paint_sprite(self, ax, item: Item, t: float, taken: list) -> tuple[list, list]:
        ctx = self._context(10 + item.position)
        artists = self._paint(ax, item, t, ctx)
        placed = list(taken)
        artists += place_labels(ax, self._sprites.canvas.get_renderer(), ctx.labels, taken=placed)
        return artists, placed[len(taken):]

    # ---- furniture ---------------------------------------------------------------------------
    def _static_furniture(self, view: Extent, size, dpi: float) -> list[Sprite]:
        """Legend, scale bar with north arrow, and title: sprites keyed so that a pan redraws none."""
        opts = self.model.options
        sprites = []
        if opts.legend:
            items = visible_items(self.model)
            states = tuple((i.state.name, repr(sorted(i.state.style.items()))) for i in items)
            sprites.append(self._sprites.get(("legend", size, dpi, states),
                                             lambda ax: fu.legend(ax, notes.legend(items))))
        if opts.scale_bar or opts.north_arrow:
            width = view[2] - view[0]
            turn = round(fu.grid_convergence(self.model.dataset.map_crs, view), 1)
            key = ("scale", size, dpi, round(width, 3), turn, opts.scale_bar, opts.north_arrow)

            def make(ax) -> list:
                made = fu.scale_bar(ax, view) if opts.scale_bar else []
                return made + (fu.north_arrow(ax, turn) if opts.north_arrow else [])

            sprites.append(self._sprites.get(key, make))
        if opts.title:
            title = opts.title
            sprites.append(self._sprites.get(("title", size, dpi, title), lambda ax: fu.title(ax, title)))
        return sprites

    def _draw_furniture(self, t: float, items: list[Item], basemap: dict | None, furniture: list[Sprite],
                        size, dpi: float) -> None:
        """The furniture, the caption and the credits of ``items`` and ``basemap``, once per frame."""
        opts = self.model.options
        for sprite in furniture:
            self._blend(sprite)
        if opts.caption and self.model.has_time:  # undated data: no date, not "1 January 1970"
            text = fu.caption_text(t, opts.caption_format)
            self._blend(self._sprites.get(("caption", text, size, dpi), lambda ax: fu.caption(ax, text)))
        credit = notes.attribution(basemap)
        if opts.credits:
            text = fu.credits_text(notes.sources(items, t, self._source_cache))
            text = f"{text} · {credit}" if text and credit else text or credit
            self._blend(self._sprites.get(("credits", text, size, dpi), lambda ax: fu.credits(ax, text)))
        elif credit:  # tile licences ask for it on every map
            self._blend(self._sprites.get(("attribution", credit, size, dpi),
                                          lambda ax: fu.attribution(ax, credit)))
