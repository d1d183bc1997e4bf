"""The legend built from rows drawn once (``legend_box``): it looks as matplotlib's Legend of the
same entries does, and a legend of rows already drawn is laid out and drawn with no Legend made."""

from __future__ import annotations

import datetime as dt

import matplotlib.legend as mlegend
import matplotlib.patheffects as pe
import numpy as np
import pytest
from legend_alone import legend_alone
from matplotlib.legend_handler import HandlerTuple
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from terrain_viewer.core.data.builtin import builtin_paths
from terrain_viewer.core.model import ViewerModel
from terrain_viewer.core.render.furniture import SAFE, text_fonts
from terrain_viewer.core.render.legend_box import LegendRows, packed_legend
from terrain_viewer.core.render.renderer import MapRenderer
from terrain_viewer.core.render.sprites import blend, draw_cropped, new_figure
from terrain_viewer.core.render.symbology import PAPER
from terrain_viewer.core.temporal.timeline import day_number

SIZE = (1920, 1080)


def entries() -> list[tuple]:
    ticked = Line2D([], [], color="#b22222", linewidth=2.5,
                    path_effects=[pe.withTickedStroke(spacing=5, angle=-90, length=0.6), pe.Normal()])
    return [(ticked, "Japanese front"),
            (Patch(facecolor="#7fd3f0", edgecolor="#111111", linewidth=1.0), "Chinese unit (APP-6)"),
            (Line2D([], [], linestyle="none", marker="D", markerfacecolor="#f08080", markeredgecolor="k",
                    markersize=9), "Japanese unit (APP-6)"),
            ((Line2D([], [], color="k", linewidth=2.4), Line2D([], [], color="w", linewidth=1.0,
                                                                  linestyle=(0, (4, 4)))), "Railway"),
            (Patch(facecolor="#dcc1a8", edgecolor="#5a3b26", hatch="////"), "Walled city (1944)"),
            (Line2D([], [], color="#8a6a43", linewidth=0.8), "Contours every 10 m\n(relief reconstructed)"),
            (Patch(facecolor="#a6c8df", edgecolor="#5a8bb0"), "衡阳 Hengyang (湘江)")]


def on_paper(sprite, shape) -> np.ndarray:
    frame = np.zeros((*shape, 4), np.uint8)
    frame[...] = (245, 236, 221, 255)
    blend(frame, sprite)
    return frame[..., :3].astype(int)


@pytest.mark.parametrize(("form", "corner"), [("full", "lower right"), ("compact", "upper left")])
def test_the_legend_looks_as_matplotlibs_legend_of_the_same_entries(form, corner):
    fig, canvas = new_figure(*SIZE, 100.0, "none")
    ax = fig.axes[0]
    fonts, size, compact = text_fonts(), 11.6, form == "compact"
    ours = draw_cropped(canvas, packed_legend(ax, LegendRows(), entries(), ("test",), corner, form, fonts,
                                              size, SAFE))
    handles, labels = zip(*entries(), strict=True)
    theirs = draw_cropped(canvas, [ax.legend(
        handles, labels, handler_map={tuple: HandlerTuple(ndivide=1)}, loc=corner, bbox_to_anchor=SAFE,
        bbox_transform=ax.transAxes, borderaxespad=0.5, ncols=len(labels) if compact else 1,
        title=None if compact else "Legend", frameon=True, fancybox=True, framealpha=0.92, facecolor=PAPER,
        edgecolor="#8a7a5a", borderpad=0.4 if compact else 0.6, handlelength=1.8 if compact else 2.4,
        columnspacing=1.0, labelspacing=0.3, prop={"family": fonts, "size": size},
        title_fontproperties={"family": fonts, "size": size, "weight": "bold"})])
    assert np.allclose(ours.boxes[0].extents, theirs.boxes[0].extents, atol=0.5)  # the frame: in place
    a, b = on_paper(ours, SIZE[::-1]), on_paper(theirs, SIZE[::-1])
    near = np.full(a.shape[:2], 10**6)  # each pixel against the other's within a pixel either way
    for dy in (-1, 0, 1):
        for dx in (-1, 0, 1):
            shifted = np.roll(b, (dy, dx), axis=(0, 1))
            near = np.minimum(near, np.abs(a - shifted).max(axis=-1))
    ink = (np.abs(b - (245, 236, 221)).max(axis=-1) > 40).sum()
    assert ink > 5_000  # a real legend: frame, rows and text
    assert (near > 60).sum() < 0.01 * ink  # a hatch's phase follows the frame's pixels: it may shift


@pytest.mark.parametrize(("second", "size"), [((1944, 7, 4), SIZE), ((1944, 7, 3), (1700, 1080))],
                         ids=["a new legend (4 July)", "a narrower window"])
def test_a_legend_of_rows_drawn_before_makes_no_matplotlib_legend_and_is_the_legend_drawn_afresh(
        monkeypatch, second, size):
    model = ViewerModel.open(builtin_paths())
    walked, fresh = MapRenderer(model), MapRenderer(model)
    first, second = day_number(dt.date(1944, 7, 3)), day_number(dt.date(*second))
    _, mask_before = legend_alone(walked, model, t=first, size=SIZE)
    made = []
    init = mlegend.Legend.__init__

    def counted(self, parent, handles, labels, *args, **kwargs) -> None:
        made.append(labels)
        init(self, parent, handles, labels, *args, **kwargs)
    monkeypatch.setattr(mlegend.Legend, "__init__", counted)
    shown, mask_after = legend_alone(walked, model, t=second, size=size)
    assert made == []  # every row drawn before (4 July lists fewer than 3 July)
    assert mask_after.shape != mask_before.shape or (mask_before != mask_after).sum() > 1000  # another legend
    monkeypatch.undo()
    afresh, mask = legend_alone(fresh, model, t=second, size=size)
    assert mask.sum() > 10_000
    assert (mask == mask_after).all()
    assert (shown[mask] == afresh[mask]).all()
