"""The main window's first paint: the frame the last start drew for this very state, kept on disk
(``core.render.launch_frame``), shown until this start's own frame is drawn; that frame is then kept
for the next start. A mixin of ``QtMapCanvas``, on when ``keeps_launch_frame`` is set."""

from __future__ import annotations

import logging
import threading

import numpy as np
from PyQt6.QtGui import QImage

from terrain_viewer.core.render import launch_frame

log = logging.getLogger("terrain_viewer.gui.canvas")


class LaunchFrames:
    """See the module. ``showing_kept_frame``: the image on screen is the last start's."""

    keeps_launch_frame = False  # the main window's canvas sets it (not a comparison's or a dialog's)
    showing_kept_frame = False
    _launch: tuple[str, tuple] | None = None  # the first paint's frame key and state, until kept
    _launch_tried = False
    launch_frame_writer: threading.Thread | None = None  # writes this start's frame (joined by probes)

    def _show_kept_frame(self) -> None:
        """At the first paint: the kept frame of the state asked for, if there is one."""
        self._launch_tried = True
        request = self._request()
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
            self._launch = (key, self._ahead_key(request))  # none kept: keep the one drawn now
            return
        image = QImage(pixels.data, size[0], size[1], size[0] * 4, QImage.Format.Format_RGB32).copy()
        image.setDevicePixelRatio(dpi / 100.0)
        self._image, self._image_view, self.showing_kept_frame = image, view, True

    def _keep_launch_frame(self, state: tuple | None, image: QImage) -> None:
        """This start's own frame of the first paint's state: kept for the next start (written on a
        thread of its own: ≈ 5 MB)."""
        key, asked = self._launch
        if state != asked:
            return
        self._launch = None
        bits = image.constBits()
        bits.setsize(image.sizeInBytes())
        pixels = np.frombuffer(bits, np.uint8).reshape(image.height(), image.bytesPerLine() // 4, 4)
        pixels = pixels[:, :image.width()].copy()
        self.launch_frame_writer = threading.Thread(target=launch_frame.keep, args=(key, pixels),
                                                    name="keep-launch-frame", daemon=True)
        self.launch_frame_writer.start()
