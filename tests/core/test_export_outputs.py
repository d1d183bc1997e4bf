"""Outputs never lie: a failing encoder, a truncated video or a full disk is an error naming the
output, and nothing named like the output is left; stale partials of killed exports are removed."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
import time
from pathlib import Path

import imageio_ffmpeg
import pytest

from terrain_viewer.core.common.errors import ExportError
from terrain_viewer.core.data.builtin import builtin_paths
from terrain_viewer.core.export.run import ExportSettings, run_export
from terrain_viewer.core.model import ViewerModel

FAKE = """#!{python}
# ffmpeg that runs the real one, then fails the way a full disk at the trailer does
import os, subprocess, sys
status = subprocess.call([{real!r}, *sys.argv[1:]])
out = sys.argv[-1]
if out.endswith(".mp4") and os.path.exists(out):
    if {mode!r} == "exit":
        sys.exit(1)
    if {mode!r} == "truncate":
        os.truncate(out, os.path.getsize(out) // 2)
sys.exit(status)
"""


@pytest.fixture(scope="module")
def model() -> ViewerModel:
    return ViewerModel.open(builtin_paths())


def settings(**kw) -> ExportSettings:
    base = {"start": "1944-07-10", "end": "1944-07-11", "frames_per_day": 2, "size": "320x180",
            "workers": 1, "fps": 8}
    return ExportSettings(**{**base, **kw})


def fake_ffmpeg(folder: Path, mode: str) -> Path:
    """An ffmpeg that writes the video and then exits 1 (``exit``) or truncates it (``truncate``)."""
    path = folder / f"ffmpeg-{mode}"
    path.write_text(FAKE.format(python=sys.executable, real=imageio_ffmpeg.get_ffmpeg_exe(), mode=mode))
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return path


def named_like(folder: Path, name: str) -> list[str]:
    stem = Path(name).stem
    return sorted(p.name for p in folder.iterdir() if stem in p.name)


@pytest.mark.parametrize("mode, needle", [("exit", r"ffmpeg failed \(exit status 1"),
                                          ("truncate", "came out incomplete")])
def test_a_failing_encoder_is_an_error_and_leaves_nothing(model, tmp_path, monkeypatch, mode, needle):
    tools = tmp_path / "tools"
    tools.mkdir()
    monkeypatch.setenv("IMAGEIO_FFMPEG_EXE", str(fake_ffmpeg(tools, mode)))
    out = tmp_path / "battle.mp4"
    with pytest.raises(ExportError, match=needle) as info:
        run_export(model, settings(), out)
    assert info.value.file == str(out) and "\n" not in info.value.message
    assert named_like(tmp_path, out.name) == []


def test_an_encoder_that_dies_midway_is_an_error_and_leaves_nothing(model, tmp_path, monkeypatch):
    from terrain_viewer.core.export import writers

    real_grab = writers.Mp4Writer.grab_frame

    def grab(self, frame):
        if self.count == 2:
            self._proc.kill()  # ffmpeg gone: the next write is a broken pipe
            self._proc.wait()
        return real_grab(self, frame)

    monkeypatch.setattr(writers.Mp4Writer, "grab_frame", grab)
    out = tmp_path / "battle.mp4"
    with pytest.raises(ExportError, match=r"battle\.mp4: .*(ffmpeg failed|cannot write)"):
        run_export(model, settings(), out)
    assert named_like(tmp_path, out.name) == []


def test_a_gif_that_does_not_read_back_is_an_error(model, tmp_path, monkeypatch):
    from PIL import Image

    real_save = Image.Image.save

    def short_save(self, fp, *a, **kw):  # drops the last frame, as a write cut short would
        kw["append_images"] = kw.get("append_images", [])[:-1]
        return real_save(self, fp, *a, **kw)

    monkeypatch.setattr(Image.Image, "save", short_save)
    out = tmp_path / "battle.gif"
    with pytest.raises(ExportError, match=r"battle\.gif: the GIF came out incomplete"):
        run_export(model, settings(), out)
    assert named_like(tmp_path, out.name) == []


@pytest.fixture
def small_disk(tmp_path):
    """A 1 MB tmpfs (skipped where it cannot be mounted)."""
    folder = tmp_path / "disk"
    folder.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1M", "tmpfs", str(folder)],
                             capture_output=True).returncode == 0 if shutil.which("mount") else False
    if not mounted:
        pytest.skip("cannot mount a tmpfs here")
    try:
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], capture_output=True)


@pytest.mark.parametrize("name", ["battle.mp4", "battle.gif", "frames"])
def test_a_disk_that_fills_up_is_one_error_and_leaves_nothing(model, small_disk, name):
    filler = small_disk / "filler"
    filler.write_bytes(b"\0" * (1024 * 1024 - 24 * 1024))  # about 24 KB left
    out = small_disk / name
    with pytest.raises(ExportError) as info:
        run_export(model, settings(size="720p"), out)
    assert info.value.file == str(out) and "disk is full" in info.value.message
    assert sorted(p.name for p in small_disk.iterdir()) == ["filler"]


def test_stale_partials_of_dead_exports_are_removed_by_the_next_export(model, tmp_path):
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True,
                          text=True).stdout.strip()  # a process that has exited
    video = tmp_path / f".battle.partial-{dead}-abcd1234.mp4"
    video.write_bytes(b"\0" * 1000)
    frames = tmp_path / f".frames.partial-{dead}-k2j3h4g5"
    frames.mkdir()
    (frames / "frame_00001.png").write_bytes(b"\x89PNG")
    old = tmp_path / ".clip.partial-x9y8z7w6.gif"  # no owner in the name, untouched for two hours
    old.write_bytes(b"GIF89a")
    os.utime(old, (time.time() - 7200, time.time() - 7200))
    alive = tmp_path / f".live.partial-{os.getpid()}-q1w2e3r4.mp4"  # being written right now
    alive.write_bytes(b"\0")
    theirs = tmp_path / f".notes.partial-{dead}-abcdefgh.txt"  # not an export's partial
    theirs.write_text("someone else's")
    mine = tmp_path / f".stuff.partial-{dead}-abcdefgh"  # a folder with more than frames in it
    mine.mkdir()
    (mine / "notes.txt").write_text("keep")
    run_export(model, settings(), tmp_path / "new.mp4")
    left = sorted(p.name for p in tmp_path.iterdir())
    assert left == sorted([alive.name, theirs.name, mine.name, "new.mp4", "new.srt", "new.vtt"])


@pytest.mark.parametrize("name, fmt, ok", [
    ("clip.mp4", "mp4", True), ("CLIP.MP4", "mp4", True), ("clip.mov", "mov", True), ("a.gif", "gif", True),
    ("frames", "png", True), ("frames.png", "png", True), ("siege.v2_frames", "png", True),
    ("kursk.tvproj", "gif", False), ("other.gpkg", "mp4", False), ("clip.mp4", "gif", False),
    ("clip", "mp4", False), ("kursk.tvproj", "png", False), ("clip.mp4", "png", False)])
def test_an_out_must_bear_its_formats_name(tmp_path, name, fmt, ok):
    from terrain_viewer.core.export.outputs import check_out_name

    if ok:
        check_out_name(tmp_path / name, fmt)
    else:
        with pytest.raises(ExportError, match=r"\(the format asked for\); name it "):
            check_out_name(tmp_path / name, fmt)
    existing = tmp_path / "run.2024"  # any existing folder takes PNG frames
    existing.mkdir(exist_ok=True)
    check_out_name(existing, "png")


def test_the_time_left_goes_by_the_recent_pace_not_the_title_cards(monkeypatch):
    """A 4K export's time left rose as frames finished (0:07, 0:09, 0:12): the title card's quick
    frames at the start made the pace since the start too fast (a new user, a documentary maker)."""
    from terrain_viewer.core.export import run

    clock = [0.0]
    monkeypatch.setattr(run.time, "perf_counter", lambda: clock[0])
    told = []
    counter = run._Counter(100, told.append)
    for n in range(100):
        clock[0] += 0.01 if n < 40 else 1.0  # 40 title frames, then map frames of a second each
        counter.step()
    left = [p.remaining for p in told]
    assert left[69] == pytest.approx(30.0)  # 30 frames to go at a second each
    assert all(a >= b for a, b in zip(left[64:], left[65:], strict=False))  # it only falls from there
