"""Unit symbols kept on disk between runs are the symbols milsymbol draws; a damaged cache file is
drawn again, and the cache can be turned off. The symbols shipped for the built-in data serve a
first start, are the ones drawn now, and are left alone for other versions."""

from __future__ import annotations

import json
from importlib.metadata import version

import numpy as np
import pytest

from terrain_viewer.core.common.caches import ENV, cache_root
from terrain_viewer.core.render import symbol_cache
from terrain_viewer.core.render.symbols import unit_symbol

ARGS = ("10031000161211000000", "29", "10A", 24, "cn")


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv(ENV, str(tmp_path))
    cache_root.cache_clear()
    symbol_cache.cached_symbol.cache_clear()
    yield tmp_path / "symbols"
    cache_root.cache_clear()
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
    monkeypatch.setenv(ENV, "off")
    cache_root.cache_clear()
    symbol_cache.cached_symbol.cache_clear()
    try:
        assert symbol_cache.cache_dir() is None
        assert same(symbol_cache.cached_symbol(*ARGS), unit_symbol(*ARGS))
    finally:
        cache_root.cache_clear()
        symbol_cache.cached_symbol.cache_clear()


# The symbols shipped for the built-in data (resources/symbols, python -m geodata.seed_symbols)

def shipped() -> dict:
    manifest = json.loads((symbol_cache.shipped_dir() / "manifest.json").read_text())
    installed = {name: version(name) for name in ("milsymbol", "resvg-py")}
    if {name: manifest[name] for name in installed} != installed:
        pytest.skip(f"resources/symbols was drawn with {manifest['milsymbol']} / {manifest['resvg-py']}, "
                    f"installed {installed}: the app draws them (run python -m geodata.seed_symbols)")
    return manifest["symbols"]


def test_the_shipped_symbols_are_the_ones_milsymbol_draws_now():
    symbols = shipped()
    assert len(symbols) > 20
    for name, args in symbols.items():
        assert symbol_cache.file_name(*args) == name, "symbols.py changed: run python -m geodata.seed_symbols"
        assert same(symbol_cache.read(symbol_cache.shipped_dir() / name), unit_symbol(*args)), args


def test_a_first_start_draws_the_built_in_units_without_milsymbol(cache, monkeypatch):
    """An empty user cache (the first start after installing): every unit symbol of the built-in
    data's frames comes from the shipped files, and the frames are the ones drawn without them."""
    shipped()
    from terrain_viewer.core.data.builtin import builtin_paths
    from terrain_viewer.core.model import ViewerModel
    from terrain_viewer.core.render.renderer import MapRenderer

    def refuse(*args):
        raise AssertionError(f"milsymbol drew {args}")

    monkeypatch.setattr(symbol_cache, "unit_symbol", refuse)
    model = ViewerModel.open(builtin_paths())
    days = [model.time.start, model.time.start + 30.5, model.time.end]
    frames = [MapRenderer(model).render(t=t, size=(1920, 1080)) for t in days]
    assert not list(cache.glob("*.npz"))  # nothing needed drawing
    monkeypatch.undo()
    monkeypatch.setattr(symbol_cache, "shipped_dir", lambda: None)
    symbol_cache.cached_symbol.cache_clear()
    cache_root.cache_clear()
    monkeypatch.setenv(ENV, "off")
    for t, frame in zip(days, frames, strict=True):
        assert np.array_equal(MapRenderer(model).render(t=t, size=(1920, 1080)), frame)


def test_shipped_symbols_of_other_versions_are_not_used(cache, monkeypatch):
    args = next(iter(shipped().values()))
    drawn = []
    monkeypatch.setattr(symbol_cache, "unit_symbol", lambda *a: drawn.append(a) or unit_symbol(*a))
    monkeypatch.setattr(symbol_cache, "_version", lambda: "another milsymbol")
    assert same(symbol_cache.cached_symbol(*args), unit_symbol(*args))
    assert drawn == [tuple(args)]
