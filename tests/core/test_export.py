"""Exports of the shipped data: PNG sequences, MP4 and GIF; safe output; parallel workers."""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path

import imageio_ffmpeg
import numpy as np
import pytest
from PIL import Image

from terrain_viewer.core.common.errors import ExportError
from terrain_viewer.core.data.builtin import builtin_paths
from terrain_viewer.core.export.run import ExportSettings, run_export
from terrain_viewer.core.model import ViewerModel

SMALL = "320x180"


@pytest.fixture(scope="module")
def model() -> ViewerModel:
    return ViewerModel.open(builtin_paths())


def settings(**kw) -> ExportSettings:
    base = {"start": "1944-07-10", "end": "1944-07-12", "frames_per_day": 2, "size": SMALL, "workers": 1,
            "fps": 8}
    return ExportSettings(**{**base, **kw})


def pixels(path: Path) -> np.ndarray:
    return np.asarray(Image.open(path).convert("RGB"))


def test_png_sequence_has_days_times_frames_per_day_and_the_size(model, tmp_path):
    result = run_export(model, settings(), tmp_path / "frames")
    names = sorted(p.name for p in (tmp_path / "frames").iterdir())
    assert result.frames == 3 * 2 and names == [f"frame_{i:05d}.png" for i in range(1, 7)]
    assert pixels(tmp_path / "frames" / "frame_00001.png").shape == (180, 320, 3)
    assert [p.name for p in tmp_path.iterdir()] == ["frames"]  # no partial folder left behind


def test_the_date_caption_changes_between_the_first_and_last_frame(model, tmp_path):
    run_export(model, settings(size="720p", start="1944-07-10", end="1944-07-11", frames_per_day=1),
               tmp_path / "f")
    first, last = pixels(tmp_path / "f" / "frame_00001.png"), pixels(tmp_path / "f" / "frame_00002.png")
    assert first.shape == (720, 1280, 3)
    caption = (slice(0, 70), slice(0, 320))  # the date caption's corner
    assert not np.array_equal(first[caption], last[caption])


def test_mp4_decodes_with_the_frame_count_and_rate(model, tmp_path):
    out = tmp_path / "battle.mp4"
    result = run_export(model, settings(frames_per_day=3, fps=12), out)
    assert result.frames == 9 and out.exists()
    meta_frames = list(imageio_ffmpeg.read_frames(str(out)))
    meta, frames = meta_frames[0], meta_frames[1:]
    assert len(frames) == 9 and meta["size"] == (320, 180) and meta["fps"] == pytest.approx(12)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["battle.mp4", "battle.srt", "battle.vtt"]
    assert out.stat().st_mode & 0o044 == 0o044 or os.umask(os.umask(0)) & 0o044  # readable as usual


def test_gif_has_every_frame_at_the_rate(model, tmp_path):
    out = tmp_path / "battle.gif"
    run_export(model, settings(fps=5), out)
    with Image.open(out) as gif:
        assert gif.n_frames == 6 and gif.size == (320, 180)
        assert gif.info["duration"] == 200
    out8 = tmp_path / "battle8.gif"  # 125 ms a frame, which GIF's 1/100 s cannot hold: 130, 120, …
    run_export(model, settings(fps=8), out8)
    with Image.open(out8) as gif:
        delays = []
        for k in range(gif.n_frames):
            gif.seek(k)
            delays.append(gif.info["duration"])
    assert delays == [130, 120] * 3 and sum(delays) == 6 * 1000 / 8  # the subtitles' clock (was 6 x 120)


def test_title_card_comes_first_and_lasts_its_seconds(model, tmp_path):
    s = settings(title="The Siege of Hengyang", subtitle="23 June – 8 August 1944", title_seconds=0.5)
    result = run_export(model, s, tmp_path / "t")
    assert result.frames == 4 + 6  # 0.5 s at 8 fps, then the map frames
    card, dissolve, first_map = (pixels(tmp_path / "t" / f"frame_{i:05d}.png") for i in (1, 4, 5))
    assert card.mean() < first_map.mean() - 40  # dimmed behind the title
    assert card.mean() + 10 < dissolve.mean() < first_map.mean() - 10  # then dissolves into the map


