"""Project files: round trip, relative paths, missing files, bad files, atomic and crash-safe saving."""

from __future__ import annotations

import errno
import json
import math
import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest

from terrain_viewer.core.common import atomic
from terrain_viewer.core.common.errors import DataError, ProjectError
from terrain_viewer.core.model import ViewerModel
from terrain_viewer.core.project import load_project, missing_files, read_project, relocate, save_project
from terrain_viewer.core.temporal.timeline import day_number

EXPORT = {"format": "mp4", "size": [1280, 720], "fps": 12, "from": "1944-06-23", "note": "衡阳"}


def _styled_model(paths: list[Path]) -> ViewerModel:
    """A model with every kind of state changed away from its default."""
    model = ViewerModel.open(paths)
    model.set_visible("rivers", False)
    model.set_opacity("events", 0.4)
    model.move_layer("units", 0)
    model.set_style("units", color="#aa0000", size=1.5)
    model.state("events").group = "modern"
    import datetime as dt

    model.time.set_t(day_number(dt.datetime(1944, 6, 24, 12)))
    x0, y0, x1, y1 = model.full_extent()
    model.set_view((x0 + 100, y0 + 50, x1 - 100, y1 - 50))
    model.set_options(legend=False, chinese_names=True, title="衡阳 1944")
    model.set_swipe(enabled=True, position=0.3)
    model.set_basemap({"provider": "OpenStreetMap.Mapnik"})
    return model


def _session(model: ViewerModel) -> dict:
    data = model.to_dict()
    data.pop("paths")
    return data


@pytest.fixture
def data_dir(small_gpkg: Path, tmp_path: Path) -> Path:
    folder = tmp_path / "work" / "data"
    folder.mkdir(parents=True)
    shutil.move(small_gpkg, folder / "small.gpkg")
    return folder


def test_round_trip_restores_the_whole_session_and_export_settings(data_dir: Path):
    model = _styled_model([data_dir / "small.gpkg"])
    target = data_dir.parent / "siege.tvproj"
    save_project(model, target, export=EXPORT)
    raw = json.loads(target.read_text(encoding="utf-8"))
    assert raw["format"] == "terrain_viewer project" and raw["version"] == 1
    assert raw["files"][0]["path"] == "data/small.gpkg"
    assert "衡阳 1944" in target.read_text(encoding="utf-8")  # human-readable, not \\u-escaped
    loaded, info = load_project(target)
    assert info.missing == [] and info.export == EXPORT
    assert _session(loaded) == _session(model)
    assert [s.name for s in loaded.layer_states][0] == "units"
    assert loaded.state("units").style == {"color": "#aa0000", "size": 1.5}


def test_project_and_data_moved_together_still_open(data_dir: Path, tmp_path: Path):
    model = _styled_model([data_dir / "small.gpkg"])
    save_project(model, data_dir.parent / "siege.tvproj")
    moved = shutil.move(data_dir.parent, tmp_path / "elsewhere")
    loaded, info = load_project(Path(moved) / "siege.tvproj")
    assert info.missing == []
    assert loaded.paths == [Path(moved) / "data" / "small.gpkg"]
    assert _session(loaded) == _session(model)


def test_project_moved_alone_falls_back_to_the_absolute_path(data_dir: Path, tmp_path: Path):
    model = _styled_model([data_dir / "small.gpkg"])
    save_project(model, data_dir.parent / "siege.tvproj")
    (tmp_path / "other").mkdir()
    moved = shutil.move(data_dir.parent / "siege.tvproj", tmp_path / "other" / "siege.tvproj")
    loaded, info = load_project(moved)
    assert info.missing == [] and {layer.name for layer in loaded.dataset.layers} >= {"units", "rivers"}


def test_missing_file_keeps_its_layer_states_until_relocated(data_dir: Path, tmp_path: Path):
    model = _styled_model([data_dir / "small.gpkg"])
    target = data_dir.parent / "siege.tvproj"
    save_project(model, target)
    new_place = tmp_path / "moved.gpkg"
    shutil.move(data_dir / "small.gpkg", new_place)

    loaded, info = load_project(target)
    old = data_dir / "small.gpkg"
    assert info.missing == [old]
    assert any("small.gpkg: data file not found" in p for p in info.problems)
    assert loaded.dataset.layers == []
    assert loaded.state("units").style["color"] == "#aa0000" and not loaded.state("rivers").visible
    assert set(missing_files(loaded)[old]) == {"units", "events", "rivers"}

    # saving while the file is missing keeps it in the project
    save_project(loaded, target)
    again, info2 = load_project(target)
    assert info2.missing == [old] and _session(again)["layers"] == _session(model)["layers"]

    kinds = []
    again.events.any.connect(lambda change: kinds.append(change.kind))
    problems = relocate(again, old, new_place)
    assert problems == [] and "layer_added" in kinds
    assert missing_files(again) == {}
    assert {layer.name for layer in again.dataset.layers} == {"units", "events", "rivers"}
    assert _session(again) == _session(model)
    assert again.paths == [new_place]


