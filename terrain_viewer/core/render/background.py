"""The background of a frame: the cached base (basemap, relief, the static layers under the first
dated layer) with the layers above it blended on as cached sprites, each dated layer alone, so a
day on which a dated layer changes redraws only that layer. While some of a dated layer's features
fade in or out (``FrameLook.fade_days``), the features of each fade step are a sprite of their own,
blended at that step's opacity, their labels too. A mixin of ``MapRenderer``."""

from __future__ import annotations

import dataclasses
from collections import OrderedDict
from functools import partial

import numpy as np

from terrain_viewer.core.common.errors import TerrainViewerError
from terrain_viewer.core.data.mapcrs import ground_scale
from terrain_viewer.core.data.raster import RasterLayer
from terrain_viewer.core.model import Extent, LayerState
from terrain_viewer.core.render import furniture as fu
from terrain_viewer.core.render.items import Item, fade_of
from terrain_viewer.core.render.obstacles import marker_boxes
from terrain_viewer.core.render.painters import PaintContext, paint_layer
from terrain_viewer.core.render.primitives import dim
from terrain_viewer.core.render.sprites import Sprite, remove
from terrain_viewer.core.render.symbology import clean_style
from terrain_viewer.core.render.terrain import draw_elevation, window
from terrain_viewer.core.render.uncertainty import halos
from terrain_viewer.core.render.view import axes_view, rounded

BACKGROUND_CACHE = 4  # composed backgrounds (base + dated layers) kept
BASE_CACHE = 2  # bases (basemap, relief, static layers) kept


def pixels(canvas) -> np.ndarray:
    """A copy of the canvas's frame (Agg's ``copy_from_bbox`` of a whole 1080p frame took 3.4 ms,
    numpy's copy 0.35 ms: a day on which a dated layer changes makes one)."""
    return np.array(canvas.buffer_rgba())


def restore(canvas, frame: np.ndarray) -> None:
    """Put a frame copied by ``pixels`` back on the canvas."""
    np.copyto(np.asarray(canvas.buffer_rgba()), frame)


def _runs(items: list[Item]) -> list[list[Item]]:
    """``items`` in runs: each dated layer alone, consecutive static layers together."""
    runs: list[list[Item]] = []
    for item in items:
        if item.dated or not runs or runs[-1][-1].dated:
            runs.append([item])
        else:
            runs[-1].append(item)
    return runs


