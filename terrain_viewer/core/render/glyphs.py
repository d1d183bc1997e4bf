"""Text from FreeType's glyph bitmaps: map labels set in a halo grown from their coverage, and a
renderer that draws a line of plain text at once.

A map label is dark text in a paper-coloured halo. Drawing it as matplotlib text with a
``withStroke`` path effect turns every glyph into a path and strokes and fills it (≈ 2 ms a
label at 1080p). Here one line of plain text is rendered by FreeType as Agg renders text (hinted
glyph bitmaps, ≈ 0.3 ms) and measured from the same call, with the box matplotlib 3.11's Text
layout gives it (``text_size``); the halo is the glyphs' coverage grown by ``HALO_REACH_PT`` with
a soft disc (a few numpy maxima on a small crop). ``GlyphCanvas`` draws the other text of a frame
(legend, caption, scale bar) a line at a time instead of matplotlib 3.11's glyph by glyph. Text
that needs shaping (``plain``) is left to matplotlib. Relies on matplotlib's Agg font lookup
(``_find_fonts_by_props``, ``_prepare_font``, ``draw_text_image``); the tests hold the sizes and
the ink to matplotlib's own.
"""

from __future__ import annotations

import math
import unicodedata
from functools import lru_cache

import numpy as np
from matplotlib import rcParams
from matplotlib.backends.backend_agg import FigureCanvasAgg, RendererAgg, get_hinting_flag
from matplotlib.colors import to_rgba
from matplotlib.font_manager import FontProperties, fontManager, get_font

HALO_REACH_PT = 1.8  # how far the halo reaches out of the glyphs (points): as dark as the 2.4 pt
#                     stroke labels had (``labels.halo(2.4)``) over a black map, and as wide
HALO_ALPHA = 0.85


def font_properties(props: dict) -> FontProperties:
    """The FontProperties a Text made with these label ``props`` has."""
    prop = FontProperties()
    if "family" in props:
        prop.set_family(props["family"])
    if "fontsize" in props:
        prop.set_size(props["fontsize"])
    if "fontweight" in props:
        prop.set_weight(props["fontweight"])
    if "fontstyle" in props:
        prop.set_style(props["fontstyle"])
    return prop


# scripts FreeType lays out one glyph after another with no shaping: Latin, Greek, Cyrillic,
# Armenian, general punctuation and symbols, CJK, Hangul syllables, full-width forms
PLAIN_RANGES = ((0x0000, 0x058F), (0x1E00, 0x2BFF), (0x2E80, 0x9FFF), (0xAC00, 0xD7AF),
                (0xF900, 0xFAFF), (0xFF00, 0xFFEF))


def plain(text: str) -> bool:
    """Text that needs no shaping (no Arabic, Hebrew, Indic or Thai, no combining marks): its
    glyphs can be drawn in a row as FreeType lays them out."""
    return all(any(lo <= ord(c) <= hi for lo, hi in PLAIN_RANGES) and not unicodedata.combining(c)
               for c in text)


def simple(text: str, props: dict) -> bool:
    """One line of plain text in the properties this module knows (else: matplotlib's Text)."""
    known = {"family", "fontsize", "fontweight", "fontstyle", "color", "alpha"}
    return "\n" not in text and text.count("$") < 2 and set(props) <= known and plain(text)


def _font(prop: FontProperties, dpi: float):
    """The FT2Font (with its fallbacks) matplotlib's Agg renderer would use, sized."""
    font = get_font(fontManager._find_fonts_by_props(prop))  # as RendererAgg._prepare_font
    font.clear()
    font.set_size(prop.get_size_in_points(), dpi)
    return font


@lru_cache(maxsize=256)
def _line(prop: FontProperties, dpi: float) -> tuple[float, float]:
    """The least ascent and descent (pixels) of a line in ``prop``, as matplotlib's Text layout
    takes them: the first font's typographic (else hhea) ascender and descender, else "lp"'s."""
    font = get_font(fontManager._find_fonts_by_props(prop))
    for table_name, ascent, descent in (("OS/2", "sTypoAscender", "sTypoDescender"),
                                        ("hhea", "ascent", "descent")):
        table = font.get_sfnt_table(table_name)
        if table is not None:
            scale = prop.get_size_in_points() * dpi / 72 / font.get_sfnt_table("head")["unitsPerEm"]
            return table[ascent] * scale, -table[descent] * scale
    font = _font(prop, dpi)
    font.set_text("lp", 0.0, flags=get_hinting_flag())
    h, d = font.get_width_height()[1] / 64, font.get_descent() / 64
    return h - d, d


def line_height(props: dict, dpi: float) -> float:
    """The least height (pixels) of one line of text in ``props``: its first font's ascender to
    descender, which every line of it reaches or exceeds (``text_size``)."""
    ascent, descent = _line(font_properties(props), float(dpi))
    return ascent + descent


@lru_cache(maxsize=4096)
def _drawable(char: str, paths: tuple[str, ...]) -> bool:
    """Whether one of the fonts at ``paths`` has a glyph for ``char``."""
    return any(get_font([path]).get_char_index(ord(char)) for path in paths)


