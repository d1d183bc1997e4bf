"""The Qt-free map renderer (matplotlib, Agg), drawn from the ViewerModel.

The same renderer draws the desktop canvas and every exported frame. The layers below the first
moving layer are a cached background (``background``: the relief and static layers drawn once per
view, size and styles; each dated layer a sprite of its own, so a day on which one changes redraws
only that layer). A date step restores the background, draws the moving layers and unit symbols,
places every label from its cached text sprite and blends the furniture sprites (Agg's image
compositing). An enabled swipe is two such passes, one per compared group, joined at the
divider, with one set of furniture over the whole frame.
"""
from __future__ import annotations

import dataclasses
import logging
import math
import time
from collections import OrderedDict
from collections.abc import Callable
from functools import partial
from pathlib import Path

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from terrain_viewer.core.common.errors import ExportError
from terrain_viewer.core.data.mapcrs import ground_scale
from terrain_viewer.core.model import Extent, ViewerModel
from terrain_viewer.core.render import annotations as notes
from terrain_viewer.core.render import furniture as fu
from terrain_viewer.core.render.background import BackgroundMixin
from terrain_viewer.core.render.items import BASEMAP, Item, basemap_spec, first_moving, visible_items
from terrain_viewer.core.render.labels import LabelPlanner, Placed, centred_text, draw_leaders
from terrain_viewer.core.render.legend_box import LegendRows, packed_legend
from terrain_viewer.core.render.legend_cache import LegendCache
from terrain_viewer.core.render.obstacles import line_boxes, marker_boxes, unit_labels
from terrain_viewer.core.render.painters import PaintContext
from terrain_viewer.core.render.png import write_png
from terrain_viewer.core.render.sprites import (
    Sprite,
    SpriteCache,
    TextSprites,
    draw_sprite,
    new_figure,
    remove,
)
from terrain_viewer.core.render.swipe import divider_column, draw_divider, sides
from terrain_viewer.core.render.symbology import PAPER, clean_style
from terrain_viewer.core.render.uncertainty import halos
from terrain_viewer.core.render.units import draw_units
from terrain_viewer.core.render.view import SIZE_PRESETS, fit_view, rounded
from terrain_viewer.core.render.view import map_to_pixel as to_pixel
from terrain_viewer.core.render.view import pixel_to_map as to_map

__all__ = ["BASEMAP", "SIZE_PRESETS", "MapRenderer", "fit_view", "write_png"]

log = logging.getLogger(__name__)

