"""Large layers are read through Arrow when pyarrow is installed, and load into the same layer."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from terrain_viewer.core.data import readers
from terrain_viewer.core.data.layers import open_dataset

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
import synthetic  # noqa: E402

pytestmark = pytest.mark.usefixtures("no_dataset_cache")  # they count or limit reads


@pytest.fixture(scope="module")
def units_file(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("arrow") / "units.gpkg"
    return synthetic.moving_units(path, units=300, days=90)  # 27,000 keyframes: above ARROW_FROM


READ_FILE = readers.gpd.read_file


READ_ARROW = readers.pyogrio.read_arrow


def load(path: Path, arrow: bool, monkeypatch):
    """The dataset of ``path`` and how it was read: ``use_arrow`` of each ``read_file`` call, and
    "read_arrow" for each direct Arrow read (large point layers, their WKB read by numpy)."""
    monkeypatch.setattr(readers, "USE_ARROW", arrow)
    calls = []

    def read_file(*args, **kwargs):
        calls.append(kwargs.get("use_arrow"))
        return READ_FILE(*args, **kwargs)

    def read_arrow(*args, **kwargs):
        calls.append("read_arrow")
        return READ_ARROW(*args, **kwargs)

    monkeypatch.setattr(readers.gpd, "read_file", read_file)
    monkeypatch.setattr(readers.pyogrio, "read_arrow", read_arrow)
    return open_dataset([path]), calls


def test_a_large_layer_read_through_arrow_is_the_layer_read_plainly(units_file, monkeypatch):
    pytest.importorskip("pyarrow")
    assert readers.ARROW_FROM <= 300 * 90
    arrow, arrow_calls = load(units_file, True, monkeypatch)
    plain, plain_calls = load(units_file, False, monkeypatch)
    assert arrow_calls == ["read_arrow"] and plain_calls == [None]
    a, p = arrow.layer("units"), plain.layer("units")
    assert a.role == p.role == "keyframes" and len(a.gdf) == len(p.gdf) == 27_000
    pd.testing.assert_frame_equal(a.gdf.to_wkb(), p.gdf.to_wkb(), check_exact=True)  # the same layer
    for t in np.linspace(*arrow.time_extent, 7):
        fa, fp = a.features_at(t), p.features_at(t)
        assert list(fa["unit_id"]) == list(fp["unit_id"])
        assert np.allclose(np.c_[fa.geometry.x, fa.geometry.y], np.c_[fp.geometry.x, fp.geometry.y])
        assert list(fa["side"].astype(str)) == list(fp["side"].astype(str))


def test_small_layers_are_read_the_plain_way(shipped_gpkg, monkeypatch):
    _, calls = load(shipped_gpkg, True, monkeypatch)
    assert calls and all(call is None for call in calls)  # Arrow's set-up per layer costs more there


def test_a_large_layers_rows_at_a_time_are_the_rows_a_small_layer_gives(units_file, monkeypatch):
    """A layer above PLAIN_ROWS keeps its text of few values as codes: what a frame gets is the
    same, value for value and type for type (missing text and a column of all-distinct text too)."""
    from terrain_viewer.core.data import keyframes

    frames = {}
    for plain_rows in (10**9, 1000):
        monkeypatch.setattr(keyframes, "PLAIN_ROWS", plain_rows)
        layer = open_dataset([units_file]).layer("units")
        layer.gdf.loc[layer.gdf.index[::7], "designation"] = None
        layer.gdf["note"] = pd.array([f"row {i}" for i in range(len(layer.gdf))], dtype="str")
        frames[plain_rows] = [layer.features_at(t) for t in np.linspace(*layer.time_extent, 9)]
        coded = [name for _, name, *_ in layer._frames._source()._coded]  # noqa: SLF001
    assert "designation" in coded and "side" in coded and "note" not in coded
    assert any(f["designation"].isna().any() for f in frames[1000])
    for small, large in zip(frames[10**9], frames[1000], strict=True):
        pd.testing.assert_frame_equal(small, large, check_exact=True)
        assert all(dtype == np.dtype(object) for name, dtype in large.dtypes.items()
                   if name not in ("geometry", "progress"))
