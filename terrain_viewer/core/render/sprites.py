"""Sprites: artists drawn once on a transparent twin figure, kept as RGBA crops and composited.

Furniture, the date caption, dated layers and the runs of the background are sprites, so a date
step blends a few cached crops instead of drawing text and collections again. Crops are blended by
Agg's own image compositing (``draw_sprite``, C++), which is 3-4x faster than numpy and gives the
same pixels within one level of rounding; ``composite`` (numpy) remains for partial opacity.
"""

from __future__ import annotations

import contextlib
import dataclasses
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from matplotlib import rcParams
from matplotlib.backends.backend_agg import FigureCanvasAgg  # Agg directly: no pyplot, no backend switch
from matplotlib.collections import Collection
from matplotlib.figure import Figure
from matplotlib.text import Text
from matplotlib.transforms import Bbox

from terrain_viewer.core.render import glyphs
from terrain_viewer.core.render.symbology import PAPER

SPRITE_CACHE = 400  # sprites kept (furniture, captions, dated layers, background runs) …
SPRITE_BYTES = 384 * 2**20  # … and at most this many bytes of them


@dataclass
class Sprite:
    """RGBA crops, each placed with its top-left pixel at (left, top); the artists' boxes; and the
    boxes of the labels placed in it."""

    pieces: list[tuple[np.ndarray, int, int]]
    boxes: list = field(default_factory=list)
    labels: list = field(default_factory=list)
    _upside_down: list | None = field(default=None, repr=False)

    def upside_down(self) -> list[tuple[np.ndarray, int, int]]:
        """The pieces with row 0 at the bottom, as Agg's ``draw_image`` takes them (made once)."""
        if self._upside_down is None:
            self._upside_down = [(np.ascontiguousarray(rgba[::-1]), left, top)
                                 for rgba, left, top in self.pieces]
        return self._upside_down

    @property
    def nbytes(self) -> int:
        copies = 1 if self._upside_down is None else 2
        return copies * sum(rgba.nbytes for rgba, _, _ in self.pieces)

    @classmethod
    def crop(cls, buffer: np.ndarray, boxes: list, pad: int = 12) -> Sprite:
        """One trimmed crop per (merged) artist box, so far-apart artists cost no full frame."""
        pieces = []
        for r0, r1, c0, c1 in merge(spans_of(boxes, buffer.shape, pad)):
            alpha = buffer[r0:r1, c0:c1, 3]
            rows, cols = np.flatnonzero(alpha.any(axis=1)), np.flatnonzero(alpha.any(axis=0))
            if rows.size:
                rr0, rr1, cc0, cc1 = r0 + rows[0], r0 + rows[-1] + 1, c0 + cols[0], c0 + cols[-1] + 1
                pieces.append((buffer[rr0:rr1, cc0:cc1].copy(), int(cc0), int(rr0)))
        return cls(pieces, boxes)


def spans_of(boxes: list, shape: tuple, pad: int) -> list[list[int]]:
    """[r0, r1, c0, c1] rows and columns of display ``boxes`` (y up) in a buffer of ``shape``,
    each grown by ``pad`` pixels and clipped to the buffer."""
    h, w = shape[:2]
    spans = []
    for box in boxes:
        c0, c1 = int(box.x0) - pad, int(np.ceil(box.x1)) + pad
        r0, r1 = h - int(np.ceil(box.y1)) - pad, h - int(box.y0) + pad
        spans.append([max(r0, 0), min(r1, h), max(c0, 0), min(c1, w)])
    return spans


def merge(spans: list[list[int]]) -> list[list[int]]:
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


def artist_box(artist, renderer) -> Bbox:
    """Where an artist drew, in display pixels.

    Collections in data coordinates (lines, polygons, contours) report a null window extent, so
    their box comes from their data limits; anything still unknown counts as the whole figure.
    """
    box = artist.get_window_extent(renderer)
    patch = artist.get_bbox_patch() if isinstance(artist, Text) else None
    if patch is not None:  # a framed text (the caption): its frame is part of what it covers, within
        # its path's points (a curve stays inside its control points); for the round and square
        # frames drawn here exactly its extents (``get_window_extent`` walks the curves: 0.5 ms)
        corners = patch.get_transform().transform(patch.get_path().vertices)
        box = Bbox.union([box, Bbox([corners.min(axis=0), corners.max(axis=0)])])
    if not np.isfinite(box.extents).all() and isinstance(artist, Collection) and artist.axes is not None:
        transform = artist.axes.transData
        box = transform.transform_bbox(artist.get_datalim(transform))
    if not np.isfinite(box.extents).all():
        box = artist.figure.bbox if artist.figure is not None else Bbox.null()
    return box


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


