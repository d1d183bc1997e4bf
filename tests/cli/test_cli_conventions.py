"""CLI conventions: FILE opens the window, --version, --json, --overwrite, inputs never outputs,
ISO date-times, --view-crs, completion, exit codes in --help, projects read only from regular files."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import matplotlib.image as mpimg
import numpy as np
import pytest

from terrain_viewer import __version__
from terrain_viewer.cli import main

REPO = Path(__file__).resolve().parents[2]


def test_files_without_a_command_open_the_window(monkeypatch, tmp_path: Path):
    from terrain_viewer.gui import app

    opened = []
    monkeypatch.setattr(app, "main", lambda argv: opened.append(argv) or 0)
    assert main([str(tmp_path / "siege.tvproj")]) == 0
    assert main(["a.gpkg", "b.gpkg"]) == 0
    assert main([]) == 0
    assert opened == [[str(tmp_path / "siege.tvproj")], ["a.gpkg", "b.gpkg"], []]


def _exit_code(argv: list[str]) -> int:
    """``main``'s code, or argparse's SystemExit code (usage errors, --help, --version)."""
    try:
        return main(argv)
    except SystemExit as exc:
        return exc.code


def test_version_and_help_list_the_exit_codes(capsys):
    assert _exit_code(["--version"]) == 0
    assert capsys.readouterr().out.strip() == f"terrain-viewer {__version__}"
    assert _exit_code(["--help"]) == 0
    out = capsys.readouterr().out
    for line in ("2  usage error", "3  bad data", "4  the output could not be written", "5  unexpected"):
        assert line in out
    assert _exit_code(["render", "--out", "x.png", "--nope"]) == 2
    assert "unrecognized arguments: --nope" in capsys.readouterr().err


def test_info_and_validate_json(small_gpkg: Path, capsys):
    assert main(["info", "--json", str(small_gpkg)]) == 0
    info = json.loads(capsys.readouterr().out)
    (entry,) = info["files"]
    units = next(layer for layer in entry["layers"] if layer["name"] == "units")
    assert units["features"] == 4 and units["role"] == "keyframes"
    assert entry["time_extent"] == ["1944-06-23", "1944-07-01T06:00"] and entry["map_crs"] == "EPSG:32649"
    assert main(["validate", "--json", str(small_gpkg)]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["errors"] == 0 and {r["layer"] for r in report["reports"]} >= {"units", "rivers"}


def test_render_refuses_an_existing_output_without_overwrite(tmp_path: Path, small_gpkg: Path, capsys):
    out = tmp_path / "frame.png"
    out.write_bytes(b"old")
    args = ["render", str(small_gpkg), "--size", "160x120", "--out", str(out)]
    assert main(args) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "already exists" in err and "--overwrite" in err
    assert out.read_bytes() == b"old"
    assert main([*args, "--overwrite"]) == 0
    assert mpimg.imread(out).shape[:2] == (120, 160)


def test_render_refuses_an_input_as_its_output_even_with_overwrite(tmp_path: Path, capsys):
    scan = tmp_path / "scan.png"
    scan.write_bytes(b"\x89PNG pretend scan")
    assert main(["render", str(scan), "--out", str(scan), "--overwrite"]) == 2
    assert "is one of the inputs" in capsys.readouterr().err
    assert scan.read_bytes() == b"\x89PNG pretend scan"


def test_an_iso_date_time_is_the_date_plus_the_time_fraction(tmp_path: Path, small_gpkg: Path):
    a, b = tmp_path / "a.png", tmp_path / "b.png"
    common = [str(small_gpkg), "--size", "200x150"]
    assert main(["render", *common, "--date", "1944-06-24T12:00", "--out", str(a)]) == 0
    assert main(["render", *common, "--date", "1944-06-24", "--time", "0.5", "--out", str(b)]) == 0
    assert np.array_equal(mpimg.imread(a), mpimg.imread(b))
    assert main(["render", *common, "--date", "1944-06-24T12:00", "--time", "0.5", "--out",
                 str(tmp_path / "c.png")]) == 2


def test_the_time_of_day_may_be_a_clock_time(tmp_path: Path, small_gpkg: Path, capsys):
    """``--time 12:00`` was refused as 'invalid float value' (a new user); 0.5 still works."""
    a, b = tmp_path / "a.png", tmp_path / "b.png"
    common = [str(small_gpkg), "--size", "200x150", "--date", "1944-06-24"]
    assert main(["render", *common, "--time", "12:00", "--out", str(a)]) == 0
    assert main(["render", *common, "--time", "0.5", "--out", str(b)]) == 0
    assert np.array_equal(mpimg.imread(a), mpimg.imread(b))
    capsys.readouterr()
    assert main(["render", *common, "--time", "25:00", "--out", str(tmp_path / "c.png")]) == 2
    err = capsys.readouterr().err
    assert "'25:00'" in err and "clock time" in err and not (tmp_path / "c.png").exists()


def test_a_written_out_date_takes_a_time_of_day_too(tmp_path: Path, small_gpkg: Path):
    """``--date "24 June 1944" --time 12:00`` was refused ("not both": any space was taken for a
    time) and ``--date "24 June 1944 12:00"`` was "not a date" (a new user); the window takes both."""
    out = [tmp_path / f"{n}.png" for n in range(3)]
    common = [str(small_gpkg), "--size", "200x150"]
    assert main(["render", *common, "--date", "1944-06-24T12:00", "--out", str(out[0])]) == 0
    assert main(["render", *common, "--date", "24 June 1944", "--time", "12:00", "--out", str(out[1])]) == 0
    assert main(["render", *common, "--date", "24 June 1944 12:00", "--out", str(out[2])]) == 0
    assert all(np.array_equal(mpimg.imread(out[0]), mpimg.imread(o)) for o in out[1:])
    assert main(["render", *common, "--date", "24 June 1944 12:00", "--time", "12:00", "--out",
                 str(tmp_path / "both.png")]) == 2


def test_view_crs_gives_the_same_frame_as_the_map_crs_view(tmp_path: Path, small_gpkg: Path):
    from pyproj import Transformer

    lonlat = (112.55, 26.85, 112.65, 26.93)
    utm = Transformer.from_crs(4326, 32649, always_xy=True).transform_bounds(*lonlat, densify_pts=21)
    a, b = tmp_path / "a.png", tmp_path / "b.png"
    common = [str(small_gpkg), "--size", "200x150", "--date", "1944-06-24"]
    assert main(["render", *common, "--view", ",".join(map(str, lonlat)), "--view-crs", "EPSG:4326",
                 "--out", str(a)]) == 0
    assert main(["render", *common, "--view", ",".join(repr(v) for v in utm), "--out", str(b)]) == 0
    assert np.array_equal(mpimg.imread(a), mpimg.imread(b))
    assert main(["render", *common, "--view", "0,0,1,1", "--view-crs", "EPSG:nope", "--out", str(a)]) == 2


def test_bash_completion_names_the_commands_and_options(capsys):
    assert main(["--print-completion", "bash"]) == 0
    script = capsys.readouterr().out
    assert "complete -o filenames -F _terrain_viewer terrain-viewer" in script
    assert "project-info" in script and "--overwrite" in script and "--view-crs" in script
    checked = subprocess.run(["bash", "-n"], input=script, text=True, capture_output=True)
    assert checked.returncode == 0, checked.stderr


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
@pytest.mark.parametrize("command", [["project-info"], ["render", "--out", "x.png"]])
def test_a_fifo_named_like_a_project_is_refused_not_read(tmp_path: Path, command: list[str]):
    fifo = tmp_path / "x.tvproj"
    os.mkfifo(fifo)
    argv = [sys.executable, "-m", "terrain_viewer.cli", command[0], str(fifo), *command[1:]]
    done = subprocess.run(argv, cwd=tmp_path, capture_output=True, text=True, timeout=120,
                          env={**os.environ, "PYTHONPATH": str(REPO)})
    assert done.returncode == 3, done.stderr
    assert done.stderr == f"terrain-viewer: {fifo}: not a regular file (a pipe, socket or device); not read\n"


def test_a_bad_project_is_bad_data_exit_3(tmp_path: Path, capsys):
    bad = tmp_path / "bad.tvproj"
    bad.write_text('{"format": "terrain_viewer project", "version": 1, "view": [0, 0, NaN, 1]}')
    assert main(["render", str(bad), "--out", str(tmp_path / "x.png")]) == 3
    assert capsys.readouterr().err == (f"terrain-viewer: {bad}: bad project: view[2]: "
                                       "expected a finite number, got nan\n")


@pytest.mark.parametrize(("command", "code"), [("info", 0), ("validate", 0), ("info --json", 0), ("info", 3)])
def test_the_console_script_exits_with_the_commands_code_after_the_exit_handlers(command, code, small_gpkg,
                                                                                 tmp_path):
    """``console_main`` skips the interpreter's teardown, not what a normal exit runs first: the
    ``atexit`` handlers (logging, tile threads) run, the output is all there, the exit code is the
    command's."""
    target = str(small_gpkg if code == 0 else tmp_path / "missing.gpkg")
    argv = ["terrain-viewer", command.split()[0], target, *command.split()[1:]]
    script = ("import atexit, sys\n"
              "atexit.register(lambda: print('exit handlers ran', flush=True))\n"
              f"sys.argv = {argv!r}\n"
              "from terrain_viewer.cli import console_main\n"
              "console_main()\n"
              "print('not reached')\n")
    run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120,
                         env={**os.environ, "TERRAIN_VIEWER_LOG_DIR": str(tmp_path / "logs")})
    assert run.returncode == code, run.stderr
    assert run.stdout.rstrip().endswith("exit handlers ran") and "not reached" not in run.stdout
    if code == 0:
        assert Path(small_gpkg).name in run.stdout or '"layers"' in run.stdout


