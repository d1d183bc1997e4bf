"""The frame's legend from rows drawn once: laid out as matplotlib's Legend lays out its own.

matplotlib's Legend lays out and draws each of its texts and handles every time it is drawn:
≈ 22 ms for the fifteen rows of the Hengyang legend at 1080p, paid by a day step each time the
legend changes (a kind of unit or line comes into view), in each renderer. Here each row (its
handle and label) is drawn once, by a one-entry matplotlib Legend with the legend's properties,
and kept with its layout box and baseline (≈ 2.4 ms a row: the first legend of a process, 15
rows, ≈ 36 ms); a legend is its rows placed as matplotlib places them (columns of rows
``labelspacing`` apart and level by their first rows' baselines, ``columnspacing`` between columns,
the title centred above, all ``borderpad`` inside a round frame ``borderaxespad`` from its corner
of the room it may take), a new one in ≈ 2 ms. Rows sit on whole pixels (a handle up to half a
pixel from matplotlib's place; text is put on whole pixels by Agg anyway).
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass

import numpy as np
from matplotlib.artist import Artist
from matplotlib.font_manager import FontProperties
from matplotlib.legend_handler import HandlerTuple
from matplotlib.offsetbox import TextArea
from matplotlib.patches import FancyBboxPatch
from matplotlib.transforms import Bbox, IdentityTransform

from terrain_viewer.core.render.furniture import FRAME
from terrain_viewer.core.render.sprites import Sprite, draw_cropped

ROWS_KEPT = 512  # rows (and titles) kept per renderer
AT = 40.0  # pixels from the figure's lower-left corner a row is drawn at (its strokes may reach out)
LABEL_SPACING, COLUMN_SPACING, BORDER_AXES_PAD = 0.3, 1.0, 0.5  # in font sizes


@dataclass(frozen=True)
class Piece:
    """A row or title drawn once: its images (straight-alpha RGBA, row 0 at the bottom, each with
    its lower-left pixel), its layout box (display pixels, y up: a figure of any height places
    them) and how far its baseline lies above the box's bottom (the columns of a legend are level
    by the baselines of their first rows: a row of two lines beside rows of one)."""

    images: list[tuple[np.ndarray, int, int]]
    box: Bbox
    descent: float = 0.0

    @classmethod
    def of(cls, sprite: Sprite, height: int, box: Bbox, descent: float = 0.0) -> Piece:
        """The piece of a sprite drawn on a figure ``height`` pixels high."""
        return cls([(rgba, left, height - top - rgba.shape[0]) for (rgba, left, top) in sprite.upside_down()],
                   box, descent)


@dataclass(frozen=True)
class Style:
    """What a legend's rows are drawn with (``fonts``, ``size`` in points, ``compact``: the
    short handles of the compact form)."""

    fonts: tuple[str, ...]
    size: float
    compact: bool

    @property
    def prop(self) -> dict:
        return {"family": list(self.fonts), "size": self.size}

    @property
    def handle_length(self) -> float:
        return 1.8 if self.compact else 2.4

    @property
    def border_pad(self) -> float:
        return 0.4 if self.compact else 0.6


class LegendRows:
    """Rows and titles by key, each drawn once (least recently used go)."""

    def __init__(self) -> None:
        self._kept: OrderedDict[tuple, Piece] = OrderedDict()

    def clear(self) -> None:
        self._kept.clear()

    def row(self, ax, key: tuple, handle, label: str, style: Style) -> Piece:
        """The row of ``handle`` and ``label`` as a one-entry Legend draws it (no frame, no pad)."""
        full = ("row", key, label, style, ax.figure.dpi)
        hit = self._kept.get(full)
        if hit is None:
            legend = ax.legend([handle], [label], handler_map={tuple: HandlerTuple(ndivide=1)},
                               loc="lower left", bbox_to_anchor=(AT, AT), bbox_transform=IdentityTransform(),
                               borderaxespad=0, borderpad=0, frameon=False, handlelength=style.handle_length,
                               prop=style.prop)
            placed = {}

            def box_of(artist, renderer) -> Bbox:  # as drawn: the box its draw gave its (unseen) frame
                placed["box"] = box = legend.get_frame().get_bbox().frozen()
                placed["descent"] = _descent(ax, renderer, legend, label, style, box)
                return box
            sprite = draw_cropped(ax.figure.canvas, [legend], box_of)
            hit = self._keep(full, Piece.of(sprite, _height(ax), placed["box"], placed["descent"]))
        self._kept.move_to_end(full)
        return hit

    def title(self, ax, text: str, style: Style) -> Piece:
        """The legend's title in bold, as the Legend's title box holds it."""
        full = ("title", text, style, ax.figure.dpi)
        hit = self._kept.get(full)
        if hit is None:
            artist = ax.text(AT, AT, text, transform=IdentityTransform(), ha="left", va="bottom",
                             family=list(style.fonts), size=style.size, weight="bold")
            box = artist.get_window_extent(ax.figure.canvas.get_renderer()).frozen()
            hit = self._keep(full, Piece.of(draw_cropped(ax.figure.canvas, [artist]), _height(ax), box))
        self._kept.move_to_end(full)
        return hit

    def _keep(self, key: tuple, piece: Piece) -> Piece:
        self._kept[key] = piece
        while len(self._kept) > ROWS_KEPT:
            self._kept.popitem(last=False)
        return piece


def _height(ax) -> int:
    return int(ax.figure.canvas.get_renderer().height)


def _descent(ax, renderer, legend, label: str, style: Style, box: Bbox) -> float:
    """How far a drawn one-entry legend's baseline lies above its box's bottom: where its label's
    baseline was drawn, for one line; for more, where the Legend's label box puts the baseline it
    aligns by (between the lines), worked out as the box does (its handle's box, ``handleheight``
    0.7, reaches nowhere below the baseline)."""
    if "\n" not in label:
        return legend.get_texts()[0].get_transform().transform((0, 0))[1] - box.y0
    props = {"verticalalignment": "baseline", "horizontalalignment": "left",
             "fontproperties": FontProperties(**style.prop)}
    area = TextArea(label, multilinebaseline=True, textprops=props)
    area.set_figure(ax.figure)
    return max(-area.get_bbox(renderer).y0, 0.0)


class PackedLegend(Artist):
    """A legend drawn from ``Piece``s: a round frame and the pieces placed at whole pixels."""

    def __init__(self, frame: Bbox, fontsize_px: float, placed: list[tuple[Piece, float, float]]) -> None:
        super().__init__()
        self._frame, self._placed = frame, placed
        self._patch = FancyBboxPatch(frame.p0, frame.width, frame.height,
                                     boxstyle="round,pad=0,rounding_size=0.2", mutation_scale=fontsize_px,
                                     facecolor=FRAME["facecolor"], edgecolor=FRAME["edgecolor"],
                                     alpha=FRAME["alpha"], snap=True, transform=IdentityTransform())

    def get_window_extent(self, renderer=None) -> Bbox:
        return self._frame

    def draw(self, renderer) -> None:
        if not self.get_visible():
            return
        self._patch.set_figure(self.figure)
        self._patch.draw(renderer)
        gc = renderer.new_gc()
        for piece, x0, y0 in self._placed:  # the piece's box's lower-left corner to (x0, y0)
            dx, dy = round(x0 - piece.box.x0), round(y0 - piece.box.y0)
            for rgba, left, bottom in piece.images:
                renderer.draw_image(gc, left + dx, bottom + dy, rgba)
        gc.restore()


def layout(rows: list[Piece], title: Piece | None, ncols: int, fontsize_px: float, border_pad: float
           ) -> tuple:
    """The legend's size (pixels, with its border pad) and where each piece's box goes (its
    lower-left corner, from the frame's lower-left), rows split into ``ncols`` columns as
    matplotlib splits them (the first ``n % ncols`` one longer)."""
    pad, sep = border_pad * fontsize_px, LABEL_SPACING * fontsize_px
    columns = [list(c) for c in np.array_split(np.arange(len(rows)), ncols) if len(c)]
    widths = [max(rows[i].box.width for i in c) for c in columns]
    heights = [sum(rows[i].box.height for i in c) + sep * (len(c) - 1) for c in columns]
    above = [rows[c[0]].box.height - rows[c[0]].descent for c in columns]  # the first baseline's
    below = max(h - a for h, a in zip(heights, above, strict=True))  # the baselines' level, from the bottom
    inner_w = sum(widths) + COLUMN_SPACING * fontsize_px * (len(columns) - 1)
    inner_h = below + max(above)
    width = max(inner_w, title.box.width if title else 0.0)
    height = inner_h + (title.box.height + sep if title else 0.0)
    placed = []
    x = pad + (width - inner_w) / 2
    for column, w, a in zip(columns, widths, above, strict=True):
        y = pad + below + a
        for i in column:  # top down
            y -= rows[i].box.height
            placed.append((rows[i], x, y))
            y -= sep
        x += w + COLUMN_SPACING * fontsize_px
    if title:
        placed.append((title, pad + (width - title.box.width) / 2, pad + inner_h + sep))
    return (width + 2 * pad, height + 2 * pad), placed


def anchored(corner: str, size: tuple[float, float], room: Bbox, fontsize_px: float) -> tuple[float, float]:
    """The lower-left corner of a legend of ``size`` in ``corner`` of ``room`` (display pixels),
    ``borderaxespad`` inside it."""
    gap = BORDER_AXES_PAD * fontsize_px
    x0 = room.x0 + gap if corner.endswith("left") else room.x1 - gap - size[0]
    y0 = room.y1 - gap - size[1] if corner.startswith("upper") else room.y0 + gap
    return x0, y0


def packed_legend(ax, rows: LegendRows, entries: list[tuple], keys: tuple, corner: str, form: str,
                  fonts: list[str], size: float, room: tuple[float, float, float, float]) -> list:
    """The legend of ``entries`` (``keys``: what their handles' looks depend on) in ``corner`` of
    ``room`` (axes fractions): "full" (titled, one column, more when it would take over 45 % of
    the height) or "compact" (no title, in as few rows as fit in 90 % of the width)."""
    if not entries or form not in ("full", "compact"):
        return []
    compact = form == "compact"
    style = Style(tuple(fonts), size, compact)
    pieces = [rows.row(ax, keys, handle, label, style) for handle, label in entries]
    title = None if compact else rows.title(ax, "Legend", style)
    fontsize_px = size * ax.figure.dpi / 72
    n = len(pieces)
    columns = sorted({-(-n // r) for r in range(1, n + 1)}, reverse=True) if compact else (1, 2, 3)
    fig = ax.figure.bbox
    for ncols in columns:
        (w, h), placed = layout(pieces, title, ncols, fontsize_px, style.border_pad)
        if h <= 0.45 * fig.height and w <= 0.9 * fig.width:
            break
    x0, y0 = anchored(corner, (w, h), Bbox.from_bounds(*room).transformed(ax.transAxes), fontsize_px)
    frame = Bbox.from_bounds(x0, y0, w, h)
    legend = PackedLegend(frame, fontsize_px, [(p, x0 + x, y0 + y) for p, x, y in placed])
    legend.set_figure(ax.figure)
    legend.set_zorder(2000)
    return [legend]
