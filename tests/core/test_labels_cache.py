"""The label planner's and the legend's per-text and per-layer caches give what a fresh computation
gives: a planner that planned other frames (other fonts, fading labels) plans a frame like a new
one, and the legend of a day on which one dated layer changes is the legend made afresh."""

from __future__ import annotations

import datetime as dt

import pytest

from terrain_viewer.core.data.builtin import builtin_paths
from terrain_viewer.core.model import ViewerModel
from terrain_viewer.core.render import annotations as notes
from terrain_viewer.core.render.items import background_change_days, visible_items
from terrain_viewer.core.render.labels import PRIORITY, LabelPlanner, LabelSpec, min_text_px
from terrain_viewer.core.render.legend_cache import LegendCache
from terrain_viewer.core.render.sprites import new_figure
from terrain_viewer.core.temporal.timeline import day_number


@pytest.fixture()
def axes():
    fig, canvas = new_figure(800, 450, 100.0, "white")
    ax = fig.axes[0]
    ax.set_xlim(0, 800)
    ax.set_ylim(0, 450)
    return ax, canvas.get_renderer()


def specs(alpha: float = 1.0) -> list[LabelSpec]:
    props = {"fontsize": 3, "fontweight": "bold", "family": ["DejaVu Sans"]}
    return [LabelSpec(200, 200, "Hill 227.7", PRIORITY["place"], dict(props), alpha=alpha),
            LabelSpec(420, 260, "10D", PRIORITY["unit"], dict(props)),
            LabelSpec(600, 120, "Lei River", PRIORITY["river"], {"fontsize": 9, "along": (1.0, 0.4)},
                      centred=True)]


def placed(plan) -> list[tuple]:
    return [(p.spec.text, p.dx, p.dy, p.ha, p.va, round(p.rotation, 6), p.props, p.box) for p in plan]


def test_a_planner_that_planned_other_labels_plans_like_a_new_one(axes):
    ax, renderer = axes
    used = LabelPlanner()
    used.plan(ax, renderer, specs(alpha=0.4))  # the same texts, fading
    used.family = "DejaVu Serif"
    used.plan(ax, renderer, specs())
    used.family = None
    assert placed(used.plan(ax, renderer, specs())) == placed(LabelPlanner().plan(ax, renderer, specs()))


def test_the_font_family_and_the_fade_of_a_label_reach_its_properties(axes):
    ax, renderer = axes
    planner = LabelPlanner()

    def props(plan) -> dict[str, dict]:
        return {p.spec.text: dict(p.props) for p in plan}

    plain = props(planner.plan(ax, renderer, specs()))
    planner.family = "DejaVu Serif"
    serif = props(planner.plan(ax, renderer, specs()))
    planner.family = None
    fading = props(planner.plan(ax, renderer, specs(alpha=0.4)))
    again = props(planner.plan(ax, renderer, specs()))
    assert serif["10D"]["family"][0] == "DejaVu Serif" and plain["10D"]["family"][0] == "DejaVu Sans"
    assert fading["Hill 227.7"]["alpha"] == 0.4
    assert "alpha" not in fading["10D"]
    assert "alpha" not in again["Hill 227.7"]  # not kept by the cache
    assert again == plain
    assert plain["10D"]["fontsize"] > 3  # raised to the least text height


def test_the_legend_of_a_dated_layer_day_is_the_legend_made_afresh():
    model = ViewerModel.open(builtin_paths())
    items = visible_items(model)
    days = background_change_days(model)
    assert days
    legends = LegendCache()
    noon = day_number(dt.date(1944, 7, 11)) + 0.5
    for t in [noon, *[d + h for d in days for h in (-0.5, 0.5)], noon]:
        cached = legends.entries(items, t, model.view, lambda item, when: item.obj.features_at(when))
        direct = notes.legend(items, t, model.view)
        assert [label for _, label in cached] == [label for _, label in direct]


