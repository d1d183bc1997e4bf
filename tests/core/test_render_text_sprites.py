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
from terrain_viewer.core.render.labels import LabelSpec, Placed, centred_text, draw_plan
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


def ink_centre(rgba: np.ndarray) -> np.ndarray:
    """The centre of the ink (row, column), each pixel weighed by how dark it is."""
    ink = 765 - rgba[..., :3].astype(float).sum(axis=2)
    assert (ink > 500).sum() > 50
    rows, cols = np.indices(ink.shape)
    return np.array([(rows * ink).sum(), (cols * ink).sum()]) / ink.sum()


@pytest.mark.parametrize("rotation", [0.0, 27.5])
def test_a_label_on_any_side_of_its_anchor_is_one_text_placed_where_matplotlib_draws_it(rotation):
    sprites = TextSprites()
    sprites.resize(100.0)
    made = []
    original = sprites._make
    sprites._make = lambda *a: made.append(1) or original(*a)
    for dx, dy, ha, va in PLACES:
        one = label(dx, dy, ha, va, rotation)
        fig, direct = canvas()
        for artist in draw_plan(fig.axes[0], [one]):
            artist.draw(direct.get_renderer())
        fig, placed = canvas()
        placed.draw()  # the same white page
        sprites.draw(placed.get_renderer(), one, *ANCHOR, lambda ax, lab: [centred_text(ax, lab)])
        want = ink_centre(np.asarray(direct.buffer_rgba()))
        got = ink_centre(np.asarray(placed.buffer_rgba()))
        assert np.abs(got - want).max() <= 1.0, (ha, va, got, want)  # placed to the whole pixel
    assert len(made) == 1  # one text, seven places


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
