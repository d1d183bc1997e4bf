"""``terrain-viewer render``: a PNG of the requested size; one-line errors with distinct exit codes."""

from __future__ import annotations

from pathlib import Path

import matplotlib.image as mpimg
import numpy as np
import pytest

from terrain_viewer.cli import main


def test_render_writes_a_png_of_the_requested_size(tmp_path: Path, capsys):
    out = tmp_path / "frame.png"
    assert main(["render", "--date", "1944-07-11", "--time", "0.5", "--size", "640x360",
                 "--out", str(out)]) == 0
    image = mpimg.imread(out)
    assert image.shape[:2] == (360, 640)
    assert "wrote" in capsys.readouterr().out
    water = (image[..., 2] - image[..., 0] > 0.12).sum()
    assert water > 500  # the rivers are on it


def test_render_preset_size_and_switches(tmp_path: Path):
    a, b = tmp_path / "a.png", tmp_path / "b.png"
    assert main(["render", "--date", "1944-08-06", "--size", "720p", "--out", str(a)]) == 0
    assert main(["render", "--date", "1944-08-06", "--size", "720p", "--out", str(b), "--no-legend",
                 "--no-scale-bar", "--no-north-arrow", "--no-caption", "--chinese"]) == 0
    ia, ib = mpimg.imread(a), mpimg.imread(b)
    assert ia.shape[:2] == ib.shape[:2] == (720, 1280)
    assert not np.array_equal(ia[:60, :300], ib[:60, :300])  # the caption is gone


def test_render_a_given_file_and_view(tmp_path: Path, small_gpkg: Path):
    out = tmp_path / "small.png"
    view = "650000,2970000,670000,2985000"
    assert main(["render", str(small_gpkg), "--date", "1944-06-24", "--size", "320x240", "--view", view,
                 "--out", str(out)]) == 0
    assert mpimg.imread(out).shape[:2] == (240, 320)


