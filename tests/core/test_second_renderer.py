"""The second renderer process without Qt: its frames are this process's renderer's frames, a frame
it cannot draw comes back as an error (the window then draws it itself), and closing it frees its
shared memory and ends the process."""

from __future__ import annotations

import os
import queue
import sys
import time

import numpy as np
import pytest

from terrain_viewer.core.export.helper_process import RenderHelper
from terrain_viewer.core.export.workers import pickle_data
from terrain_viewer.core.model import ViewerModel
from terrain_viewer.core.render.furniture import FrameLook
from terrain_viewer.core.render.renderer import MapRenderer

SIZE = (480, 270)


@pytest.fixture
def helper():
    helper = RenderHelper()
    answers: queue.SimpleQueue = queue.SimpleQueue()
    helper.on_frame = lambda key, rgba, error, warnings: answers.put(
        (key, None if rgba is None else rgba.copy(), error))
    deadline = time.monotonic() + 60
    while not helper.ready and time.monotonic() < deadline:
        time.sleep(0.02)
    assert helper.ready
    helper.answers = answers
    yield helper
    helper.close()


def ask(helper, key, model, t, size=SIZE, layers=None):
    assert helper.render(key, t, size, model.view, 100.0, layers)
    got_key, rgba, error = helper.answers.get(timeout=60)
    assert got_key == key
    return rgba, error


def test_the_helpers_frames_are_this_processs_frames_before_and_after_a_change(helper, shipped_gpkg):
    model = ViewerModel.open([shipped_gpkg])
    here = MapRenderer(model)
    here.look = FrameLook(legend_form="full")
    helper.set_state(model, pickle_data(model), here.look)
    for day in (3, 18, 40):
        t = float(model.time.start) + day
        rgba, error = ask(helper, ("day", day), model, t)
        assert error is None
        assert np.array_equal(rgba, here.render(t=t, size=SIZE))
    model.set_visible("units", False)
    helper.set_state(model, None, here.look)  # the states only: the data are the helper's already
    t = float(model.time.start) + 18
    rgba, _ = ask(helper, ("hidden", 18), model, t)
    assert np.array_equal(rgba, here.render(t=t, size=SIZE))
    some = {s.name for s in model.layer_states[:3]}
    part, _ = ask(helper, ("some", 18), model, t, layers=some)  # a side-by-side pane's layers
    assert np.array_equal(part, here.render(t=t, size=SIZE, layers=some))
    assert not np.array_equal(part, rgba)


def test_a_frame_it_cannot_draw_comes_back_as_an_error(helper, shipped_gpkg):
    model = ViewerModel.open([shipped_gpkg])
    helper.set_state(model, pickle_data(model), FrameLook())
    rgba, error = ask(helper, "tiny", model, float(model.time.start), size=(8, 8))
    assert rgba is None and "too small" in error
    rgba, error = ask(helper, "next", model, float(model.time.start))  # it carries on
    assert error is None and rgba.shape == (SIZE[1], SIZE[0], 4)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="looks in /dev/shm and /proc")
def test_closing_it_frees_its_shared_memory_and_ends_the_process(helper, shipped_gpkg):
    model = ViewerModel.open([shipped_gpkg])
    helper.set_state(model, pickle_data(model), FrameLook())
    ask(helper, "one", model, float(model.time.start))
    names = [shm.name.lstrip("/") for shm in helper._slots]  # noqa: SLF001
    assert names and all(os.path.exists(f"/dev/shm/{n}") for n in names)
    pid = helper.pid
    helper.close()
    assert not any(os.path.exists(f"/dev/shm/{n}") for n in names)
    deadline = time.monotonic() + 10
    while os.path.exists(f"/proc/{pid}") and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not os.path.exists(f"/proc/{pid}")
    assert not helper.render("late", 0.0, SIZE, model.view, 100.0, None)


def test_no_shared_memory_is_a_warning_and_no_frames_not_an_error(helper, shipped_gpkg, monkeypatch, caplog):
    from terrain_viewer.core.export import helper_process

    made = []

    def small_shm(create=False, size=0, name=None):
        if len(made) == 2:
            raise OSError(28, "No space left on device")
        made.append(real(create=create, size=size, name=name))
        return made[-1]

    real = helper_process.shared_memory.SharedMemory
    monkeypatch.setattr(helper_process.shared_memory, "SharedMemory", small_shm)
    model = ViewerModel.open([shipped_gpkg])
    helper.set_state(model, pickle_data(model), FrameLook())
    assert not helper.render("big", float(model.time.start), SIZE, model.view, 100.0, None)
    assert "no shared memory" in caplog.text
    assert not any(os.path.exists(f"/dev/shm/{shm.name.lstrip('/')}") for shm in made)  # none left
    assert not helper.render("again", float(model.time.start), SIZE, model.view, 100.0, None)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the forkserver is Linux's")
def test_the_processes_start_with_the_renderer_loaded_but_not_milsymbols_tables():
    """The helper is forked from a server that must have loaded before it starts: the renderer is
    preloaded there, milsymbol's tables (half a second of JSON) are not (the symbols come from the
    disk cache or the shipped ones), so the helper is drawing half a second sooner."""
    from concurrent.futures import ProcessPoolExecutor

    from terrain_viewer.core.export.processes import process_context

    loaded = "[m in __import__('sys').modules for m in ('terrain_viewer.core.render.renderer', 'milsymbol')]"
    with ProcessPoolExecutor(1, mp_context=process_context()) as pool:
        assert pool.submit(eval, loaded).result(timeout=60) == [True, False]
