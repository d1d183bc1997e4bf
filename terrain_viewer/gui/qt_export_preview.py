"""The Export dialog's preview: the export's duration, a scrub slider, and frames rendered small."""

from __future__ import annotations

import copy
import dataclasses

import numpy as np
from PyQt6.QtCore import QSize, Qt, QTimer
from PyQt6.QtGui import QImage, QPixmap
from PyQt6.QtWidgets import QLabel, QSlider

from terrain_viewer.core.common.errors import TerrainViewerError
from terrain_viewer.core.common.logs import log_exception
from terrain_viewer.core.export.run import ExportSettings, FrameSource
from terrain_viewer.core.render.furniture import LEGEND_MIN_WIDTH
from terrain_viewer.gui.qt_camera_keys import PreviewThread

PREVIEW_WIDTH = 480


class ExportPreview:
    """The preview half of ``ExportDialog`` (a mixin: ``self`` is the dialog, with its form)."""

    def _build_preview(self) -> None:
        """The preview picture and the scrub slider (re-rendered shortly after it stops moving)."""
        self.scrub = QSlider(Qt.Orientation.Horizontal, minimum=0, maximum=0)
        self.scrub.valueChanged.connect(lambda *_: self._scrub_timer.start())
        self._scrub_timer = QTimer(self, singleShot=True, interval=120)
        self._scrub_timer.timeout.connect(self.preview_frame)
        self._preview_threads: set[PreviewThread] = set()  # running (several when scrubbed fast)
        self.preview = QLabel(alignment=Qt.AlignmentFlag.AlignCenter,
                              minimumSize=QSize(PREVIEW_WIDTH, PREVIEW_WIDTH * 9 // 16))
        self.preview.setStyleSheet("background: #2b2b2b; color: #ddd;")

    # ---- timeline -------------------------------------------------------------------------------
    def update_duration(self) -> None:
        """Show the export's length in frames and seconds; the scrub slider spans its frames."""
        try:
            s = self.settings()
            frames = s.frame_count(self.model)
        except TerrainViewerError as exc:
            self.duration.setText(exc.message)
            return
        counted = f"{frames} frame{'s' * (frames != 1)}"
        width = s.pixel_size()[0]
        no_legend = s.legend and s.legend_form == "auto" and not s.look().legend_shown(width)
        self.duration.setText(f"{counted}, {frames / s.fps:.1f} s at {s.fps:g} frames/s"
                              + (f"; no legend at {width} px wide (auto: from {LEGEND_MIN_WIDTH} px; "
                                 "choose full or compact)" if no_legend else ""))
        self.scrub.setMaximum(max(frames - 1, 0))

    def _on_keys_changed(self) -> None:
        self.camera = list(self.camera_keys.keys)
        self._show_camera()
        self._preview_timer.start()

    def _preview_settings(self) -> ExportSettings:
        """The export's settings, small: the same proportions, and the legend the output gets
        (in the "auto" form a frame under 900 px shows none; the preview always is one)."""
        s = self.settings()
        w, h = s.pixel_size()
        s.size = f"{PREVIEW_WIDTH}x{max(16, round(PREVIEW_WIDTH * h / w))}"
        if s.legend_form == "auto":
            s.legend_form = s.look().legend_shown(w) or "off"
        return s

    def preview_frame(self, frame: int | None = None) -> None:
        """Render frame ``frame`` (the slider's) of the export on a thread; show it when done."""
        frame = self.scrub.value() if frame is None else frame
        try:
            s = self._preview_settings()
        except TerrainViewerError as exc:
            self.preview.setText(exc.message)
            return
        thread = PreviewThread(self.model, s, frame)
        thread.rendered.connect(self._show_frame)
        thread.failed.connect(self.preview.setText)
        thread.finished.connect(lambda: self._preview_threads.discard(thread))
        thread.finished.connect(thread.deleteLater)  # after it has left the set: no deleted wrapper kept
        self._preview_threads.add(thread)
        thread.start()

    def wait_for_previews(self) -> None:
        """Let running preview renders finish (before the dialog goes)."""
        for thread in list(self._preview_threads):
            thread.wait(30000)

    def _show_frame(self, frame: int, rgba) -> None:
        if frame == self.scrub.value():  # an older request that finished late is not shown
            self._set_pixmap(rgba)

    def _set_pixmap(self, rgba) -> None:
        rgba = np.ascontiguousarray(rgba)
        image = QImage(rgba.data, rgba.shape[1], rgba.shape[0], rgba.shape[1] * 4,
                       QImage.Format.Format_RGBA8888).copy()
        self.preview.setPixmap(QPixmap.fromImage(image))

    # ---- preview --------------------------------------------------------------------------------
    def preview_if_changed(self) -> None:
        """After a change of the form: render again when the frames it shows would differ (any
        setting of the frames: dates, size, title, caption, furniture, legend corner and form…);
        a change that only concerns the files (output, workers, subtitles) renders nothing."""
        try:
            shown = (_frames_of(self._preview_settings()), self.scrub.value())
        except TerrainViewerError:
            shown = None  # update_preview says what is wrong in the preview's place
        if shown is None or shown != self._previewed:  # (set by update_preview, which opens the dialog)
            self.update_preview()

    def update_preview(self) -> None:
        """Render the slider's frame (title card or map) at a small size with the final proportions."""
        self._previewed = None
        try:
            s = self._preview_settings()
            shown = (_frames_of(s), self.scrub.value())  # as asked, whatever the renderer does with s
            source = FrameSource(self.model.to_dict(), s, dataset=self.model.dataset)
            rgba = source.frame(min(self.scrub.value(), len(source) - 1))
        except TerrainViewerError as exc:
            self.preview.setText(exc.message)
            return
        except Exception as exc:  # noqa: BLE001 - a preview must never take the dialog down
            log_exception(exc, "export preview")
            self.preview.setText(f"No preview: {exc}")
            return
        self._set_pixmap(rgba)
        self._previewed = shown


def _frames_of(s: ExportSettings) -> ExportSettings:
    """A copy of ``s`` less what only concerns the files written (format, workers, the PNG frames
    and subtitles beside a video): two settings that draw the same frames compare equal."""
    return dataclasses.replace(copy.deepcopy(s), format="", workers=1, png_frames=False, subtitles=False)
