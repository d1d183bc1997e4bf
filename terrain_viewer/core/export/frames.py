"""The frames of one export: map frames from the MapRenderer, the title card, and their encoding
(RGB bytes for a video, or a PNG file per frame) on threads while the next frame renders."""

from __future__ import annotations

import dataclasses
import math
import os
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from terrain_viewer.core.export.alpha import matte, mix_linear, paper_renderers
from terrain_viewer.core.export.settings import ExportSettings
from terrain_viewer.core.export.writers import write_error
from terrain_viewer.core.model import ViewerModel
from terrain_viewer.core.render.labels import follows

CARD_DIM, CARD_NAVY = 0.22, (26, 46, 70)  # the title card: this much of the map under navy
CARD_FADE = 0.75  # seconds at the end of the title card that dissolve into the first map frame
TILE_WAIT = 30.0  # seconds a frame may wait for basemap tiles to download
PNG_COMPRESS = 1  # zlib level: the fastest; level 2 is 1 % smaller for 10 % more time, 6 is 3x slower


class Cancelled(Exception):
    """Raised inside the export loop when the user cancels."""


@dataclass(frozen=True)
class Finish:
    """What becomes of a rendered frame: a PNG in ``folder`` (if any), and the bytes a ``video``
    writer takes ("mp4"/"gif": RGB, "mov": RGBA; "" = none, the PNG's name is returned);
    ``alpha``: PNGs keep their alpha channel."""

    folder: str | None = None
    video: str = ""
    alpha: bool = False


class FrameSource:
    """Renders the frames of one export (in this process or in a worker)."""

    def __init__(self, model_dict: dict, settings: ExportSettings, dataset=None):
        self.model = ViewerModel.from_dict(model_dict, dataset=dataset)
        settings.apply_to(self.model)
        self.settings = settings
        self.size = settings.pixel_size()
        self.camera = settings.make_camera(self.model.view)
        self.times = settings.times(self.model)
        self.renderers = paper_renderers(self.model, settings.transparent)
        still = len({tuple(k.extent) for k in self.camera.keys}) == 1  # a moving camera's legend follows
        days = tuple(float(d) for d in range(math.floor(min(self.times)), math.floor(max(self.times)) + 1)) \
            if len(self.times) and still else ()  # what comes into view, frame by frame
        for renderer in self.renderers:
            renderer.wait_for_tiles = TILE_WAIT  # a frame shows its basemap, never a gap
            renderer.look = dataclasses.replace(settings.look(), legend_days=days)  # a still legend
        self.renderer = self.renderers[0]
        self.layers = set(settings.layers) if settings.layers is not None else None
        self.dpi = 100.0 * self.size[1] / 1080.0  # the same type size at every resolution
        self._card: np.ndarray | None = None
        self._first: np.ndarray | None = None  # the first map frame, under the title card

    @property
    def title_frames(self) -> int:
        return self.settings.title_frames()

    def __len__(self) -> int:
        return self.title_frames + len(self.times)

    def frame(self, i: int) -> np.ndarray:
        """Frame ``i`` as an (H, W, 4) uint8 RGBA array (opaque)."""
        if i < self.title_frames:
            return self._title_frame(i)
        return self.map_frame(i - self.title_frames)

    def map_frame(self, k: int) -> np.ndarray:
        """Map frame ``k`` (of ``times``): opaque, or with a transparent background."""
        t = float(self.times[k])
        drawn = []
        for renderer in self.renderers:
            if k and follows(float(self.times[k - 1]), t):  # within a day labels keep their places
                renderer.planner.follow(float(self.times[k - 1]))  # from frame to frame, as in the window
            drawn.append(renderer.render(t=t, size=self.size, view=self.camera.view_at(t), dpi=self.dpi,
                                         layers=self.layers))
        return matte(*drawn) if len(drawn) == 2 else drawn[0]

    def _title_frame(self, i: int) -> np.ndarray:
        """The title card; over its last ``CARD_FADE`` seconds it dissolves into the first map frame."""
        if self._card is None:
            self._first = self.map_frame(0)
            self._card = title_card(self._first, self.settings.title, self.settings.subtitle, self.dpi)
        fade = min(self.title_frames - 1, int(round(CARD_FADE * self.settings.fps)))
        k = i - (self.title_frames - 1 - fade)  # 1..fade within the dissolve
        if fade <= 0 or k <= 0:
            return self._card
        return mix_linear(self._card, self._first, k / (fade + 1))  # in linear light: no grey dip