def test_cancelling_midway_leaves_nothing_that_looks_finished(model, tmp_path):
    cancel = threading.Event()
    seen = []

    def progress(p) -> None:
        seen.append(p.done)
        if p.done == 2:
            cancel.set()

    for out in (tmp_path / "frames", tmp_path / "cut.mp4", tmp_path / "cut.gif"):
        seen.clear()
        result = run_export(model, settings(), out, progress=progress, cancel=cancel)
        cancel.clear()
        assert result.cancelled and seen == [1, 2]
    assert list(tmp_path.iterdir()) == []


def test_a_cancel_callback_stops_two_workers_and_leaves_nothing(model, tmp_path):
    seen = []
    s = settings(start="1944-07-01", end="1944-07-06", workers=2)  # 12 frames: two chunks per worker
    result = run_export(model, s, tmp_path / "frames", progress=seen.append, cancel=lambda: len(seen) >= 3,
                        head_start=False)
    assert result.cancelled and result.frames == 3
    assert [(p.done, p.total) for p in seen] == [(1, 12), (2, 12), (3, 12)]
    assert seen[0].elapsed <= seen[2].elapsed and all(p.remaining >= 0 for p in seen)
    assert list(tmp_path.iterdir()) == []


def test_existing_output_is_kept_unless_overwrite(model, tmp_path):
    out = tmp_path / "keep.mp4"
    out.write_bytes(b"my earlier cut")
    with pytest.raises(ExportError, match="already exists"):
        run_export(model, settings(), out)
    assert out.read_bytes() == b"my earlier cut"
    run_export(model, settings(), out, overwrite=True)
    assert out.stat().st_size > 1000
    assert sorted(p.name for p in tmp_path.iterdir()) == ["keep.mp4", "keep.srt", "keep.vtt"]  # + subtitles
    folder = tmp_path / "frames"
    folder.mkdir()
    (folder / "frame_00001.png").write_bytes(b"an earlier frame")
    with pytest.raises(ExportError, match="already exists"):
        run_export(model, settings(), folder)
    assert (folder / "frame_00001.png").read_bytes() == b"an earlier frame"


def test_a_frames_folder_holding_the_users_own_files_is_never_replaced(model, tmp_path):
    folder = tmp_path / "scratch"
    folder.mkdir()
    (folder / "notes.txt").write_text("mine")
    (folder / "my_layers.gpkg").write_bytes(b"not an input of this export")
    (folder / "frame_00001.png").write_bytes(b"an earlier frame")
    for overwrite in (False, True):
        with pytest.raises(ExportError) as caught:
            run_export(model, settings(), folder, overwrite=overwrite)
        message = str(caught.value)
        assert str(folder) in message and "my_layers.gpkg, notes.txt" in message and "frame_" not in message
    assert sorted(p.name for p in tmp_path.iterdir()) == ["scratch"]  # no partial left
    assert (folder / "notes.txt").read_text() == "mine" and len(list(folder.iterdir())) == 3
    video = tmp_path / "clip.mp4"  # the frames folder beside a video: refused before anything is drawn
    (tmp_path / "clip_frames").mkdir()
    (tmp_path / "clip_frames" / "notes.txt").write_text("mine")
    with pytest.raises(ExportError, match="holds files that an export did not write"):
        run_export(model, settings(png_frames=True), video, overwrite=True)
    assert not video.exists() and (tmp_path / "clip_frames" / "notes.txt").read_text() == "mine"
    (folder / "notes.txt").unlink()
    (folder / "my_layers.gpkg").unlink()
    run_export(model, settings(), folder, overwrite=True)  # an export's frames only: replaced
    assert len(list(folder.iterdir())) == 6 and pixels(folder / "frame_00001.png").shape == (180, 320, 3)