def test_relocate_to_a_bad_file_reports_and_stays_missing(data_dir: Path, tmp_path: Path):
    save_project(ViewerModel.open([data_dir / "small.gpkg"]), data_dir.parent / "p.tvproj")
    (data_dir / "small.gpkg").unlink()
    model, info = load_project(data_dir.parent / "p.tvproj")
    junk = tmp_path / "junk.gpkg"
    junk.write_bytes(b"not a geopackage at all" * 100)
    with pytest.raises(DataError, match="junk.gpkg: not a GeoPackage"):
        relocate(model, info.missing[0], junk)
    assert list(missing_files(model)) == info.missing
    with pytest.raises(ProjectError, match="not a missing file"):
        relocate(model, junk, junk)

    import geopandas as gpd
    import shapely

    other = tmp_path / "other.gpkg"
    gpd.GeoDataFrame({"name_en": ["x"]}, geometry=shapely.points([112.6], [26.9]), crs=4326).to_file(
        other, layer="gates")
    with pytest.raises(DataError, match=r"other.gpkg: has none of the project's layers \(units, events, "):
        relocate(model, info.missing[0], other)
    assert list(missing_files(model)) == info.missing
    gpd.GeoDataFrame({"name_en": ["x"]}, geometry=shapely.points([112.6], [26.9]), crs=4326).to_file(
        other, layer="units")
    problems = relocate(model, info.missing[0], other)  # has one of them: taken, the rest reported
    assert problems == [f"{other}: layers not in this file: events, rivers"]
    assert missing_files(model) == {} and [layer.name for layer in model.dataset.layers] == ["gates", "units"]


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (b"", "empty project file"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\xff\xfe", "not UTF-8"),
        (b'{\n  "format": "terrain_viewer project",\n  "version": 1,\n  "files": [\n}', "line 5"),
        (b'{"hello": 1}', 'no "format": "terrain_viewer project"'),
        (b"[1, 2]", "not a terrain_viewer project"),
        (b'{"format": "terrain_viewer project", "version": 3}',
         "made by a newer terrain_viewer (version 3); this one reads up to 1"),
        (b'{"format": "terrain_viewer project", "version": "1"}', "bad project version '1'"),
        (b'{"format": "terrain_viewer project", "version": 1, "view": [0, 0, -1, 1]}',
         "view: expected [xmin, ymin, xmax, ymax] with xmax > xmin and ymax > ymin, got [0, 0, -1, 1]"),
        (b'{"format": "terrain_viewer project", "version": 1, "layers": [{"name": "a", "opacity": 5}]}',
         "layers[0].opacity: expected a number 0..1, got 5"),
        (b'{"format": "terrain_viewer project", "version": 1, "files": [{"path": 3}]}',
         "files[0].path: expected a non-empty string, got 3"),
        (b'{"format": "terrain_viewer project", "version": 1, "time": "soon"}',
         'time: expected a number, got "soon"'),
        (b'{"format": "terrain_viewer project", "version": 1, "map_crs": "EPSG:999999"}',
         "map_crs: expected a CRS pyproj knows, got 'EPSG:999999'"),
        (b'{"format": "terrain_viewer project", "version": 1, "options": {"caption_format": 5}}',
         "options.caption_format: expected a string, got 5"),
        (b'{"format": "terrain_viewer project", "version": 1, "swipe": {"position": 2}}',
         "swipe.position: expected a number 0..1, got 2"),
        (b'{"format": "terrain_viewer project", "version": 1, "layers": [{"name": "a", "visible": "no"}]}',
         'layers[0].visible: expected true or false, got "no"'),
        (b'{"format": "terrain_viewer project", "version": 1, "layers": [{"name": "a"}, {"name": "a"}]}',
         'layers: "a" is listed twice (expected unique names)'),
        (b'{"format": "terrain_viewer project", "version": 1, "layers": [{"name": "a", "\\n": 1}]}',
         'layers[0]: unknown key "\\n" (expected one of name, visible, opacity, group, style)'),
    ],
)
def test_bad_project_files_give_one_line_messages_naming_the_file(tmp_path: Path, content, problem):
    path = tmp_path / "bad.tvproj"
    path.write_bytes(content)
    with pytest.raises(ProjectError) as caught:
        load_project(path)
    message = caught.value.message
    assert message.startswith(f"{path}: ") and problem in message and "\n" not in message


