"""A one-command process's start: ``cli.common.loading`` (the garbage collector off while it
starts, then what start-up made frozen and the collector on again; nothing changes anywhere else)
and ``entry.one_blas_thread`` (numpy's OpenBLAS on one thread, set before numpy loads)."""

from __future__ import annotations

import gc
import os
import sys

import pytest

from terrain_viewer.cli import common, entry


@pytest.fixture
def unfrozen():
    yield
    gc.unfreeze()  # what a test froze goes back to the oldest generation


def test_a_one_command_process_loads_without_the_collector_then_freezes(monkeypatch, unfrozen):
    monkeypatch.setattr(common, "ONE_COMMAND", [True])
    frozen = gc.get_freeze_count()
    with common.loading():
        assert not gc.isenabled()
        made = [[] for _ in range(500)]  # tracked containers made while loading
    assert gc.isenabled()
    assert gc.get_freeze_count() >= frozen + len(made)


def test_the_collector_comes_back_when_loading_fails(monkeypatch, unfrozen):
    monkeypatch.setattr(common, "ONE_COMMAND", [True])
    with pytest.raises(RuntimeError), common.loading():
        raise RuntimeError("bad data")
    assert gc.isenabled()


def test_elsewhere_loading_changes_nothing(monkeypatch):
    monkeypatch.setattr(common, "ONE_COMMAND", [False])
    frozen = gc.get_freeze_count()
    with common.loading():
        assert gc.isenabled()
        [[] for _ in range(500)]
    assert gc.isenabled() and gc.get_freeze_count() == frozen


def test_a_collector_switched_off_by_the_caller_stays_off(monkeypatch, unfrozen):
    monkeypatch.setattr(common, "ONE_COMMAND", [True])
    gc.disable()
    try:
        with common.loading():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_one_blas_thread_before_numpy_is_imported(monkeypatch):
    monkeypatch.delenv("OPENBLAS_NUM_THREADS", raising=False)
    monkeypatch.delitem(sys.modules, "numpy")
    entry.one_blas_thread()
    assert os.environ["OPENBLAS_NUM_THREADS"] == "1"


def test_a_blas_thread_count_given_is_kept_and_too_late_is_left_alone(monkeypatch):
    monkeypatch.setenv("OPENBLAS_NUM_THREADS", "2")
    monkeypatch.delitem(sys.modules, "numpy")
    entry.one_blas_thread()
    assert os.environ["OPENBLAS_NUM_THREADS"] == "2"
    monkeypatch.delenv("OPENBLAS_NUM_THREADS")
    monkeypatch.setitem(sys.modules, "numpy", object())  # numpy already loaded: its OpenBLAS started
    entry.one_blas_thread()
    assert "OPENBLAS_NUM_THREADS" not in os.environ
