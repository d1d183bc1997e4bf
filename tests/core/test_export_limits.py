"""Export settings are held to their stated ranges (docs/export-settings.md): every bad value is
one line naming the settings file and the field path, before anything is rendered."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from terrain_viewer.core.common.errors import ExportError
from terrain_viewer.core.export.settings import ExportSettings

EXTENT = [655200, 2971000, 664800, 2980000]
GOOD = {"start": "1944-07-10", "end": "1944-07-12", "frames_per_day": 2, "size": "320x180", "workers": 1}


def load(tmp_path: Path, **values) -> ExportSettings:
    path = tmp_path / "export.json"
    path.write_text(json.dumps({**GOOD, **values}))
    return ExportSettings.load(path)


def refused(tmp_path: Path, field: str, needle: str, **values) -> str:
    """The one-line error for ``values``, which names the file and ``field``."""
    with pytest.raises(ExportError) as info:
        load(tmp_path, **values)
    message = info.value.message
    assert message.startswith(f"{tmp_path / 'export.json'}: {field}"), message
    assert needle in message and "\n" not in message and len(message) < 400, message
    return message


@pytest.mark.parametrize("field, value, needle", [
    ("title_seconds", 1e308, "must be a number 0..60, got 1e+308"),
    ("title_seconds", -1, "must be a number 0..60"),
    ("fps", float("nan"), "got nan"),
    ("fps", 10 ** 400, "must be a number 0.5..120"),
    ("frames_per_day", 2.5, "must be a whole number 1..240"),
    ("frames_per_day", True, "must be a whole number"),
    ("workers", "many", "must be a whole number 1..64"),
    ("workers", 65, "must be a whole number 1..64"),
    ("title", "x" * 1_000_000, "is 1000000 characters long; at most 200"),
    ("subtitle", ["a", "list"], "must be text"),
    ("legend", "yes", "must be true or false"),
    ("view", [0, 0, 1e308, 10], "view[2]: must be a number -1e+08..1e+08, got 1e+308"),
    ("view", [10, 0, 0, 10], "xmax must exceed xmin"),
    ("view", "everywhere", "must be [xmin, ymin, xmax, ymax]"),
])
def test_numbers_text_and_switches_outside_their_ranges_are_refused(tmp_path, field, value, needle):
    refused(tmp_path, field, needle, **{field: value})


def test_a_camera_extent_of_1e308_is_named_by_its_path(tmp_path):
    camera = [{"date": "1944-07-10", "extent": EXTENT}, {"date": "1944-07-12", "extent": [0, 0, 1e308, 1]}]
    refused(tmp_path, "camera[1].extent[2]", "must be a number -1e+08..1e+08, got 1e+308", camera=camera)
    refused(tmp_path, "camera[0]", "needs a date and an extent", camera=[{"date": "1944-07-10"}])
    refused(tmp_path, "camera[0].date", "must be text", camera=[{"date": 1944, "extent": EXTENT}])
    refused(tmp_path, "camera", "at most 1000",
            camera=[{"date": "1944-07-10", "extent": EXTENT}] * 1001)


@pytest.mark.parametrize("fmt, needle", [
    ("{day:>300000000}", "the width must be at most 40"),
    ("{day:.99f}", "the precision must be at most 40"),
    ("{day.foo}", "unknown field {day.foo}"),
    ("{day[0]}", "unknown field {day[0]}"),
    ("{}", "unknown field {}"),
    ("{0}", "unknown field {0}"),
    ("{hour}", "unknown field {hour}: use {day}, {month}"),
    ("{day!x}", "the conversion must be !s or !r"),
    ("{day:{year}}", "not a supported format"),
    ("{month:d}", "cannot format a date"),
    ("{day", "expected '}'"),
    ("{day}" * 50, "at most 200"),
])
def test_caption_formats_use_known_fields_and_a_safe_part_of_the_format_language(tmp_path, fmt, needle):
    refused(tmp_path, "caption_format", needle, caption_format=fmt)


def test_good_caption_formats_and_values_at_the_limits_load(tmp_path):
    fmt = "{weekday:>12} {day:02d} {month:.3} {year} {iso!r} {time}"
    s = load(tmp_path, caption_format=fmt, title_seconds=60, fps=120, frames_per_day=240, title="t" * 200,
             view=[-1e8, -1e8, 1e8, 1e8], workers="auto")
    assert s.caption_format == fmt and s.workers == 0 and s.to_dict()["workers"] == "auto"


def test_a_span_of_millions_of_frames_is_refused_before_anything_is_allocated(tmp_path):
    refused(tmp_path, "start..end", "days; at most 36600", start="0001-01-01", end="9999-12-31")
    refused(tmp_path, "start..end", "frames (days × frames_per_day); at most 500000",
            start="1900-01-01", end="1999-12-31", frames_per_day=24)


def test_files_that_are_not_settings_are_refused_whole(tmp_path):
    path = tmp_path / "export.json"
    path.write_text(" " * (2 << 20) + "{}")
    with pytest.raises(ExportError, match=r"export\.json: not an export settings file \(larger than 1 MB\)"):
        ExportSettings.load(path)
    path.write_text('{"fps": 1' + "0" * 5000 + "}")  # an integer too long for Python to parse
    with pytest.raises(ExportError, match=r"export\.json: export settings are not valid JSON"):
        ExportSettings.load(path)
    path.write_text(json.dumps({**GOOD, "kind": "something else"}))
    with pytest.raises(ExportError, match=r"export\.json: kind: not 'terrain-viewer export settings'"):
        ExportSettings.load(path)


@pytest.mark.parametrize("cpus, frames, expected", [(2, 10_000, 1), (1, 10_000, 1), (8, 60, 1),
                                                   (8, 300, 5), (8, 10_000, 7), (32, 10_000, 8)])
def test_auto_workers_follow_the_machine_and_the_length(cpus, frames, expected):
    assert ExportSettings(workers=0).worker_count(frames, cpus=cpus) == expected
    assert ExportSettings(workers=3).worker_count(frames, cpus=cpus) == 3  # a given count is kept


@pytest.mark.parametrize("workers, cpus, expected", [(0, 2, False), (0, 1, False), (0, 4, True),
                                                     (1, 8, False), (2, 2, True)])
def test_the_workers_server_is_started_only_when_workers_may_be_used(workers, cpus, expected):
    settings = ExportSettings(workers=workers)
    assert settings.may_use_workers(cpus=cpus) is expected
    # never wrong the other way: whenever a worker count above 1 is possible, it says so
    assert expected or all(settings.worker_count(n, cpus=cpus) == 1 for n in (1, 120, 10_000, 100_000))