def test_fields_of_a_later_version_are_ignored(tmp_path: Path, capsys):
    from terrain_viewer.cli import main

    path = tmp_path / "later.tvproj"
    path.write_text('{"format": "terrain_viewer project", "version": 1, "time": 1e300, "wind": 3,'
                    ' "swipe": {"enabled": true, "mode": "circle"}, "options": {"legend": false, "x": 1}}',
                    encoding="utf-8")
    model, info = load_project(path)
    assert model.swipe.enabled and not model.options.legend and info.missing == []
    assert main(["project-info", str(path)]) == 0
    assert "time 1e+300 (out of range)" in capsys.readouterr().out


def test_missing_project_file(tmp_path: Path):
    with pytest.raises(ProjectError, match="project file not found"):
        read_project(tmp_path / "nope.tvproj")


def test_second_save_keeps_the_previous_version_as_bak(data_dir: Path):
    model = ViewerModel.open([data_dir / "small.gpkg"])
    target = data_dir.parent / "p.tvproj"
    save_project(model, target)
    first = target.read_bytes()
    model.set_visible("units", False)
    save_project(model, target)
    assert target.with_name("p.tvproj.bak").read_bytes() == first
    assert load_project(target)[0].state("units").visible is False
    assert sorted(p.name for p in target.parent.iterdir()) == ["data", "p.tvproj", "p.tvproj.bak"]


def test_disk_full_keeps_the_previous_file_and_leaves_no_temp(data_dir: Path, monkeypatch):
    model = ViewerModel.open([data_dir / "small.gpkg"])
    target = data_dir.parent / "p.tvproj"
    save_project(model, target)
    before = sorted(p.name for p in target.parent.iterdir())
    good = target.read_bytes()

    def full(handle, data):
        handle.write(data[:10])
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(atomic, "write_data", full)  # the shared writer's one write step
    model.set_visible("units", False)
    with pytest.raises(ProjectError, match="disk is full; the previous project file is unchanged"):
        save_project(model, target)
    assert target.read_bytes() == good
    assert sorted(p.name for p in target.parent.iterdir()) == before


@pytest.mark.parametrize("step", ["temp file", "write", "fsync", "backup copy", "rename"])
def test_a_failure_at_any_step_of_saving_keeps_the_previous_project(data_dir: Path, monkeypatch, step):
    model = ViewerModel.open([data_dir / "small.gpkg"])
    target = data_dir.parent / "p.tvproj"
    save_project(model, target)
    save_project(model, target)  # now there is a .bak too
    before = {p.name: p.read_bytes() for p in target.parent.iterdir() if p.is_file()}

    def fail(*args, **kwargs):
        raise OSError(errno.EACCES, "Permission denied")

    from terrain_viewer.core.common import files

    # the steps of the shared atomic writer (core/common/atomic.py) that saving goes through
    where = {"temp file": (files.tempfile, "mkstemp"), "write": (atomic, "write_data"),
             "fsync": (atomic.os, "fsync"), "backup copy": (atomic.shutil, "copyfile"),
             "rename": (atomic.os, "replace")}[step]
    monkeypatch.setattr(*where, fail)
    model.set_visible("units", False)
    with pytest.raises(ProjectError) as caught:
        save_project(model, target)
    monkeypatch.undo()
    assert caught.value.message == (f"{target}: cannot save: Permission denied; "
                                    "the previous project file is unchanged")
    assert {p.name: p.read_bytes() for p in target.parent.iterdir() if p.is_file()} == before
    assert load_project(target)[0].state("units").visible is True


def test_a_saved_project_gets_the_users_usual_file_mode(data_dir: Path):
    import os
    import stat

    old = os.umask(0o022)
    try:
        path = save_project(ViewerModel.open([data_dir / "small.gpkg"]), data_dir.parent / "m.tvproj")
    finally:
        os.umask(old)
    assert stat.S_IMODE(path.stat().st_mode) == 0o644  # not mkstemp's private 0600