@pytest.mark.parametrize("args, message", [
    (["--date", "1944-13-40"], "--date"),
    (["--date", "1944-07-11", "--size", "huge"], "--size"),
    (["--date", "1944-07-11", "--view", "1,2,3"], "--view"),
    (["--date", "1944-07-11", "--time", "1.5"], "--time"),
])
def test_render_bad_arguments_give_one_line_and_exit_2(tmp_path: Path, capsys, args, message):
    assert main(["render", *args, "--out", str(tmp_path / "x.png")]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and message in err
    assert not list(tmp_path.iterdir())


def test_render_bad_files_name_the_file(tmp_path: Path, capsys):
    missing = tmp_path / "missing.gpkg"
    assert main(["render", str(missing), "--date", "1944-07-11", "--out", str(tmp_path / "x.png")]) == 3
    assert str(missing) in capsys.readouterr().err
    assert main(["render", "--date", "1944-07-11", "--out", str(tmp_path / "no" / "x.png")]) == 4
    assert "folder to write into does not exist" in capsys.readouterr().err


def test_render_a_project_uses_its_date_view_and_switches(tmp_path: Path, small_gpkg: Path):
    from terrain_viewer.core.model import ViewerModel
    from terrain_viewer.core.project import save_project
    from terrain_viewer.core.render.renderer import MapRenderer

    model = ViewerModel.open([small_gpkg])
    model.time.set_t(model.time.start + 2)
    model.set_options(legend=False, caption=False)
    save_project(model, tmp_path / "s.tvproj")
    out = tmp_path / "p.png"
    assert main(["render", str(tmp_path / "s.tvproj"), "--size", "320x240", "--dpi", "100",
                 "--out", str(out)]) == 0
    expected = MapRenderer(model).render(size=(320, 240)).astype(float) / 255
    assert np.abs(mpimg.imread(out) - expected).max() < 1e-6  # the project's date, view and options
    both = [str(tmp_path / "s.tvproj"), str(small_gpkg)]
    assert main(["render", *both, "--out", str(tmp_path / "q.png")]) == 2


def test_info_and_validate_on_a_project_point_to_project_info(tmp_path: Path, small_gpkg: Path, capsys):
    from terrain_viewer.core.model import ViewerModel
    from terrain_viewer.core.project import save_project

    save_project(ViewerModel.open([small_gpkg]), tmp_path / "s.tvproj")
    for command in ("info", "validate"):
        assert main([command, str(tmp_path / "s.tvproj")]) == 2  # a usage error
        assert "project-info" in capsys.readouterr().err


def test_an_unexpected_error_is_one_line_and_logged(tmp_path: Path, capsys, monkeypatch):
    import os

    from terrain_viewer.core.render import renderer as render

    def broken(*args, **kwargs):
        raise RuntimeError("boom\nsecond line")

    monkeypatch.setattr(render.MapRenderer, "render", broken)
    assert main(["render", "--date", "1944-07-11", "--out", str(tmp_path / "x.png")]) == 5
    err = capsys.readouterr().err
    assert "RuntimeError: boom" in err and "log file" in err
    log = Path(os.environ["TERRAIN_VIEWER_LOG_DIR"]) / "terrain_viewer.log"
    assert "second line" in log.read_text(encoding="utf-8")


def test_render_says_when_no_installed_font_has_a_labels_letters(tmp_path: Path, capsys):
    """Matplotlib printed a UserWarning per glyph; the command says the script and the font once."""
    import geopandas as gpd
    import shapely

    from terrain_viewer.core.render.glyphs import missing_letter

    hindi = "झाँसी"
    if missing_letter(hindi, {"family": ["serif"]}) is None:
        pytest.skip("this machine has a font for Devanagari")
    path = tmp_path / "india.gpkg"
    gpd.GeoDataFrame({"name": [hindi], "source": ["test"], "confidence": ["low"]},
                     geometry=shapely.points([77.0], [28.6]), crs=4326).to_file(path, layer="towns")
    assert main(["render", str(path), "--out", str(tmp_path / "india.png"), "--size", "720p"]) == 0
    err = [line for line in capsys.readouterr().err.splitlines() if "Devanagari" in line]
    assert len(err) == 1 and err[0].startswith("terrain-viewer: warning: no installed font has Devanagari")


def test_render_of_a_project_puts_the_legend_in_its_corner(tmp_path: Path):
    """A project saved with View ▸ Legend corner ▸ Lower left drew its legend lower right on the
    command line. Found by a second new-user test."""
    from terrain_viewer.core.data.builtin import builtin_paths
    from terrain_viewer.core.model import ViewerModel
    from terrain_viewer.core.project import save_project

    model = ViewerModel.open(builtin_paths())
    model.set_options(caption=False, scale_bar=False, north_arrow=False, labels=False)
    save_project(model, tmp_path / "plain.tvproj")
    model.set_options(legend_corner="lower left")
    save_project(model, tmp_path / "left.tvproj")
    for name in ("plain", "left"):
        assert main(["render", str(tmp_path / f"{name}.tvproj"), "--size", "1280x720",
                     "--out", str(tmp_path / f"{name}.png")]) == 0
    plain, left = (mpimg.imread(tmp_path / f"{n}.png")[..., :3] for n in ("plain", "left"))
    rows, cols = np.nonzero((plain != left).any(axis=-1))  # the legend, in one corner or the other
    assert len(cols) > 1000
    assert (cols < 640).sum() > 0.3 * len(cols) and (cols > 640).sum() > 0.3 * len(cols)
    assert rows.mean() > 360  # both low
    gone_from_right = (left[400:, 900:] != plain[400:, 900:]).any(axis=-1).sum()
    assert gone_from_right > 500


def test_a_hole_wound_as_its_shell_is_drawn_as_a_hole(tmp_path):
    """A valid polygon whose hole winds the same way as its shell (as many files have them) was
    drawn filled solid: the map showed land where the data has a hole. Found by a new user."""
    import geopandas as gpd
    import numpy as np
    import shapely
    from PIL import Image

    shell = [(112.50, 26.80), (112.70, 26.80), (112.70, 26.95), (112.50, 26.95)]
    hole = [(112.56, 26.84), (112.64, 26.84), (112.64, 26.91), (112.56, 26.91)]  # same turn as the shell
    polygon = shapely.Polygon(shell, [hole])
    assert polygon.is_valid and shapely.Polygon(hole).exterior.is_ccw == polygon.exterior.is_ccw
    data = tmp_path / "holes.gpkg"
    gpd.GeoDataFrame({"name": ["lake shore"], "source": ["x"], "confidence": ["low"]}, geometry=[polygon],
                     crs=4326).to_file(data, layer="marsh_with_lake")
    out = tmp_path / "holes.png"
    assert main(["render", str(data), "--size", "400x300", "--no-legend", "--no-scale-bar",
                 "--no-north-arrow", "--no-caption", "--no-labels", "--out", str(out)]) == 0
    rgb = np.asarray(Image.open(out))[..., :3].astype(int)
    h, w = rgb.shape[:2]
    centre, ring = rgb[h // 2, w // 2], rgb[int(h * 0.12), w // 2]  # the hole's middle; hole to shell
    corner = rgb[2, 2]  # outside the shell: the paper
    assert np.abs(centre - corner).max() <= 8 and np.abs(ring - corner).max() > 20, (centre, ring, corner)


def test_render_takes_the_legend_corner_and_the_caption_format_as_export_does(tmp_path, capsys):
    """`render --legend-corner` and `--caption-format` were refused (export had them): a documentary
    maker's stills could not match the film's frames. Found by a new user."""
    import numpy as np
    from PIL import Image

    common = ["render", "--date", "1944-07-11", "--size", "720p", "--no-labels"]  # wide enough for a legend
    frames = {}
    for name, extra in (("plain", []), ("corner", ["--legend-corner", "upper left"]),
                        ("caption", ["--caption-format", "{weekday}, {day} {month} {year}"])):
        out = tmp_path / f"{name}.png"
        assert main([*common, *extra, "--out", str(out)]) == 0, capsys.readouterr().err
        frames[name] = np.asarray(Image.open(out))[..., :3].astype(int)
    moved = np.abs(frames["corner"] - frames["plain"]).max(axis=-1) > 30
    assert moved[360:, 800:].mean() > 0.02 and moved[120:360, :400].mean() > 0.02  # lower right to upper left
    captioned = np.abs(frames["caption"] - frames["plain"]).max(axis=-1) > 30
    assert captioned[:120, :640].mean() > 0.02 and captioned[240:, :].mean() < 0.01  # only the caption
    assert main([*common, "--caption-format", "{nope}", "--out", str(tmp_path / "x.png")]) == 2
    assert "--caption-format: unknown field {nope}" in capsys.readouterr().err
