"""The main window's first paints: the frame the last start drew for this very state, kept on disk
(``core.render.launch_frame``), shown until this start's own frame is drawn; that frame is then kept
for the next start. A mixin of ``QtMapCanvas``, on when ``keeps_launch_frame`` is set."""

from __future__ import annotations

import logging
import threading

import numpy as np
from PyQt6.QtGui import QImage

from terrain_viewer.core.render import launch_frame

log = logging.getLogger("terrain_viewer.gui.canvas")

MISSED_MOST = 8  # states looked up and not found, remembered to keep their frames (a start's layout)


class LaunchFrames:
    """See the module. ``showing_kept_frame``: the image on screen is the last start's."""

    keeps_launch_frame = False  # the main window's canvas sets it (not a comparison's or a dialog's)
    showing_kept_frame = False
    launch_frame_writer: threading.Thread | None = None  # writes this start's frame (joined by probes)
    _launch_done = False  # this start's own frame of the state asked for has come: no more look-ups
    _launch_tried: tuple | None = None  # the state last looked up
    _launch_missed: dict | None = None  # states looked up and not found -> their frames' keys

    def _show_kept_frame(self) -> None:
        """A paint before this start's own frame of the state asked for: the kept frame of that
        state, if there is one. Looked up once per state, as the state may change in the first
        paints (the window's layout settling): a frame is kept for the state it was drawn for."""
        live = self._image is not None and not self.showing_kept_frame  # a frame drawn by this start
        if not self.keeps_launch_frame or self._launch_done or live:
            return
        request = self._request()
        state = self._ahead_key(request)
        if state == self._launch_tried:
            return
        self._launch_tried = state
        _, size, view, dpi, layers, t = request
        try:
            key = launch_frame.frame_key(self.model, size, view, dpi / 100.0, layers, t, self.renderer.look)
        except Exception:  # noqa: BLE001 - a start never fails for the want of a preview
            log.debug("no launch frame key", exc_info=True)
            return
        if key is None:
            return
        pixels = launch_frame.read(key)
        if pixels is None or (pixels.shape[1], pixels.shape[0]) != size:
            missed = self._launch_missed = self._launch_missed or {}
            if len(missed) < MISSED_MOST:
                missed[state] = key  # none kept: keep the one drawn now
            return
        try:
            image = QImage(pixels.data, size[0], size[1], size[0] * 4, QImage.Format.Format_RGB32).copy()
        except (TypeError, ValueError):  # never a start that fails for a preview
            log.debug("launch frame not shown", exc_info=True)
            return
        image.setDevicePixelRatio(dpi / 100.0)
        self._image, self._image_view, self.showing_kept_frame = image, view, True

    def _launch_frame_drawn(self, gen: int, state: tuple | None, image: QImage) -> None:
        """This start's own frame of ``state``: kept for the next start when that state was looked
        up and none was found (written on a thread of its own: ≈ 5 MB). The frame of the state
        asked for ends the look-ups."""
        self._launch_done = self._launch_done or gen == self._gen
        key = (self._launch_missed or {}).pop(state, None)
        if key is None:
            return
        bits = image.constBits()
        bits.setsize(image.sizeInBytes())
        pixels = np.frombuffer(bits, np.uint8).reshape(image.height(), image.bytesPerLine() // 4, 4)
        pixels = pixels[:, :image.width()].copy()
        self.launch_frame_writer = threading.Thread(target=launch_frame.keep, args=(key, pixels),
                                                    name="keep-launch-frame", daemon=True)
        self.launch_frame_writer.start()