def test_export_settings_that_are_not_json_are_refused_before_writing(data_dir: Path):
    target = data_dir.parent / "p.tvproj"
    with pytest.raises(ProjectError, match="cannot store the session as JSON"):
        save_project(ViewerModel.open([data_dir / "small.gpkg"]), target, export={"fps": float("nan")})
    assert not target.exists() and list(target.parent.glob(".*")) == []


SLOW_SAVER = textwrap.dedent("""
    import sys, time
    from terrain_viewer.core import project as proj
    from terrain_viewer.core.common import atomic
    from terrain_viewer.core.model import ViewerModel

    def slow(handle, data):
        print("writing", flush=True)
        for i in range(0, len(data), 64):
            handle.write(data[i:i + 64]); handle.flush(); time.sleep(0.01)

    atomic.write_data = slow
    model = ViewerModel.open([sys.argv[1]])
    for state in model.layer_states:
        state.style["note"] = "x" * 20000  # a big project: the write takes seconds
    proj.save_project(model, sys.argv[2], export={"big": list(range(5000))})
""")


def _run(script: str, *args: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", script, *args], stdout=subprocess.PIPE, text=True,
                            cwd=Path(__file__).resolve().parents[2])


def test_kill_during_save_leaves_the_last_good_project(data_dir: Path):
    target = data_dir.parent / "p.tvproj"
    model = ViewerModel.open([data_dir / "small.gpkg"])
    model.set_opacity("units", 0.25)
    save_project(model, target)
    good = target.read_bytes()
    saver = _run(SLOW_SAVER, str(data_dir / "small.gpkg"), str(target))
    assert saver.stdout.readline().strip() == "writing"
    deadline = time.monotonic() + 30  # killed once the project's own temp has bytes (a loaded
    while time.monotonic() < deadline:  # machine took longer than a fixed 0.3 s to get there)
        if any(p.stat().st_size > 0 for p in target.parent.glob(".p.partial-*.tvproj")):
            break
        time.sleep(0.02)
    saver.send_signal(signal.SIGKILL)
    saver.wait(timeout=10)
    assert saver.returncode == -signal.SIGKILL
    assert target.read_bytes() == good
    assert load_project(target)[0].state("units").opacity == 0.25
    leftovers = list(target.parent.glob(".p.partial-*.tvproj"))
    assert len(leftovers) == 1 and leftovers[0].stat().st_size > 0  # the half-written temp, not the project
    save_project(model, target)
    assert leftovers[0].exists()  # recent: might belong to a save still running elsewhere
    os.utime(leftovers[0], (time.time() - 7200, time.time() - 7200))
    save_project(model, target)
    assert not leftovers[0].exists()  # an hour old: a killed save's, removed by the next save


LOOP_SAVER = textwrap.dedent("""
    import sys
    from terrain_viewer.core import project as proj
    from terrain_viewer.core.model import ViewerModel

    model = ViewerModel.open([sys.argv[1]])
    i = 0
    while True:
        i += 1
        model.set_opacity("units", (i % 10) / 10)
        proj.save_project(model, sys.argv[2], export={"i": i, "pad": "y" * 50000})
        if i == 1:
            print("ready", flush=True)  # one save done: from now on every kill lands mid-loop
""")


def test_kill_at_random_moments_of_repeated_saves_never_breaks_the_project(data_dir: Path):
    target = data_dir.parent / "p.tvproj"
    save_project(ViewerModel.open([data_dir / "small.gpkg"]), target, export={"i": 0})
    rng = np.random.default_rng(7)
    for delay in rng.uniform(0.0, 0.15, size=5):
        saver = _run(LOOP_SAVER, str(data_dir / "small.gpkg"), str(target))
        assert saver.stdout.readline().strip() == "ready"
        time.sleep(float(delay))
        os.kill(saver.pid, signal.SIGKILL)
        saver.wait(timeout=10)
        model, info = load_project(target)  # always a whole project, old or new
        assert info.missing == [] and info.export["i"] >= 1
        assert model.state("units").opacity == (info.export["i"] % 10) / 10  # one save's, not a mix


def test_reopened_project_renders_pixel_identical_frames(data_dir: Path):
    from terrain_viewer.core.render.renderer import MapRenderer

    model = _styled_model([data_dir / "small.gpkg"])
    model.set_visible("rivers", True)
    target = data_dir.parent / "p.tvproj"
    save_project(model, target)
    loaded, _ = load_project(target)
    for t in (model.time.t, model.time.start + 1.5):
        a = MapRenderer(model).render(t, size=(400, 300))
        b = MapRenderer(loaded).render(t, size=(400, 300))
        assert a.shape == (300, 400, 4)
        assert len(np.unique(a.reshape(-1, 4), axis=0)) > 20  # a real map, not a blank frame
        np.testing.assert_array_equal(a, b)


