"""How the map canvas gets its frames: rendered on one background thread, never queued (a change
while a frame renders only marks the latest state wanted, and that state is rendered next), converted
there once for the screen, and, when the window is idle, the next ``AHEAD_STEPS`` date steps
rendered ahead so that each shows at once (a slow day's render starts a step early). After
``WARM_IDLE_MS`` of idleness the coming days are rendered too, one at a time and thrown away, so
that what each day draws new (its date caption, labels never shown before, the dated layers of that
day) is already in the renderer's caches when a held key or playback reaches it; any change stops
that until the window is idle again. With a helper process (``attach_helper``: a second renderer on
the second core), day steps taken faster than the render thread keeps up with are drawn two at a
time: the next steps are asked of the helper while the thread draws the one asked for
(``HelperFrames``). A mixin of ``QtMapCanvas``."""

from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass
from functools import partial

import numpy as np
from PyQt6.QtCore import QCoreApplication, QEventLoop, QPointF, QTimer
from PyQt6.QtGui import QImage
from PyQt6.QtWidgets import QApplication

from terrain_viewer.core.export.workers import pickle_data
from terrain_viewer.core.model import Extent
from terrain_viewer.core.render import LOGGER as RENDER_LOGGER
from terrain_viewer.core.render.labels import follows

log = logging.getLogger("terrain_viewer.gui.canvas")

AHEAD_STEPS = 2  # date steps (the last one repeated) rendered ahead and kept as images
WARM_IDLE_MS = 300  # idle this long before the coming days are rendered into the caches
WARM_DAYS = 60  # … at most this many days on from the date shown, in the direction of the last step
HELPER_AHEAD = 4  # date steps ahead the helper process is asked for
HELPER_QUEUE = 2  # frames the helper is asked for at once
HELPER_MOST_ROWS = 400_000  # more rows than this: no helper (a second copy of the data, seconds to send)
KEPT_UP = 3  # steps in a row the render thread had ready before the helper is left out
HELPER_PATIENCE_S = 0.5  # a step the helper is drawing is drawn here instead once it is this late
AHEAD_KEEP = HELPER_AHEAD + 1  # frames rendered ahead kept at most


@dataclass(frozen=True)
class Frame:
    """A rendered image and what it shows (generation ``gen`` of the canvas's requests)."""

    gen: int
    image: QImage | None
    view: Extent
    size: tuple[int, int]
    error: str | None = None
    ahead: tuple | None = None  # a frame rendered ahead: the state it shows (see ``_ahead_key``)
    warm: bool = False  # rendered only to fill the renderer's caches (no image)
    helper: bool = False  # rendered by the helper process
    state: tuple | None = None  # the state it shows (``_ahead_key``), for a frame asked for


