"""Camera keyframes: held outside the keys, eased between them, zoom even in log scale."""

from __future__ import annotations

import math

import pytest

from terrain_viewer.core.temporal.camera import Camera, ViewKey, ease_in_out, interpolate


def test_ease_starts_and_ends_slowly_and_is_symmetric():
    assert ease_in_out(0) == 0 and ease_in_out(1) == 1 and ease_in_out(0.5) == 0.5
    assert ease_in_out(0.1) < 0.1 and ease_in_out(0.9) > 0.9
    assert ease_in_out(0.2) == pytest.approx(1 - ease_in_out(0.8))


def test_views_are_held_before_the_first_and_after_the_last_key():
    cam = Camera([ViewKey(10, (0, 0, 100, 100)), ViewKey(20, (50, 50, 70, 70))])
    assert cam.view_at(0) == (0, 0, 100, 100)
    assert cam.view_at(10) == pytest.approx((0, 0, 100, 100))
    assert cam.view_at(25) == (50, 50, 70, 70)


def test_between_keys_the_centre_moves_and_the_zoom_is_geometric():
    cam = Camera([ViewKey(0, (0, 0, 400, 400)), ViewKey(2, (0, 0, 100, 100))])
    x0, y0, x1, y1 = cam.view_at(1)  # halfway: s = 0.5
    assert (x0 + x1) / 2 == pytest.approx(125)  # centre halfway from 200 to 50
    assert x1 - x0 == pytest.approx(200)  # sqrt(400 * 100), not the arithmetic 250
    early = cam.view_at(0.2)
    assert 400 - (early[2] - early[0]) < 400 * (1 - math.sqrt(0.25) ** (0.2 * 2))  # eased: slow start


def test_interpolation_ends_on_the_keys_and_bad_extents_are_refused():
    a, b = (0, 0, 10, 10), (5, 5, 25, 15)
    assert interpolate(a, b, 0) == pytest.approx(a) and interpolate(a, b, 1) == pytest.approx(b)
    with pytest.raises(ValueError):
        Camera([ViewKey(0, (10, 0, 0, 10))])
    with pytest.raises(ValueError):
        Camera([])


def test_each_move_takes_the_ease_of_the_key_it_arrives_at():
    wide, close = (0, 0, 400, 400), (0, 0, 100, 100)
    linear = Camera([ViewKey(0, wide), ViewKey(1, close, "linear")])
    eased = Camera([ViewKey(0, wide), ViewKey(1, close)])
    width = [linear.view_at(t)[2] - linear.view_at(t)[0] for t in (0.25, 0.5, 0.75)]
    assert width == pytest.approx([400 * 0.25 ** 0.25, 200, 400 * 0.25 ** 0.75])  # even steps in log scale
    assert eased.view_at(0.25)[2] > linear.view_at(0.25)[2]  # in-out: still slow after a quarter
    start_fast = Camera([ViewKey(0, wide), ViewKey(1, close, "out")])
    assert start_fast.view_at(0.25)[2] < linear.view_at(0.25)[2]
    with pytest.raises(ValueError, match="unknown ease 'bounce'"):
        Camera([ViewKey(0, wide), ViewKey(1, close, "bounce")])