def title_card(background: np.ndarray, title: str, subtitle: str, dpi: float) -> np.ndarray:
    """The title and subtitle over a dimmed frame, as (H, W, 4) uint8 RGBA."""
    from matplotlib import patheffects as pe
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    from terrain_viewer.core.render.furniture import text_fonts

    h, w = background.shape[:2]
    fig = Figure(figsize=(w / dpi, h / dpi), dpi=dpi)
    canvas = FigureCanvasAgg(fig)
    dim = background[..., :3].astype(np.float32) * CARD_DIM + np.array(CARD_NAVY) * (1 - CARD_DIM)
    fig.figimage(dim.astype(np.uint8), 0, 0, origin="upper")
    halo = [pe.withStroke(linewidth=4, foreground="#14263a")]
    fig.text(0.5, 0.5, _lines(title, w, 44 * dpi / 72, 0.62), ha="center", va="bottom",
             multialignment="center", fontsize=44, family=text_fonts(), fontweight="bold", color="#f4f1ea",
             path_effects=halo)  # above the middle, its lines upward; the subtitle's downward
    if subtitle:
        fig.text(0.5, 0.46, _lines(subtitle, w, 22 * dpi / 72, 0.55), ha="center", va="top",
                 multialignment="center", fontsize=22, family=text_fonts(), color="#e8d3a8",
                 path_effects=halo)
    canvas.draw()
    return np.asarray(canvas.buffer_rgba()).copy()


def _lines(text: str, width: int, size_px: float, em: float) -> str:
    """``text`` broken at spaces into lines that fit 88 % of a frame ``width`` pixels wide, for
    letters ``size_px`` high about ``em`` of that wide (matplotlib's own wrapping let a centred
    title's first lines run off a 720p frame: a new user)."""
    import textwrap

    most = max(8, int(0.88 * width / (em * size_px)))
    return "\n".join(textwrap.wrap(text, most, break_long_words=True)) if len(text) > most else text


def finish_frame(rgba: np.ndarray, i: int, finish: Finish | str | Path | None) -> np.ndarray | str:
    """Frame ``i`` written as ``frame_00001.png`` into the PNG folder (if any) and returned as the
    C-contiguous RGBA array its video writer takes, or, without a video, the PNG's name. (A folder
    alone means PNG frames only; None means the array only.) PNG encoding (``png_bytes``) releases
    the GIL: frames encode on threads while the next renders."""
    from terrain_viewer.core.render.png import png_bytes

    if not isinstance(finish, Finish):
        finish = Finish(folder=str(finish)) if finish is not None else Finish(video="mp4")
    name = frame_name(i)
    if finish.folder is not None:
        path = Path(finish.folder) / name
        data = png_bytes(rgba if finish.alpha else rgba[..., :3], PNG_COMPRESS)  # no timestamp
        try:
            path.write_bytes(data)
        except OSError as exc:
            raise write_error(exc, path) from exc
    if finish.video:  # the writers take RGBA (MP4, .mov: ffmpeg converts; GIF: the writer)
        return np.ascontiguousarray(rgba, dtype=np.uint8)
    return name


def frame_name(i: int) -> str:
    """The file name of frame ``i`` (0-based) in a PNG sequence."""
    return f"frame_{i + 1:05d}.png"


def frames_here(model: ViewerModel, settings: ExportSettings, indices: Iterable[int],
                png_folder: Finish | Path | None, stop: Callable[[], bool]) -> Iterator[bytes | str]:
    """Render in this process; encode on threads (frame i encodes while i + 1 renders)."""
    source: FrameSource | None = None
    threads = max(1, min(4, os.cpu_count() or 1))
    window: deque[Future] = deque()
    with ThreadPoolExecutor(threads) as encoder:
        try:
            for i in indices:
                if stop():
                    raise Cancelled
                source = source or FrameSource(model.to_dict(), settings, dataset=model.dataset)
                window.append(encoder.submit(finish_frame, source.frame(i), i, png_folder))
                if len(window) > 2 * threads:
                    yield window.popleft().result()
            while window:
                yield window.popleft().result()
        finally:
            for future in window:
                future.cancel()