def test_a_named_file_that_cannot_be_read_stops_render_and_export_beside_a_good_one(tmp_path: Path,
                                                                                    small_gpkg: Path, capsys):
    bad = tmp_path / "bad.gpkg"
    bad.write_bytes(small_gpkg.read_bytes()[:5000])  # truncated
    missing = tmp_path / "missing.gpkg"  # a typo'd name
    for other, problem in ((bad, "damaged or truncated GeoPackage"), (missing, "file not found")):
        for command in (["render", "--out", str(tmp_path / "f.png")],
                        ["export", "--out", str(tmp_path / "frames"), "--size", "160x90", "--workers", "1",
                         "--from", "1944-06-23", "--to", "1944-06-23", "--frames-per-day", "1"]):
            assert main([command[0], str(small_gpkg), str(other), *command[1:]]) == 3
            err = capsys.readouterr().err.strip()
            assert err.count("\n") == 0 and f"{other}: {problem}" in err, err
    assert not (tmp_path / "f.png").exists() and not (tmp_path / "frames").exists()  # nothing written
    assert main(["render", str(small_gpkg), "--out", str(tmp_path / "f.png")]) == 0  # the good one alone


def test_a_project_whose_data_file_is_gone_stops_render(tmp_path: Path, small_gpkg: Path, capsys):
    from terrain_viewer.core.model import ViewerModel
    from terrain_viewer.core.project import save_project

    data = tmp_path / "data.gpkg"
    data.write_bytes(small_gpkg.read_bytes())
    save_project(ViewerModel.open([data]), tmp_path / "siege.tvproj")
    data.unlink()
    assert main(["render", str(tmp_path / "siege.tvproj"), "--out", str(tmp_path / "f.png")]) == 3
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and str(data) in err and "siege.tvproj not found" in err, err
    assert not (tmp_path / "f.png").exists()


