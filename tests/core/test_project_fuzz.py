"""Property: a project document of the right shape with wrong types, extreme numbers and any text
loads, or fails with one ProjectError line naming the file; never another exception."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from terrain_viewer.core.common.errors import ProjectError
from terrain_viewer.core.project import load_project

NUMBERS = st.one_of(st.integers(min_value=-(10**12), max_value=10**12), st.floats(allow_nan=True),
                    st.sampled_from([0, 1, -1, 0.5, 1e300, -1e300, 5e-324, "@@HUGE@@", "@@HUGER@@"]))
HUGE = {'"@@HUGE@@"': "9" * 400, '"@@HUGER@@"': "-" + "1" * 5000}  # integers too long for repr()
SCALARS = st.one_of(st.none(), st.booleans(), NUMBERS, st.text(max_size=12))
ANY = st.recursive(SCALARS, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                     st.dictionaries(st.text(max_size=6), inner, max_size=4)),
                   max_leaves=12)


def _maybe(strategy):
    return st.one_of(strategy, ANY)


STYLE = st.fixed_dictionaries({}, optional={
    "color": _maybe(st.sampled_from(["#aa0000", "red", "nope"])), "linewidth": _maybe(NUMBERS),
    "marker": _maybe(st.sampled_from(["o", "^", "banana"])), "alpha": _maybe(NUMBERS)})
LAYER = st.fixed_dictionaries({"name": _maybe(st.text(min_size=1, max_size=8))}, optional={
    "visible": _maybe(st.booleans()), "opacity": _maybe(NUMBERS), "group": _maybe(st.text(max_size=6)),
    "style": _maybe(STYLE)})
DOCUMENT = st.fixed_dictionaries(
    {"format": st.just("terrain_viewer project"), "version": st.just(1)},
    optional={
        "files": _maybe(st.lists(st.fixed_dictionaries({"path": _maybe(st.text(max_size=10))}), max_size=2)),
        "map_crs": _maybe(st.sampled_from(["EPSG:32649", "EPSG:4326", "EPSG:3857", "EPSG:999999",
                                           "+proj=ortho +lat_0=-26 +lon_0=-67", "衡阳"])),
        "layers": _maybe(st.lists(LAYER, max_size=3)),
        "time": _maybe(NUMBERS),
        "view": _maybe(st.lists(NUMBERS, min_size=4, max_size=4)),
        "options": _maybe(st.dictionaries(st.sampled_from(["legend", "title", "caption_format", "x"]), ANY)),
        "swipe": _maybe(st.dictionaries(st.sampled_from(["enabled", "position", "left_group"]), ANY)),
        "basemap": _maybe(st.dictionaries(st.sampled_from(["provider", "opacity", "max_zoom", "mbtiles"]),
                                          ANY)),
        "export": ANY,
    })


def _dump(document: dict) -> str:
    """JSON text; the huge-integer markers become 400- and 5,000-digit integer literals."""
    text = json.dumps(document, ensure_ascii=False, allow_nan=True)
    for marker, digits in HUGE.items():
        text = text.replace(marker, digits)
    return text


def _loads_or_one_line(tmp_path: Path, document: dict) -> None:
    path = tmp_path / "fuzz.tvproj"
    path.write_text(_dump(document), encoding="utf-8")
    try:
        load_project(path)
    except ProjectError as exc:
        assert exc.message.startswith(f"{path}: ") and "\n" not in exc.message, exc.message


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(document=DOCUMENT)
def test_any_project_document_loads_or_gives_one_line(tmp_path: Path, document: dict):
    _loads_or_one_line(tmp_path, document)


@pytest.mark.slow
@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(document=DOCUMENT)
def test_any_project_document_loads_or_gives_one_line_many(tmp_path: Path, document: dict):
    _loads_or_one_line(tmp_path, document)