class FrameScheduling:
    """Render requests, the render thread's jobs and the frames they hand back (see the module)."""

    @property
    def render_ahead(self) -> bool:
        """When idle, render the frames of the next date steps (the last one repeated) before they
        are asked for, so that they show at once. Turning it off drops the frames rendered ahead."""
        return self._render_ahead

    @render_ahead.setter
    def render_ahead(self, on: bool) -> None:
        self._render_ahead = bool(on)
        if not on:
            self._ahead.clear()
            self._warm_timer.stop()

    def _on_change(self, change) -> None:
        if change.kind == "time":
            self._date_changed()
        else:
            self.refresh()

    def _date_changed(self) -> None:
        t = float(self.model.time.t)
        if self._model_t is not None and t != self._model_t:  # a jump (slider, typed date): a day on
            change = t - self._model_t
            self._last_step = change if abs(change) <= 1.0 else math.copysign(1.0, change)
            self._steady = abs(change) == 1.0 and change == self._last_change  # day steps (keys, buttons)
            self._last_change = change
        self._model_t = t
        self._gen += 1
        self._kick()

    def refresh(self) -> None:
        """Render the model's current state soon (coalesced: only the latest state is rendered)."""
        self._version += 1
        self._ahead.clear()
        self._from_helper.clear()
        self._warmed.clear()  # rendered for an older state
        self._gen += 1
        self._kick()
        if self._image is None or self._image_view != self.view():
            self.update()  # show the last image moved to the new view now; a date change waits for its frame

    @property
    def settled(self) -> bool:
        """True when the image on screen shows the latest state at the widget's current size."""
        if not self.isVisible():
            return True
        size_ok = self._image is None or (self._image.width(), self._image.height()) == self.pixel_size()
        return not self._busy and self._image_gen == self._gen and size_ok

    def wait_settled(self, timeout_ms: int = 30000) -> bool:
        """Process events until the latest state is on screen (tests, screenshots, benchmarks)."""
        deadline = time.monotonic() + timeout_ms / 1000
        while not self.settled and time.monotonic() < deadline:
            if not self._busy:
                self._kick()
            wait_for_events(20)
        return self.settled

    def _request(self, t: float | None = None) -> tuple:
        return (self._gen, self.pixel_size(), self.view(), 100.0 * self.devicePixelRatioF(),
                None if self.layers is None else frozenset(self.layers),
                float(self.model.time.t if t is None else t))

    def _ahead_key(self, request: tuple) -> tuple:
        """The state a frame of ``request`` shows (everything but the generation), its date to a
        ten-millionth of a day: a step ahead (the date plus the last step) and the frame played
        there (``floor(due * fpd) / fpd``) differ in the last bits of a float, and no frame drawn
        ahead for playback was ever shown (each was drawn twice)."""
        return (*request[1:-1], round(request[-1], 7), self._version)

    def shut_down(self) -> None:
        """Draw no more: end the helper process and wait for the frame the render thread is
        drawing (at most one). Its window is closing: a thread must not hand a frame to a widget,
        or an application, that is gone (the crash at exit). Idempotent."""
        self._stopped = True
        self.render_ahead = False
        self.attach_helper(None)
        self._pool.shutdown(wait=True, cancel_futures=True)

    def _kick(self) -> None:
        """Start rendering the latest state unless a render is running (it kicks again when done);
        a frame rendered ahead for exactly this state is shown at once, even while a day is being
        drawn ahead."""
        if self._busy or self._drag != QPointF(0, 0) or not self.isVisible() or self._stopped \
                or self._awaits_first_paint():
            return
        request = self._request()
        key = self._ahead_key(request)
        image = self._ahead.pop(key, None)
        if image is not None:
            if key in self._from_helper:
                self.helper_frames += 1
            else:  # the render thread had it ready: alone, it keeps up with the steps
                self._kept_up += 1
            self._on_frame(Frame(request[0], image, request[2], request[1], state=key))
            return
        if key not in self._helper_pending:
            self._kept_up = 0  # a step not ready: the helper is asked for the next ones
        self._feed_helper()
        if self._ahead_running:
            return
        if self._helper_coming(key):
            self._draw_coming()
            return
        self._busy, self._own_asked = True, key
        self._pool.submit(self._render_job, request, self.devicePixelRatioF())
        if self._helper_warm is None and self._image is None:  # the window's first frame: the
            self._warm_helper(first=True)  # helper's first job too, both cores build a background

    def _may_draw_ahead(self) -> bool:
        """Rendering ahead is on, the data has dates, the latest state is on screen (painted: on a
        busy machine the idle timer could fire before the paint, and a render then held the
        interpreter lock the paint needed) and no render (asked for, ahead or of a coming day) is
        running."""
        return (self._render_ahead and self.model.has_time and self._image_gen == self._gen
                and self.painted_gen == self._image_gen and not self._busy and not self._ahead_running)

    def _start_ahead(self) -> None:
        """Idle: render the first of the next ``AHEAD_STEPS`` date steps (the last step repeated)
        not rendered yet, so that it shows at once."""
        time_ = self.model.time
        if not self._may_draw_ahead():  # a day being drawn ahead asks again when it is done
            return
        for n in range(1, (HELPER_AHEAD if self._helper is not None else AHEAD_STEPS) + 1):
            t = self._step_ahead(n)
            if t == float(time_.t) or self._draw_ahead(t, self._ahead):
                return

    def _step_ahead(self, n: int) -> float:
        """The date ``n`` steps on (the last step repeated), within the time extent; on the grid of
        the step when it is a whole fraction of a day (``k / per_day``, as playback's frames are):
        a float sum of twelfths left a new day's frame at its date less 1e-12, the day before's."""
        time_ = self.model.time
        t = float(time_.t) + n * self._last_step
        per_day = round(1 / abs(self._last_step)) if self._last_step else 0
        if per_day and abs(per_day * abs(self._last_step) - 1) < 1e-6:
            t = round(t * per_day) / per_day
        return min(max(t, float(time_.start)), float(time_.end))

    def _warm(self) -> None:
        """Idle: render the next coming day not yet warmed into the caches (see the module)."""
        time_ = self.model.time
        if not self._may_draw_ahead() or not self.isVisible():
            return
        if QApplication.activeModalWidget() is not None or QApplication.activePopupWidget() is not None:
            self._warm_timer.start()  # a dialog or menu is open: leave it the machine, look again later
            return
        self._warm_helper()
        step = 1.0 if self._last_step >= 0 else -1.0
        t0, start, end = float(time_.t), float(time_.start), float(time_.end)
        for k in range(1, WARM_DAYS + 1):
            t = t0 + k * step
            if not start <= t <= end or self._draw_ahead(t, self._warmed, warm=True):
                return

    def _draw_ahead(self, t: float, done, warm: bool = False) -> bool:
        """Start rendering the state at ``t`` ahead (``warm``: into the caches only, no image) unless
        its state is in ``done``; True when a render was started. Once rendered it is in the caches:
        it is not warmed again."""
        request = self._request(t)
        key = self._ahead_key(request)
        if key in done or key in self._helper_pending:
            return False
        self._warmed.add(key)
        self._ahead_running, self._own_ahead = True, key
        self._pool.submit(self._render_job, request, self.devicePixelRatioF(), key, warm)
        return True

    def _render_job(self, request: tuple, ratio: float, ahead: tuple | None = None,
                    warm: bool = False) -> None:
        """On the render thread: one frame for ``request``, handed back through ``_frame_ready``."""
        gen, size, view, dpi, layers, t = request
        try:
            with self._lock:
                if gen != self._gen and (ahead is None or warm):  # superseded while it waited
                    self._hand_back(Frame(gen, None, view, size, ahead=ahead, warm=warm))
                    return
                self._follow(t, size, dpi, layers, warm)
                rgba = self.renderer.render(t=t, size=size, view=view, dpi=dpi,
                                            layers=None if layers is None else set(layers), copy=False)
                image = None if warm else _qimage(rgba, ratio)  # a copy, before another render comes in
        except Exception as exc:  # noqa: BLE001 - shown on the canvas; the next change re-renders
            if ahead is None and gen == self._gen:
                log.exception("render failed")
            self._hand_back(Frame(gen, None, view, size, error=f"Cannot draw the map: {exc}", ahead=ahead,
                                  warm=warm))
        else:
            state = self._ahead_key(request) if ahead is None else None
            self._hand_back(Frame(gen, image, view, size, ahead=ahead, warm=warm, state=state))

    def _follow(self, t: float, size, dpi: float, layers, warm: bool = False) -> None:
        """On the render thread: a frame a step on within the day from a frame drawn lately, of the
        same state, keeps its labels' places from the nearest such frame (as an export's frames do:
        what is seen is what is exported, and a label with no room stays out until the next day
        instead of popping in and out; half the planning). The next day drawn ahead comes between
        a day and its first hour: the frame on screen is followed, not only the last drawn. A day
        drawn into the caches only (``warm``) is neither followed nor counted among those frames."""
        if warm:
            self.renderer.planner.aside()
            return
        state = (self._version, size, dpi, layers)
        near = [prev for drawn, prev in self._drawn if drawn == state and follows(prev, t)]
        self._drawn.append((state, t))
        if near:
            self.renderer.planner.follow(min(near, key=lambda prev: abs(prev - t)))

    def _hand_back(self, frame: Frame) -> None:
        """Send a frame to the GUI thread (through the canvas's relay, which outlives the canvas: a
        frame for a canvas deleted meanwhile goes nowhere)."""
        self._frame_ready.emit(frame)

    def _on_frame(self, frame: Frame) -> None:
        if frame.helper:
            self._on_helper_frame(frame)
            return
        if frame.ahead is not None:
            self._ahead_running, self._own_ahead = False, None
            if frame.image is not None and frame.ahead[-1] == self._version:
                self._ahead[frame.ahead] = frame.image
                self._from_helper.discard(frame.ahead)
                while len(self._ahead) > AHEAD_KEEP:  # the oldest: a step not taken
                    self._ahead.popitem(last=False)
            if self._image_gen != self._gen:
                self._kick()
                return
            self._start_ahead()  # the next step first (a day drawn ahead may have held it back)
            if self._ahead_running:
                return
            if frame.warm and frame.gen == self._gen and frame.error is None:
                self._warm()  # still idle: the next day
            else:
                self._warm_timer.start()
            return
        self._busy, self._own_asked = False, None
        if frame.image is not None:
            if self.keeps_launch_frame and not self._launch_done:
                self._launch_frame_drawn(frame.gen, frame.state, frame.image)
            if not (self.showing_kept_frame and frame.gen != self._gen):  # a kept frame stays until
                # the frame of the state asked for comes, not one of a state before (a flash of the
                # map at another size, under X at a start)
                self._image, self._image_view, self._image_gen = frame.image, frame.view, frame.gen
                self.error, self.showing_kept_frame = None, False
        elif frame.error is not None and frame.gen == self._gen:
            self._image, self._image_gen, self.error = None, frame.gen, frame.error
            self.showing_kept_frame = False
        if self._image_gen != self._gen:
            self._kick()
        self.update()
        self._feed_helper()
        if frame.image is not None:
            self.rendered.emit()
        if self._image_gen == self._gen and not self._busy:
            self._ahead_after_paint = True  # once it is on screen: a render started now would
            #                                 hold the interpreter lock the paint needs
            self._warm_timer.start()  # restarted by every frame: warm only after a quiet spell

    def _painted_frame(self) -> None:
        """The frame is on screen: draw the next steps ahead now (see ``_on_frame``)."""
        if self._ahead_after_paint:
            self._ahead_after_paint = False
            self._start_ahead()


