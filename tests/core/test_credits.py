"""The credits ("Credits (sources)") on real frames of the built-in data: every source of the day in
full and a box that keeps its width from day to day. On 6 August the line ended "…river courses
drawn by the dataset …", on 7 August "…river courses …", and the box re-wrapped to another width
each day (it jumped in a video). Found by a new user."""

from __future__ import annotations

import datetime as dt

import pytest

from terrain_viewer.core.data.builtin import builtin_paths
from terrain_viewer.core.model import ViewerModel
from terrain_viewer.core.render import annotations, furniture
from terrain_viewer.core.render.items import visible_items
from terrain_viewer.core.render.renderer import MapRenderer
from terrain_viewer.core.temporal.timeline import day_number

DAYS = ("1944-08-06", "1944-08-07")


@pytest.fixture(scope="module")
def model() -> ViewerModel:
    m = ViewerModel.open(builtin_paths())
    m.set_options(credits=True)
    return m


def drawn_credits(model: ViewerModel, size: tuple[int, int], date: str, monkeypatch) -> tuple[str, float]:
    """The credits text a real render of ``date`` draws, and the width (pixels) of what it draws."""
    seen: list[tuple[str, float]] = []
    original = furniture.credits

    def recording(ax, text, *args, **kwargs):
        artists = original(ax, text, *args, **kwargs)
        renderer = ax.figure.canvas.get_renderer()
        texts = [a.get_text() for a in artists if hasattr(a, "get_text")]
        boxes = [a.get_window_extent(renderer) for a in artists]  # a text's own frame is placed when drawn
        seen.append(("\n".join(texts), max(b.x1 for b in boxes) - min(b.x0 for b in boxes)))
        return artists

    monkeypatch.setattr(furniture, "credits", recording)
    rgba = MapRenderer(model).render(t=day_number(dt.date.fromisoformat(date)) + 0.5, size=size,
                                     dpi=100.0 * size[1] / 1080)  # as exports and `render` draw
    assert rgba.shape[:2] == (size[1], size[0])
    assert len(seen) == 1, seen
    return seen[0]


@pytest.mark.parametrize("size", [(1920, 1080), (1280, 720)])
def test_every_source_of_the_day_is_drawn_in_full_in_a_box_of_one_width(model, size, monkeypatch):
    widths = []
    for date in DAYS:
        text, width = drawn_credits(model, size, date, monkeypatch)
        lines = text.split("\n")
        assert text.startswith("Sources: ") and len(lines) > 1, text
        assert not any(line.rstrip().endswith("…") for line in lines), (date, size, lines)
        assert min(map(len, lines)) >= 0.6 * max(map(len, lines)), lines  # even lines: 11 July's last
        #                                                               line was the one word "author"
        flat = " ".join(lines)
        t = day_number(dt.date.fromisoformat(date)) + 0.5
        names = {name for s in annotations.sources(visible_items(model), t, {})
                 for name in furniture.short_source(s)}
        assert len(names) >= 9
        for name in names:
            assert name in flat, (date, size, name, lines)
        widths.append(width)
    assert abs(widths[0] - widths[1]) <= 1, (size, widths)  # the box does not jump from day to day
    assert widths[0] > size[0] * furniture.CREDITS_SHARE


def test_a_second_citation_after_a_semicolon_is_a_source_a_note_is_not():
    value = "Xiao, 2014, pp. 158-159; Jiang, 2005, p. 166 (via article, section 'Third; offensive')"
    assert furniture.short_source(value) == ["Xiao, 2014", "Jiang, 2005"]
    note = "Battle of Hengyang article, section 'Battle' (a bridge); position from the gazetteer (low)"
    assert furniture.short_source(note) == ["Battle of Hengyang article"]


def test_balanced_lines_are_as_many_as_the_width_needs_and_even():
    text = " ".join(f"w{i % 7}" * (1 + i % 3) for i in range(41))
    measure = lambda line: 7.0 * len(line)  # noqa: E731
    greedy, even = furniture.wrap_to(text, 300.0, measure), furniture.balanced(text, 300.0, measure)
    assert len(even) == len(greedy) > 2 and " ".join(even) == text
    assert max(map(len, even)) - min(map(len, even)) < max(map(len, greedy)) - min(map(len, greedy))


def test_wrapping_keeps_every_word():
    text = " ".join(f"word{i}" for i in range(60))
    lines = furniture.wrap_to(text, 100.0, lambda line: 8.0 * len(line))
    assert len(lines) > 3 and " ".join(lines) == text
    assert all(8.0 * len(line) <= 100.0 for line in lines)


@pytest.mark.parametrize("size", [(720, 540), (800, 600), (900, 700)])
def test_a_corner_legend_keeps_clear_of_the_credits_on_a_narrow_map(model, size):
    """A map 720-900 px wide: the lower-right legend reached over the sources line (and a basemap's
    attribution: a new user's narrow window), which was placed after it. The legend is placed clear
    of them, above, as it is of the scale bar."""
    renderer = MapRenderer(model)
    renderer.look = furniture.FrameLook(legend_form="full")  # the window's
    renderer.render(t=model.time.start + 16, size=size)
    legend = max(renderer.last_furniture, key=lambda s: sum(b.width * b.height for b in s.boxes))
    credits = [b for s in renderer.last_furniture if s is not legend for b in s.boxes]
    assert legend.boxes and credits
    assert not furniture.overlaps(legend.boxes, credits)
