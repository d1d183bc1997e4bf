"""``terrain-viewer render --transparent``: a still on no paper, as export's transparent frames."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
from matplotlib.colors import to_rgb
from PIL import Image

from terrain_viewer.core.render.symbology import PAPER


def _render(out: Path, *flags: str) -> subprocess.CompletedProcess:
    """The console command, as a person runs it, on the built-in data."""
    return subprocess.run([sys.executable, "-m", "terrain_viewer.cli", "render", "--date", "1944-07-11",
                           "--size", "640x360", *flags, "--out", str(out)],
                          capture_output=True, text=True, timeout=300)


def test_render_transparent_leaves_the_paper_clear_and_the_map_opaque(tmp_path: Path):
    plain, clear = tmp_path / "plain.png", tmp_path / "clear.png"
    for out, flags in ((plain, ()), (clear, ("--transparent",))):
        done = _render(out, *flags)
        assert done.returncode == 0, done.stderr
    opaque, rgba = (np.asarray(Image.open(p).convert("RGBA")).astype(int) for p in (plain, clear))
    assert opaque.shape == rgba.shape == (360, 640, 4)
    paper = np.rint(np.array(to_rgb(PAPER)) * 255).astype(int)
    corners = [(0, 0), (0, -1), (-1, 0), (-1, -1)]
    for y, x in corners:
        assert opaque[y, x, 3] == 255 and np.abs(opaque[y, x, :3] - paper).max() <= 1  # paper
        assert rgba[y, x, 3] == 0  # no paper: footage shows through
    assert (rgba[..., 3] == 0).mean() > 0.5  # most of the frame was paper
    water = (opaque[..., 2] - opaque[..., 0] > 100) & (opaque[..., 3] == 255)  # the rivers' cores
    assert water.sum() > 500
    assert (rgba[water, 3] == 255).mean() > 0.95  # map features stay opaque (their edges blend)
    solid = water & (rgba[..., 3] == 255)
    assert np.abs(rgba[solid, :3] - opaque[solid, :3]).max() <= 2  # in the colours they have on paper


def test_a_transparent_geotiff_has_an_alpha_band_gis_programs_read(tmp_path: Path):
    """A GeoTIFF still's 4th band was written with no alpha mark (GIS programs saw 4 colour bands
    and drew the clear paper black): it is alpha now, clear where the paper was."""
    import rasterio
    from rasterio.enums import ColorInterp

    out = tmp_path / "frame.tif"
    done = _render(out, "--transparent")
    assert done.returncode == 0, done.stderr
    with rasterio.open(out) as tif:
        assert tif.colorinterp[3] == ColorInterp.alpha
        alpha = tif.read(4)
    assert alpha[0, 0] == alpha[-1, -1] == 0 and (alpha == 255).mean() > 0.01  # 3 %: rivers, units, legend
