"""Label texts are drawn once and only placed per frame: a label that moves to another side of its
anchor draws no new text and lands where matplotlib would draw it; the scratch canvases sprites are
drawn on are left transparent after every sprite, so no sprite carries another's pixels."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from terrain_viewer.core.data.builtin import builtin_paths
from terrain_viewer.core.model import ViewerModel
from terrain_viewer.core.render.labels import LabelSpec, Placed, centred_text
from terrain_viewer.core.render.renderer import MapRenderer
from terrain_viewer.core.render.sprites import TextSprites

W, H = 400, 300
ANCHOR = (200.0, 150.0)
PLACES = [(6.0, 0.0, "left", "center"), (-6.0, 0.0, "right", "center"), (0.0, 6.0, "center", "bottom"),
          (0.0, -6.0, "center", "top"), (6.0, 6.0, "left", "bottom"), (-6.0, -6.0, "right", "top"),
          (0.0, 0.0, "center", "center")]


def label(dx: float, dy: float, ha: str, va: str, rotation: float = 0.0) -> Placed:
    props = (("color", "#202020"), ("fontsize", 11.0), ("fontweight", "bold"))
    spec = LabelSpec(*ANCHOR, "Hengyang West Gate (Zhengxiang)")
    return Placed(spec, dx, dy, ha, va, rotation, props, (0, 0, 1, 1), 10.0)


def canvas() -> tuple[Figure, FigureCanvasAgg]:
    fig = Figure(figsize=(W / 100, H / 100), dpi=100)
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_axis_off()
    ax.set_xlim(0, W)
    ax.set_ylim(0, H)
    return fig, FigureCanvasAgg(fig)


def annotation(ax, label: Placed):
    """The label as matplotlib places an annotation at its offset and alignment (no halo)."""
    s = label.spec
    return ax.annotate(s.text, (s.x, s.y), xytext=(label.dx, label.dy), textcoords="offset points",
                       ha=label.ha, va=label.va, rotation=label.rotation, rotation_mode="anchor",
                       annotation_clip=False,
                       **{k: list(v) if isinstance(v, tuple) else v for k, v in label.props})


def ink_box(rgba: np.ndarray) -> np.ndarray:
    """First and last row and column of the dark text (the halo is light)."""
    ink = 765 - rgba[..., :3].astype(int).sum(axis=2) > 300
    rows, cols = np.flatnonzero(ink.any(axis=1)), np.flatnonzero(ink.any(axis=0))
    assert rows.size and cols.size
    return np.array([rows[0], rows[-1], cols[0], cols[-1]])


@pytest.mark.parametrize("rotation", [0.0, 27.5, -90.0])
def test_a_label_on_any_side_of_its_anchor_is_one_text_placed_where_matplotlib_draws_it(rotation):
    sprites = TextSprites()
    sprites.resize(100.0)
    made = []
    original = sprites._make
    sprites._make = lambda *a: made.append(1) or original(*a)
    for dx, dy, ha, va in PLACES:
        one = label(dx, dy, ha, va, rotation)
        fig, direct = canvas()
        annotation(fig.axes[0], one).draw(direct.get_renderer())  # matplotlib's own text, no halo
        fig, placed = canvas()
        placed.draw()  # the same white page
        sprites.draw(placed.get_renderer(), one, *ANCHOR, lambda ax, lab: [centred_text(ax, lab)])
        want = ink_box(np.asarray(direct.buffer_rgba()))
        got = ink_box(np.asarray(placed.buffer_rgba()))
        assert np.abs(got - want).max() <= 2, (ha, va, got, want)  # each edge, to a pixel or two
    assert len(made) == 1  # one text, seven places


@pytest.mark.parametrize("text", ["Hengyang West Gate (Zhengxiang)", "two\nlines", "$x^2$ hill"])
def test_a_label_is_dark_text_in_a_paper_halo_that_reads_over_a_black_map(text):
    sprites = TextSprites()
    sprites.resize(100.0)
    fig = Figure(figsize=(W / 100, H / 100), dpi=100, facecolor="black")
    page = FigureCanvasAgg(fig)
    page.draw()
    one = dataclasses.replace(label(0.0, 0.0, "center", "center"),
                              spec=LabelSpec(*ANCHOR, text))
    sprites.draw(page.get_renderer(), one, *ANCHOR, lambda ax, lab: [centred_text(ax, lab)])
    rgba = np.asarray(page.buffer_rgba()).astype(int)[..., :3]
    light = rgba.sum(axis=2) > 450  # the halo: paper (a light cream) at 85 %
    assert light.sum() > 200
    rows, cols = np.nonzero(light)
    near = np.zeros_like(light)
    near[max(rows.min() - 8, 0):rows.max() + 9, max(cols.min() - 8, 0):cols.max() + 9] = True
    assert (rgba[~near] == 0).all()  # the black map stays black away from the label
    inside = rgba[rows.min():rows.max() + 1, cols.min():cols.max() + 1]
    text = (inside.max(axis=2) < 90) & (inside.max(axis=2) > 0)  # the dark text (#202020) on it
    assert text.sum() > 50


def test_a_faded_label_is_its_own_text():
    sprites = TextSprites()
    sprites.resize(100.0)
    fig, target = canvas()
    target.draw()
    one = label(6.0, 0.0, "left", "center")
    faded = dataclasses.replace(one, props=(*one.props, ("alpha", 0.5)))
    for lab in (one, faded, one):
        sprites.draw(target.get_renderer(), lab, *ANCHOR, lambda ax, lab: [centred_text(ax, lab)])
    assert len(sprites._sprites) == 2


def test_sprite_canvases_are_left_transparent_after_every_frame():
    model = ViewerModel.open(builtin_paths())
    renderer = MapRenderer(model)
    for day in (0, 5, 17, 24, 40):
        for fraction in (0.0, 0.4):
            renderer.render(t=model.time.start + day + fraction, size=(960, 540))
            for scratch in (renderer._sprites.canvas, renderer._texts.canvas):
                buffer = np.asarray(scratch.buffer_rgba())
                assert not buffer[..., 3].any()  # nothing left behind to leak into the next sprite
                assert (buffer[..., :3] == 255).all()  # and exactly what Agg's clear() leaves


@pytest.mark.parametrize("dpi", [100.0, 200.0, 33.3])
def test_label_sizes_from_the_glyphs_are_the_sizes_matplotlib_lays_a_text_out_at(dpi):
    """The planner measures one-line labels from FreeType directly (``glyphs.text_size``, what the
    text sprite is made from): the box must be the one matplotlib's Text has, in any style."""
    from matplotlib.font_manager import FontProperties

    from terrain_viewer.core.render import glyphs
    from terrain_viewer.core.render.sprites import new_figure

    fig, canvas = new_figure(400, 300, dpi, "none")
    probe = fig.axes[0].text(0, 0, "", ha="left", va="bottom")
    styles = [{"fontsize": 11}, {"fontsize": 8, "fontweight": "bold", "family": ["DejaVu Sans"]},
              {"fontsize": 9.5, "fontstyle": "italic", "family": ["DejaVu Serif", "Noto Sans CJK JP"]},
              {"fontsize": 22, "family": ["Noto Sans CJK JP", "DejaVu Serif"], "color": "#123456"}]
    for text in ["Hengyang", "10D", "Ågy", "Bois de Hérode", "✈ airfield", "Mt. Zhangjia 张家山", "…"]:
        for props in styles:
            probe.set_fontproperties(FontProperties())  # nothing left from the last style
            probe.update({"text": text, **props})
            x0, y0, x1, y1 = probe.get_window_extent(canvas.get_renderer()).extents
            assert glyphs.text_size(text, props, dpi) == pytest.approx((x1 - x0, y1 - y0), abs=1e-6)