def test_project_info_cli_lists_files_and_layers_and_flags_missing(data_dir: Path, capsys):
    from terrain_viewer.cli import main

    model = _styled_model([data_dir / "small.gpkg"])
    target = data_dir.parent / "p.tvproj"
    save_project(model, target, export=EXPORT)
    assert main(["project-info", str(target)]) == 0
    out = capsys.readouterr().out
    assert f"ok      {data_dir / 'small.gpkg'}  [" in out
    assert "hidden rivers  group 1944" in out and "events  group modern, opacity 0.40" in out
    assert "time 1944-06-24T12:00; map CRS EPSG:32649" in out and "export settings: format, fps" in out
    (data_dir / "small.gpkg").unlink()
    assert main(["project-info", str(target)]) == 1
    out = capsys.readouterr().out
    assert "files (1, 1 missing)" in out and f"MISSING {data_dir / 'small.gpkg'}" in out
    assert "units  group 1944, opacity 1.00  (file missing)" in out


def test_a_projects_time_range_is_saved_loaded_and_listed(data_dir: Path, capsys):
    """The slider's range (Time ▸ Time range…) was not in the project: reopened, the slider covered
    all the data again."""
    from terrain_viewer.cli import main

    model = ViewerModel.open([data_dir / "small.gpkg"])
    first = math.floor(model.time.start)
    model.set_time_range(first + 1, first + 2)
    target = data_dir.parent / "range.tvproj"
    save_project(model, target)
    again, _ = load_project(target)
    assert (again.time.start, again.time.end) == (first + 1, first + 2) == again.time_range
    assert main(["project-info", str(target)]) == 0
    assert "(time range 1944-06-24 to 1944-06-25)" in capsys.readouterr().out
    model.set_time_range(None)
    save_project(model, target)
    assert "time_range" not in json.loads(target.read_text(encoding="utf-8"))  # none set: none saved


def test_project_info_cli_on_a_broken_project_is_one_line_exit_3(tmp_path: Path, capsys):
    from terrain_viewer.cli import main

    bad = tmp_path / "bad.tvproj"
    bad.write_text('{"format": "terrain_viewer project", "version": 2}', encoding="utf-8")
    assert main(["project-info", str(bad)]) == 3
    err = capsys.readouterr().err
    assert err == (f"terrain-viewer: {bad}: made by a newer terrain_viewer (version 2); "
                   "this one reads up to 1\n")


def test_project_info_says_what_render_refuses_or_leaves_out(data_dir: Path, capsys):
    """A map CRS pyproj does not know was listed with exit 0 (render: exit 3), a layer in no file
    listed as shown (a new user)."""
    from terrain_viewer.cli import main

    target = data_dir.parent / "p.tvproj"
    save_project(ViewerModel.open([data_dir / "small.gpkg"]), target)
    data = json.loads(target.read_text(encoding="utf-8"))
    data["layers"].append({"name": "nonexistent"})
    target.write_text(json.dumps(data), encoding="utf-8")
    assert main(["project-info", str(target)]) == 0
    assert "shown  nonexistent  group 1944, opacity 1.00  (in no file: not drawn)" in capsys.readouterr().out
    data["map_crs"] = "EPSG:99999"
    target.write_text(json.dumps(data), encoding="utf-8")
    out = str(data_dir / "x.png")
    assert main(["project-info", str(target)]) == main(["render", str(target), "--out", out]) == 3
    err = capsys.readouterr().err.splitlines()
    assert err[0] == err[1] and "map_crs: expected a CRS pyproj knows, got 'EPSG:99999'" in err[0]


