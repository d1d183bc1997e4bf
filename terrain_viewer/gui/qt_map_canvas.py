"""The map widget: paints ``MapRenderer.render`` output, pans, zooms, and hosts the tools' overlays.

Renders run on one background thread and never queue (``map_frames``): a change while a frame
renders only marks the latest state wanted, and that state (not the ones in between) is rendered
next. Until it is ready the last frame is painted moved and scaled to the current view, as QGIS
does, so the GUI thread stays free for the slider, the mouse and the keys. While dragging, the last
image is shifted; the view is written to the model every ``PAN_REFRESH_MS`` and on release.
"""
from __future__ import annotations

import logging
import threading
from collections import OrderedDict, deque
from concurrent.futures import ThreadPoolExecutor

from PyQt6.QtCore import QObject, QPointF, QRectF, Qt, QTimer, pyqtSignal
from PyQt6.QtGui import QColor, QCursor, QImage, QMouseEvent, QPainter, QPainterPath, QPen, QWheelEvent
from PyQt6.QtWidgets import QWidget

from terrain_viewer.core.common.events import Links
from terrain_viewer.core.model import Extent, ViewerModel
from terrain_viewer.core.render.furniture import FrameLook
from terrain_viewer.core.render.labels import RECENT
from terrain_viewer.core.render.renderer import MapRenderer, fit_view
from terrain_viewer.core.render.swipe import divider_column, sides
from terrain_viewer.core.render.view import fit_clear
from terrain_viewer.gui.launch_frames import LaunchFrames
from terrain_viewer.gui.map_frames import KEPT_UP, WARM_IDLE_MS, FrameScheduling, HelperFrames

log = logging.getLogger("terrain_viewer.gui.canvas")

PAPER = QColor("#f3efe4")
CLICK_SLOP = 4  # pixels a press may move and still be a click
DIVIDER_GRAB = 8  # pixels either side of the swipe divider that grab it
MIN_SPAN = 200.0  # metres on the ground across the view: the closest zoom
PAN_REFRESH_MS = 250  # a long drag re-renders this often (in between, the last image is shifted)


class FrameRelay(QObject):
    """Carries frames from the render thread to the canvas. It is not the canvas's child, so a
    render that ends after the canvas was deleted (a closed window, a finished test) emits on a
    live object and the frame is dropped, instead of emitting on a deleted one (a crash)."""

    frame = pyqtSignal(object)
    helper_gone = pyqtSignal()  # the helper process ended (emitted from its reader thread)
    helper_ready = pyqtSignal()  # the helper process has started (emitted from its sender thread)