def missing_letter(text: str, props: dict) -> str | None:
    """The first letter of ``text`` that no font of ``props`` (its family and matplotlib's
    fallbacks) can draw — it would show as an empty box — else None."""
    paths = tuple(str(p) for p in fontManager._find_fonts_by_props(font_properties(props)))
    for char in text:
        if char.isprintable() and not char.isspace() and not _drawable(char, paths):
            return char
    return None


MISSING_GLYPH = r"Glyph \d+ .* missing from font"  # matplotlib's warning, one per letter (the
#                                                   apps say it once per script instead)


def script_of(char: str) -> str:
    """The script a letter's Unicode name begins with ("Devanagari"), else its code point."""
    name = unicodedata.name(char, "")
    if not name:
        return f"U+{ord(char):04X}"
    word = name.split(" ")[0]
    return word if word == "CJK" else word.title()  # "Noto Sans CJK", "Noto Sans Devanagari"


FONT_KEYS = ("family", "fontsize", "fontweight", "fontstyle")


def _font_key(props: dict) -> tuple:
    return tuple((k, tuple(v) if isinstance(v, list) else v)
                 for k, v in sorted(props.items()) if k in FONT_KEYS)


def _key_properties(font_key: tuple) -> FontProperties:
    """The FontProperties of a ``_font_key`` (the cached functions take the key: it is hashable)."""
    return font_properties({k: list(v) if isinstance(v, tuple) else v for k, v in font_key})


KEPT_PIXELS = 65_536  # a measured text's bitmap is kept for its sprite up to this size (a long
#                      label, measured but never placed, is not kept: 1,024 kept are at most 64 MB)


@lru_cache(maxsize=1024)
def _rendered(text: str, font_key: tuple, dpi: float) -> tuple:
    """FreeType's coverage of ``text`` (None when it is over ``KEPT_PIXELS``) and
    its bitmap's x offset, width, (height, box height) and (descent, box descent), pixels: made once
    for the label planner's measuring and the text sprite alike."""
    prop = _key_properties(font_key)
    font = _font(prop, dpi)
    font.set_text(text, 0.0, flags=get_hinting_flag())
    w, h = (v / 64 for v in font.get_width_height())
    d = font.get_descent() / 64
    image = None
    if (w + 2) * (h + 2) <= KEPT_PIXELS:
        image = _coverage(font)
        image.flags.writeable = False
    least_ascent, least_descent = _line(prop, dpi)
    descent = max(d, least_descent)
    return image, font.get_bitmap_offset()[0] / 64, w, (h, max(h - d, least_ascent) + descent), (d, descent)


def _coverage(font) -> np.ndarray:
    """The laid-out text of ``font`` as Agg renders it: its coverage, a copy (the font is shared)."""
    font.draw_glyphs_to_bitmap(antialiased=rcParams["text.antialiased"])
    return np.array(font.get_image())


def text_size(text: str, props: dict, dpi: float) -> tuple[float, float]:
    """Width and height (pixels) of one line of ``text`` as matplotlib's Text layout has them: at
    least the font's ascent and descent (``_line``)."""
    _, _, w, (_, height), _ = _rendered(text, _font_key(props), float(dpi))
    return w, height


def text_width(text: str, props: dict, dpi: float) -> float:
    """``text_size``'s width alone: laid out, not drawn (a wrap measures many trial lines once)."""
    return _width(text, _font_key(props), float(dpi))


@lru_cache(maxsize=4096)
def _width(text: str, font_key: tuple, dpi: float) -> float:
    font = _font(_key_properties(font_key), dpi)
    font.set_text(text, 0.0, flags=get_hinting_flag())
    return font.get_width_height()[0] / 64


def text_image(text: str, props: dict, dpi: float) -> tuple[np.ndarray, float, float, float, float]:
    """One line of ``text`` rendered by FreeType as Agg renders text: its coverage (uint8, rows
    top down), where the image's top-left corner lies from the centre of the text's box (x right,
    y up, pixels), and the box's width and height (``text_size``)."""
    image, xo, w, (h, height), (d, descent) = _rendered(text, _font_key(props), float(dpi))
    if image is None:  # too big to have been kept: drawn now, not kept
        font = _font(font_properties(props), float(dpi))
        font.set_text(text, 0.0, flags=get_hinting_flag())
        image = _coverage(font)
    bottom = -height / 2 + descent - d  # the text's lowest ink, from the box's centre
    return image, -w / 2 + xo, bottom + h + 1, w, height  # the image has a blank row above and below


@lru_cache(maxsize=32)
def _disc(radius: float) -> tuple[tuple[int, int, float], ...]:
    """(row, column, weight) offsets of a soft disc: full inside ``radius``, fading over a pixel."""
    reach = int(math.ceil(radius + 0.5))
    out = []
    for dr in range(-reach, reach + 1):
        for dc in range(-reach, reach + 1):
            weight = min(max(radius + 0.5 - math.hypot(dr, dc), 0.0), 1.0)
            if weight > 0:
                out.append((dr, dc, weight))
    return tuple(out)