def test_a_file_put_in_the_frames_folder_while_the_export_runs_is_kept(model, tmp_path):
    folder = tmp_path / "frames"
    folder.mkdir()
    (folder / "frame_00001.png").write_bytes(b"an earlier frame")

    def meanwhile(progress) -> None:
        if progress.done == 1:
            (folder / "notes.txt").write_text("written during the export")

    with pytest.raises(ExportError, match=r"holds files that an export did not write \(notes.txt\)"):
        run_export(model, settings(), folder, overwrite=True, progress=meanwhile)
    assert sorted(p.name for p in folder.iterdir()) == ["frame_00001.png", "notes.txt"]
    assert (folder / "frame_00001.png").read_bytes() == b"an earlier frame"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["frames"]  # the partial folder is gone


def test_frames_are_deterministic_and_two_workers_match_one(model, tmp_path):
    s = settings(start="1944-07-01", end="1944-07-04", frames_per_day=2)
    run_export(model, s, tmp_path / "a")
    run_export(model, s, tmp_path / "b")
    s.workers = 2
    pooled = run_export(model, s, tmp_path / "c", head_start=False)  # every frame from a worker
    mixed = run_export(model, s, tmp_path / "d", head_start=True)  # renders here while workers start
    assert pooled.worker_frames == 8 and mixed.frames == 8
    a, b, c, d = (sorted((tmp_path / n).iterdir()) for n in "abcd")
    assert len(a) == len(c) == 8
    assert ([p.read_bytes() for p in a] == [p.read_bytes() for p in b] == [p.read_bytes() for p in c]
            == [p.read_bytes() for p in d])


def test_two_worker_mp4_matches_one_worker_frame_for_frame(model, tmp_path):
    s = settings(start="1944-07-01", end="1944-07-04", frames_per_day=2)
    run_export(model, s, tmp_path / "one.mp4")
    s.workers = 2
    assert run_export(model, s, tmp_path / "two.mp4", head_start=False).worker_frames == 8
    one, two = (list(imageio_ffmpeg.read_frames(str(tmp_path / n)))[1:] for n in ("one.mp4", "two.mp4"))
    assert len(one) == len(two) == 8 and one == two


def test_camera_keyframes_zoom_in_between_dates(model, tmp_path):
    x0, y0, x1, y1 = model.view
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    close = [cx - 1500, cy - 1000, cx + 1500, cy + 1000]
    s = settings(frames_per_day=1, camera=[{"date": "1944-07-10", "extent": list(model.view)},
                                           {"date": "1944-07-12", "extent": close}])
    run_export(model, s, tmp_path / "cam")
    frames = [pixels(p) for p in sorted((tmp_path / "cam").iterdir())]
    assert not np.array_equal(frames[0], frames[2])
    wide = ExportSettings(**{**s.to_dict(), "camera": [], "view": list(model.view)})
    run_export(model, wide, tmp_path / "wide")
    assert np.array_equal(frames[0], pixels(sorted((tmp_path / "wide").iterdir())[0]))


def test_settings_round_trip_through_json_and_bad_values_are_named(tmp_path):
    s = settings(title="Hengyang", camera=[{"date": "1944-07-10", "extent": [0, 0, 10, 10]}])
    path = s.save(tmp_path / "export.json")
    assert ExportSettings.load(path) == s
    path.write_text(json.dumps({**s.to_dict(), "fps": 0}))
    with pytest.raises(ExportError, match=r"export\.json: fps: must be a number 0\.5\.\.120, got 0"):
        ExportSettings.load(path)
    path.write_text(json.dumps({"start": "1944-13-01"}))
    with pytest.raises(ExportError, match="start '1944-13-01' is not a date; give an ISO 8601 date"):
        ExportSettings.load(path)
    wobbly = {"date": "1944-07-10", "extent": [0, 0, 1, 1], "ease": "wobbly"}
    path.write_text(json.dumps({"camera": [wobbly]}))
    with pytest.raises(ExportError, match=r"export\.json: camera\[0\]\.ease: unknown ease 'wobbly'"):
        ExportSettings.load(path)
    path.write_text(json.dumps({"speed": 3}))
    with pytest.raises(ExportError, match="unknown export setting"):
        ExportSettings.load(path)
    path.write_text("{not json")
    with pytest.raises(ExportError, match="not valid JSON"):
        ExportSettings.load(path)


