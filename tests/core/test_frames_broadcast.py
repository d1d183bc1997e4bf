"""Issue 16 "Frames a documentary can broadcast", on real renders of the built-in data: labels clear
of symbols and of each other, type sizes at 1080p, the legend shows only what is drawn, 4K looks
like 1080p, transparent PNG frames, ProRes 4444 and subtitles from one CLI command."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from legend_alone import legend_alone
from PIL import Image

from terrain_viewer.core.data.builtin import builtin_paths
from terrain_viewer.core.export.alpha import matte, mix_linear
from terrain_viewer.core.export.run import ExportSettings, FrameSource
from terrain_viewer.core.model import ViewerModel
from terrain_viewer.core.render import annotations
from terrain_viewer.core.render.items import visible_items
from terrain_viewer.core.render.labels import MIN_TEXT_PX, MIN_UNIT_PX, PRIORITY
from terrain_viewer.core.render.renderer import MapRenderer
from terrain_viewer.core.temporal.timeline import day_number

HD = (1920, 1080)


def day(text: str) -> float:
    return day_number(dt.date.fromisoformat(text))


@pytest.fixture(scope="module")
def model() -> ViewerModel:
    return ViewerModel.open(builtin_paths())


def overlap(a, b) -> float:
    """Area of the intersection of two extents."""
    w = min(a[2], b[2]) - max(a[0], b[0])
    h = min(a[3], b[3]) - max(a[1], b[1])
    return max(w, 0.0) * max(h, 0.0)


def test_labels_of_1_to_20_july_are_clear_of_symbols_and_of_each_other(model):
    renderer = MapRenderer(model)
    for d in range(1, 21):
        renderer.render(t=day(f"1944-07-{d:02d}") + 0.5, size=HD, dpi=100.0)
        labels, symbols = renderer.last_labels, renderer.last_symbol_boxes
        assert len(labels) > 15 and len(symbols) > 20  # units, events and the front lines are there
        for label in labels:
            assert all(overlap(label.box, s) == 0 for s in symbols), (d, label.spec.text)
        for i, a in enumerate(labels):
            assert all(overlap(a.box, b.box) == 0 for b in labels[i + 1:]), (d, a.spec.text)
        assert "HENGYANG" in [p.spec.text for p in labels]  # the city keeps its name every day


def test_unit_designations_are_labels_clear_of_the_symbols(model):
    renderer = MapRenderer(model)
    renderer.render(t=day("1944-07-11") + 0.5, size=HD, dpi=100.0)
    units = [p for p in renderer.last_labels if p.spec.priority == PRIORITY["unit"]]
    assert len(units) > 10  # the designations (10D, 190D, 568 ...) are placed labels


def test_every_label_is_at_least_the_broadcast_minimum_at_1080p(model):
    renderer = MapRenderer(model)
    renderer.render(t=day("1944-07-11") + 0.5, size=HD, dpi=100.0)
    for label in renderer.last_labels:
        least = MIN_UNIT_PX if label.spec.priority == PRIORITY["unit"] else MIN_TEXT_PX
        assert label.text_height >= least - 0.01, label.spec.text
        assert label.box[3] - label.box[1] >= least or label.rotation  # the drawn box, too


def test_caption_and_credits_are_inside_the_title_safe_area(model):
    model.set_options(credits=True)
    try:
        renderer = MapRenderer(model)
        rgba = renderer.render(t=day("1944-07-11") + 0.5, size=HD, dpi=100.0, layers=set())
    finally:
        model.set_options(credits=False)
    # with no layer drawn, everything not paper is furniture: none of it in the outer 5%
    paper = (np.abs(rgba[..., :3].astype(int) - rgba[0, 0, :3].astype(int)) <= 3).all(axis=-1)
    h, w = paper.shape
    border = np.ones_like(paper)
    border[int(h * 0.05):int(h * 0.95), int(w * 0.05):int(w * 0.95)] = False
    assert (~paper).sum() > 5000 and not (~paper & border).any()


def test_the_legend_lists_only_what_the_frame_draws(model):
    items = visible_items(model)
    everything = {label for _, label in annotations.legend(items)}
    city = model.dataset.layer("city").gdf.geometry.iloc[0].centroid
    close = (city.x - 600, city.y - 400, city.x + 600, city.y + 400)
    inside = {label for _, label in annotations.legend(items, day("1944-07-11"), close)}
    assert inside < everything
    assert "Airfield" in everything and "Airfield" not in inside  # the airfield is outside the city view
    events = next(label for label in everything if "vent" in label)
    assert events in {label for _, label in annotations.legend(items, day("1944-07-11"), model.view)}


def test_the_legend_moves_to_the_corner_asked_and_is_off_in_a_small_map(model):
    def legend_pixels(corner: str, size=HD) -> tuple[int, int]:
        m = ViewerModel.open(builtin_paths())
        m.set_options(caption=False, scale_bar=False, north_arrow=False)
        r = MapRenderer(m)
        r.look.legend_corner = corner
        _, ink = legend_alone(r, m, t=day("1944-07-11"), size=size, dpi=100.0 * size[1] / 1080)
        rows, cols = np.nonzero(ink)
        return (int(rows.mean()), int(cols.mean())) if len(rows) else (-1, -1)

    lower_right, upper_left = legend_pixels("lower right"), legend_pixels("upper left")
    assert lower_right[0] > HD[1] / 2 and lower_right[1] > HD[0] / 2
    assert upper_left[0] < HD[1] / 2 and upper_left[1] < HD[0] / 2
    assert legend_pixels("lower right", (800, 450)) == (-1, -1)  # "auto": no legend under 900 px


def test_a_4k_frame_downscaled_looks_like_the_1080p_frame(model):
    settings = ExportSettings(start="1944-07-11", end="1944-07-11", frames_per_day=1, size="1080p")
    source = FrameSource(model.to_dict(), settings, dataset=model.dataset)
    hd, hd_labels = source.frame(0), {p.spec.text for p in source.renderer.last_labels}
    settings.size = "4k"
    source = FrameSource(model.to_dict(), settings, dataset=model.dataset)
    uhd, uhd_labels = source.frame(0), {p.spec.text for p in source.renderer.last_labels}
    assert len(hd_labels & uhd_labels) >= 0.9 * len(hd_labels | uhd_labels)  # the same labels
    half = (HD[0] // 2, HD[1] // 2)  # both seen at the same size, as on a screen across the room
    small = np.asarray(Image.fromarray(uhd).resize(half, Image.Resampling.BOX)).astype(int)
    same = np.asarray(Image.fromarray(hd).resize(half, Image.Resampling.BOX)).astype(int)
    diff = np.abs(small[..., :3] - same[..., :3]).mean(axis=-1)
    assert diff.mean() < 5 and (diff > 60).mean() < 0.03  # the same picture, finer (text edges differ)


def test_the_matte_recovers_colour_and_coverage():
    rng = np.random.default_rng(1)
    colour = rng.integers(0, 256, (20, 20, 3))
    alpha = rng.random((20, 20, 1))
    on_black = np.dstack([np.rint(colour * alpha), np.full((20, 20), 255)]).astype(np.uint8)
    white = np.rint(colour * alpha + 255 * (1 - alpha))
    on_white = np.dstack([white, np.full((20, 20), 255)]).astype(np.uint8)
    out = matte(on_black, on_white)
    assert np.abs(out[..., 3] / 255 - alpha[..., 0]).max() < 0.01
    seen = alpha[..., 0] > 0.2
    assert np.abs(out[..., :3].astype(int) - colour)[seen].max() <= 6


def test_the_title_crossfade_has_no_grey_dip():
    red = np.zeros((4, 4, 4), np.uint8)
    red[..., 0], red[..., 3] = 255, 255
    green = np.zeros((4, 4, 4), np.uint8)
    green[..., 1], green[..., 3] = 255, 255
    half = mix_linear(red, green, 0.5)
    assert half[0, 0, 0] > 180 and half[0, 0, 1] > 180  # linear light: bright, not a muddy 128
    assert np.array_equal(mix_linear(red, green, 0.0), red)
    assert np.array_equal(mix_linear(red, green, 1.0), green)


def test_one_cli_command_writes_transparent_frames_prores_4444_and_subtitles(tmp_path: Path):
    out = tmp_path / "overlay.mov"
    done = subprocess.run([sys.executable, "-m", "terrain_viewer.cli", "export", "--from", "1944-07-10",
                           "--to", "1944-07-11", "--frames-per-day", "2", "--fps", "4", "--size", "320x180",
                           "--transparent", "--png-frames", "--layers", "units,front_lines,events",
                           "--workers", "1", "--quiet", "--out", str(out)],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    frames = sorted((tmp_path / "overlay_frames").iterdir())
    assert len(frames) == 4
    rgba = np.asarray(Image.open(frames[-1]))
    assert rgba.shape == (180, 320, 4)
    assert (rgba[..., 3] == 0).mean() > 0.5 and (rgba[..., 3] == 255).sum() > 200  # footage shows through
    import imageio_ffmpeg

    probe = subprocess.run([imageio_ffmpeg.get_ffmpeg_exe(), "-hide_banner", "-i", str(out)],
                           capture_output=True, text=True)
    assert "prores (4444)" in probe.stderr and "yuva444p" in probe.stderr
    srt = (tmp_path / "overlay.srt").read_text(encoding="utf-8")
    assert "00:00:00,500 --> 00:00:01,000" in srt and "11 July 1944 — Second offensive begins" in srt
    vtt = (tmp_path / "overlay.vtt").read_text(encoding="utf-8")
    assert vtt.startswith("WEBVTT") and "00:00:00.500 --> 00:00:01.000" in vtt


def test_old_camera_keys_by_frame_become_dates_that_survive_a_new_range():
    s = ExportSettings.from_dict({"start": "1944-07-01", "end": "1944-07-10", "frames_per_day": 4,
                                  "camera": [{"frame": 0, "extent": [0, 0, 10, 10]},
                                             {"fraction": 1.0, "extent": [2, 2, 8, 8]},
                                             {"frame": 6, "extent": [1, 1, 9, 9], "ease": "linear"}]})
    assert [k["date"] for k in s.camera] == ["1944-07-01", "1944-07-10T18:00:00", "1944-07-02T12:00:00"]
    s.start, s.end = "1944-06-25", "1944-07-20"  # a wider range: the moves stay on their dates
    again = ExportSettings.from_dict(s.to_dict())
    camera = again.make_camera((0, 0, 1, 1))
    assert camera.view_at(day("1944-07-01")) == pytest.approx((0, 0, 10, 10))
    assert camera.view_at(day("1944-07-10") + 0.75) == pytest.approx((2, 2, 8, 8))


@pytest.mark.parametrize("size", [(1280, 720), HD, (3840, 2160)])
def test_the_credits_keep_clear_of_the_scale_bar_and_the_legend(size):
    """The sources lines are wrapped by their measured width into the band between the scale bar
    and a corner legend (at 720p they ran over the scale bar's box)."""
    m = ViewerModel.open(builtin_paths())
    plain = dict(caption=False, scale_bar=False, north_arrow=False, legend=False, credits=False, labels=False)

    def frame(**shown) -> np.ndarray:
        m.set_options(**{**plain, **shown})
        return MapRenderer(m).render(t=day("1944-07-11"), size=size, dpi=100.0 * size[1] / 1080)

    bare = frame()

    def box(**shown) -> tuple[int, int, int, int]:  # where turning one piece of furniture on drew
        rows, cols = np.nonzero((frame(**shown) != bare).any(axis=-1))
        return cols.min(), rows.min(), cols.max(), rows.max()

    credits = box(credits=True)
    assert credits[2] - credits[0] > size[0] * 0.2
    for other in (box(scale_bar=True), box(legend=True)):
        apart = (other[2] < credits[0] or credits[2] < other[0]
                 or other[3] < credits[1] or credits[3] < other[1])
        assert apart, (size, credits, other)


def test_a_long_source_is_shortened_at_a_word():
    from terrain_viewer.core.render.furniture import short_source

    long = "the regimental war diary of the third battalion kept by its adjutant and later copied twice"
    (short,) = short_source(long)
    assert short.endswith(" …") and len(short) <= 60
    assert long.startswith(short[:-2]) and long[len(short) - 2] == " "  # whole words only
    # a note of ours ends where it says how, not mid-phrase ("… between the …", found by a new user)
    note = "railway alignments drawn by the dataset author between the gazetteer's stations and the river"
    assert short_source(note) == ["railway alignments drawn by the dataset author"]


@pytest.mark.parametrize(("source", "cited"), [
    ("RKKA 1:50,000 sheet M-37-XIII, 1941", "RKKA 1:50,000 sheet M-37-XIII, 1941"),  # was "RKKA 1"
    ("Zamulin, Demolishing the Myth (2011)", "Zamulin, Demolishing the Myth (2011)"),  # lost its year
    ("Zamulin, Demolishing the Myth (2011, pp. 114-116)", "Zamulin, Demolishing the Myth (2011)"),
    ("Beneath Yueping Mountain: Memories of war reflect the original aspiration", "Beneath Yueping Mountain"),
    ("Xiao, 2014, pp. 157-158 (via article, section 'Third Japanese offensive')", "Xiao, 2014"),
])
def test_a_researchers_citation_keeps_its_map_scale_and_its_year(source, cited):
    """A researcher's credits line read "Sources: RKKA 1; Zamulin, Demolishing the Myth": cut at the
    scale's colon and before the bracketed year (a new user, with the Prokhorovka sector)."""
    from terrain_viewer.core.render.furniture import credits_text

    assert credits_text([source]) == f"Sources: {cited}"


@pytest.mark.parametrize("size", [(300, 300), (345, 430), (420, 360), (1024, 600)])
def test_in_a_small_window_the_date_leaves_the_north_arrow_room(size):
    """A small window's map (drawn at 100 dpi, under 640 px wide) gets a smaller date caption, clear
    of the north arrow (at 1024×640 the window's caption ran into it)."""
    m = ViewerModel.open(builtin_paths())
    plain = dict(caption=False, scale_bar=False, north_arrow=False, legend=False, credits=False, labels=False)

    def box(**shown) -> tuple[int, int, int, int]:
        m.set_options(**{**plain, **shown})
        rgba = MapRenderer(m).render(t=day("1944-07-11"), size=size, layers=set())
        rows, cols = np.nonzero((np.abs(rgba[..., :3].astype(int) - rgba[0, 0, :3].astype(int)) > 3).any(-1))
        return cols.min(), rows.min(), cols.max(), rows.max()

    caption, arrow = box(caption=True), box(north_arrow=True)
    assert caption[2] + 4 < arrow[0], (size, caption, arrow)


def test_the_credits_are_framed_over_the_map_as_the_scale_bar(model):
    """The sources ran over the river and the railway with no ground of their own. Found by a
    new-user test."""
    t = day("1944-06-23")
    renderer = MapRenderer(model)
    bare = renderer.render(t=t, size=HD)
    model.set_options(credits=True)
    try:
        framed = renderer.render(t=t, size=HD)
    finally:
        model.set_options(credits=False)
    band = np.s_[int(HD[1] * 0.8):int(HD[1] * 0.95), int(HD[0] * 0.3):int(HD[0] * 0.7)]
    river = (np.abs(bare[band][..., :3].astype(int) - (0xA8, 0xCB, 0xDC)) <= 10).all(axis=-1)
    changed = (framed[band][..., :3] != bare[band][..., :3]).any(axis=-1)
    under = river & changed  # the river where the credits are
    assert under.sum() > 200
    still = (np.abs(framed[band][..., :3].astype(int) - (0xA8, 0xCB, 0xDC)) <= 10).all(axis=-1) & under
    assert still.sum() < 0.1 * under.sum()  # covered by the frame's paper, not shown through the text