def haloed(rgba: np.ndarray, radius: float, paper, alpha: float = 1.0) -> tuple[np.ndarray, int]:
    """Text drawn on transparent (straight-alpha RGBA) set in a paper halo of ``radius`` pixels;
    the result is ``pad`` pixels larger on each side. ``alpha`` scales text and halo alike."""
    pad = int(math.ceil(radius + 0.5))
    cover = np.zeros((rgba.shape[0] + 2 * pad, rgba.shape[1] + 2 * pad), np.float32)
    cover[pad:-pad, pad:-pad] = rgba[..., 3] / np.float32(255)
    halo = cover.copy()
    rows, cols = rgba.shape[:2]
    for dr, dc, weight in _disc(float(radius)):
        shifted = cover[pad + dr:pad + dr + rows, pad + dc:pad + dc + cols]
        window = halo[pad:pad + rows, pad:pad + cols]
        np.maximum(window, shifted * weight if weight < 1 else shifted, out=window)
    ink = np.zeros((*cover.shape, 3), np.float32)
    ink[pad:-pad, pad:-pad] = rgba[..., :3]
    halo *= HALO_ALPHA
    under = halo * (1 - cover)
    total = cover + under
    paper_rgb = np.array(to_rgba(paper)[:3], np.float32) * 255
    colour = ink * cover[..., None] + paper_rgb * under[..., None]
    np.divide(colour, total[..., None], out=colour, where=total[..., None] > 0)
    colour[total == 0] = paper_rgb  # clear pixels paper-coloured: a turned label gets no dark fringe
    out = np.empty((*cover.shape, 4), np.uint8)
    out[..., :3] = np.clip(colour + 0.5, 0, 255)
    out[..., 3] = np.clip(total * (255 * alpha) + 0.5, 0, 255)
    return out, pad


def halo_radius(dpi: float) -> float:
    """The halo's reach outside the glyphs in pixels."""
    return HALO_REACH_PT * dpi / 72.0


def coloured(cover: np.ndarray, colour) -> np.ndarray:
    """Straight-alpha RGBA of a coverage image in one colour."""
    rgba = np.empty((*cover.shape, 4), np.uint8)
    rgba[..., :3] = np.round(np.array(to_rgba(colour)[:3]) * 255).astype(np.uint8)
    rgba[..., 3] = cover
    return rgba


def turned(rgba: np.ndarray, x: float, y: float, angle: float) -> tuple[np.ndarray, float, float]:
    """``rgba`` turned ``angle`` degrees anticlockwise about its point (x, y) (columns, rows from
    the top-left corner), and where that point lies in the turned image."""
    from PIL import Image

    rows, cols = rgba.shape[:2]
    half_w = math.ceil(max(x, cols - x)) + 1  # pad so that (x, y) is the centre, whole pixels
    half_h = math.ceil(max(y, rows - y)) + 1
    left, top = int(round(half_w - x)), int(round(half_h - y))
    padded = np.zeros((2 * half_h, 2 * half_w, 4), np.uint8)
    padded[..., :3] = rgba[0, 0, :3]  # the clear pixels' colour (paper), so no fringe comes in
    padded[top:top + rows, left:left + cols] = rgba
    out = np.asarray(Image.fromarray(padded, "RGBA").rotate(angle, resample=Image.Resampling.BICUBIC,
                                                            expand=True))
    return out, out.shape[1] / 2, out.shape[0] / 2


class GlyphRenderer(RendererAgg):
    """Agg, drawing a line of plain upright text as FreeType renders the whole line at once (as
    matplotlib's Agg did up to 3.10), not glyph by glyph: ≈ 5x faster for the legend, caption
    and scale bar; other text (math, turned, shaped scripts, font features) as matplotlib does."""

    def draw_text(self, gc, x, y, s, prop, angle, ismath=False, mtext=None):
        features = mtext is not None and (mtext.get_fontfeatures() or mtext.get_language())
        if ismath or angle or features or not plain(s):
            return super().draw_text(gc, x, y, s, prop, angle, ismath, mtext)
        font = self._prepare_font(prop)
        font.set_text(s, 0.0, flags=get_hinting_flag())
        font.draw_glyphs_to_bitmap(antialiased=gc.get_antialiased())
        d = font.get_descent() / 64
        xo, yo = (v / 64 for v in font.get_bitmap_offset())
        image = np.asarray(font.get_image())  # (x, y): the baseline's start, y down
        self._renderer.draw_text_image(image, round(x + xo), round(y + yo + d) + 1, 0, gc)
        return None


class GlyphCanvas(FigureCanvasAgg):
    """A FigureCanvasAgg whose renderer is a ``GlyphRenderer``."""

    def get_renderer(self):
        w, h = self.get_width_height(physical=True)
        key = w, h, self.figure.dpi
        if self._lastKey != key:
            self.renderer = GlyphRenderer(w, h, self.figure.dpi)
            self._lastKey = key
        return self.renderer
