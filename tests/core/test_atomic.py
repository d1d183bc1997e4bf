"""Atomic writing: the real name holds the old or the new content, never a part; temps are removed."""

from __future__ import annotations

import errno
from pathlib import Path

import pytest

from terrain_viewer.core.common.atomic import atomic_path, atomic_write_bytes, atomic_write_text, check_target
from terrain_viewer.core.common.errors import ExportError, ProjectError, TerrainViewerError
from terrain_viewer.core.common.files import current_umask


def test_write_text_replaces_and_keeps_a_backup_on_request(tmp_path):
    path = tmp_path / "s.tvproj"
    atomic_write_text(path, "first 衡阳")
    atomic_write_text(path, "second", backup=True)
    assert path.read_text(encoding="utf-8") == "second"
    assert (tmp_path / "s.tvproj.bak").read_text(encoding="utf-8") == "first 衡阳"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["s.tvproj", "s.tvproj.bak"]
    assert path.stat().st_mode & 0o777 == 0o666 & ~current_umask()


def test_no_overwrite_refuses_an_existing_file_with_the_callers_error(tmp_path):
    path = tmp_path / "keep.bin"
    atomic_write_bytes(path, b"old")
    with pytest.raises(ProjectError, match=r"keep\.bin: already exists"):
        atomic_write_bytes(path, b"new", overwrite=False, error=ProjectError)
    assert path.read_bytes() == b"old" and len(list(tmp_path.iterdir())) == 1


def test_atomic_path_renames_on_success_and_removes_on_error_or_cancel(tmp_path):
    out = tmp_path / "clip.mp4"
    with pytest.raises(KeyboardInterrupt), atomic_path(out) as tmp:
        assert tmp.parent == tmp_path and tmp.name.startswith(".clip.partial-") and tmp.suffix == ".mp4"
        tmp.write_bytes(b"half")
        raise KeyboardInterrupt
    assert list(tmp_path.iterdir()) == []
    with atomic_path(out) as tmp:
        tmp.write_bytes(b"whole")
        assert not out.exists()
    assert out.read_bytes() == b"whole" and list(tmp_path.iterdir()) == [out]


def test_a_folder_is_built_hidden_and_replaces_an_old_one_only_when_allowed(tmp_path):
    out = tmp_path / "frames"
    with atomic_path(out, directory=True) as tmp:
        assert tmp.is_dir() and ".frames.partial-" in tmp.name
        (tmp / "frame_00001.png").write_bytes(b"1")
    assert [p.name for p in out.iterdir()] == ["frame_00001.png"]
    with pytest.raises(TerrainViewerError, match="already exists"), atomic_path(out, directory=True):
        pass
    with atomic_path(out, overwrite=True, directory=True) as tmp:
        (tmp / "frame_00002.png").write_bytes(b"2")
    assert [p.name for p in out.iterdir()] == ["frame_00002.png"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["frames"]
    with pytest.raises(TerrainViewerError, match="is a folder, not a file"):
        atomic_write_bytes(out, b"x")


def test_a_file_that_appears_meanwhile_is_not_clobbered(tmp_path):
    out = tmp_path / "a.gif"
    with pytest.raises(ExportError, match="appeared meanwhile"), atomic_path(out, error=ExportError) as tmp:
        tmp.write_bytes(b"mine")
        out.write_bytes(b"someone else's")
    assert out.read_bytes() == b"someone else's" and list(tmp_path.iterdir()) == [out]


def test_a_full_disk_and_a_missing_folder_are_one_line(tmp_path):
    full = pytest.raises(ExportError, match=r"out\.mp4: the disk is full; nothing was written")
    with full, atomic_path(tmp_path / "out.mp4", error=ExportError):
        raise OSError(errno.ENOSPC, "No space left on device")
    assert list(tmp_path.iterdir()) == []
    with pytest.raises(TerrainViewerError, match="folder to write into does not exist"):
        atomic_write_text(tmp_path / "no" / "x.json", "{}")
    (tmp_path / "a.gpkg").write_bytes(b"kept")  # a file named as if it were the folder
    with pytest.raises(TerrainViewerError, match=r"a\.gpkg: is a file, not a folder to write into"):
        check_target(tmp_path / "a.gpkg" / "x.json", overwrite=False)


def test_a_save_that_fails_at_the_last_step_keeps_the_file_and_its_older_backup(tmp_path, monkeypatch):
    """A save refused at its rename (the file made read-only meanwhile, say) wrote a new ``.bak``, a
    copy of the unchanged file, over the older one: the version before last was lost."""
    from terrain_viewer.core.common import atomic

    path = tmp_path / "s.tvproj"
    atomic_write_text(path, "first")
    atomic_write_text(path, "second", backup=True)
    publish = atomic._publish

    def refused(tmp, target):
        if target == path:
            raise PermissionError(errno.EACCES, "Permission denied", str(target))
        publish(tmp, target)

    monkeypatch.setattr(atomic, "_publish", refused)
    with pytest.raises(ProjectError, match=r"s\.tvproj"):
        atomic_write_text(path, "third", backup=True, error=ProjectError)
    assert path.read_text(encoding="utf-8") == "second"
    assert (tmp_path / "s.tvproj.bak").read_text(encoding="utf-8") == "first"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["s.tvproj", "s.tvproj.bak"]


@pytest.mark.skipif(not Path("/proc/self").is_dir(), reason="needs Linux's /proc")
def test_a_folder_that_takes_no_new_file_is_named_as_the_cause(tmp_path, capsys):
    """An export to /proc/x.mp4 said "cannot write: No such file or directory", though /proc is
    there: the folder refuses new files (a new user, a documentary maker)."""
    from terrain_viewer.cli import main

    assert main(["render", "--size", "160x90", "--out", "/proc/x.png"]) == 4
    err = capsys.readouterr().err
    assert "/proc/x.png: cannot write a file in /proc (No such file or directory); choose another " \
           "folder" in err
