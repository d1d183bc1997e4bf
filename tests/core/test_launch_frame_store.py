"""The launch frame's key and store (``core.render.launch_frame``): a frame is found only for the
very state it was drawn from; the store keeps a few, whole or not at all."""

from __future__ import annotations

import os
import shutil
import time

import numpy as np
import pytest

from terrain_viewer.core.common import caches
from terrain_viewer.core.common.caches import cache_root
from terrain_viewer.core.model import ViewerModel
from terrain_viewer.core.render import launch_frame
from terrain_viewer.core.render.furniture import FrameLook


def _key(model, size=(800, 600), t=None, look=None):
    return launch_frame.frame_key(model, size, model.view, 1.0, None, model.time.start if t is None else t,
                                  look or FrameLook())


@pytest.fixture
def old_copy(tmp_path, shipped_gpkg):
    """The shipped GeoPackage copied, its times set back (a file changed in the last seconds is not
    kept: its clock cannot yet tell a second change from the first)."""
    path = tmp_path / "data" / "battle.gpkg"
    path.parent.mkdir()
    shutil.copy(shipped_gpkg, path)
    past = time.time() - 60
    os.utime(path, (past, past))
    return path


def test_the_key_follows_every_input(own_cache, old_copy):
    model = ViewerModel.open([old_copy])
    time.sleep(2.1)  # the copy's change time (set by the copy itself) leaves the racy window
    key = _key(model)
    assert key is not None and key == _key(model)
    others = {_key(model, size=(801, 600)), _key(model, t=model.time.start + 1),
              _key(model, look=FrameLook(legend_form="full"))}
    model.set_visible(model.layer_states[0].name, False)
    others.add(_key(model))
    assert key not in others and len(others) == 4
    model.set_visible(model.layer_states[0].name, True)
    assert _key(model) == key
    past = time.time() - 30
    os.utime(old_copy, (past, past))  # the file touched (its times), its content alike
    time.sleep(2.1)
    assert _key(model) not in (None, key)


def test_no_key_with_a_tile_basemap_or_with_the_cache_off(own_cache, old_copy, monkeypatch):
    model = ViewerModel.open([old_copy])
    time.sleep(2.1)
    model.basemap = {"name": "OpenStreetMap"}
    assert _key(model) is None
    model.basemap = None
    monkeypatch.setenv("TERRAIN_VIEWER_CACHE_DIR", "off")
    cache_root.cache_clear()
    assert _key(model) is None


def test_kept_frames_read_back_the_newest_few_and_never_a_damaged_one(own_cache):
    frames = [np.full((30, 40, 4), k, np.uint8) for k in range(launch_frame.KEEP + 2)]
    for k, pixels in enumerate(frames):
        launch_frame.keep(f"k{k}", pixels)
        os.utime(own_cache / "frames" / f"k{k}.npy", (1000 + k, 1000 + k))
    launch_frame.keep("last", frames[0])
    kept = sorted(p.stem for p in (own_cache / "frames").glob("*.npy"))
    assert len(kept) == launch_frame.KEEP and "last" in kept and "k0" not in kept
    assert np.array_equal(launch_frame.read("last"), frames[0])
    assert launch_frame.read("k0") is None  # gone
    path = own_cache / "frames" / "last.npy"
    path.write_bytes(path.read_bytes()[:200])
    assert launch_frame.read("last") is None
    assert not list((own_cache / "frames").glob("*.tmp*"))  # written whole: no leftovers


def test_a_write_cut_short_leaves_no_file_for_long(own_cache):
    """A partial write (the app ended during it) is removed by a later keep once a minute old,
    and never counts among the frames kept."""
    launch_frame.keep("a", np.zeros((4, 4, 4), np.uint8))
    partial = own_cache / "frames" / ".b.partial-1-x.npy"
    partial.write_bytes(b"cut")
    fresh = own_cache / "frames" / ".c.partial-2-y.npy"
    fresh.write_bytes(b"still being written")
    past = time.time() - 2 * caches.PARTIAL_AGE_S
    os.utime(partial, (past, past))
    for k in range(launch_frame.KEEP):
        launch_frame.keep(f"n{k}", np.zeros((4, 4, 4), np.uint8))
    assert not partial.exists() and fresh.exists()
    names = {p.name for p in (own_cache / "frames").iterdir()}
    assert len([n for n in names if not n.startswith(".")]) == launch_frame.KEEP


def test_a_kept_frame_in_another_memory_order_or_not_a_file_is_read_safely(own_cache):
    """A frame file saved in column order reads back as rows (it crashed the window's first paint),
    and a pipe or a folder of a frame's name is no frame (a pipe blocked the start)."""
    pixels = np.arange(5 * 6 * 4, dtype=np.uint8).reshape(5, 6, 4)
    launch_frame.keep("f", pixels)
    np.save(own_cache / "frames" / "f.npy", np.asfortranarray(pixels))
    back = launch_frame.read("f")
    assert back.flags.c_contiguous and np.array_equal(back, pixels)
    os.mkfifo(own_cache / "frames" / "pipe.npy")
    (own_cache / "frames" / "folder.npy").mkdir()
    assert launch_frame.read("pipe") is None and launch_frame.read("folder") is None
