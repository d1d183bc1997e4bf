"""Issue 16 "Graceful motion", on real renders of the built-in data: events, their labels and dated
features fade in and out over ``fade_days`` inside their dates instead of cutting at midnight;
with a fade of 0 the frames are the cut they were (the same pixels as renders made before fades).

On 11 July 1944 four events start (the 120th Regiment at Huxingchao, the platoon lost at Jiangxi
Hall, the second offensive, the 133rd Regiment's assault), and none is drawn on 10 July."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from terrain_viewer.core.common.errors import ExportError
from terrain_viewer.core.data.builtin import builtin_paths
from terrain_viewer.core.export.run import ExportSettings, FrameSource, run_export
from terrain_viewer.core.model import ViewerModel
from terrain_viewer.core.render.furniture import FrameLook
from terrain_viewer.core.render.renderer import MapRenderer
from terrain_viewer.core.temporal.timeline import day_number

REFERENCE = Path(__file__).parent / "fades_reference"  # the cut (no fade); re-rendered when label
#   texts came to be placed to the whole pixel, measured in their own style, small type raised
#   to one size per style (29 November); and when label texts came to be drawn from their glyph
#   bitmaps with a halo grown from them (issue 17, a later stop); and when a style's least line
#   became its font's ascender to descender, not an "lp" measured (one unit label a little larger); and
#   when far labels got leader lines that cross no label (an event title moved to the north-west); and
#   when the relief came to fade out towards its grid's edge (pixels in that band only); and when a
#   unit's designation came to prefer a place nearer its own symbol than any other (one moved, 100 px); and
#   when an event's ring came to be the 15 % tint it was meant to be, not an opaque disc; and when the
#   contours came to fade out with the relief at its grid's edge (drawn as segments: ≤ 16 levels
#   along the contours, nothing else); and when a unit's designation with no room beside its own
#   symbol came to go a ring further out on a short leader (unit labels in the city only, 379–716 pixels);
#   and when the shipped data gained Taizi Wharf, the final line's east end (its marker: 7 pixels);
#   and when the relief lost its flats of exactly 60 m (its 60 m contours stepped round them)
SMALL = (640, 360)
JULY_11 = day_number(dt.date(1944, 7, 11))
STARTING = {"120th Regiment at Huxingchao", "Platoon lost at Jiangxi Hall", "Second offensive begins",
            "133rd Regiment assaults Mt. Zhangjia"}


@pytest.fixture(scope="module")
def model() -> ViewerModel:
    return ViewerModel.open(builtin_paths())


def events_only(fade: float, **more) -> ExportSettings:
    """10 July 00:00 to 11 July 21:00 at 8 frames a day, the events alone on plain paper."""
    return ExportSettings(start="1944-07-10", end="1944-07-11", frames_per_day=8, size="640x360",
                          layers=["events"], caption=False, legend=False, scale_bar=False,
                          north_arrow=False, credits=False, fade_days=fade, **more)


def exported(model: ViewerModel, settings: ExportSettings, out: Path) -> list[np.ndarray]:
    """The frames of a real export to PNG frames, read back."""
    result = run_export(model, settings, out, overwrite=False)
    assert result.frames == 16 and not result.cancelled
    return [np.asarray(Image.open(p).convert("RGB")).astype(int) for p in sorted(out.glob("frame_*.png"))]


def exported_n(model: ViewerModel, settings: ExportSettings, out: Path, n: int) -> list[np.ndarray]:
    """The ``n`` frames of an export to PNG frames, read back."""
    result = run_export(model, settings, out, overwrite=False)
    assert result.frames == n and not result.cancelled
    return [np.asarray(Image.open(p).convert("RGB")).astype(int) for p in sorted(out.glob("frame_*.png"))]


def ink(frame: np.ndarray, paper: np.ndarray) -> float:
    """How much is drawn over the paper: the summed colour difference."""
    return float(np.abs(frame - paper).sum())


def seam(frames: list[np.ndarray]) -> float:
    """The largest change from one frame to the next (mean absolute difference per channel)."""
    return max(float(np.abs(b - a).mean()) for a, b in zip(frames, frames[1:], strict=False))


def test_events_fade_in_over_the_frames_after_midnight_instead_of_popping_up(model, tmp_path):
    """Over the first frames of their day, led by one frame step: the day's first frame shows them a
    third of the way (it showed none, so a frame captioned with their day lacked them, and at 4
    frames a day no frame showed a fade), two thirds at 03:00, fully from 06:00."""
    frames = exported(model, events_only(0.25), tmp_path / "fade")
    paper = frames[7]  # 10 July 21:00: no event of 11 July on the map yet
    midnight = 8
    amounts = [ink(f, paper) for f in frames[midnight:midnight + 4]]  # 00:00, 03:00, 06:00, 09:00
    assert 0.2 * amounts[2] < amounts[0] < 0.5 * amounts[2]  # the day's first frame: a third …
    assert 0.5 * amounts[2] < amounts[1] < 0.85 * amounts[2]  # … two thirds at 03:00 …
    assert amounts[2] == amounts[3] > 0  # … and fully from 06:00 on
    cut = exported(model, events_only(0.0), tmp_path / "cut")
    assert ink(cut[midnight], cut[7]) == pytest.approx(amounts[2], rel=0.05)  # without a fade: all at once


def test_the_seam_at_midnight_is_smaller_with_the_fade(model, tmp_path):
    settings = dict(start="1944-07-10", end="1944-07-11", frames_per_day=8, size="640x360")
    fade = exported(model, ExportSettings(**settings, fade_days=0.25), tmp_path / "fade")
    cut = exported(model, ExportSettings(**settings, fade_days=0.0), tmp_path / "cut")
    assert seam(fade) < 0.9 * seam(cut)  # measured: 0.48 against 0.60 (labels still make way at 03:00)


def test_with_no_fade_frames_are_the_cut_they_were_before_fades(model):
    """Renders made before fades existed (the window's look, whole days and between them) are the
    same pixels, with the default look and with export settings whose fade is 0."""
    for look in (FrameLook(), ExportSettings(fade_days=0).look()):
        renderer = MapRenderer(model)
        renderer.look = look
        for name, t in (("1944-07-10T21", JULY_11 - 0.125), ("1944-07-11T00", JULY_11),
                        ("1944-07-11T03", JULY_11 + 0.125)):
            rgba = renderer.render(t=t, size=SMALL, dpi=100 * SMALL[1] / 1080)
            reference = np.asarray(Image.open(REFERENCE / f"{name}.png"))
            assert np.array_equal(rgba, reference), name


def test_labels_fade_with_their_events_and_a_date_ends_at_the_end_of_its_day(model):
    source = FrameSource(model.to_dict(), events_only(0.25), dataset=model.dataset)
    alphas = []
    for k in range(8, 16):  # 11 July, every 3 hours
        source.map_frame(k)
        alphas.append({p.spec.text: p.spec.alpha for p in source.renderer.last_labels})
    assert {alphas[0][text] for text in STARTING} == {11 / 32}  # 00:00: a third (in 1/32 steps)
    assert {alphas[1][text] for text in STARTING} == {21 / 32}  # 03:00: two thirds, text and all
    assert {alphas[2][text] for text in STARTING} == {1.0}  # 06:00: fully
    # "Platoon lost at Jiangxi Hall" is dated 11 July: shown until the end of that day, fading out
    assert alphas[6]["Platoon lost at Jiangxi Hall"] == 1.0  # 18:00
    assert alphas[7]["Platoon lost at Jiangxi Hall"] == 0.5  # 21:00
    half, full = source.map_frame(9).astype(int), source.map_frame(10).astype(int)
    label = next(p for p in source.renderer.last_labels if p.spec.text == "Platoon lost at Jiangxi Hall")
    x0, y0, x1, y1 = (int(v) for v in label.box)
    rows = slice(SMALL[1] - y1, SMALL[1] - y0)  # the label's box, rows from the top
    paper = source.map_frame(7).astype(int)[rows, x0:x1, :3]
    assert 0 < ink(half[rows, x0:x1, :3], paper) < 0.75 * ink(full[rows, x0:x1, :3], paper)


def test_a_renderer_going_back_and_forth_draws_what_a_fresh_one_draws(model):
    """The fade steps decide the cached sprites: a frame is the same whatever was rendered before."""
    look = FrameLook(fade_days=0.25)
    used = MapRenderer(model)
    used.look = look
    times = [JULY_11 + 0.125, JULY_11 + 0.25, JULY_11 + 0.0625, JULY_11 + 0.125, JULY_11]
    frames = [used.render(t=t, size=SMALL, dpi=100 * SMALL[1] / 1080) for t in times]
    for t, frame in zip(times, frames, strict=True):
        fresh = MapRenderer(model)
        fresh.look = look
        assert np.array_equal(frame, fresh.render(t=t, size=SMALL, dpi=100 * SMALL[1] / 1080)), t
    assert not np.array_equal(frames[0], frames[1]) and not np.array_equal(frames[0], frames[2])


def test_fade_days_is_a_setting_of_0_to_2_days(model, tmp_path):
    assert ExportSettings().fade_days == 0.25 and ExportSettings().look().fade_days == 0.25
    assert MapRenderer(model).look.fade_days == 0  # the window steps whole days: no fade
    path = ExportSettings(fade_days=1.5).save(tmp_path / "export.json")
    assert ExportSettings.load(path).fade_days == 1.5
    for bad in (-0.1, 2.5, "a day", True, float("nan")):
        path.write_text(json.dumps({"fade_days": bad}), encoding="utf-8")
        with pytest.raises(ExportError, match=r"export\.json: fade_days: must be a number 0\.\.2"):
            ExportSettings.load(path)


def test_a_fade_shorter_than_one_frame_step_is_a_cut():
    from terrain_viewer.core.export.settings import ExportSettings

    assert ExportSettings(frames_per_day=1, fade_days=0.25).look().fade_days == 0.0  # one frame a day
    assert ExportSettings(frames_per_day=4, fade_days=0.25).look().fade_days == 0.25
    assert ExportSettings(frames_per_day=8, fade_days=0.1).look().fade_days == 0.0
    assert ExportSettings(frames_per_day=4, fade_days=0.25).look().fade_lead == 0.25  # one frame step
    assert ExportSettings(frames_per_day=1, fade_days=0.25).look().fade_lead == 0.0  # a cut: none


def test_at_four_frames_a_day_the_first_frame_of_a_day_shows_its_events(model, tmp_path):
    """The export's default (4 frames a day, a quarter-day fade): each day's first frame, captioned
    with its day, lacked that day's events (a new user), and the next showed them at once."""
    settings = dict(events_only(0.25).to_dict(), frames_per_day=4)
    frames = exported_n(model, ExportSettings.from_dict(settings), tmp_path / "four", 8)
    cut = exported_n(model, ExportSettings.from_dict(dict(settings, fade_days=0)), tmp_path / "cut", 8)
    paper = frames[3]  # 10 July 18:00: 11 July's events not yet
    first, full = ink(frames[4], paper), ink(cut[4], cut[3])  # 11 July 00:00 with and without fade
    assert 0.3 * full < first < 0.7 * full  # shown, half faded in
    assert ink(frames[5], paper) == pytest.approx(ink(cut[5], cut[3]), rel=0.05)  # 06:00: fully