def new_figure(w: int, h: int, dpi: float, face) -> tuple[Figure, FigureCanvasAgg]:
    """A figure of w x h pixels with one frameless Axes filling it, drawn by a ``GlyphCanvas``."""
    fig = Figure(figsize=(w / dpi, h / dpi), dpi=dpi, facecolor=face)
    canvas = glyphs.GlyphCanvas(fig)
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_axis_off()
    ax.set_facecolor(face)
    ax.set_autoscale_on(False)
    return fig, canvas


def remove(artists: list) -> None:
    """Take artists off the figure (contour labels may already have gone with their contours)."""
    for artist in artists:
        with contextlib.suppress(ValueError, NotImplementedError):
            artist.remove()


Drawn = list | tuple[list, list]  # artists, or artists and the boxes of the labels among them


CLEAR = (255, 255, 255, 0)  # a cleared Agg buffer's pixel: transparent white
WIPE_MARGIN = 40  # pixels around the artists' boxes wiped after a sprite is taken (strokes, halos)


def draw_cropped(canvas: FigureCanvasAgg, artists: list,
                 box_of: Callable[[object, object], Bbox] = artist_box) -> Sprite:
    """Draw ``artists`` on ``canvas`` (transparent), take them off again, and return the pixels
    inside their boxes (``box_of(artist, renderer)``, once drawn). The canvas is left transparent:
    only around the boxes is wiped (a whole frame's clear costs ~0.4 ms at 1080p), unless the
    boxes are unknown or cover most of it."""
    renderer = canvas.get_renderer()
    buffer = np.asarray(canvas.buffer_rgba())
    boxes = []
    try:
        for artist in artists:
            artist.draw(renderer)
            boxes.append(box_of(artist, renderer))
        remove(artists)
        finite = [b for b in boxes if np.isfinite(b.extents).all()]
        sprite = Sprite.crop(buffer, finite)
    except BaseException:
        renderer.clear()
        raise
    spans = spans_of(finite, buffer.shape, WIPE_MARGIN)
    area = sum((r1 - r0) * (c1 - c0) for r0, r1, c0, c1 in spans)
    if len(finite) < len(boxes) or area > buffer[..., 0].size // 2:
        renderer.clear()
    else:
        for r0, r1, c0, c1 in spans:
            buffer[r0:r1, c0:c1] = CLEAR  # what Agg's clear() leaves
    return sprite


class SpriteCache:
    """Sprites by key, drawn on a transparent figure the size of the frame; least recently used go."""

    def __init__(self) -> None:
        self.fig: Figure | None = None
        self.canvas: FigureCanvasAgg | None = None
        self._sprites: OrderedDict[tuple, Sprite] = OrderedDict()

    @property
    def ax(self):
        return self.fig.axes[0]

    def resize(self, w: int, h: int, dpi: float) -> None:
        self.fig, self.canvas = new_figure(w, h, dpi, "none")
        self.clear()

    def clear(self) -> None:
        self._sprites.clear()

    def get(self, key: tuple, make: Callable[[object], Drawn]) -> Sprite:
        """The sprite of the artists ``make(ax)`` draws, made once per key."""
        hit = self._sprites.get(key)
        if hit is not None:
            self._sprites.move_to_end(key)
            return hit
        try:
            drawn = make(self.ax)
        except BaseException:
            self.canvas.get_renderer().clear()  # ``make`` may have drawn (a raster) before failing
            raise
        artists, labels = drawn if isinstance(drawn, tuple) else (drawn, [])
        hit = draw_cropped(self.canvas, artists)
        hit.labels = list(labels)
        self._sprites[key] = hit
        while len(self._sprites) > 1 and (len(self._sprites) > SPRITE_CACHE
                                          or sum(s.nbytes for s in self._sprites.values()) > SPRITE_BYTES):
            self._sprites.popitem(last=False)
        return hit


def blend(buffer: np.ndarray, sprite: Sprite) -> None:
    """Composite a sprite's crops over the frame ``buffer`` in place (numpy)."""
    for rgba, left, top in sprite.pieces:
        composite(buffer, rgba, left, top)


def draw_sprite(renderer, sprite: Sprite) -> None:
    """Composite a sprite's crops over an Agg renderer's frame (Agg's image blending, in C++)."""
    gc = renderer.new_gc()
    height = int(renderer.height)
    for rgba, left, top in sprite.upside_down():
        renderer.draw_image(gc, left, height - top - rgba.shape[0], rgba)
    gc.restore()


def draw_image(renderer, upside_down: np.ndarray, left: int, top: int) -> None:
    """One straight-alpha RGBA image (row 0 at the bottom) with its top-left pixel at (left, top)."""
    gc = renderer.new_gc()
    renderer.draw_image(gc, left, int(renderer.height) - top - upside_down.shape[0], upside_down)
    gc.restore()


