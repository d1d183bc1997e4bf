"""The main window's first paints: the frame the last start drew for this very state, kept on disk
(``core.render.launch_frame``), shown until this start's own frame is drawn; that frame is then kept
for the next start. A mixin of ``QtMapCanvas``, on when ``keeps_launch_frame`` is set."""

from __future__ import annotations

import logging
import threading

import numpy as np
from PyQt6.QtCore import QTimer
from PyQt6.QtGui import QImage

from terrain_viewer.core.render import launch_frame

log = logging.getLogger("terrain_viewer.gui.canvas")

KEPT_MOST = 3  # frames a start keeps at most (the states its first frames were drawn for)


class LaunchFrames:
    """See the module. ``showing_kept_frame``: the image on screen is the last start's."""

    keeps_launch_frame = False  # the main window's canvas sets it (not a comparison's or a dialog's)
    showing_kept_frame = False
    launch_frame_writer: threading.Thread | None = None  # writes this start's frame (joined by probes)
    _launch_done = False  # this start's own frame of the state asked for has come: no more look-ups
    _launch_tried: tuple | None = None  # the state last looked up
    _launch_kept = 0  # frames this start has kept

    def _launch_key(self, state: tuple) -> str | None:
        """The kept frame's name for a frame ``state`` (``_ahead_key``: size, view, dpi, layers,
        date, version) of the session as it is now."""
        size, view, dpi, layers, t, _ = state
        try:
            return launch_frame.frame_key(self.model, size, view, dpi / 100.0, layers, t, self.renderer.look)
        except Exception:  # noqa: BLE001 - a start never fails for the want of a preview
            log.debug("no launch frame key", exc_info=True)
            return None

    def _awaits_first_paint(self) -> bool:
        """The first render waits for the first paint's look-up: started at once, it held the
        interpreter lock the window's first paint needed, and on a busy machine its own frame came
        before that paint could show the kept one."""
        return self.keeps_launch_frame and self._launch_tried is None and not self._launch_done

    def _show_kept_frame(self) -> None:
        """A paint before this start's own frame of the state asked for: the kept frame of that
        state, if there is one. Looked up once per state, as the state may change in the first
        paints (the window's layout settling)."""
        live = self._image is not None and not self.showing_kept_frame  # a frame drawn by this start
        if not self.keeps_launch_frame or self._launch_done or live:
            return
        request = self._request()
        state = self._ahead_key(request)
        if state == self._launch_tried:
            return
        if self._launch_tried is None:  # the first paint: the first render may start once it ends
            QTimer.singleShot(0, self._kick)
        self._launch_tried = state
        key = self._launch_key(state)
        pixels = None if key is None else launch_frame.read(key)
        size = request[1]
        if pixels is None or (pixels.shape[1], pixels.shape[0]) != size:
            return
        try:
            image = QImage(pixels.data, size[0], size[1], size[0] * 4, QImage.Format.Format_RGB32).copy()
        except (TypeError, ValueError):  # never a start that fails for a preview
            log.debug("launch frame not shown", exc_info=True)
            return
        image.setDevicePixelRatio(request[3] / 100.0)
        self._image, self._image_view, self.showing_kept_frame = image, request[2], True

    def _launch_frame_drawn(self, gen: int, state: tuple | None, image: QImage) -> None:
        """This start's own frame of ``state``, until the frame of the state asked for has come:
        kept for the next start unless one is kept for that state (written on a thread of its own,
        ≈ 5 MB; the frame may have come before any paint looked its state up)."""
        self._launch_done = self._launch_done or gen == self._gen
        if state is None or state[-1] != self._version or self._launch_kept >= KEPT_MOST:
            return  # the session changed since it was asked for: its key is not the model's now
        key = self._launch_key(state)
        if key is None or launch_frame.kept(key):
            return
        self._launch_kept += 1
        bits = image.constBits()
        bits.setsize(image.sizeInBytes())
        pixels = np.frombuffer(bits, np.uint8).reshape(image.height(), image.bytesPerLine() // 4, 4)
        pixels = pixels[:, :image.width()].copy()
        self.launch_frame_writer = threading.Thread(target=launch_frame.keep, args=(key, pixels),
                                                    name="keep-launch-frame", daemon=True)
        self.launch_frame_writer.start()
