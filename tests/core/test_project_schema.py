"""A project file is checked as a whole against one schema: every field's type and range, with the
field path in one line; the published JSON Schema says the same."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from terrain_viewer.core.common.errors import ProjectError
from terrain_viewer.core.model import ViewerModel
from terrain_viewer.core.project import load_project, read_project, save_project
from terrain_viewer.core.project.schema import check_document, json_schema

DOCS = Path(__file__).resolve().parents[2] / "docs"
HEAD = '"format": "terrain_viewer project", "version": 1'


@pytest.mark.parametrize(("body", "problem"), [
    ('"basemap": {"provider": "OpenStreetMap.Mapnik", "opacity": "0.5"}',
     'basemap.opacity: expected a number 0..1, got "0.5"'),
    ('"basemap": {"url": "https://t/{z}/{x}/{y}.png", "max_zoom": 19.5}',
     "basemap.max_zoom: expected a whole number 0..30, got 19.5"),
    ('"basemap": "OpenStreetMap"', 'basemap: expected an object or null, got "OpenStreetMap"'),
    ('"options": {"legend": "yes"}', 'options.legend: expected true or false, got "yes"'),
    ('"view": [0, 0, "10", 10]', 'view[2]: expected a number, got "10"'),
    ('"view": [0, 0, 10]', "view: expected [xmin, ymin, xmax, ymax] with xmax > xmin and ymax > ymin, got"),
    ('"view": [0, 0, NaN, 10]', "view[2]: expected a finite number, got nan"),
    ('"view": [-Infinity, 0, 1, 10]', "view[0]: expected a finite number, got -inf"),
    ('"view": [0, 0, 1e999, 10]', "view[2]: expected a finite number, got inf"),
    ('"layers": [{"name": "units", "style": {"linewidth": "thick"}}]',
     'layers[0].style.linewidth: expected a number 0..1000 above 0, got "thick"'),
    ('"layers": [{"name": "units", "style": {"label_size": 99999}}]',  # FreeType failed: a blank map
     "layers[0].style.label_size: expected a number 1..200, got 99999"),
    ('"layers": [{"name": "units", "style": {"time_offset": 1e300}}]',
     "layers[0].style.time_offset: expected a number -36500..36500, got 1e+300"),
    ('"layers": [{"name": "units", "style": {"marker": "banana"}}]',
     'layers[0].style.marker: expected one of ".", ","'),
    ('"layers": [{"name": "units", "style": {"color": "notacolour"}}]',
     'layers[0].style.color: expected a colour (#rrggbb or a name), got "notacolour"'),
    ('"time": ' + "9" * 400, "time: expected a number of at most 300 digits, got a 400-digit integer"),
    ('"time": -' + "9" * 5000, "time: expected a number of at most 300 digits, got a 5000-digit integer"),
    ('"export": {"fps": ' + "1" * 400 + "}",
     "export.fps: expected a number of at most 300 digits, got a 400-digit integer"),
    ('"files": [{"path": "a.gpkg", "layers": [1]}]', "files[0].layers[0]: expected a string, got 1"),
    ('"swipe": {"enabled": 1}', "swipe.enabled: expected true or false, got 1"),
])
def test_every_field_is_checked_with_its_path_and_expected_type(tmp_path: Path, body: str, problem: str):
    path = tmp_path / "bad.tvproj"
    path.write_text("{" + HEAD + ", " + body + "}", encoding="utf-8")
    with pytest.raises(ProjectError) as caught:
        read_project(path)
    message = caught.value.message
    assert message.startswith(f"{path}: bad project: ") and problem in message, message
    assert "\n" not in message and len(message) < 400


def test_a_map_crs_the_data_cannot_be_drawn_in_is_refused(small_gpkg: Path, tmp_path: Path):
    path = tmp_path / "p.tvproj"
    save_project(ViewerModel.open([small_gpkg]), path)
    data = json.loads(path.read_text(encoding="utf-8"))
    data["map_crs"] = "+proj=ortho +lat_0=-26 +lon_0=-67"  # the other side of the globe
    data.pop("view")
    path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(ProjectError, match="map_crs: expected a CRS the data can be drawn in"):
        load_project(path)


def test_an_astronomical_view_is_clamped_to_the_data(small_gpkg: Path, tmp_path: Path):
    path = tmp_path / "p.tvproj"
    model = ViewerModel.open([small_gpkg])
    save_project(model, path)
    data = json.loads(path.read_text(encoding="utf-8"))
    data["view"] = [-1e300, -1e300, 1e300, 1e300]
    path.write_text(json.dumps(data), encoding="utf-8")
    loaded, _ = load_project(path)
    x0, y0, x1, y1 = model.full_extent()
    assert loaded.view[0] >= x0 - 11 * (x1 - x0) and loaded.view[2] <= x1 + 11 * (x1 - x0)
    assert loaded.view[1] >= y0 - 11 * (y1 - y0) and loaded.view[3] <= y1 + 11 * (y1 - y0)
    data["view"] = [1e200, 1e200, 1e200 * 1.0000001, 1e200 * 1.0000001]  # far outside: the data
    path.write_text(json.dumps(data), encoding="utf-8")
    assert load_project(path)[0].view == model.full_extent()


def test_the_published_json_schema_is_the_checkers():
    published = json.loads((DOCS / "project.schema.json").read_text(encoding="utf-8"))
    assert published == json_schema()
    assert set(published["properties"]) == {"format", "version", "files", "map_crs", "layers", "time",
                                             "time_range", "follow", "view", "options", "swipe", "basemap",
                                             "export"}


DOCUMENTS = [
    {"format": "terrain_viewer project", "version": 1},
    {"format": "terrain_viewer project", "version": 1, "layers": [{"name": "a", "opacity": 0.5}],
     "view": [0, 0, 1, 1], "basemap": None, "swipe": {"position": 1}, "later_field": [1]},
    {"format": "terrain_viewer project", "version": 1, "layers": [{"name": "a", "opacity": 2}]},
    {"format": "terrain_viewer project", "version": 1, "basemap": {"opacity": "1"}},
    {"format": "terrain_viewer project", "version": 1, "options": {"title": 3}},
    {"format": "terrain_viewer project", "version": 1, "layers": [{"name": "a", "style": {"marker": "?"}}]},
    {"format": "terrain_viewer project", "version": 1, "files": [{"layers": []}]},
    {"format": "terrain_viewer project", "version": 1, "view": [0, 0, 1]},
    {"format": "terrain_viewer project", "version": 1, "time": True},
    {"format": "terrain_viewer project", "version": 1, "time_range": [-9313, -9303], "follow": "units"},
    {"format": "terrain_viewer project", "version": 1, "time_range": [-9313]},
    {"format": "terrain_viewer project", "version": 1, "follow": ""},
    {"format": "terrain_viewer project", "version": 1, "layers": [{"name": "a", "extra": 1}]},
    {"format": "terrain_viewer project"},
]


@pytest.mark.parametrize("document", DOCUMENTS)
def test_json_schema_and_checker_agree(document: dict):
    jsonschema = pytest.importorskip("jsonschema")
    schema_ok = jsonschema.Draft202012Validator(json_schema()).is_valid(document)
    assert schema_ok == (check_document(document) is None), check_document(document)


def test_the_documented_example_follows_the_published_schema():
    jsonschema = pytest.importorskip("jsonschema")
    doc = (DOCS / "project-format.md").read_text(encoding="utf-8")
    example = json.loads(doc.split("```json\n", 1)[1].split("```", 1)[0])
    jsonschema.validate(example, json.loads((DOCS / "project.schema.json").read_text(encoding="utf-8")))
    assert check_document(example) is None