def test_the_shipped_example_settings_file_is_valid():
    example = Path(__file__).resolve().parents[2] / "docs" / "examples" / "hengyang_export.json"
    s = ExportSettings.load(example)
    assert s.start == "1944-06-23" and s.end == "1944-08-08" and s.camera


def test_bad_outputs_are_refused_with_the_file_named(model, tmp_path):
    with pytest.raises(ExportError, match="does not exist"):
        run_export(model, settings(), tmp_path / "no" / "x.mp4")
    with pytest.raises(ExportError, match="even width and height"):
        run_export(model, settings(size="321x181"), tmp_path / "odd.mp4")
    with pytest.raises(ExportError, match="cannot tell the format"):
        run_export(model, settings(), tmp_path / "x.avi")
    assert list(tmp_path.iterdir()) == []


def test_a_full_disk_is_one_clear_error_and_leaves_no_output(model, tmp_path, monkeypatch):
    import errno

    real_write = Path.write_bytes
    calls = []

    def write_bytes(self, data):  # the third PNG frame finds the disk full
        calls.append(self)
        if len(calls) == 3:
            raise OSError(errno.ENOSPC, "No space left on device")
        return real_write(self, data)

    monkeypatch.setattr(Path, "write_bytes", write_bytes)
    with pytest.raises(ExportError, match="disk is full") as info:
        run_export(model, settings(), tmp_path / "frames")
    assert info.value.file == str(tmp_path / "frames")  # the output, not a hidden frame inside it
    assert "\n" not in info.value.message and list(tmp_path.iterdir()) == []


def test_subtitle_cues_never_overlap_and_list_every_event_shown(model):
    """23 June has two events, one of a day and one of four: their cues both started at 0 s and
    overlapped (cue 2 ran 0–4 s over cue 1), which some players show as one. Found by a new-user
    test."""
    from terrain_viewer.core.export.subtitles import cues, srt

    fpd, fps = 24, 24.0
    times = model.time.start + np.arange(4 * fpd) / fpd  # 23–26 June
    items = cues(model, times, fps)
    assert all(a.end <= b.start for a, b in zip(items, items[1:], strict=False))
    first = items[0]
    assert first.start == 0 and len(first.text.splitlines()) == 2  # both events of 23 June
    titles = {line.split(" — ", 1)[1] for c in items for line in c.text.splitlines()}
    assert len(titles) >= 2 and srt(items).startswith("1\n00:00:00,000 --> ")


def test_a_long_title_card_stays_inside_a_720p_frame():
    """A 98-letter title and a 178-letter subtitle (the limits are 200 and 300) ran off both edges
    of a 720p card (a new user, a documentary maker): each line fits, centred."""
    from terrain_viewer.core.export.frames import title_card

    title = ("The Defence of Hengyang: Forty-Seven Days in Which the Tenth Corps Held the City "
             "Against Four Divisions")
    subtitle = ("From the first assault at the Lei River on 23 June to the surrender on 8 August 1944, "
                "while the relief armies failed to break through from the south and the city burned")
    card = title_card(np.zeros((720, 1280, 4), np.uint8), title, subtitle, 100 * 720 / 1080)
    letters = card[..., :3].astype(int).sum(axis=-1) > 3 * 200  # the light text on the dark card
    columns, rows = np.flatnonzero(letters.any(axis=0)), np.flatnonzero(letters.any(axis=1))
    assert columns.min() > 0.04 * 1280 and columns.max() < 0.96 * 1280
    assert rows.min() > 0.1 * 720 and rows.max() < 0.9 * 720
