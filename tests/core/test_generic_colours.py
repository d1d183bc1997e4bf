"""A researcher's own layers get colours that stand out on the map's paper: a new user's points in
the palette's pale lilac (#c2a5cf, 1.9:1 against the paper) were hard to find."""

from __future__ import annotations

import math

import pytest
from matplotlib.colors import to_rgb

from terrain_viewer.core.render.symbology import GENERIC_COLOURS, PAPER


def luminance(colour: str) -> float:
    """WCAG 2's relative luminance."""
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in to_rgb(colour)]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


@pytest.mark.parametrize("colour", GENERIC_COLOURS)
def test_each_generic_colour_has_3_to_1_contrast_with_the_paper(colour):
    light, dark = sorted((luminance(colour), luminance(PAPER)), reverse=True)
    assert (light + 0.05) / (dark + 0.05) >= 3.0


def lab(colour: str) -> tuple[float, float, float]:
    """CIE L*a*b* (D65) of an sRGB colour."""
    r, g, b = (c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in to_rgb(colour))
    xyz = ((0.4124 * r + 0.3576 * g + 0.1805 * b) / 0.95047, 0.2126 * r + 0.7152 * g + 0.0722 * b,
           (0.0193 * r + 0.1192 * g + 0.9505 * b) / 1.08883)
    fx, fy, fz = (t ** (1 / 3) if t > 0.008856 else 7.787 * t + 16 / 116 for t in xyz)
    return 116 * fy - 16, 500 * (fx - fy), 200 * (fy - fz)


def test_any_two_generic_colours_are_told_apart_at_a_glance():
    """A researcher's two layers came out #d95f02 and #b35806, both orange (ΔE 16), and the palette
    held two purples (ΔE 12.5): any two now differ by a ΔE (CIE 1976) of 25 or more."""
    for i, first in enumerate(GENERIC_COLOURS):
        for second in GENERIC_COLOURS[i + 1:]:
            assert math.dist(lab(first), lab(second)) >= 25.0, (first, second)
