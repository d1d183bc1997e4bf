"""``terrain-viewer export``: flags, settings files, projects, one-line errors."""

from __future__ import annotations

import json
from pathlib import Path

import imageio_ffmpeg
import numpy as np
import pytest
from PIL import Image

from terrain_viewer.cli import main


def test_export_png_frames_with_flags(tmp_path: Path, capsys):
    out = tmp_path / "frames"
    assert main(["export", "--from", "1944-07-10", "--to", "1944-07-11", "--frames-per-day", "2",
                 "--size", "320x180", "--workers", "1", "--out", str(out), "--no-legend"]) == 0
    assert len(list(out.glob("frame_*.png"))) == 4
    assert "wrote" in capsys.readouterr().out


def test_export_over_a_folder_of_the_users_files_refuses_and_deletes_nothing(tmp_path: Path, capsys):
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    (scratch / "notes.txt").write_text("notes")
    (scratch / "mydata.gpkg").write_bytes(b"a researcher's layers")
    assert main(["export", "--from", "1944-06-23", "--to", "1944-06-23", "--frames-per-day", "1",
                 "--size", "160x90", "--workers", "1", "--out", str(scratch), "--overwrite"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and str(scratch) in err and "mydata.gpkg, notes.txt" in err, err
    assert sorted(p.name for p in scratch.iterdir()) == ["mydata.gpkg", "notes.txt"]
    assert (scratch / "notes.txt").read_text() == "notes"


def test_export_mp4_from_a_settings_file_with_flags_on_top(tmp_path: Path):
    settings = tmp_path / "export.json"
    settings.write_text(json.dumps({"start": "1944-07-01", "end": "1944-07-02", "frames_per_day": 3,
                                    "fps": 10, "size": "320x180", "workers": 1}))
    out = tmp_path / "clip.mp4"
    assert main(["export", "--settings", str(settings), "--fps", "15", "--out", str(out), "--quiet",
                 "--save-settings", str(tmp_path / "used.json")]) == 0
    info = next(imageio_ffmpeg.read_frames(str(out)))
    assert imageio_ffmpeg.count_frames_and_secs(str(out))[0] == 6 and info["fps"] == 15
    assert json.loads((tmp_path / "used.json").read_text())["fps"] == 15


def test_export_a_project_uses_its_saved_export_settings(tmp_path: Path, small_gpkg: Path):
    from terrain_viewer.core.model import ViewerModel
    from terrain_viewer.core.project import save_project

    saved = {"start": "1944-06-23", "end": "1944-06-25", "frames_per_day": 1, "size": "160x90",
             "workers": 1}
    save_project(ViewerModel.open([small_gpkg]), tmp_path / "s.tvproj", export=saved)
    assert main(["export", str(tmp_path / "s.tvproj"), "--out", str(tmp_path / "f"), "--quiet"]) == 0
    frames = sorted((tmp_path / "f").iterdir())
    assert len(frames) == 3 and Image.open(frames[0]).size == (160, 90)


def test_export_errors_are_one_line_exit_2_and_leave_nothing(tmp_path: Path, capsys):
    existing = tmp_path / "old.gif"
    existing.write_bytes(b"GIF89a")
    cases = [
        (["--from", "1944-07-32"], "'1944-07-32' is not a date; give an ISO 8601 date"),
        (["--size", "huge"], "size"),
        (["--frames-per-day", "0"], "frames_per_day"),
        (["--settings", str(tmp_path / "missing.json")], "missing.json"),
        (["--layers", "units,nosuch"], "no layer named 'nosuch' to draw; the layers: airfield, city,"),
        (["--font-family", "Nosuchfont"], "--font-family: no installed font is of the family 'Nosuchfont'"),
    ]  # an unknown layer was a blank video, an unknown font matplotlib's default, both exit 0 (a new user)
    for extra, needle in cases:
        assert main(["export", "--out", str(tmp_path / "x.mp4"), "--workers", "1", *extra]) == 2
        err = capsys.readouterr().err.strip()
        assert err.count("\n") == 0 and needle in err, err
    assert main(["export", "--out", str(existing), "--from", "1944-07-01", "--to", "1944-07-01",
                 "--size", "160x90"]) == 2
    assert "already exists" in capsys.readouterr().err and existing.read_bytes() == b"GIF89a"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["old.gif"]


def test_overwrite_replaces_an_existing_gif(tmp_path: Path):
    out = tmp_path / "old.gif"
    out.write_bytes(b"GIF89a")
    assert main(["export", "--out", str(out), "--from", "1944-07-01", "--to", "1944-07-01",
                 "--size", "160x90", "--workers", "1", "--overwrite", "--quiet"]) == 0
    with Image.open(out) as gif:
        assert gif.n_frames == 4 and np.asarray(gif.convert("RGB")).std() > 5


def test_ctrl_c_cancels_cleanly_and_leaves_nothing(tmp_path: Path):
    import os
    import signal
    import subprocess
    import sys

    cmd = [sys.executable, "-m", "terrain_viewer.cli", "export", "--from", "1944-06-23", "--to", "1944-08-08",
           "--size", "320x180", "--workers", "2", "--out", "battle.mp4"]
    # a terminal's default SIGINT, even when the tests run as a background job (which ignores it)
    proc = subprocess.Popen(cmd, cwd=tmp_path, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL,
                            start_new_session=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    seen = b""
    while b"frame 2/" not in seen:  # the export is under way
        chunk = proc.stderr.read1(256)
        assert chunk, seen.decode(errors="replace")
        seen += chunk
    os.killpg(proc.pid, signal.SIGINT)  # what Ctrl-C in a terminal does: the whole process group
    err = seen + proc.stderr.read()
    assert proc.wait(timeout=60) == 130
    assert b"export cancelled; nothing was written" in err and b"Traceback" not in err
    assert list(tmp_path.iterdir()) == []


# ---- inputs are never outputs; --save-settings; ranges; a failing encoder --------------------------
def _export(*args: str) -> list[str]:
    return ["export", "--from", "1944-06-23", "--to", "1944-06-24", "--frames-per-day", "1", "--size",
            "160x90", "--workers", "1", "--quiet", *args]


def _one_line_exit_2(argv: list[str], capsys, needle: str) -> str:
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and needle in err, err
    return err


def test_an_input_is_never_the_output_even_with_overwrite(tmp_path: Path, small_gpkg: Path, capsys):
    import os

    original = small_gpkg.read_bytes()
    as_gif = ["--overwrite", "--format", "gif", "--out"]
    err = _one_line_exit_2(_export(str(small_gpkg), *as_gif, str(small_gpkg)), capsys,
                           "is one of the export's inputs")
    assert str(small_gpkg) in err
    link = tmp_path / "link.gpkg"
    os.link(small_gpkg, link)  # another name for the same file
    _one_line_exit_2(_export(str(small_gpkg), "--overwrite", "--format", "gif", "--out", str(link)),
                     capsys, "is one of the export's inputs")
    alias = tmp_path / "alias.gif"
    alias.symlink_to(small_gpkg)
    _one_line_exit_2(_export(str(small_gpkg), "--overwrite", "--out", str(alias)), capsys,
                     "is one of the export's inputs")
    _one_line_exit_2(_export(str(small_gpkg), "--overwrite", "--out", str(tmp_path)), capsys,
                     "a folder that holds the export's input")  # PNG frames would replace the folder
    settings = tmp_path / "export.json"
    settings.write_text(json.dumps({"fps": 8}))
    _one_line_exit_2(_export(str(small_gpkg), "--settings", str(settings), "--overwrite", "--format", "gif",
                             "--out", str(settings)), capsys, "is one of the export's inputs")
    assert small_gpkg.read_bytes() == original and json.loads(settings.read_text()) == {"fps": 8}


def test_a_project_is_never_the_output(tmp_path: Path, small_gpkg: Path, capsys):
    from terrain_viewer.core.model import ViewerModel
    from terrain_viewer.core.project import save_project

    project = tmp_path / "s.tvproj"
    save_project(ViewerModel.open([small_gpkg]), project, export={"size": "160x90", "workers": 1})
    original = project.read_bytes()
    _one_line_exit_2(["export", str(project), "--overwrite", "--format", "gif", "--out", str(project)],
                     capsys, "is one of the export's inputs")
    _one_line_exit_2(["export", str(project), "--overwrite", "--format", "gif", "--out",
                      str(tmp_path / "x.gif"), "--save-settings", str(small_gpkg)], capsys,
                     "--save-settings is one of the export's inputs")
    assert project.read_bytes() == original and not (tmp_path / "x.gif").exists()


def test_save_settings_honours_overwrite_and_replaces_only_settings(tmp_path: Path, capsys):
    victim = tmp_path / "victim.gpkg"
    victim.write_bytes(b"SQLite format 3\0 someone's data")
    out = tmp_path / "f"
    _one_line_exit_2(_export("--out", str(out), "--save-settings", str(victim)), capsys, "already exists")
    _one_line_exit_2(_export("--out", str(out), "--save-settings", str(victim), "--overwrite"), capsys,
                     "is not an export settings file; not overwritten")
    assert victim.read_bytes() == b"SQLite format 3\0 someone's data" and not out.exists()
    used = tmp_path / "used.json"
    assert main(_export("--out", str(out), "--save-settings", str(used))) == 0
    assert json.loads(used.read_text())["kind"] == "terrain-viewer export settings"
    _one_line_exit_2(_export("--fps", "12", "--out", str(tmp_path / "g"), "--save-settings", str(used)),
                     capsys, "already exists")
    assert main(_export("--fps", "12", "--out", str(tmp_path / "g"), "--save-settings", str(used),
                        "--overwrite")) == 0
    assert json.loads(used.read_text())["fps"] == 12


def test_out_of_range_settings_are_one_line_exit_2(tmp_path: Path, capsys):
    settings = tmp_path / "export.json"
    settings.write_text(json.dumps({"caption_format": "{day:>300000000}", "size": "160x90"}))
    err = _one_line_exit_2(["export", "--settings", str(settings), "--out", str(tmp_path / "x.mp4")], capsys,
                           "caption_format: {day:>300000000}: the width must be at most 40")
    assert err.startswith(f"terrain-viewer: {settings}: ")
    _one_line_exit_2(_export("--title", "T", "--title-seconds", "1e308", "--out", str(tmp_path / "y.mp4")),
                     capsys, "title_seconds: must be a number 0..60, got 1e+308")
    _one_line_exit_2(_export("--caption-format", "{day.foo}", "--out", str(tmp_path / "z.mp4")), capsys,
                     "caption_format: unknown field {day.foo}")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["export.json"]


def test_a_failing_encoder_exits_2_and_leaves_nothing(tmp_path: Path, capsys, monkeypatch):
    import stat
    import sys

    fake = tmp_path / "ffmpeg"  # runs the real ffmpeg, then exits 1 as on a disk full at the trailer
    fake.write_text(f"#!{sys.executable}\nimport subprocess, sys\n"
                    f"subprocess.call([{imageio_ffmpeg.get_ffmpeg_exe()!r}, *sys.argv[1:]])\n"
                    "sys.exit(1 if sys.argv[-1].endswith('.mp4') else 0)\n")
    fake.chmod(fake.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setenv("IMAGEIO_FFMPEG_EXE", str(fake))
    out = tmp_path / "battle.mp4"
    _one_line_exit_2(_export("--out", str(out)), capsys, f"{out}: the video encoder ffmpeg failed")
    assert [p.name for p in tmp_path.iterdir() if "battle" in p.name] == []


def test_workers_auto_is_the_default_and_accepted(tmp_path: Path, capsys):
    assert main(["export", "--from", "1944-07-01", "--to", "1944-07-01", "--frames-per-day", "2",
                 "--size", "160x90", "--workers", "auto", "--out", str(tmp_path / "f"), "--quiet"]) == 0
    assert " by " not in capsys.readouterr().out  # a short export renders in one process, no workers
    with pytest.raises(SystemExit) as info:  # argparse: usage and one line, exit 2
        main(_export("--workers", "several", "--out", str(tmp_path / "g")))
    assert info.value.code == 2 and "not a number or 'auto': 'several'" in capsys.readouterr().err


def test_a_gif_beside_an_mp4_of_the_same_name_writes_no_subtitles(tmp_path: Path, capsys):
    """A GIF got NAME.srt and NAME.vtt (no player shows them), and so a GIF after an MP4 of the
    same name was refused: 'clip.srt: already exists'. Found by a second new-user test."""
    common = ["--from", "1944-07-01", "--to", "1944-07-02", "--frames-per-day", "1", "--size", "160x90"]
    assert main(["export", *common, "--out", str(tmp_path / "clip.mp4")]) == 0
    assert main(["export", *common, "--out", str(tmp_path / "clip.gif")]) == 0, capsys.readouterr().err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["clip.gif", "clip.mp4", "clip.srt", "clip.vtt"]


def test_format_given_refuses_an_out_not_named_for_it(tmp_path: Path, small_gpkg: Path, capsys):
    """``export data.gpkg --out data/kursk.tvproj --format gif --overwrite`` replaced the user's
    saved project with a GIF, and ``--out other.gpkg --format mp4`` turned another GeoPackage into
    an MP4. Found by a new user: --out must end as the format asked for (PNG frames: a folder)."""
    from terrain_viewer.core.model import ViewerModel
    from terrain_viewer.core.project import save_project

    project, other = tmp_path / "kursk.tvproj", tmp_path / "other.gpkg"
    save_project(ViewerModel.open([small_gpkg]), project)
    other.write_bytes(small_gpkg.read_bytes())
    kept = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    cases = [(project, "gif", "does not end in .gif (the format asked for); name it kursk.gif"),
             (other, "mp4", "does not end in .mp4 (the format asked for); name it other.mp4"),
             (tmp_path / "clip.gif", "mp4", "name it clip.mp4"),
             (project, "png", "is not a folder name for PNG frames (the format asked for); "
                              "name it kursk_frames")]
    for out, fmt, needle in cases:
        err = _one_line_exit_2(_export(str(small_gpkg), "--format", fmt, "--overwrite", "--out", str(out)),
                               capsys, needle)
        assert str(out) in err
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == kept  # nothing written or replaced
    _one_line_exit_2(_export(str(small_gpkg), "--overwrite", "--out", str(other)), capsys,
                     "cannot tell the format from '.gpkg'")  # without --format, as before
    assert main(_export(str(small_gpkg), "--format", "gif", "--out", str(tmp_path / "ok.GIF"))) == 0
    assert main(_export(str(small_gpkg), "--format", "png", "--out", str(tmp_path / "kursk_frames"))) == 0
    assert len(list((tmp_path / "kursk_frames").glob("frame_*.png"))) == 2
    settings = tmp_path / "mp4.json"  # a settings file's format gives way to --out's own name
    settings.write_text('{"format": "mp4"}', encoding="utf-8")
    assert main(_export(str(small_gpkg), "--settings", str(settings), "--out", str(tmp_path / "s.gif"))) == 0
    assert (tmp_path / "s.gif").read_bytes()[:3] == b"GIF"


def test_sigterm_stops_an_export_like_ctrl_c_and_leaves_nothing(tmp_path: Path):
    """``kill -TERM`` of a running export left its hidden partial ``out/.x.partial-PID-XXXX.mp4``.
    Found by a new user: SIGTERM stops it as Ctrl-C does (exit 143 = 128 + SIGTERM, the shell's
    code for a process ended by it), removes the partial and leaves no worker running."""
    import os
    import signal
    import subprocess
    import sys
    import threading
    import time

    out = tmp_path / "out"
    out.mkdir()
    cmd = [sys.executable, "-m", "terrain_viewer.cli", "export", "--from", "1944-07-01", "--to", "1944-07-30",
           "--frames-per-day", "4", "--size", "720p", "--workers", "2", "--out", str(out / "x.mp4")]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)
    err = bytearray()
    reader = threading.Thread(target=_drain, args=(proc.stderr, err), daemon=True)
    reader.start()
    try:
        deadline = time.monotonic() + 120
        while not (any("partial" in p.name for p in out.iterdir()) and b"frame 2/" in err):
            assert proc.poll() is None and time.monotonic() < deadline, err.decode(errors="replace")
            time.sleep(0.05)  # the partial is there and the workers are rendering
        children = _children(proc.pid)
        proc.send_signal(signal.SIGTERM)  # what `kill -TERM PID` does: this process only
        assert proc.wait(timeout=60) == 143
        reader.join(10)
        text = err.decode(errors="replace")
        assert "export stopped (SIGTERM); nothing was written" in text and "Traceback" not in text, text
        assert list(out.iterdir()) == []
        deadline = time.monotonic() + 10
        while any(Path(f"/proc/{pid}").exists() and _state(pid) not in "ZX" for pid in children):
            assert time.monotonic() < deadline, f"still running: {children}"
            time.sleep(0.1)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(10)
        proc.stderr.close()


def _drain(stream, sink: bytearray) -> None:
    while chunk := stream.read1(4096):
        sink.extend(chunk)


def _state(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return "X"


def _children(root: int) -> list[int]:
    """The processes below ``root`` (workers, their forkserver, ffmpeg), from /proc."""
    parents = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parents[int(entry.name)] = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
    found, frontier = [], [root]
    while frontier:
        parent = frontier.pop()
        kids = [pid for pid, ppid in parents.items() if ppid == parent and pid not in found]
        found += kids
        frontier += kids
    return found


def test_data_with_no_events_gets_no_empty_subtitle_files_and_is_told_so(tmp_path: Path, capsys):
    """A battle with no events layer got a 0-byte NAME.srt and a header-only NAME.vtt, each
    reported as written. Found by a new user."""
    import geopandas as gpd
    import shapely

    data = tmp_path / "kursk_1943.gpkg"
    units = {"unit_id": ["a", "a"], "side": ["red", "red"], "start_date": ["1943-07-10", "1943-07-11"],
             "end_date": ["1943-07-10", "1943-07-12"], "source": ["x", "x"], "confidence": ["low", "low"]}
    points = shapely.points([36.5, 36.6], [51.0, 51.1])
    gpd.GeoDataFrame(units, geometry=points, crs=4326).to_file(data, layer="units")
    out = tmp_path / "kursk.mp4"
    assert main(["export", str(data), "--size", "160x90", "--frames-per-day", "1", "--workers", "1",
                 "--quiet", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert sorted(p.name for p in tmp_path.iterdir()) == ["kursk.mp4", "kursk_1943.gpkg"]
    assert "srt" not in printed and "no subtitles: no events in the days exported" in printed


def test_subtitles_too_short_to_read_are_said(tmp_path: Path, capsys):
    """At 4 frames a day and 24 fps each day's cue lasted 0.17 s, unreadable, without a word.
    Found by a new user."""
    common = ["--from", "1944-07-01", "--to", "1944-07-03", "--size", "160x90", "--workers", "1", "--quiet"]
    assert main(["export", *common, "--frames-per-day", "4", "--fps", "24",
                 "--out", str(tmp_path / "fast.mp4")]) == 0
    assert "too short to read" in capsys.readouterr().out
    assert main(["export", *common, "--frames-per-day", "24", "--fps", "12",
                 "--out", str(tmp_path / "slow.mp4")]) == 0
    assert "too short" not in capsys.readouterr().out


def _legend_rows(png: Path) -> list[int]:
    """The rows of a frame's right part where a box's border (the furniture's #8a7a5a) runs long:
    the legend's top and bottom edges."""
    rgb = np.asarray(Image.open(png).convert("RGB")).astype(int)
    right = rgb[:, int(rgb.shape[1] * 0.7):]
    border = np.abs(right - [0x8A, 0x7A, 0x5A]).sum(axis=2) < 60
    return np.nonzero(border.sum(axis=1) > 150)[0].tolist()


def test_the_legend_holds_still_through_an_export(tmp_path: Path):
    """8-11 July: "Event on this day" was a row of the legend on 8 and 11 July only, so the box
    grew and shrank by a row (24 px at 1080p) from day to day: a jump in the video (a new user's
    4K and MP4 exports). An export's legend lists what its days draw, on every frame."""
    out = tmp_path / "frames"
    assert main(["export", "--from", "1944-07-08", "--to", "1944-07-11", "--frames-per-day", "1",
                 "--size", "1280x720", "--format", "png", "--out", str(out)]) == 0
    rows = [_legend_rows(png) for png in sorted(out.glob("frame_*.png"))]
    assert len(rows) == 4 and len(rows[0]) == 2  # the legend's top and bottom edges
    assert all(r == rows[0] for r in rows), rows


def test_an_existing_video_is_named_before_its_subtitles(tmp_path: Path, capsys):
    """A new user's second export to the same name was refused as "siege.srt: already exists"."""
    for name in ("siege.mp4", "siege.srt", "siege.vtt"):
        (tmp_path / name).write_bytes(b"kept")
    assert main(["export", "--from", "1944-07-11", "--to", "1944-07-11", "--size", "160x90",
                 "--out", str(tmp_path / "siege.mp4")]) == 2
    err = capsys.readouterr().err
    assert "siege.mp4: already exists" in err and ".srt" not in err, err
    assert all((tmp_path / name).read_bytes() == b"kept" for name in ("siege.mp4", "siege.srt", "siege.vtt"))


def test_a_missing_folder_is_an_output_that_cannot_be_written_exit_4(tmp_path: Path, capsys):
    """README's exit codes: 4 for no folder, as ``render`` gives (``export`` gave 2)."""
    assert main(["export", "--from", "1944-07-11", "--to", "1944-07-11", "--size", "160x90",
                 "--out", str(tmp_path / "no" / "siege.mp4")]) == 4
    assert "the folder to write into does not exist" in capsys.readouterr().err