@pytest.mark.parametrize("text", ["11 July 1944", "two\nlines", "衡阳 Hengyang ✈", "مدينة", "$x^2$ hill"])
def test_furniture_text_lands_where_matplotlib_draws_it(text):
    """The caption, legend and scale bar are drawn by ``GlyphRenderer`` (a whole line from
    FreeType at once); their ink sits where matplotlib's own Agg puts it, in every alignment."""
    from terrain_viewer.core.render.glyphs import GlyphCanvas

    def ink(canvas_class, ha: str, va: str) -> np.ndarray:
        fig = Figure(figsize=(4, 2), dpi=100)
        canvas = canvas_class(fig)
        fig.text(0.5, 0.5, text, ha=ha, va=va, fontsize=14, family=["DejaVu Sans", "Noto Sans CJK JP"])
        canvas.draw()
        return ink_box(np.asarray(canvas.buffer_rgba()))

    for ha in ("left", "center", "right"):
        for va in ("top", "center", "bottom", "baseline"):
            want, got = ink(FigureCanvasAgg, ha, va), ink(GlyphCanvas, ha, va)
            assert np.abs(got - want).max() <= 1, (ha, va, got, want)


def test_a_long_label_is_measured_without_keeping_its_bitmap_and_still_drawn_whole():
    """A researcher's label field may be a paragraph: its size is matplotlib's, its bitmap is not
    kept after measuring (a layer of them would fill the memory), and placed it is drawn whole."""
    from terrain_viewer.core.render import glyphs

    text = "A long note on the crossing of the Lei River " * 40
    props = {"fontsize": 9, "family": ["DejaVu Sans"]}
    fig, canvas_ = canvas()
    probe = fig.axes[0].text(0, 0, text, **props)
    x0, y0, x1, y1 = probe.get_window_extent(canvas_.get_renderer()).extents
    assert glyphs.text_size(text, props, 100.0) == pytest.approx((x1 - x0, y1 - y0), abs=1e-6)
    assert glyphs._rendered(text, glyphs._font_key(props), 100.0)[0] is None  # measured, not kept
    image, x, y, w, h = glyphs.text_image(text, props, 100.0)
    inked = np.flatnonzero((image > 0).any(axis=0))
    assert inked[-1] - inked[0] >= 0.98 * w  # ink from the first letter to the last (a space ends it)


