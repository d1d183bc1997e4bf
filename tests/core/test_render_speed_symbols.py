"""Unit symbols kept on disk between runs are the symbols milsymbol draws; a damaged cache file is
drawn again, and the cache can be turned off."""

from __future__ import annotations

import numpy as np
import pytest

from terrain_viewer.core.render import symbol_cache
from terrain_viewer.core.render.symbols import unit_symbol

ARGS = ("10031000161211000000", "29", "10A", 24, "cn")


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv(symbol_cache.ENV, str(tmp_path))
    symbol_cache.cache_dir.cache_clear()
    symbol_cache.cached_symbol.cache_clear()
    yield tmp_path / "symbols"
    symbol_cache.cache_dir.cache_clear()
    symbol_cache.cached_symbol.cache_clear()


def same(a, b) -> bool:
    return np.array_equal(a.rgba, b.rgba) and a.anchor == b.anchor and a.valid == b.valid


def test_a_symbol_from_the_disk_cache_is_the_symbol_milsymbol_draws(cache):
    drawn = symbol_cache.cached_symbol(*ARGS)
    assert len(list(cache.glob("*.npz"))) == 1
    symbol_cache.cached_symbol.cache_clear()  # a new process: only the disk remembers
    loaded = symbol_cache.cached_symbol(*ARGS)
    assert loaded is not drawn and same(loaded, drawn) and same(loaded, unit_symbol(*ARGS))


def test_other_arguments_are_other_files(cache):
    symbol_cache.cached_symbol(*ARGS)
    symbol_cache.cached_symbol(*ARGS[:3], 30, "cn")
    assert len(list(cache.glob("*.npz"))) == 2


def test_a_damaged_cache_file_is_drawn_again(cache):
    symbol_cache.cached_symbol(*ARGS)
    (path,) = cache.glob("*.npz")
    path.write_bytes(b"not a zip")
    symbol_cache.cached_symbol.cache_clear()
    assert same(symbol_cache.cached_symbol(*ARGS), unit_symbol(*ARGS))
    assert path.read_bytes() != b"not a zip"  # and rewritten


def test_the_cache_can_be_turned_off(tmp_path, monkeypatch):
    monkeypatch.setenv(symbol_cache.ENV, "off")
    symbol_cache.cache_dir.cache_clear()
    symbol_cache.cached_symbol.cache_clear()
    try:
        assert symbol_cache.cache_dir() is None
        assert same(symbol_cache.cached_symbol(*ARGS), unit_symbol(*ARGS))
    finally:
        symbol_cache.cache_dir.cache_clear()
        symbol_cache.cached_symbol.cache_clear()
