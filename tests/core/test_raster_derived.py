"""The hill shading is worked out once per raster and kept with it (not in module state): deep copies
of a dataset (a second window, a test's copy) share it, a pickled raster (an export worker's) and a
raster with other data work it out afresh."""

from __future__ import annotations

import copy
import dataclasses
import pickle

import numpy as np

from terrain_viewer.core.data.builtin import builtin_paths
from terrain_viewer.core.data.layers import open_dataset
from terrain_viewer.core.render.terrain import shaded_relief


def _dem():
    dataset = open_dataset(builtin_paths())
    return next(r for r in dataset.rasters if r.kind == "elevation"), dataset


def test_a_deep_copy_of_the_dataset_shares_the_worked_out_shading():
    dem, dataset = _dem()
    image = shaded_relief(dem)
    twin = next(r for r in copy.deepcopy(dataset).rasters if r.kind == "elevation")
    assert twin is not dem and twin.data is not dem.data
    assert shaded_relief(twin) is image


def test_a_pickled_raster_or_one_with_other_data_works_its_shading_out_afresh():
    dem, _ = _dem()
    image = shaded_relief(dem)
    unpickled = pickle.loads(pickle.dumps(dem))
    again = shaded_relief(unpickled)
    assert again is not image and np.array_equal(again, image)
    flat = dataclasses.replace(dem, data=np.full_like(dem.data, 50.0))
    assert not np.array_equal(shaded_relief(flat), image)
    assert shaded_relief(dem) is image  # the original keeps its own