class QtMapCanvas(FrameScheduling, HelperFrames, LaunchFrames, QWidget):
    """Map view bound to a ViewerModel. Tools: ``"pan"``, ``"identify"``, ``"measure"``."""

    cursor_moved = pyqtSignal(float, float)  # map x, y
    map_clicked = pyqtSignal(float, float)  # a click (not a drag) in map coordinates
    right_clicked = pyqtSignal()
    rendered = pyqtSignal()
    painted = pyqtSignal()  # a paint event that put a rendered image on screen has ended
    kept_frame_painted = pyqtSignal()  # … that put the last start's frame of this state on screen
    tiles_arrived = pyqtSignal()  # emitted from the tile threads; queued to the GUI thread

    def __init__(self, model: ViewerModel, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("mapCanvas")
        self.setMouseTracking(True)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setMinimumSize(320, 240)
        # every paint fills the whole widget (the image, else paper): Qt need not paint the window
        # behind it first (a 1080p fill, ~1 ms a frame)
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent, True)
        self.tool = "pan"
        self.overlay_path: list[tuple[float, float]] = []  # measured line, map coordinates
        self.marker: tuple[float, float] | None = None  # last identify point, map coordinates
        self.rubber_end: tuple[float, float] | None = None  # measure: where the next segment would end
        self.error: str | None = None
        self.layers: set[str] | None = None  # draw only these (side-by-side views); None = the model's
        self._image: QImage | None = None
        self._image_view: Extent | None = None  # the view the last image shows
        self._gen = 0  # bumped by every change; a frame of an older generation is stale
        self._image_gen = -1
        self.painted_gen = -1  # the generation of the image the last paint event showed
        self._busy = False  # a render is running on the thread
        self._ahead: OrderedDict[tuple, QImage] = OrderedDict()  # state -> image, rendered ahead
        self._render_ahead = True
        self._ahead_running = False
        self._ahead_after_paint = False
        self._version = 0  # bumped by every change that is not the date
        self._last_step = 1.0  # days: the last date step (a jump counts as a day), the guess for the next
        self._steady = False  # the last two date changes were the same whole day
        self._last_change = 0.0  # days: the last date change
        self._model_t: float | None = None  # the model's date at the last date change
        self._lock = threading.Lock()  # one render at a time (the thread or render_image)
        self._drawn: deque[tuple] = deque(maxlen=RECENT)  # the render thread's last frames: (state, date)
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="map-render")
        self._stopped = False  # shut_down: no more frames
        self._links = Links()
        self._relay = FrameRelay()  # no parent: outlives this widget while a render is still running
        self._frame_ready = self._relay.frame  # a Frame from the render thread; queued to this thread
        self._frame_ready.connect(self._on_frame)  # (Qt drops the connection when this widget goes)
        self._helper = None  # a RenderHelper drawing coming steps in another process (attach_helper)
        self._helper_pending: dict[tuple, float] = {}  # state -> when the helper was asked for it
        self._helper_version: int | None = None  # the version of the session the helper has
        self._helper_data: tuple | None = None  # … and of its data (``_data_prints``)
        self._helper_warm: int | None = None  # the version of the last frame the helper drew
        self._kept_up = KEPT_UP  # steps in a row the render thread had drawn ahead (KEPT_UP: no helper)
        self._from_helper: set[tuple] = set()  # the frames rendered ahead that the helper drew
        self.helper_frames = 0  # frames shown that the helper drew
        self._own_asked: tuple | None = None  # the state the render thread draws when asked
        self._own_ahead: tuple | None = None  # … or draws ahead
        self._relay.helper_gone.connect(self._helper_gone)
        self._patience = QTimer(self, singleShot=True)  # a step the helper is late with: draw it here
        self._patience.timeout.connect(self._kick)
        pool = self._pool
        self.destroyed.connect(lambda *_: pool.shutdown(wait=False, cancel_futures=True))
        self._press: QPointF | None = None
        self._drag = QPointF(0, 0)
        self._swiping = False
        self._dragging = False
        self._pan_timer = QTimer(self, singleShot=True, interval=PAN_REFRESH_MS)
        self._pan_timer.timeout.connect(self._on_pan_timer)
        self._warmed: set[tuple] = set()  # states rendered into the caches while idle (map_frames)
        self._warm_timer = QTimer(self, singleShot=True, interval=WARM_IDLE_MS)
        self._warm_timer.timeout.connect(self._warm)
        self._relay.helper_ready.connect(self._warm_timer.start)  # idle: the helper's caches warm up
        self._tiles_timer = QTimer(self, singleShot=True, interval=150)  # many tiles, one re-render
        self._tiles_timer.timeout.connect(self.refresh)
        self.tiles_arrived.connect(self._tiles_timer.start)
        self.set_model(model)

    # ---- model ------------------------------------------------------------------------------
    def set_model(self, model: ViewerModel) -> None:
        self._links.clear()
        with self._lock:  # a render of the old model may be running
            self.model = model
            self.renderer = MapRenderer(model)
            self.renderer.look = self._look()
        self.renderer.on_tiles = self.tiles_arrived.emit  # never blocks: tiles download in threads
        self._links.connect(model.events.any, self._on_change)
        self._model_t = float(model.time.t)
        self.refresh()

    def _look(self) -> FrameLook:
        """View ▸ Legend decides whether there is a legend, whatever the size (its corner is the
        session's: View ▸ Legend corner)."""
        return FrameLook(legend_form="full")

    # ---- geometry ---------------------------------------------------------------------------
    def pixel_size(self) -> tuple[int, int]:
        ratio = self.devicePixelRatioF()
        return max(16, round(self.width() * ratio)), max(16, round(self.height() * ratio))

    def view(self) -> Extent:
        """The model's view fitted to this widget's shape: what is on screen."""
        return fit_view(self.model.view, (max(self.width(), 1), max(self.height(), 1)))

    def to_map(self, px: float, py: float) -> tuple[float, float]:
        """Widget (logical) pixel to map coordinates."""
        return self.renderer.pixel_to_map(px, py, self.view(), (self.width(), self.height()))

    def to_pixel(self, x: float, y: float) -> tuple[float, float]:
        """Map coordinates to widget (logical) pixel."""
        return self.renderer.map_to_pixel(x, y, self.view(), (self.width(), self.height()))

    def units_under(self, x: float, y: float, reach: float) -> dict[str, list[int]]:
        """The units whose symbol is drawn at map point (x, y) (``reach`` pixels around it), as
        rows per layer: symbols are pushed apart from their true positions where they crowd."""
        from terrain_viewer.core.render.units import units_under

        ratio = self.devicePixelRatioF()
        px, py = self.to_pixel(x, y)
        return units_under(self.model, float(self.model.time.t), self.view(), self.pixel_size(),
                           100.0 * ratio, px * ratio, py * ratio, reach * ratio)

    def layers_at(self, x: float, y: float) -> set[str] | None:
        """The layers the map draws at map point (x, y): with a swipe, the side of the divider it
        is on (identify listed a hidden side's features); else this canvas's (None: all)."""
        if self.layers is not None or not self.model.swipe.enabled:
            return None if self.layers is None else set(self.layers)
        left, right = sides(self.model)
        column = divider_column(self.model.swipe.position, self.width())
        return right if self.to_pixel(x, y)[0] >= column else left

    def units_per_pixel(self) -> float:
        x0, _, x1, _ = self.view()
        return (x1 - x0) / max(self.width(), 1)

    # ---- navigation -------------------------------------------------------------------------
    def zoom_full(self) -> None:
        self.model.set_view(self.model.full_extent())

    def zoom_to_layer(self, name: str) -> bool:
        """Fit the view to a layer's features, clear of the map's furniture; False when it has none."""
        try:
            extent = self.model.layer_extent(name)
        except KeyError:
            return False
        ratio = self.devicePixelRatioF()
        size = (round(self.width() * ratio), round(self.height() * ratio))
        blocked = self._furniture(size) + self._other_side(name, size)
        self.model.set_view(fit_clear(self.model.at_least(extent), size, blocked))
        return True

    def _furniture(self, size: tuple[int, int]) -> list[Extent]:
        """The pixel boxes of the furniture (legend, scale bar, caption) of a frame of ``size``: the
        frame on screen's, drawn first when none is at that size yet (a click right after the
        window opened or was resized fitted the data under the legend)."""
        boxes = self.renderer.furniture_boxes(size)
        if not boxes and self.isVisible() and not self.settled:
            self.wait_settled()
            boxes = self.renderer.furniture_boxes(size)
        return boxes

    def _other_side(self, name: str, size: tuple[int, int]) -> list[Extent]:
        """With the swipe on, the side of the divider that does not show layer ``name`` (as a
        pixel box): a layer zoomed to was fitted there, out of sight (a new user). None when the
        side that shows it is under 30 % of the map (it is fitted over the whole map)."""
        swipe = self.model.swipe
        if not swipe.enabled or self.layers is not None:
            return []
        left, right = sides(self.model)
        if (name in left) == (name in right):
            return []
        w, h = size
        x = float(divider_column(swipe.position, w))
        hidden = (0.0, x) if name in right else (x, float(w))
        if w - (hidden[1] - hidden[0]) < 0.3 * w:
            return []
        return [(hidden[0], 0.0, hidden[1], float(h))]

    def centre_on(self, x: float, y: float) -> None:
        """Keep the scale, put (x, y) in the middle."""
        x0, y0, x1, y1 = self.view()
        w, h = x1 - x0, y1 - y0
        self.model.set_view((x - w / 2, y - h / 2, x + w / 2, y + h / 2))

    def zoom_at(self, px: float, py: float, factor: float) -> None:
        """Zoom by ``factor`` (>1 = closer) keeping the map point under (px, py) in place."""
        x0, y0, x1, y1 = self.view()
        mx, my = self.to_map(px, py)
        scale = 1.0 / factor
        if factor > 1 and self.model.ground_width((x0, y0, x1, y1)) * scale < MIN_SPAN:
            return
        self.model.set_view((mx - (mx - x0) * scale, my - (my - y0) * scale,
                             mx + (x1 - mx) * scale, my + (y1 - my) * scale))

    def pan_by(self, dx: float, dy: float) -> None:
        """Move the map content by (dx, dy) logical pixels."""
        upp = self.units_per_pixel()
        x0, y0, x1, y1 = self.view()
        self.model.set_view((x0 - dx * upp, y0 + dy * upp, x1 - dx * upp, y1 + dy * upp))

    # ---- painting ---------------------------------------------------------------------------
    def render_image(self) -> QImage | None:
        """Render the model now, on this thread (screenshots); the canvas then shows it."""
        self.wait_settled()
        return self._image

    def resizeEvent(self, event) -> None:  # noqa: N802 (Qt name)
        super().resizeEvent(event)
        self.refresh()  # the last image is shown scaled until the new size's frame is ready

    def showEvent(self, event) -> None:  # noqa: N802 (Qt name)
        super().showEvent(event)
        self.refresh()

    def paintEvent(self, _event) -> None:  # noqa: N802 (Qt name)
        self._show_kept_frame()  # a start's first paints, before its own frame (``launch_frames``)
        if self._image is not None and self._image_stale():
            self.refresh()
        painter = QPainter(self)
        try:
            self._paint_map(painter)
        finally:  # a painter left active by an error here took the process down (a segfault)
            painter.end()
        if self.showing_kept_frame:
            self.kept_frame_painted.emit()
        elif self._image is not None:
            self.painted_gen = self._image_gen
            self.painted.emit()
            self._painted_frame()

    def _paint_map(self, painter: QPainter) -> None:
        rect = self._image_rect() if self._image is not None else None
        if rect is None or not rect.contains(QRectF(self.rect())):
            painter.fillRect(self.rect(), PAPER)
        if rect is not None:
            exact = rect.topLeft() == rect.topLeft().toPoint()
            if exact and rect.size() == self._image.deviceIndependentSize():
                painter.drawImage(rect.topLeft(), self._image)  # unscaled: a copy, no resampling
            else:
                painter.drawImage(rect, self._image)
        if self.error:
            painter.setPen(QColor("#b00020"))
            painter.drawText(self.rect().adjusted(12, 12, -12, -12), Qt.AlignmentFlag.AlignTop, self.error)
        self._paint_overlay(painter)

    def _image_stale(self) -> bool:
        image = self._image
        return (image.width(), image.height()) != self.pixel_size() and not self._busy

    def _image_rect(self) -> QRectF:
        """Where the last image goes now: its view placed in the current view, plus a drag."""
        x0, y0, x1, y1 = self._image_view or self.view()
        left, top = self.to_pixel(x0, y1)
        right, bottom = self.to_pixel(x1, y0)
        return QRectF(left, top, right - left, bottom - top).translated(self._drag)

    def _paint_overlay(self, painter: QPainter) -> None:
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        if self.model.swipe.enabled and self.layers is None:  # side-by-side views have no divider
            self._paint_divider(painter)
        if self.overlay_path:
            self._paint_path(painter)
        if self.marker is not None:
            centre = QPointF(*self.to_pixel(*self.marker)) + self._drag
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.setPen(QPen(QColor("white"), 4))
            painter.drawEllipse(centre, 9, 9)
            painter.setPen(QPen(QColor("#d1495b"), 2))
            painter.drawEllipse(centre, 9, 9)

    def _paint_divider(self, painter: QPainter) -> None:
        x = self.model.swipe.position * self.width()
        segments = self._divider_segments(x)
        for pen in (QPen(QColor(255, 255, 255, 220), 4), QPen(QColor("#1f3b57"), 2)):
            painter.setPen(pen)
            for top, bottom in segments:
                painter.drawLine(QPointF(x, top), QPointF(x, bottom))
        handle = QRectF(x - 9, _handle_centre(segments, self.height() / 2) - 22, 18, 44)
        painter.setBrush(QColor("#1f3b57"))
        painter.drawRoundedRect(handle, 6, 6)
        painter.setPen(QPen(QColor("white"), 1.5))
        for dx in (-3, 3):
            painter.drawLine(QPointF(x + dx, handle.top() + 12), QPointF(x + dx, handle.bottom() - 12))
        self._paint_side_tags(painter, handle)

    def _paint_side_tags(self, painter: QPainter, handle: QRectF) -> None:
        """The compared groups' names either side of the handle ("1944 ◂", "▸ modern"): nothing on
        the map said which side shows which (a new user; the side-by-side window has titles)."""
        swipe = self.model.swipe
        metrics = painter.fontMetrics()
        for text, right in ((f"{swipe.left_group} ◂", False), (f"▸ {swipe.right_group}", True)):
            width, height = metrics.horizontalAdvance(text) + 12, metrics.height() + 6
            left = handle.right() + 4 if right else handle.left() - 4 - width
            box = QRectF(left, handle.center().y() - height / 2, width, height)
            painter.setPen(QPen(QColor("#1f3b57"), 1))
            painter.setBrush(QColor(255, 255, 255, 225))
            painter.drawRoundedRect(box, 4, 4)
            painter.drawText(box, Qt.AlignmentFlag.AlignCenter, text)

    def _divider_segments(self, x: float) -> list[tuple[float, float]]:
        """The stretches of column ``x`` the divider is drawn on: not across the furniture (legend,
        credits, caption) of the frame on screen, which the exported frame draws over it too."""
        spans, top = [], 0.0
        if self._image is not None:
            rect, w, h = self._image_rect(), self._image.width(), self._image.height()
            sx, sy = rect.width() / max(w, 1), rect.height() / max(h, 1)
            spans = sorted((rect.top() + y0 * sy, rect.top() + y1 * sy)
                           for x0, y0, x1, y1 in self.renderer.furniture_boxes((w, h))
                           if rect.left() + x0 * sx <= x <= rect.left() + x1 * sx)
        out = []
        for start, end in spans:
            if start > top:
                out.append((top, start))
            top = max(top, end)
        return [*out, (top, float(self.height()))] if top < self.height() else out

    def _paint_path(self, painter: QPainter) -> None:
        points = [QPointF(*self.to_pixel(x, y)) + self._drag for x, y in self.overlay_path]
        path = QPainterPath(points[0])
        for point in points[1:]:
            path.lineTo(point)
        if self.rubber_end is not None and self._press is None:
            path.lineTo(QPointF(*self.to_pixel(*self.rubber_end)))
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.setPen(QPen(QColor(255, 255, 255, 230), 5))
        painter.drawPath(path)
        painter.setPen(QPen(QColor("#d1495b"), 2.5, Qt.PenStyle.DashLine))
        painter.drawPath(path)
        painter.setPen(QPen(QColor("#d1495b"), 2))
        painter.setBrush(QColor("white"))
        for point in points:
            painter.drawEllipse(point, 4, 4)

    # ---- mouse ------------------------------------------------------------------------------
    def _near_divider(self, px: float) -> bool:
        return (self.model.swipe.enabled and self.layers is None
                and abs(px - self.model.swipe.position * self.width()) <= DIVIDER_GRAB)

    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        if event.button() == Qt.MouseButton.RightButton:
            self.right_clicked.emit()
        if event.button() != Qt.MouseButton.LeftButton:
            return super().mousePressEvent(event)
        self._swiping = self._near_divider(event.position().x())
        self._press = event.position()
        self._drag = QPointF(0, 0)
        self._dragging = False

    def mouseMoveEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        pos = event.position()
        self.cursor_moved.emit(*self.to_map(pos.x(), pos.y()))
        if self._press is None:
            cursor = Qt.CursorShape.SplitHCursor if self._near_divider(pos.x()) else self._tool_cursor()
            self.setCursor(QCursor(cursor))
            return
        if self._swiping:
            self.model.set_swipe(position=pos.x() / max(self.width(), 1))
            return
        if self._dragging or (pos - self._press).manhattanLength() > CLICK_SLOP:
            self._dragging = True
            self._drag = pos - self._press
            if not self._pan_timer.isActive():
                self._pan_timer.start()
            self.update()

    def _on_pan_timer(self) -> None:
        """Mid-drag: write the view so far to the model and render it (the drag goes on from here)."""
        if self._press is None or self._drag == QPointF(0, 0):
            return
        drag = self._drag
        self._press, self._drag = self._press + drag, QPointF(0, 0)
        self.pan_by(drag.x(), drag.y())

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        if event.button() != Qt.MouseButton.LeftButton or self._press is None:
            return super().mouseReleaseEvent(event)
        drag, self._press, self._drag = self._drag, None, QPointF(0, 0)
        self._pan_timer.stop()
        if self._swiping:
            self._swiping = False
        elif self._dragging:
            if drag != QPointF(0, 0):
                self.pan_by(drag.x(), drag.y())
        else:
            self.map_clicked.emit(*self.to_map(event.position().x(), event.position().y()))
        self._dragging = False
        self._kick()
        self.update()

    def wheelEvent(self, event: QWheelEvent) -> None:  # noqa: N802
        steps = event.angleDelta().y() / 120.0
        if steps:
            pos = event.position()
            self.zoom_at(pos.x(), pos.y(), 1.25 ** steps)

    def _tool_cursor(self) -> Qt.CursorShape:
        return {"identify": Qt.CursorShape.WhatsThisCursor,
                "measure": Qt.CursorShape.CrossCursor}.get(self.tool, Qt.CursorShape.OpenHandCursor)

    def set_tool(self, tool: str) -> None:
        self.tool = tool
        self.setCursor(QCursor(self._tool_cursor()))


def _handle_centre(segments: list[tuple[float, float]], middle: float, half: float = 22.0) -> float:
    """Where the divider's handle sits: at ``middle`` if the line is drawn there, else in the middle
    of the nearest stretch of line it fits in (not over the legend)."""
    fits = [(top, bottom) for top, bottom in segments if bottom - top >= 2 * half]
    if not fits or any(top + half <= middle <= bottom - half for top, bottom in fits):
        return middle
    top, bottom = min(fits, key=lambda s: min(abs(s[0] + half - middle), abs(s[1] - half - middle)))
    return min(max(middle, top + half), bottom - half)