def test_logging_goes_to_a_rotating_file_and_falls_back_to_stderr(tmp_path: Path, capsys):
    import logging

    from terrain_viewer.core.common.logs import log_exception, setup_logging

    path = setup_logging(folder=tmp_path / "logs")
    assert path == tmp_path / "logs" / "terrain_viewer.log"
    try:
        raise ValueError("boom")
    except ValueError as exc:
        log_exception(exc, "loading")
    logging.getLogger("terrain_viewer.test").info("hello 衡阳")
    text = path.read_text(encoding="utf-8")
    assert "unexpected error in loading" in text and "ValueError: boom" in text and "hello 衡阳" in text
    blocker = tmp_path / "file"
    blocker.write_text("x")
    assert setup_logging(folder=blocker / "logs") is None  # cannot create: stderr only, no exception
    logging.getLogger("terrain_viewer.test").warning("still logged")
    assert "still logged" in capsys.readouterr().err
    logger = logging.getLogger("terrain_viewer")
    handlers = [h for h in logger.handlers if getattr(h, "_terrain_viewer_handler", False)]
    assert len(handlers) == 1  # calling it again replaced, not stacked, the handlers
    for handler in handlers:
        logger.removeHandler(handler)


def test_the_documented_example_is_a_valid_project(tmp_path: Path):
    doc = (Path(__file__).resolve().parents[2] / "docs" / "project-format.md").read_text(encoding="utf-8")
    example = doc.split("```json\n", 1)[1].split("```", 1)[0]
    path = tmp_path / "example.tvproj"
    path.write_text(example, encoding="utf-8")
    project = read_project(path)
    assert [e.path.name for e in project.files] == ["hengyang_1944.gpkg", "hengyang_dem.tif"]
    assert project.export["fps"] == 12 and project.session["time"] == -9305.0
    model, info = load_project(path)  # the data is not next to it: all missing, states kept
    assert len(info.missing) == 2 and model.state("events").visible is False


def test_shipped_data_project_reopens_pixel_identical(tmp_path: Path, shipped_gpkg: Path):
    from terrain_viewer.core.data.builtin import builtin_paths
    from terrain_viewer.core.render.renderer import MapRenderer

    model = ViewerModel.open(builtin_paths())
    model.set_visible("events", False)
    model.set_opacity("flooded_fields", 0.5)
    model.move_layer("front_lines", len(model.layer_states) - 1)
    model.time.set_date("1944-07-11")
    model.set_view(model.layer_extent("city"))
    save_project(model, tmp_path / "siege.tvproj")
    loaded, info = load_project(tmp_path / "siege.tvproj")
    assert info.missing == [] and info.problems == []
    assert [r.name for r in loaded.dataset.rasters] == [r.name for r in model.dataset.rasters] != []
    for t in (model.time.t, model.time.t + 0.5):
        a = MapRenderer(model).render(t, size=(480, 270))
        b = MapRenderer(loaded).render(t, size=(480, 270))
        assert len(np.unique(a.reshape(-1, 4), axis=0)) > 50
        np.testing.assert_array_equal(a, b)


def test_cjk_and_spaces_in_folder_and_file_names(small_gpkg: Path, tmp_path: Path):
    folder = tmp_path / "衡阳 战役" / "数据 files"
    folder.mkdir(parents=True)
    data = Path(shutil.move(small_gpkg, folder / "衡阳 1944 (v2).gpkg"))
    model = _styled_model([data])
    target = tmp_path / "衡阳 战役" / "保卫战 1944.tvproj"
    save_project(model, target)
    raw = json.loads(target.read_text(encoding="utf-8"))
    assert raw["files"][0]["path"] == "数据 files/衡阳 1944 (v2).gpkg"
    loaded, info = load_project(target)
    assert info.missing == [] and loaded.paths == [data] and _session(loaded) == _session(model)


def test_layers_of_same_named_files_keep_their_own_states_when_one_is_missing(small_gpkg: Path,
                                                                              tmp_path: Path):
    second = Path(shutil.copy(small_gpkg, tmp_path / "second.gpkg"))
    model = ViewerModel.open([small_gpkg, second])
    assert "units (second)" in [s.name for s in model.layer_states]
    model.set_opacity("units", 0.2)
    model.set_opacity("units (second)", 0.7)
    save_project(model, tmp_path / "p.tvproj")
    moved = Path(shutil.move(small_gpkg, tmp_path / "moved.gpkg"))

    loaded, info = load_project(tmp_path / "p.tvproj")
    assert info.missing == [small_gpkg]
    assert [layer.name for layer in loaded.dataset.layers] == ["units (second)", "events (second)",
                                                               "rivers (second)"]
    assert loaded.state("units (second)").opacity == 0.7 and loaded.state("units").opacity == 0.2
    assert relocate(loaded, small_gpkg, moved) == []
    assert loaded.dataset.layer("units").path == moved and loaded.state("units").opacity == 0.2
    assert _session(loaded) == _session(model)