class BackgroundMixin:
    """Background drawing and caching for ``MapRenderer`` (its figure, canvas, sprites and model)."""

    _backgrounds: OrderedDict
    _bases: OrderedDict
    look: fu.FrameLook

    # ---- background ------------------------------------------------------------------------
    def _keys(self, items: list[Item], t: float) -> tuple:
        """What decides a redraw of ``items`` at ``t``, their fades included."""
        return tuple(i.key(t, self.look.fade_days, self.look.fade_lead) for i in items)

    def _restore_background(self, bottom: list[Item], t: float, view: Extent, size, dpi) -> None:
        """Restore (or draw and cache) the background; collect its labels and symbol boxes."""
        opts = self.model.options
        key = (rounded(view), size, dpi, self._keys(bottom, t), opts.labels,
               opts.chinese_names, opts.uncertainty, self._basemap_key())
        hit = self._backgrounds.get(key)
        drawn = False  # whether the canvas shows the background already (one drawn just now)
        if hit is None:
            hit, drawn = self._draw_background(bottom, t, view, dpi)
            self._backgrounds[key] = hit
            while len(self._backgrounds) > BACKGROUND_CACHE:
                self._backgrounds.popitem(last=False)
        else:
            self._backgrounds.move_to_end(key)
        region, specs, symbols = hit
        if not drawn:
            restore(self._canvas, region)
        self._specs += specs
        self.last_symbol_boxes += symbols

    def _draw_background(self, bottom: list[Item], t: float, view: Extent, dpi: float) -> tuple:
        """The cached base (basemap, relief, the static layers under the first dated one) with the
        layers above it blended on as sprites, a dated layer alone in its sprite: a day on which a
        dated layer changes redraws only that layer, not the relief. Returns ((region, specs,
        symbols), whether the canvas shows it now)."""
        first = next((i for i, item in enumerate(bottom) if item.dated), len(bottom))
        (region, specs, symbols), drawn = self._base(bottom[:first], t, view, dpi)
        if first == len(bottom):
            return (region, specs, symbols), drawn
        if not drawn:
            restore(self._canvas, region)
        specs, symbols = list(specs), list(symbols)
        opts = self.model.options
        for run in _runs(bottom[first:]):
            if run[0].dated and run[0].fades(t, self.look.fade_days, self.look.fade_lead) is not None:
                run_specs, run_symbols = self._blend_fading(run[0], t, view)
            else:
                key = ("run", rounded(view), self._fig_key, tuple(i.key(t) for i in run), opts.labels,
                       opts.chinese_names, opts.uncertainty)
                sprite = self._sprites.get(key, partial(self._paint_run, run=run, t=t))
                run_specs, run_symbols = sprite.labels or ([], [])
                self._blend(sprite)
            specs += run_specs
            symbols += run_symbols
        return (pixels(self._canvas), specs, symbols), True

    def _base(self, items: list[Item], t: float, view: Extent, dpi: float) -> tuple[tuple, bool]:
        """The basemap and ``items`` drawn opaque (cached per view, size, styles and basemap), and
        whether it was drawn just now (then the canvas shows it)."""
        opts = self.model.options
        key = (rounded(view), self._fig_key, self._keys(items, t), opts.labels, opts.chinese_names,
               opts.uncertainty, self._basemap_key())
        hit = self._bases.get(key)
        if hit is not None:
            self._bases.move_to_end(key)
            return hit, False
        ax = self._fig.axes[0]
        specs, symbols = [], []
        artists = self._draw_basemap(ax, axes_view(ax)) if self._basemap else []
        for item in items:
            ctx = self._context(10 + item.position)
            drawn = self._paint(ax, item, t, ctx)
            artists += drawn
            specs += ctx.labels
            symbols += marker_boxes(drawn, dpi)
        self._canvas.draw()
        hit = self._bases[key] = (pixels(self._canvas), specs, symbols)
        remove(artists)
        while len(self._bases) > BASE_CACHE:
            self._bases.popitem(last=False)
        return hit, True

    def _paint_run(self, ax, run: list[Item], t: float) -> tuple[list, tuple]:
        """A run of background layers above the base, on the sprite figure."""
        artists, specs = [], []
        for item in run:
            ctx = self._context(10 + item.position)
            artists += self._paint(ax, item, t, ctx)
            specs += ctx.labels
        return artists, (specs, marker_boxes(artists, self._fig.dpi))

    def _blend_fading(self, item: Item, t: float, view: Extent) -> tuple[list, list]:
        """A dated layer some of whose features fade: the features of each fade step drawn fully
        as a sprite (kept while the same rows share a step) and blended at the step's opacity, with
        their labels at that opacity; a feature at step 0 is not drawn. Returns (specs, symbols)."""
        steps = item.fades(t, self.look.fade_days, self.look.fade_lead)
        rows = item.obj.active_rows(t)
        specs, symbols = [], []
        for step in sorted(set(steps[steps > 0].tolist()), reverse=True):  # the fully drawn first
            where = np.flatnonzero(steps == step)
            key = ("fading", rounded(view), self._fig_key, item.state_key(), rows[where].tobytes(),
                   repr(self.model.options))
            sprite = self._sprites.get(key, partial(self._paint_rows, item=item, t=t, where=where))
            alpha = fade_of(step)
            part_specs, part_symbols = sprite.labels or ([], [])
            specs += [dataclasses.replace(s, alpha=alpha) for s in part_specs] if alpha < 1 else part_specs
            symbols += part_symbols
            self._blend(faded(sprite, alpha))
        return specs, symbols

    def _paint_rows(self, ax, item: Item, t: float, where: np.ndarray) -> tuple[list, tuple]:
        """Some of a dated layer's features (``where``: positions among its active rows)."""
        ctx = self._context(10 + item.position)
        artists = self._paint(ax, item, t, ctx, where)
        return artists, (ctx.labels, marker_boxes(artists, self._fig.dpi))

    def _paint(self, ax, item: Item, t: float, ctx: PaintContext, where: np.ndarray | None = None) -> list:
        state = item.state
        if isinstance(item.obj, RasterLayer):
            return self._paint_raster(ax, item.obj, state, ctx.zorder, self.model.dataset.map_crs)
        gdf = self._features_at(item, t)
        if where is not None:  # some of the features (a fade step's)
            gdf = gdf.iloc[where]
        style = clean_style(state.name, state.style)
        uncertain = self.model.options.uncertainty
        shown = halos(ax, item.obj, gdf, t, style.get("color")) if uncertain else []
        if len(gdf) > 50:  # skip what lies outside the view (fewer vertices, no far-off text)
            x0, y0, x1, y1 = axes_view(ax)
            mx, my = (x1 - x0) * 0.1, (y1 - y0) * 0.1
            gdf = gdf.cx[x0 - mx:x1 + mx, y0 - my:y1 + my]
        artists = shown + (paint_layer(ax, item.obj, gdf, style, ctx) if len(gdf) else [])
        if state.opacity < 1.0:
            for artist in artists:
                dim(artist, state.opacity)
        return artists

    @staticmethod
    def _paint_raster(ax, raster: RasterLayer, state: LayerState, zorder: float, crs) -> list:
        if window(raster, axes_view(ax)) is None:
            return []
        if raster.kind == "elevation":
            style = clean_style(state.name, state.style)
            left, bottom, right, top = raster.bounds
            ground = ground_scale(crs, (left + right) / 2, (bottom + top) / 2, raster.cell_size)
            return draw_elevation(ax, raster, state.opacity, style, zorder, axes_view(ax), ground)
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


def faded(sprite: Sprite, alpha: float) -> Sprite:
    """``sprite`` at ``alpha`` opacity (a copy with its crops' alpha scaled; Agg's image drawing
    ignores the graphics context's alpha)."""
    if alpha >= 1.0:
        return sprite
    scale = int(round(alpha * 255))
    pieces = []
    for rgba, left, top in sprite.pieces:
        copy = rgba.copy()
        copy[..., 3] = (rgba[..., 3].astype(np.uint16) * scale + 127) // 255
        pieces.append((copy, left, top))
    return Sprite(pieces, sprite.boxes)