def test_a_text_is_measured_in_its_own_style_whatever_was_measured_before(axes):
    """A plain label placed after a bold italic one in the same plan is as wide as when placed
    alone (the measuring text once kept the last label's weight and style)."""
    ax, renderer = axes
    plain = LabelSpec(150, 100, "Xiang River crossing", PRIORITY["place"], {"fontsize": 10})
    styled = LabelSpec(500, 350, "Zhengxi Gate", PRIORITY["city"],
                       {"fontsize": 10, "fontweight": "bold", "fontstyle": "italic"})
    alone = placed(LabelPlanner().plan(ax, renderer, [plain]))
    together = placed(LabelPlanner().plan(ax, renderer, [styled, plain]))
    assert [p for p in together if p[0] == plain.text] == alone


def test_a_plan_is_made_once_per_inputs_and_a_changed_input_plans_afresh(axes, monkeypatch):
    """The same labels, symbols and view give the remembered plan without placing again; moving a
    label, adding a symbol, changing the view or the font family gives what a new planner gives."""
    ax, renderer = axes
    planner = LabelPlanner()
    made = []
    new_plan = planner._new_plan
    monkeypatch.setattr(planner, "_new_plan", lambda *a: made.append(1) or new_plan(*a))
    first = placed(planner.plan(ax, renderer, specs()))
    assert placed(planner.plan(ax, renderer, specs())) == first
    assert len(made) == 1

    def fresh(labels, symbols=()):
        return placed(LabelPlanner(planner.family).plan(ax, renderer, labels, symbols))

    moved = specs()
    moved[1].x += 150
    symbol = [(180.0, 190.0, 260.0, 215.0)]  # over the hill's label
    for labels, symbols in [(moved, ()), (specs(), symbol)]:
        got = placed(planner.plan(ax, renderer, labels, symbols))
        assert got == fresh(labels, symbols) and got != first
    ax.set_xlim(100, 900)
    assert placed(planner.plan(ax, renderer, specs())) == fresh(specs()) != first
    planner.family = "DejaVu Serif"
    assert placed(planner.plan(ax, renderer, specs())) == fresh(specs())
    assert len(made) == 5


def test_the_legend_follows_a_moving_layer_shifted_in_time():
    """A moving layer's legend entries are remembered per time; shifting the layer in time (the
    same time asked again) gives the legend made afresh."""
    model = ViewerModel.open(builtin_paths())
    t = day_number(dt.date(1944, 6, 24)) + 0.5
    legends = LegendCache()

    def both() -> tuple[list, list]:
        items = visible_items(model)
        cached = legends.entries(items, t, model.view, lambda item, when: item.obj.features_at(when))
        return [label for _, label in cached], [label for _, label in notes.legend(items, t, model.view)]

    before, direct = both()
    assert before == direct
    model.set_time_offset("units", 40)  # the units arrive 40 days later: none on 24 June
    after, direct = both()
    assert after == direct != before


class Counting(LabelPlanner):
    """A planner that counts how often each text is measured."""

    def __init__(self):
        super().__init__()
        self.measured: dict[str, int] = {}

    def _size(self, ax, renderer, text, props):
        self.measured[text] = self.measured.get(text, 0) + 1
        return super()._size(ax, renderer, text, props)


def test_small_type_of_one_style_is_raised_to_one_size_and_each_text_measured_once(axes):
    """Texts with and without ascenders and descenders, in one small style: one font size for all,
    none lower than the least height, and each measured once (not once more after a raise)."""
    ax, renderer = axes
    style = {"fontsize": 4, "fontweight": "bold", "family": ["DejaVu Sans"]}
    texts = ["ace", "Hill 227.7", "Lp", "gypsy", "ÉTÉ (1944)", "oo"]
    planner = Counting()
    plan = planner.plan(ax, renderer, [LabelSpec(80 + 110 * i, 100 + 50 * (i % 2), text, PRIORITY["place"],
                                                 dict(style)) for i, text in enumerate(texts)])
    assert sorted(p.spec.text for p in plan) == sorted(texts)
    assert len({dict(p.props)["fontsize"] for p in plan}) == 1
    least = min_text_px(PRIORITY["place"], 450)
    assert least > 6 and all(p.text_height >= least for p in plan)
    assert planner.measured == dict.fromkeys(texts, 1)
