"""A researcher's own layers get colours that stand out on the map's paper: a new user's points in
the palette's pale lilac (#c2a5cf, 1.9:1 against the paper) were hard to find."""

from __future__ import annotations

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
