"""The export's cheap encoding paths: the MP4 frame count read from the container (no decode), the
PNG encoder that skips Pillow's row filters, and the thread that feeds ffmpeg."""

from __future__ import annotations

import io
import os
import subprocess

import imageio_ffmpeg
import numpy as np
import pytest
from PIL import Image

from terrain_viewer.core.common.errors import ExportError
from terrain_viewer.core.export import writers
from terrain_viewer.core.export.mp4info import video_frames
from terrain_viewer.core.render.png import png_bytes


def _frames(n: int, w: int = 64, h: int = 48) -> list[np.ndarray]:
    rng = np.random.default_rng(7)
    out = []
    for i in range(n):
        rgba = np.full((h, w, 4), 255, np.uint8)
        rgba[..., :3] = rng.integers(0, 255, 3, dtype=np.uint8)
        rgba[i % h, :, :3] = 0  # a line that moves: every frame differs
        out.append(rgba)
    return out


def _video(tmp_path, fmt: str, n: int, extra: tuple[str, ...] = ()) -> str:
    path = tmp_path / f"v.{fmt}"
    codec = ["-c:v", "prores_ks", "-profile:v", "4"] if fmt == "mov" else ["-c:v", "libx264", "-pix_fmt",
                                                                            "yuv420p", *extra]
    command = [imageio_ffmpeg.get_ffmpeg_exe(), "-y", "-v", "error", "-f", "rawvideo", "-pix_fmt", "rgba",
               "-s", "64x48", "-r", "10", "-i", "-", *codec, str(path)]
    subprocess.run(command, input=b"".join(f.tobytes() for f in _frames(n)), check=True)
    return str(path)


@pytest.mark.parametrize("fmt, n, extra", [("mp4", 23, ("-movflags", "+faststart")), ("mp4", 7, ()),
                                           ("mov", 5, ())])
def test_the_container_frame_count_is_the_decoded_one(tmp_path, fmt, n, extra):
    path = _video(tmp_path, fmt, n, extra)
    assert video_frames(path) == n == imageio_ffmpeg.count_frames_and_secs(path)[0]


@pytest.mark.parametrize("cut", [1, 100, 0.5])
def test_a_truncated_video_has_no_frame_count(tmp_path, cut):
    path = _video(tmp_path, "mp4", 23, ("-movflags", "+faststart"))
    size = os.path.getsize(path)
    os.truncate(path, size - cut if cut >= 1 else int(size * cut))
    assert video_frames(path) is None
    with pytest.raises(ExportError, match="came out incomplete"):
        writers.check_video(tmp_path / "v.mp4", 23)


def test_not_a_video_has_no_frame_count(tmp_path):
    (tmp_path / "x.mp4").write_bytes(png_bytes(np.zeros((4, 4, 3), np.uint8)))
    (tmp_path / "empty.mp4").write_bytes(b"")
    assert video_frames(tmp_path / "x.mp4") is None and video_frames(tmp_path / "empty.mp4") is None
    assert video_frames(tmp_path / "missing.mp4") is None


def test_a_whole_video_is_checked_without_decoding_it(tmp_path, monkeypatch):
    _video(tmp_path, "mp4", 12)

    def no_decode(*_a, **_kw):
        raise AssertionError("decoded")

    monkeypatch.setattr(imageio_ffmpeg, "count_frames_and_secs", no_decode)
    writers.check_video(tmp_path / "v.mp4", 12)
    with pytest.raises(ExportError, match="12 of 13 frames"):
        writers.check_video(tmp_path / "v.mp4", 13)


@pytest.mark.parametrize("channels", [3, 4])
def test_png_bytes_read_back_as_the_same_pixels(channels):
    rng = np.random.default_rng(3)
    pixels = rng.integers(0, 256, (37, 53, channels), dtype=np.uint8)
    pixels[5:20, 10:40] = pixels[0, 0]  # flat areas, as on a map
    data = png_bytes(pixels)
    with Image.open(io.BytesIO(data)) as image:
        assert image.mode == ("RGBA" if channels == 4 else "RGB") and "tIME" not in image.info
        assert np.array_equal(np.asarray(image), pixels)
    assert png_bytes(pixels) == data  # deterministic
    assert png_bytes(pixels[:, ::2]) != data  # a strided view is encoded, not its buffer
    with Image.open(io.BytesIO(png_bytes(pixels[:, ::2]))) as image:
        assert np.array_equal(np.asarray(image), pixels[:, ::2])