def test_a_date_outside_the_data_is_drawn_with_a_warning(tmp_path: Path, small_gpkg: Path, capsys):
    assert main(["render", str(small_gpkg), "--date", "1900-01-01", "--out", str(tmp_path / "f.png")]) == 0
    err = capsys.readouterr().err.strip()
    assert err == ("terrain-viewer: warning: 1900-01-01 is outside the data's dates (1944-06-23 to "
                   "1944-06-30): no dated feature is drawn"), err
    assert main(["render", str(small_gpkg), "--date", "", "--out", str(tmp_path / "g.png")]) == 2
    assert "--date ''" in capsys.readouterr().err and not (tmp_path / "g.png").exists()


def test_a_view_in_degrees_without_its_crs_is_refused_not_ignored(tmp_path: Path, small_gpkg: Path, capsys):
    """--view 112.55,26.85,… is read in the map CRS (UTM metres): a speck far from the data. It drew
    the whole data and said nothing; now one line says where the data is and names --view-crs."""
    out = tmp_path / "v.png"
    assert main(["render", str(small_gpkg), "--view", "112.55,26.85,112.7,26.95", "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "lies outside the data" in err and "--view-crs EPSG:4326" in err, err
    assert not out.exists()
    assert main(["render", str(small_gpkg), "--view", "112.55,26.85,112.7,26.95", "--view-crs", "EPSG:4326",
                 "--out", str(out)]) == 0


def test_export_help_says_what_each_switch_adds_and_the_rate_is_the_drawing(capsys, tmp_path):
    """'--transparent  draw the transparent', '--png-frames  draw the png-frames'; and 'wrote
    clip.mp4 (…, 12.7 frames/s)' read as the video's frame rate. Found by a second new-user test."""
    with pytest.raises(SystemExit):
        main(["export", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "draw the" not in text
    assert "--transparent with a transparent background" in text and "--no-subtitles without .srt" in text
    out = tmp_path / "f.gif"
    assert main(["export", "--from", "1944-07-01", "--to", "1944-07-01", "--frames-per-day", "2",
                 "--size", "160x90", "--out", str(out), "--quiet"]) == 0
    assert "drawn at" in capsys.readouterr().out


def test_the_clis_legend_corners_are_the_renderers():
    """The parser spells the corners out (it imports no matplotlib); they must stay the core's."""
    from terrain_viewer.cli.common import LEGEND_CORNERS
    from terrain_viewer.core.render.furniture import CORNERS

    assert set(LEGEND_CORNERS) == set(CORNERS)


def test_output_into_a_pipe_nobody_reads_any_more_ends_quietly(shipped_gpkg):
    """``terrain-viewer info x.gpkg | head -1``: the reader goes before the last line is printed. It
    said "unexpected error (BrokenPipeError …)", exit 5, and logged a crash; now it stops quietly
    with 141 (128 + SIGPIPE, as a shell says of a command its reader left)."""
    proc = subprocess.Popen([sys.executable, "-m", "terrain_viewer.cli", "info", str(shipped_gpkg)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    proc.stdout.close()  # the reader is gone before anything is printed
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=120) == 141, err
    assert "unexpected" not in err and "Traceback" not in err