class HelperFrames:
    """The coming steps drawn by a helper process (``RenderHelper``), beside the render thread: a
    step the helper is drawing is not drawn here too (unless it is ``HELPER_PATIENCE_S`` late), and
    its frame joins the frames rendered ahead. A mixin of ``QtMapCanvas`` (with ``FrameScheduling``)."""

    @property
    def helper(self):
        """The ``RenderHelper`` drawing coming steps, or None."""
        return self._helper

    @property
    def helper_warm(self) -> bool:
        """The helper has drawn a frame of the current session (its caches are built)."""
        return self._helper is not None and self._helper_warm == self._version

    @property
    def helper_busy(self) -> bool:
        """Frames asked of the helper have not come back yet."""
        return bool(self._helper_pending)

    def attach_helper(self, helper) -> None:
        """Ask ``helper`` for the coming steps from now on; it ends with this canvas (or when
        ``attach_helper(None)`` replaces it)."""
        old, self._helper = self._helper, helper
        self._helper_pending.clear()
        self._helper_version = self._helper_data = None
        if old is not None:
            old.close()
        if helper is None:
            return
        relay = self._relay
        helper.on_frame = partial(_helper_frame, relay)
        helper.on_gone = relay.helper_gone.emit
        helper.on_ready = relay.helper_ready.emit
        self.destroyed.connect(lambda *_: helper.close())
        self._feed_helper()

    def _helper_gone(self) -> None:
        """The helper process ended (killed, out of memory): draw everything here again."""
        if self._helper is not None and not self._helper.alive:
            log.warning("the second renderer process has ended; the map is drawn in one process")
            self._helper = None
            self._helper_pending.clear()
            self._kick()

    def _helper_coming(self, key: tuple) -> bool:
        """True when the helper is drawing ``key`` and is not late (then look again when it would be)."""
        asked = self._helper_pending.get(key)
        if asked is None or self._helper_warm != self._version:  # not waited for until it has drawn
            return False  # a frame of this session (its first builds its background: slow)
        late = asked + HELPER_PATIENCE_S - time.monotonic()
        if late <= 0:
            return False
        self._patience.start(max(1, int(late * 1000) + 1))
        return True

    def _draw_coming(self) -> None:
        """While the step asked for comes from the helper, the render thread draws the next step
        that neither has (both cores at work)."""
        if not self._render_ahead or self._busy or self._ahead_running:
            return
        now = float(self.model.time.t)
        for n in range(1, HELPER_AHEAD + 1):
            t = self._step_ahead(n)
            if t == now or self._draw_ahead(t, self._ahead):
                return

    def _own_keys(self) -> tuple:
        """The states the render thread is drawing (asked for, ahead)."""
        return (self._own_asked, self._own_ahead)

    def _helper_ok(self, started: bool = True) -> bool:
        """The helper may be asked for frames (``started=False``: or will be, once its process runs)."""
        basemap = self.model.basemap
        return (self._helper is not None and (self._helper.ready or not started) and self._render_ahead
                and self.model.has_time
                and self.isVisible() and not (basemap and not basemap.get("mbtiles")))  # tiles: here only

    def _feed_helper(self) -> None:
        """Ask the helper for the next steps not drawn or asked for yet, ``HELPER_QUEUE`` at most,
        while a day is stepped twice in a row (keys, buttons) faster than the render thread alone
        keeps up with (it had none of the last ``KEPT_UP`` steps ready: the helper would only take
        the core the window needs, p95 25 → 34 ms at a key's repeat rate). Not for playback or a drag of the
        slider: they follow the clock or the hand, skip frames, and the helper's frames came too
        late to be shown while it took the core the window's own renderer needed (measured: 4 days
        a second played at 25–31 frames a second against 38–40 without it)."""
        if not self._steady or self._kept_up >= KEPT_UP or not self._helper_ok() \
                or len(self._helper_pending) >= HELPER_QUEUE or not self._sync_helper():
            return
        now = float(self.model.time.t)
        for n in range(1, HELPER_AHEAD + 1):
            t = self._step_ahead(n)
            if t == now:
                return
            request = self._request(t)
            key = self._ahead_key(request)
            if key in self._warmed or key in self._ahead or key in self._helper_pending \
                    or key in self._own_keys():  # warmed: drawn here again in half the time
                continue
            _, size, view, dpi, layers, _ = request
            if not self._helper.render(key, t, size, view, dpi, layers):
                return
            self._helper_pending[key] = time.monotonic()
            if len(self._helper_pending) >= HELPER_QUEUE:
                return

    def _warm_helper(self, first: bool = False) -> None:
        """A helper that has not drawn this session yet draws the frame on screen into its caches
        (its background: the first frame of a view or of new layer states is the slow one). The
        window's ``first`` frame is asked of it as the render thread starts drawing it, even while
        the helper's process is still starting (then it is its first job): the two build their
        backgrounds side by side, and steps taken right after the window opens find it ready."""
        shown = first or self._image_gen == self._gen
        if self._helper_warm == self._version or self._helper_pending or not shown \
                or not self._helper_ok(started=False) or not self._sync_helper():
            return
        request = self._request()
        key = self._ahead_key(request)
        _, size, view, dpi, layers, t = request
        if self._helper.warm(key, t, size, view, dpi, layers):
            self._helper_pending[key] = time.monotonic()

    def _sync_helper(self) -> bool:
        """Send the helper the session of this version (its data too when they changed)."""
        if self._helper_version == self._version:
            return True
        prints = _data_prints(self.model)
        data = None
        if prints != self._helper_data:
            data = pickle_data(self.model) if _rows(self.model) <= HELPER_MOST_ROWS else None
            if data is None:
                return False
        if not self._helper.set_state(self.model, data, self.renderer.look):
            return False
        self._helper_version, self._helper_data = self._version, prints
        return True

    def _on_helper_frame(self, frame: Frame) -> None:
        self._helper_pending.pop(frame.ahead, None)
        current = frame.ahead[-1] == self._version
        if frame.error is None and current:
            self._helper_warm = self._version
        if frame.image is not None and current and self._render_ahead:
            self._ahead[frame.ahead] = frame.image
            self._from_helper.add(frame.ahead)
            while len(self._ahead) > AHEAD_KEEP:
                self._ahead.popitem(last=False)
            self._from_helper.intersection_update(self._ahead)
        if self._image_gen != self._gen and not self._busy:
            self._kick()  # the step asked for may be this one
        else:
            self._feed_helper()