def test_an_rgb_view_of_rgba_encodes_as_its_copy():
    """Export frames are the RGB of the renderer's RGBA (a view): the same bytes as a copy."""
    rng = np.random.default_rng(5)
    rgba = rng.integers(0, 256, (29, 41, 4), dtype=np.uint8)
    rgb = rgba[..., :3]
    assert png_bytes(rgb) == png_bytes(np.ascontiguousarray(rgb))
    with Image.open(io.BytesIO(png_bytes(rgb))) as image:
        assert np.array_equal(np.asarray(image), rgb)


def test_png_bytes_refuse_other_layouts():
    with pytest.raises(ValueError, match="uint8"):
        png_bytes(np.zeros((4, 4, 2), np.uint8))
    with pytest.raises(ValueError, match="uint8"):
        png_bytes(np.zeros((4, 4, 3), np.float32))


def test_the_feeder_writes_every_frame_in_order(tmp_path):
    frames = _frames(9)
    writer = writers.Mp4Writer()
    writer.setup(tmp_path / "fed.mp4", (64, 48), 10)
    try:
        for frame in frames:
            writer.grab_frame(frame)
        writer.finish()
    finally:
        writer.close()
    assert not writer._feeder.is_alive()
    back = [np.frombuffer(f, np.uint8).reshape(48, 64, 3)
            for f in list(imageio_ffmpeg.read_frames(str(tmp_path / "fed.mp4")))[1:]]
    assert len(back) == 9
    for frame, got in zip(frames, back, strict=True):  # H.264 is lossy: near, and the moving line in place
        assert np.abs(got.astype(int) - frame[..., :3]).mean() < 6


def test_a_cancel_stops_the_feeder_and_ffmpeg(tmp_path):
    writer = writers.Mp4Writer()
    writer.setup(tmp_path / "cancelled.mp4", (64, 48), 10)
    for frame in _frames(3):
        writer.grab_frame(frame)
    writer.close()  # no finish: cancelled
    assert not writer._feeder.is_alive() and writer._proc.poll() is not None


def test_a_dead_encoder_is_an_error_at_the_next_frame_or_at_finish(tmp_path):
    writer = writers.Mp4Writer()
    writer.setup(tmp_path / "dead.mp4", (64, 48), 10)
    writer._proc.kill()
    writer._proc.wait()
    with pytest.raises(ExportError, match="ffmpeg failed"):
        for frame in _frames(40):  # fails at a frame once the feeder has met the broken pipe
            writer.grab_frame(frame)
        writer.finish()  # or, if every frame was queued first, here
    writer.close()
    assert not writer._feeder.is_alive()


def test_the_mp4_shows_the_frames_written_beside_it(tmp_path):
    """RGBA goes to ffmpeg as RGBA: the decoded video is the PNG frames up to H.264's loss (a
    channel mix-up or a stale buffer would be far off)."""
    from terrain_viewer.core.data.builtin import builtin_paths
    from terrain_viewer.core.export.run import ExportSettings, run_export
    from terrain_viewer.core.model import ViewerModel

    settings = ExportSettings(start="1944-07-10", end="1944-07-11", frames_per_day=2, size="320x180",
                              workers=1, fps=8, png_frames=True)
    run_export(ViewerModel.open(builtin_paths()), settings, tmp_path / "b.mp4")
    pngs = [np.asarray(Image.open(p).convert("RGB")) for p in sorted((tmp_path / "b_frames").iterdir())]
    video = [np.frombuffer(f, np.uint8).reshape(180, 320, 3)
             for f in list(imageio_ffmpeg.read_frames(str(tmp_path / "b.mp4")))[1:]]
    assert len(pngs) == len(video) == 4
    for png, got in zip(pngs, video, strict=True):
        assert np.abs(got.astype(int) - png).mean() < 4
    assert np.abs(video[0].astype(int) - pngs[0][:, ::-1]).mean() > 4  # the check can tell frames apart


def test_png_bytes_carry_utf8_text_and_dpi_as_pillow_reads_them():
    pixels = np.zeros((6, 8, 4), np.uint8)
    data = png_bytes(pixels, 6, text={"Title": "衡阳 1944", "Source": "", "Date": "11 July 1944"}, dpi=150.0)
    with Image.open(io.BytesIO(data)) as image:
        assert image.text == {"Title": "衡阳 1944", "Date": "11 July 1944"}  # empty values left out
        assert image.info["dpi"] == pytest.approx((150.0, 150.0), abs=0.05)
        assert np.array_equal(np.asarray(image), pixels)