# ---- letters no installed font has ------------------------------------------------------------------
HINDI = "झाँसी"  # Jhansi, in Devanagari: neither DejaVu nor Noto CJK has these letters


def test_the_script_no_font_draws_is_named(tmp_path):
    from terrain_viewer.core.render.glyphs import missing_letter, script_of

    letter = missing_letter(HINDI, {"family": ["DejaVu Sans"]})
    assert letter == HINDI[0] and script_of(letter) == "Devanagari"
    assert missing_letter("Hengyang", {"family": ["DejaVu Sans"]}) is None
    assert script_of("衡") == "CJK"  # for "Noto Sans CJK"


def test_a_label_in_letters_no_font_has_is_said_once_with_the_font_to_install(tmp_path, caplog):
    import geopandas as gpd
    import shapely

    from terrain_viewer.core.render.glyphs import missing_letter

    if missing_letter(HINDI, {"family": ["serif"]}) is None:
        pytest.skip("this machine has a font for Devanagari")
    path = tmp_path / "india.gpkg"
    towns = {"name": [HINDI, HINDI + " 2"], "source": ["test", "test"], "confidence": ["low", "low"]}
    gpd.GeoDataFrame(towns, geometry=shapely.points([112.60, 112.62], [26.90, 26.91]),
                     crs=4326).to_file(path, layer="towns")
    model = ViewerModel.open(builtin_paths())
    assert model.add_files([path]) == []
    renderer = MapRenderer(model)
    with caplog.at_level("WARNING"):
        renderer.render(size=(1280, 720))
        renderer.render(t=model.time.start + 1, size=(1280, 720))
    said = [r.getMessage() for r in caplog.records if "Devanagari" in r.getMessage()]
    assert len(said) == 1 and "DEVANAGARI LETTER JHA" in said[0] and "Noto Sans Devanagari" in said[0]