def _helper_frame(relay, key: tuple, rgba, error: str | None, warnings: list) -> None:
    """On the helper's reader thread: the frame for ``key`` converted for the screen, to the canvas."""
    image = None if rgba is None else _qimage(rgba, key[2] / 100.0)
    for message in warnings:
        logging.getLogger(RENDER_LOGGER).warning("%s", message)
    warm = rgba is None and error is None
    relay.frame.emit(Frame(-1, image, key[1], key[0], error=error, ahead=key, warm=warm, helper=True))


def _rows(model) -> int:
    """The features and table rows of the model's data."""
    data = model.dataset
    return sum(len(layer.gdf) for layer in data.layers) + sum(len(t) for t in data.tables.values())


def _data_prints(model) -> tuple:
    """What identifies the model's data: a change means the helper needs them again."""
    data = model.dataset
    return (id(data), data.map_crs.to_string(),
            *((id(o), id(getattr(o, "gdf", None))) for o in (*data.layers, *data.rasters)))


def wait_for_events(most_ms: int) -> None:
    """Process events, sleeping until one arrives (at most ``most_ms``): no polling, so a render
    thread is not slowed by a waiting GUI thread taking the GIL back every millisecond."""
    timer = QTimer()
    timer.setSingleShot(True)
    timer.start(most_ms)
    flags = QEventLoop.ProcessEventsFlag.AllEvents | QEventLoop.ProcessEventsFlag.WaitForMoreEvents
    QCoreApplication.processEvents(flags)
    timer.stop()


def _qimage(rgba: np.ndarray, ratio: float) -> QImage:
    """An owned QImage of an opaque RGBA frame, at the device pixel ratio it was rendered for.

    Converted once, on the render thread, to the 32-bit RGB layout the backing store uses, so the
    paint event is a plain copy (no per-paint conversion or blending of two million pixels)."""
    rgba = np.ascontiguousarray(rgba)
    image = QImage(rgba.data, rgba.shape[1], rgba.shape[0], rgba.shape[1] * 4,
                   QImage.Format.Format_RGBX8888).convertToFormat(QImage.Format.Format_RGB32)
    image.setDevicePixelRatio(ratio)
    return image