TEXT_CANVAS = (1600, 480)  # pixels of the figure label texts are drawn on, anchor at its centre
TEXT_SPRITES = 4096  # label sprites kept (least recently used go)


class TextSprites:
    """Label texts, each drawn once (centred on a whole pixel), then only placed per frame.

    A sprite is keyed by text, rotation and properties only: the plan's offset and alignment move
    it by whole pixels (``Placed.centre``), so a label that moves around its anchor from day to
    day draws no new text. A placed text sits up to half a pixel from its exact place; every
    render (window or export, cached or not) places it the same way, so frames are the same pixels
    whatever the cache holds.
    """

    def __init__(self) -> None:
        self.fig: Figure | None = None
        self.canvas: FigureCanvasAgg | None = None
        self._dpi: float | None = None
        self._sprites: OrderedDict[tuple, tuple[Sprite, float, float]] = OrderedDict()

    def resize(self, dpi: float) -> None:
        if self.fig is not None and dpi == self._dpi:
            return
        w, h = TEXT_CANVAS
        self.fig, self.canvas = new_figure(w, h, dpi, "none")
        self.fig.axes[0].set_xlim(0, w)  # data coordinates are pixels
        self.fig.axes[0].set_ylim(0, h)
        self._dpi = dpi
        self.clear()

    def clear(self) -> None:
        self._sprites.clear()

    def draw(self, renderer, label, px: float, py: float, make: Callable[[object, object], list]) -> None:
        """Place ``label`` (a ``labels.Placed``) with its anchor at display pixel (px, py), y up;
        ``make(ax, label)`` draws a label on an Axes whose data coordinates are pixels."""
        key = (label.spec.text, label.turn, label.props)
        hit = self._sprites.get(key)
        if hit is None:
            hit = self._sprites[key] = self._make(label, make)
            while len(self._sprites) > TEXT_SPRITES:
                self._sprites.popitem(last=False)
        else:
            self._sprites.move_to_end(key)
        sprite, w, h = hit
        cx, cy = label.centre(px, py, w, h, self._dpi)
        x, top = int(round(cx)), int(renderer.height) - int(round(cy))
        for rgba, left, row in sprite.upside_down():
            draw_image(renderer, rgba, x + left, top + row)

    def _make(self, label, make) -> tuple[Sprite, float, float]:
        """The text in its halo (``glyphs``) as pieces placed from the centre of its box, and its
        upright width and height. One line of plain text is rendered straight from its glyphs;
        anything else (several lines, math, shaped scripts) by ``make``'s plain Text."""
        props = {k: list(v) if isinstance(v, tuple) else v for k, v in label.props}
        alpha = props.pop("alpha", None)
        alpha = 1.0 if alpha is None else float(alpha)
        radius = glyphs.halo_radius(self._dpi)
        if glyphs.simple(label.spec.text, props):
            cover, x, y, width, height = glyphs.text_image(label.spec.text, props, self._dpi)
            rgba, pad = glyphs.haloed(glyphs.coloured(cover, props.get("color", rcParams["text.color"])),
                                      radius, PAPER, alpha)
            crops = [(rgba, x - pad, y + pad)]  # top-left corners from the box's centre, y up
        else:
            width, height, crops = self._drawn_text(label, props, make, radius, alpha)
        pieces = []
        for rgba, x, y in crops:
            if label.turn:  # turned about the box's centre
                rgba, cx, cy = glyphs.turned(rgba, -x, y, label.turn)
                x, y = -cx, cy
            pieces.append((rgba, int(round(x)), int(round(-y))))
        return Sprite(pieces), width, height

    def _drawn_text(self, label, props: dict, make, radius: float, alpha: float
                    ) -> tuple[float, float, list[tuple[np.ndarray, float, float]]]:
        """``make``'s upright Text of ``label`` (no halo), drawn opaque, set in the halo: its
        width and height and its crops, each with its top-left corner from the box's centre (y up)."""
        w, h = TEXT_CANVAS
        cx, cy = w // 2, h // 2
        spec = dataclasses.replace(label.spec, x=float(cx), y=float(cy))
        one = dataclasses.replace(label, spec=spec, dx=0.0, dy=0.0, ha="center", va="center",
                                  rotation=0.0, props=tuple(props.items()))
        artists = make(self.fig.axes[0], one)
        crop = draw_cropped(self.canvas, artists)
        box = Bbox.union(crop.boxes) if crop.boxes else Bbox.from_extents(0, 0, 0, 0)
        crops = []
        for rgba, left, top in crop.pieces:
            out, pad = glyphs.haloed(rgba, radius, PAPER, alpha)
            crops.append((out, left - pad - cx, (h - top) + pad - cy))
        return box.width, box.height, crops
