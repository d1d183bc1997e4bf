"""APP-6 unit symbols from milsymbol + resvg: frames, colours, text amplifiers, fallback."""

from __future__ import annotations

import numpy as np

from terrain_viewer.core.render.symbols import unit_symbol

FRIEND = "10031000171211000000"  # friendly infantry regiment (2525D numeric)
HOSTILE = "10061000171211000000"  # hostile infantry regiment


def count(rgba: np.ndarray, colour, tolerance: int = 12) -> int:
    return int((np.abs(rgba[..., :3].astype(int) - np.asarray(colour)) <= tolerance).all(axis=-1)
               [rgba[..., 3] > 200].sum())


def dark(rgba: np.ndarray) -> np.ndarray:
    return (rgba[..., :3].max(axis=-1) < 80) & (rgba[..., 3] > 200)


def test_friend_and_hostile_frames_have_their_app6_fill():
    friend = unit_symbol(FRIEND, "", "", 40, "cn")
    hostile = unit_symbol(HOSTILE, "", "", 40, "jp")
    assert friend.valid and hostile.valid
    assert count(friend.rgba, (128, 224, 255)) > 300 and count(friend.rgba, (255, 128, 128)) == 0
    assert count(hostile.rgba, (255, 128, 128)) > 300 and count(hostile.rgba, (128, 224, 255)) == 0


def test_size_scales_the_symbol_and_the_anchor_lies_inside_it():
    small = unit_symbol(FRIEND, "", "", 20, "cn")
    large = unit_symbol(FRIEND, "", "", 60, "cn")
    assert large.rgba.shape[0] > 2.5 * small.rgba.shape[0]
    for sym in (small, large):
        x, y = sym.anchor
        assert 0 < x < sym.rgba.shape[1] and 0 < y < sym.rgba.shape[0]
        assert sym.rgba[int(y), int(x), 3] > 0  # the anchor is on the frame, not in empty margin


def test_designation_text_is_rendered_beside_the_frame():
    """resvg must find a font: the designation adds dark text pixels left of the frame."""
    bare = unit_symbol(FRIEND, "", "", 40, "cn")
    named = unit_symbol(FRIEND, "30", "10D", 40, "cn")
    assert named.rgba.shape[1] > bare.rgba.shape[1]
    left_of_frame = named.rgba[:, : int(named.anchor[0] - 0.6 * bare.anchor[0])]
    assert dark(left_of_frame).sum() > 20


def test_symbols_are_cached_per_code_text_and_size():
    assert unit_symbol(FRIEND, "30", "10D", 30, "cn") is unit_symbol(FRIEND, "30", "10D", 30, "cn")
    assert unit_symbol(FRIEND, "30", "10D", 30, "cn") is not unit_symbol(FRIEND, "29", "10D", 30, "cn")


def test_invalid_or_letter_sidc_falls_back_to_a_marker_in_the_side_colour():
    for bad in ("not a sidc", "SFGPUCI----D---", ""):
        sym = unit_symbol(bad, "x", "", 40, "jp")
        assert not sym.valid
        assert count(sym.rgba, (255, 128, 128)) > 50
    assert count(unit_symbol("nonsense", "", "", 40, "cn").rgba, (128, 224, 255)) > 50


def test_spread_separates_overlapping_symbols_and_leaves_lone_ones():
    from terrain_viewer.core.render.symbols import spread

    points = np.array([[100.0, 100.0], [100.0, 100.0], [108.0, 102.0], [400.0, 300.0]])
    half = np.full((4, 2), [15.0, 10.0])
    out = spread(points, half)
    assert np.array_equal(out[3], points[3])
    for i in range(3):
        for j in range(i + 1, 3):
            rel = (out[i] - out[j]) / (half[i] + half[j])
            assert np.hypot(*rel) > 0.9
    assert np.array_equal(out, spread(points, half))  # deterministic
    nudged = spread(points + [[0.5, 0.0], [0, 0], [0, 0], [0, 0]], half)
    assert np.abs(nudged - out).max() < 10  # a small move gives a small change: no jumps


def test_a_layout_kept_by_its_inputs_is_the_layout_and_the_callers_own():
    from terrain_viewer.core.render.symbols import spread
    from terrain_viewer.core.render.units import spread_once

    points = np.array([[200.0, 100.0], [203.0, 101.0], [206.0, 99.0]])
    half = np.full((3, 2), [15.0, 10.0])
    first = spread_once(points, half)
    assert np.array_equal(first, spread(points, half))
    first[:] = 0.0  # the caller changes its copy
    assert np.array_equal(spread_once(points, half), spread(points, half))
    other = spread_once(points + [[1.0, 0.0], [0, 0], [0, 0]], half)  # other inputs, another layout
    assert np.array_equal(other, spread(points + [[1.0, 0.0], [0, 0], [0, 0]], half))
    assert not np.array_equal(other, spread(points, half))
