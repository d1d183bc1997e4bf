"""A researcher's own points are the subject of their map: placed where the built-in data's labels
stand, each keeps its marker clear of every other label and is named (found under Xvfb: a point
under "Waixin Street" and none of them labelled; a new user's "South bunker" under "Recon")."""

from __future__ import annotations

import geopandas as gpd
import pytest
import shapely

from terrain_viewer.core.data.builtin import builtin_paths
from terrain_viewer.core.model import ViewerModel
from terrain_viewer.core.render.renderer import MapRenderer

SIZE = (1600, 900)
N = 6
DAY = 14.5  # a crowded day of the siege: units, events and the city's names


def plan(model: ViewerModel) -> tuple[MapRenderer, list]:
    renderer = MapRenderer(model)
    renderer.render(t=model.time.start + DAY, size=SIZE)
    return renderer, list(renderer.last_labels)


@pytest.fixture(scope="module")
def crowded(tmp_path_factory):
    """``N`` points of one's own, each where a built-in place, height or gate has its label."""
    base = ViewerModel.open(builtin_paths())
    renderer, labels = plan(base)
    ax = renderer._fig.axes[0]  # noqa: SLF001 - the frame's own transform, to put points under labels
    names = [p for p in labels if p.spec.priority < 8][:N]  # places', heights', gates' names
    assert len(names) == N
    centres = ax.transData.inverted().transform([((b[0] + b[2]) / 2, (b[1] + b[3]) / 2)
                                                 for b in (p.box for p in names)])
    path = tmp_path_factory.mktemp("own") / "bunkers.gpkg"
    own = gpd.GeoDataFrame({"name": [f"Bunker {i}" for i in range(N)], "source": ["survey"] * N,
                            "confidence": ["high"] * N},
                           geometry=shapely.points(centres), crs=base.dataset.map_crs)
    own.to_file(path, layer="bunkers")
    model = ViewerModel.open([*builtin_paths(), path])
    renderer, labels = plan(model)
    points = renderer._fig.axes[0].transData.transform(centres)  # noqa: SLF001
    return labels, points


def test_no_other_label_covers_a_researchers_own_point(crowded):
    labels, points = crowded
    covered = [(p.spec.text, i) for p in labels if not p.spec.text.startswith("Bunker")
               for i, (x, y) in enumerate(points) if p.box[0] <= x <= p.box[2] and p.box[1] <= y <= p.box[3]]
    assert covered == []


def test_each_of_a_researchers_own_points_is_named(crowded):
    labels, _ = crowded
    named = sorted(p.spec.text for p in labels if p.spec.text.startswith("Bunker"))
    assert named == [f"Bunker {i}" for i in range(N)]


def test_a_researchers_point_among_the_siege_lines_is_named_with_a_leader(tmp_path):
    """"South bunker" beside Mt. Gao on 14 July: every place next to it is a front line, a unit or
    a river, and its name was dropped; it looks further out, as an event's title does."""
    from terrain_viewer.core.render.labels import leader

    path = tmp_path / "bunker.gpkg"
    gpd.GeoDataFrame({"name": ["South bunker"], "source": ["survey"], "confidence": ["high"]},
                     geometry=shapely.points([112.612], [26.878]), crs=4326).to_file(path, layer="bunkers")
    model = ViewerModel.open([*builtin_paths(), path])
    model.time.set_date("1944-07-14")
    renderer = MapRenderer(model)
    renderer.render(t=model.time.t, size=(1456, 780))
    (label,) = [p for p in renderer.last_labels if p.spec.text == "South bunker"]
    px, py = renderer._fig.axes[0].transData.transform((label.spec.x, label.spec.y))  # noqa: SLF001
    assert label.ring > 0 and leader(label, px, py, renderer._fig.dpi) is not None  # noqa: SLF001