class MapRenderer(BackgroundMixin):
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
        self._bases: OrderedDict[tuple, tuple] = OrderedDict()
        self._legends = LegendCache()
        self._legend_rows = LegendRows()
        self._features: dict[int, tuple] = {}
        self._sprites = SpriteCache()
        self._texts = TextSprites()  # one sprite per label text and placement, placed per frame
        self._cjk: str | None | bool = False  # False = not looked up yet
        self._source_cache: dict[tuple, list[str]] = {}
        self._basemap: dict | None = None
        self._watched: set = set()
        self.wait_for_tiles = 0.0  # seconds a render may wait for basemap downloads (exports: > 0)
        self.on_tiles: Callable[[], None] | None = None  # called (from a thread) when tiles arrive
        self.last_timings: dict[str, float] = {}
        self.last_label_boxes: list = []  # display-space boxes of the labels on the last frame
        self.last_labels: list[Placed] = []  # the labels of the last frame as placed
        self.last_symbol_boxes: list[tuple] = []  # display extents of the symbols on the last frame
        self.last_furniture: list[Sprite] = []  # the sprites of the last frame's furniture
        self.paper = PAPER  # the frame's background colour (export mattes render on black and white)
        self.planner = LabelPlanner()
        self.look = fu.FrameLook()  # font family, legend corner and form, fades (export settings set it)
        self._specs: list = []
        self._turn: tuple | None = None  # (map CRS, rounded view, (north arrow's turn, ground scale))

    # ---- public --------------------------------------------------------------------------
    def render(self, t: float | None = None, size: tuple[int, int] = (1920, 1080),
               view: Extent | None = None, dpi: float = 100.0,
               layers: set[str] | None = None, copy: bool = True) -> np.ndarray:
        """The map as an (H, W, 4) uint8 RGBA array, row 0 at the top.

        ``layers`` limits the drawing to those layer names (``BASEMAP`` for the basemap). Without
        it, an enabled swipe draws the model's two compare groups either side of the divider.
        The model's ``layers_lock`` is held throughout: the frame sees one state of its layers.
        """
        with self.model.layers_lock:
            return self._render(t, size, view, dpi, layers, copy)

    def _render(self, t: float | None, size: tuple[int, int], view: Extent | None, dpi: float,
                layers: set[str] | None, copy: bool) -> np.ndarray:
        t0 = time.perf_counter()
        self._features = {}  # features_at of this frame, shared by the legend and the map
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
        furniture += self._frame_furniture(t, view, visible_items(self.model, shown),
                                           basemap_spec(self.model, shown), size, dpi, furniture)
        self.last_furniture = furniture  # the frame's furniture as drawn (static, caption, legend, credits)
        taken = [b for sprite in furniture for b in sprite.boxes]  # labels keep clear of these
        self.last_label_boxes, self.last_symbol_boxes, self._specs = [], [], []
        x = divider_column(self.model.swipe.position, size[0]) if swipe else 0
        left, background_s = None, 0.0
        for side, only in enumerate(passes):
            specs, symbols = len(self._specs), len(self.last_symbol_boxes)
            background_s += self._draw_map(only, t, view, size, dpi, taken)
            if swipe:  # a side's labels and symbols count on that side of the divider only
                self._keep_side(specs, symbols, x, right=side == 1)
            if swipe and left is None:
                left = np.asarray(self._canvas.buffer_rgba())[:, :x].copy()
        buffer = np.asarray(self._canvas.buffer_rgba())
        if left is not None:
            buffer[:, :x] = left
        self._draw_labels(t, view, taken)
        if swipe:
            draw_divider(buffer, x)  # under the furniture: the legend and the credits stay whole
        for sprite in furniture:
            self._blend(sprite)
        rgba = buffer.copy() if copy else buffer  # copy=False: the renderer's own buffer, valid until
        #                                          the next render (the window converts it at once)
        total = time.perf_counter() - t0
        self.last_timings = {"background_ms": background_s * 1e3, "dynamic_ms": (total - background_s) * 1e3,
                             "total_ms": total * 1e3}
        return rgba

    def _keep_side(self, specs: int, symbols: int, x: int, right: bool) -> None:
        """Of the label specs and symbol boxes from index ``specs`` / ``symbols`` on (one side's
        pass of a swipe), keep those on that side of pixel column ``x`` (the other side shows
        other layers: a hidden layer's names and markers must not be placed or kept clear of there)."""
        ax = self._fig.axes[0]
        mine = self._specs[specs:]
        if mine:
            columns = ax.transData.transform([(s.x, s.y) for s in mine])[:, 0]
            within = (float(x), math.inf) if right else (-math.inf, float(x))
            self._specs[specs:] = [dataclasses.replace(s, within=within)  # a copy: specs are cached
                                   for s, c in zip(mine, columns, strict=True) if (c >= x) == right]
        self.last_symbol_boxes[symbols:] = [b for b in self.last_symbol_boxes[symbols:]
                                            if (b[2] > x if right else b[0] < x)]

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

    def furniture_boxes(self, size: tuple[int, int]) -> list[Extent]:
        """The last frame's furniture as pixel boxes (x0, y0, x1, y1, rows from the top), when that
        frame was drawn at ``size``; else none."""
        if self._fig_key is None or self._fig_key[0] != tuple(size):
            return []
        h = size[1]
        return [(b.x0, h - b.y1, b.x1, h - b.y0) for sprite in self.last_furniture for b in sprite.boxes]

    def invalidate(self) -> None:
        """Forget cached backgrounds and sprites (they are also re-keyed automatically)."""
        self._backgrounds.clear()
        self._bases.clear()
        self._legends.clear()  # (the legend's rows are kept: they are keyed by all they depend on)
        self._sprites.clear()
        self._texts.clear()

    # ---- figure and layers -----------------------------------------------------------------
    def _figure(self, size: tuple[int, int], dpi: float) -> None:
        key = (size, dpi)
        if self._fig_key == key:
            return
        w, h = size
        self._fig, self._canvas = new_figure(w, h, dpi, self.paper)
        self._sprites.resize(w, h, dpi)
        self._texts.resize(dpi)
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
        cut = first_moving(items)
        self._basemap = basemap_spec(self.model, only)
        self._restore_background(items[:cut], t, view, size, dpi)
        t1 = time.perf_counter()
        self._draw_top(items[cut:], t, view)  # labels of every layer are placed once, at the end
        return t1 - t0

    # ---- per frame -------------------------------------------------------------------------
    def _blend(self, sprite: Sprite) -> None:
        draw_sprite(self._canvas.get_renderer(), sprite)

    def _draw_top(self, top: list[Item], t: float, view: Extent) -> None:
        ax = self._fig.axes[0]
        renderer = self._canvas.get_renderer()
        opts = self.model.options
        dpi = self._fig.dpi
        for item in top:
            if item.symbols:
                drawn: list = []
                if opts.uncertainty:  # the halos under the symbols, then gone from the axes
                    shown = halos(ax, item.obj, self._features_at(item, t), t)
                    for artist in shown:
                        artist.draw(renderer)
                    remove(shown)
                draw_units(self._fig, self._canvas, self._features_at(item, t),
                           clean_style(item.state.name, item.state.style), item.state.opacity, dpi,
                           boxes=drawn if opts.labels else None)
                boxes, specs = unit_labels(ax, drawn)
                self.last_symbol_boxes += boxes
                self._specs += specs
            elif item.moves:
                ctx = self._context(10 + item.position)
                artists = self._paint(ax, item, t, ctx)
                self._specs += ctx.labels
                self.last_symbol_boxes += marker_boxes(artists, dpi)
                self.last_symbol_boxes += line_boxes(artists, dpi, ax.bbox.extents)
                for artist in artists:
                    artist.draw(renderer)
                remove(artists)
            elif item.fades(t, self.look.fade_days, self.look.fade_lead) is not None:  # some fade in or out
                specs, symbols = self._blend_fading(item, t, view)
                self._specs += specs
                self.last_symbol_boxes += symbols
            else:
                key = ("layer", rounded(view), self._fig_key, item.key(t), opts.labels, opts.chinese_names,
                       opts.uncertainty)
                sprite = self._sprites.get(key, partial(self._paint_sprite, item=item, t=t))
                specs, symbols = sprite.labels or ([], [])
                self._specs += specs
                self.last_symbol_boxes += symbols
                self._blend(sprite)

    def _paint_sprite(self, ax, item: Item, t: float) -> tuple[list, tuple]:
        """A layer above the moving ones: its markers keep every label off them; its lines and
        outlines keep the other layers' labels off (its own names may cross its edges)."""
        ctx = self._context(10 + item.position)
        artists = self._paint(ax, item, t, ctx)
        dpi, owner = self._fig.dpi, item.state.name
        for spec in ctx.labels:
            spec.owner = owner
        lines = [(*box, owner) for box in line_boxes(artists, dpi, ax.bbox.extents)]
        return artists, (ctx.labels, marker_boxes(artists, dpi) + lines)

    def _draw_labels(self, t: float, view: Extent, furniture: list) -> None:
        """Every label of the frame, placed in one plan clear of the symbols and the furniture; each
        label's text is drawn once into a sprite and only placed (at its anchor's pixel) per frame."""
        ax = self._fig.axes[0]
        # texts are measured with the text sprites' renderer (same dpi, same sizes): a new label's
        # layout is then worked out once for the plan and its sprite
        plan = self.planner.plan(ax, self._texts.canvas.get_renderer(), self._specs, self.last_symbol_boxes,
                                 [tuple(b.extents) for b in furniture], t=t)
        self.last_labels = plan
        self.last_label_boxes = [p.bbox for p in plan]
        if not plan:
            return
        anchors = ax.transData.transform([(p.spec.x, p.spec.y) for p in plan])
        renderer = self._canvas.get_renderer()
        draw_leaders(renderer, plan, anchors, ax.figure.dpi)
        for label, (px, py) in zip(plan, anchors, strict=True):
            if np.isfinite(px) and np.isfinite(py):
                self._texts.draw(renderer, label, px, py, lambda text_ax, one: [centred_text(text_ax, one)])

    # ---- furniture ---------------------------------------------------------------------------
    def _features_at(self, item: Item, t: float):
        """``features_at(t)`` of a vector layer, computed once per frame (the legend and the map share it)."""
        hit = self._features.get(id(item.obj))
        if hit is None or hit[0] is not item.obj or hit[1] != t:
            hit = self._features[id(item.obj)] = (item.obj, t, item.obj.features_at(t))
        return hit[2]

    def _static_furniture(self, view: Extent, size, dpi: float) -> list[Sprite]:
        """Legend, scale bar with north arrow, and title: sprites keyed so that a pan redraws none."""
        opts = self.model.options
        sprites = []
        if opts.scale_bar or opts.north_arrow:
            width = view[2] - view[0]
            turn, ground = self._north_and_ground(view)
            key = ("scale", size, dpi, round(width, 3), turn, round(ground, 6), opts.scale_bar,
                   opts.north_arrow)

            def make(ax) -> list:
                made = fu.scale_bar(ax, view, ground=ground) if opts.scale_bar else []
                return made + (fu.north_arrow(ax, turn) if opts.north_arrow else [])

            sprites.append(self._sprites.get(key, make))
        if opts.title:
            title = opts.title
            sprites.append(self._sprites.get(("title", size, dpi, title), lambda ax: fu.title(ax, title)))
        return sprites

    def _north_and_ground(self, view: Extent) -> tuple[float, float]:
        """The north arrow's turn at the view's centre (0.1°) and the metres on the ground per map
        unit eastward there (the scale bar's), worked out once per map CRS and view (a Transformer
        and a Proj each time cost ~0.5 ms a frame)."""
        crs, where = self.model.dataset.map_crs, rounded(view)
        if self._turn is None or self._turn[0] is not crs or self._turn[1] != where:
            centre = ((view[0] + view[2]) / 2, (view[1] + view[3]) / 2)
            ground = ground_scale(crs, *centre, (view[2] - view[0]) / 100)[0]
            self._turn = (crs, where, (round(fu.grid_convergence(crs, view), 1), ground))
        return self._turn[2]

    def _frame_furniture(self, t: float, view: Extent, items: list[Item], basemap: dict | None, size,
                         dpi: float, static: list[Sprite]) -> list[Sprite]:
        """The caption, the legend of what is drawn (clear of the ``static`` furniture and the
        caption in its corner) and the credits of ``items`` and ``basemap`` at ``t``, as sprites."""
        opts, look = self.model.options, self.look
        self.planner.family = look.font_family or None
        fonts = look.fonts()
        sprites = []
        if opts.caption and self.model.has_time:  # undated data: no date, not "1 January 1970"
            text = fu.caption_text(t, opts.caption_format)
            sprites.append(self._sprites.get(("caption", text, size, dpi, tuple(fonts)),
                                             lambda ax: fu.caption(ax, text, fonts)))
        credits = self._credit_sprites(t, items, basemap, size, dpi, fonts)
        form = look.legend_shown(size[0]) if opts.legend else ""
        if form:  # clear of the credits too: on a narrow map a corner legend reached over them
            others = [*static, *sprites, *credits]
            sprites.append(self._legend_sprite(t, view, items, form, size, dpi, others))
        return sprites + credits

    def _legend_sprite(self, t: float, view: Extent, items: list[Item], form: str, size, dpi: float,
                       furniture: list[Sprite]) -> Sprite:
        """The legend of what the frame draws (a side-by-side pane lists its own, not the other's;
        an export's, what its days draw), in its corner clear of the other ``furniture``."""
        opts, look = self.model.options, self.look
        fonts = look.fonts()
        days = look.legend_days
        entries = self._legends.entries_over(items, days, view, self._features_at) if days else \
            self._legends.entries(items, t, view, self._features_at)
        states = tuple((i.state.name, repr(sorted(i.state.style.items()))) for i in items)
        corner = look.legend_corner or opts.legend_corner  # an export's, else the session's
        taken = [b for sprite in furniture for b in sprite.boxes]
        for across in (False, True):  # clear of the furniture on its side, else of all in its half
            room = tuple(round(v, 3) for v in fu.legend_room(corner, taken, *size, across=across))
            key = ("legend", size, dpi, states, tuple(label for _, label in entries), corner, form,
                   tuple(fonts), room)
            legend = self._sprites.get(key, lambda ax, room=room: packed_legend(
                ax, self._legend_rows, entries, states, corner, form, fonts, fu.text_pt(ax), room))
            if not fu.overlaps(legend.boxes, taken):  # a narrow map: the scale bar reaches under it
                break
        return legend

    def _credit_sprites(self, t: float, items: list[Item], basemap: dict | None, size, dpi: float,
                        fonts: list[str]) -> list[Sprite]:
        """The sources line (with the basemap's attribution), or the attribution alone."""
        credit = notes.attribution(basemap)
        if self.model.options.credits:
            text = fu.credits_text(notes.sources(items, t, self._source_cache))
            text = f"{text} · {credit}" if text and credit else text or credit
            return [self._sprites.get(("credits", text, size, dpi, tuple(fonts)),
                                      lambda ax: fu.credits(ax, text, fonts))]
        if credit:  # tile licences ask for it on every map
            return [self._sprites.get(("attribution", credit, size, dpi),
                                      lambda ax: fu.attribution(ax, credit))]
        return []
