"""``terrain-viewer export``: flags, settings files, projects, one-line errors."""

from __future__ import annotations

import json
from pathlib import Path

import imageio_ffmpeg
import numpy as np
from PIL import Image

from terrain_viewer.cli import main


def test_export_png_frames_with_flags(tmp_path: Path, capsys):
    out = tmp_path / "frames"
    assert main(["export", "--from", "1944-07-10", "--to", "1944-07-11", "--frames-per-day", "2",
                 "--size", "320x180", "--workers", "1", "--out", str(out), "--no-legend"]) == 0
    assert len(list(out.glob("frame_*.png"))) == 4
    assert "wrote" in capsys.readouterr().out


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
        (["--from", "1944-07-32"], "'1944-07-32' is not an ISO 8601 date"),
        (["--size", "huge"], "size"),
        (["--frames-per-day", "0"], "frames_per_day"),
        (["--settings", str(tmp_path / "missing.json")], "missing.json"),
    ]
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
