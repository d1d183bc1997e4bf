"""The installed program on a real X server (Xvfb) driven by real X input (xdotool): the window
opens, a click on the map then → steps a day, a layer's check box found on a screenshot is clicked
once and then 100 times, and File ▸ Save project as (Ctrl+Shift+S, a typed path) saves what the
check boxes show; a layer row dragged with the mouse (a real QDrag, which offscreen Qt cannot run)
reorders the layers. Screenshots are read from the X server by a separate process (Qt's xcb grab of
the root window), so nothing here asks the program itself.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

pytestmark = pytest.mark.skipif(not (shutil.which("Xvfb") and shutil.which("xdotool")),
                                reason="needs Xvfb and xdotool (.ci/install installs both)")

SHOOTER = """
import sys
from PyQt6.QtGui import QGuiApplication
app = QGuiApplication(["screenshot"])
for line in sys.stdin:  # one path a line: grab the X root window into it, answer ok or failed
    image = app.primaryScreen().grabWindow(0)
    print("ok" if image.save(line.strip()) else "failed", flush=True)
"""


class Desktop:
    """An Xvfb server, the program running on it, and real input and screenshots."""

    def __init__(self, folder: Path):
        self.folder = folder
        try:
            self._start()
        except BaseException:
            self.close()
            raise

    def _start(self) -> None:
        folder = self.folder
        for attempt in range(3):  # a server that dies while it starts (seen 2 in ~20 runs, two
            if self._server(attempt):  # test processes starting theirs at once) is started again
                break
        else:
            raise AssertionError(f"Xvfb did not start:\n{self.server_said()}")
        self.env = {**os.environ, "DISPLAY": self.display, "QT_QPA_PLATFORM": "xcb",
                    "XDG_CONFIG_HOME": str(folder / "config"), "TERRAIN_VIEWER_LOG_DIR": str(folder / "logs"),
                    "TERRAIN_VIEWER_OFFLINE": "1"}
        command = [shutil.which("terrain-viewer")] if shutil.which("terrain-viewer") else \
            [sys.executable, "-m", "terrain_viewer.cli"]
        self.output = folder / "output.txt"
        with open(self.output, "wb") as out:
            self.app = subprocess.Popen(command, env=self.env, stdout=out, stderr=subprocess.STDOUT,
                                        cwd=folder)
        self.window = self.wait_for_window("terrain_viewer", timeout=90)
        geometry = dict(line.split("=") for line in self.xdo("getwindowgeometry", "--shell", self.window)
                        .split())
        self.x, self.y = int(geometry["X"]), int(geometry["Y"])
        self.width, self.height = int(geometry["WIDTH"]), int(geometry["HEIGHT"])
        self.xdo("windowfocus", "--sync", self.window)
        # one screenshot process for the whole session (starting Qt for every shot costs ~1 s)
        self.shooter = subprocess.Popen([sys.executable, "-c", SHOOTER], env=self.env, text=True,
                                        stdin=subprocess.PIPE, stdout=subprocess.PIPE)

    def _server(self, attempt: int) -> bool:
        """Start Xvfb on a display it picks; True once that display answers an X client."""
        self.close()
        read, write = os.pipe()  # Xvfb picks a free display itself and writes its number here
        server = ["Xvfb", "-displayfd", str(write), "-screen", "0", "1600x1000x24", "-nolisten", "tcp",
                  "-noreset"]  # no reset when the probe's client leaves: the program connecting
        #                      then was refused ("could not connect to display :0", once in a fresh clone)
        with open(self.folder / f"xvfb-{attempt}.log", "wb") as log:
            self.xvfb = subprocess.Popen(server, stdout=subprocess.DEVNULL, stderr=log, pass_fds=(write,))
        os.close(write)
        with os.fdopen(read) as answer:
            number = answer.readline().strip()
        if not number.isdigit():
            return False
        self.display = f":{number}"
        deadline = time.monotonic() + 15
        while self.xvfb.poll() is None and time.monotonic() < deadline:
            probe = subprocess.run(["xdotool", "getdisplaygeometry"], capture_output=True, timeout=10,
                                   env={**os.environ, "DISPLAY": self.display})
            if probe.returncode == 0:
                return self._owns_display(number)
            time.sleep(0.1)
        return False

    def _owns_display(self, number: str) -> bool:
        """Whether the server answering the display is this one (its lock names this server's pid):
        another Xvfb starting at once may hold the display, ours then failing "server already
        running" (seen once: the program then found no display)."""
        try:
            holder = int(Path(f"/tmp/.X{number}-lock").read_text().strip())
        except (OSError, ValueError):
            return True  # no lock file to tell (another system): the answer is taken
        return holder == self.xvfb.pid and self.xvfb.poll() is None

    def server_said(self) -> str:
        """What the Xvfb servers started wrote (for a failure message)."""
        return "\n".join(f"{p.name}: {p.read_text(errors='replace')[-800:]}"
                         for p in sorted(self.folder.glob("xvfb-*.log")))

    def xdo(self, *args: str, timeout: float = 30) -> str:
        return subprocess.run(["xdotool", *args], env=self.env, capture_output=True, text=True, check=True,
                              timeout=timeout).stdout

    def wait_for_window(self, name: str, timeout: float) -> str:
        """The X id of the program's visible window named ``name``; fails at once if the program ends."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.alive(), (f"the program ended before its window showed:\n{self.said()}\n"
                                  f"Xvfb {'running' if self.xvfb.poll() is None else 'ended'}:\n"
                                  f"{self.server_said()}")
            found = subprocess.run(["xdotool", "search", "--onlyvisible", "--name", name], env=self.env,
                                   capture_output=True, text=True).stdout.split()
            if found:
                return found[0]
            time.sleep(0.2)
        raise AssertionError(f"no window named {name!r} after {timeout:.0f} s:\n{self.said()}")

    def alive(self) -> bool:
        return self.app.poll() is None

    def said(self) -> str:
        """The program's last output (for a failure message)."""
        return self.output.read_text(errors="replace")[-3000:]

    def screenshot(self) -> np.ndarray:
        from PIL import Image

        path = self.folder / "screen.png"
        self.shooter.stdin.write(f"{path}\n")
        self.shooter.stdin.flush()
        assert self.shooter.stdout.readline().strip() == "ok", "the X screenshot failed"
        with Image.open(path) as image:
            return np.asarray(image.convert("RGB")).astype(np.int16)

    def settled(self, timeout: float = 60, unlike: np.ndarray | None = None) -> np.ndarray:
        """A screenshot once the map is drawn (not blank paper) and two in a row, a little apart, are
        the same; with ``unlike``, only once the map differs from that screenshot's (a busy machine
        renders late)."""
        deadline = time.monotonic() + timeout
        last = self.screenshot()
        while time.monotonic() < deadline and (self.blank(last) or (
                unlike is not None and np.array_equal(self.map_area(last), self.map_area(unlike)))):
            time.sleep(0.1)  # a blank map has not rendered yet (a busy machine's first frame is late)
            last = self.screenshot()
        while time.monotonic() < deadline:
            time.sleep(0.3)
            now = self.screenshot()
            if np.array_equal(now, last):
                return now
            last = now
        return last

    def blank(self, pixels: np.ndarray) -> bool:
        """Whether the map area is one flat colour (paper before the first frame): each channel
        varies by less than 5 levels (the std of all values mixed would count the paper's own
        R, G and B as variation)."""
        return bool(self.map_area(pixels).std(axis=(0, 1)).max() < 5)

    def map_area(self, pixels: np.ndarray) -> np.ndarray:
        """The middle of the window: the map canvas (docks left and right, the date bar below)."""
        x0, y0 = self.x + int(self.width * 0.3), self.y + int(self.height * 0.15)
        return pixels[y0:self.y + int(self.height * 0.7), x0:self.x + int(self.width * 0.65)]

    def click(self, x: int, y: int) -> None:
        # no --sync: it waits for the pointer to move, and a second click on the same spot never moves it
        self.xdo("mousemove", str(x), str(y), "sleep", "0.05", "click", "1")

    def close(self) -> None:
        """End the screenshot process, the program and Xvfb (also after a failed start)."""
        shooter = getattr(self, "shooter", None)
        if shooter is not None:
            shooter.stdin.close()
        for process in (shooter, getattr(self, "app", None), getattr(self, "xvfb", None)):
            if process is not None and process.poll() is None:
                process.send_signal(signal.SIGTERM)
                try:
                    process.wait(10)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait(10)


@pytest.fixture(scope="module")
def desktop(tmp_path_factory):
    desk = Desktop(tmp_path_factory.mktemp("xvfb"))
    yield desk
    desk.close()


def check_boxes(pixels: np.ndarray, x_max: int, y_min: int, y_max: int) -> list[tuple[int, int, int]]:
    """The layer check boxes on a screenshot: squares of 12–16 px outlined in non-light pixels, in one
    column; returns (centre x, centre y, size) top to bottom."""
    dark = pixels[..., :3].max(axis=2) <= 215
    found = []
    for y in range(y_min, y_max):
        row = np.concatenate([[False], dark[y, 1:x_max], [False]]).astype(np.int8)
        edges = np.flatnonzero(np.diff(row))  # runs of dark pixels: [start, end) pairs
        for x, end in zip(edges[0::2] + 1, edges[1::2] + 1, strict=True):
            if not 10 <= end - x <= 16:
                continue
            for size in range(end - x - 1, end - x + 3):
                bottom = y + size - 1
                sides = (dark[y + 1:bottom, x - 1:x + 1].any(axis=1).mean(),
                         dark[y + 1:bottom, end - 1:end + 1].any(axis=1).mean())
                if dark[bottom, x:end].mean() > 0.8 and min(sides) > 0.8:
                    found.append((int(x + (end - x) // 2), int(y + size // 2), size))
                    break
    column = max({f[0] for f in found}, key=lambda cx: sum(f[0] == cx for f in found)) if found else None
    return [f for f in found if f[0] == column]


def ticked(pixels: np.ndarray, box: tuple[int, int, int]) -> bool:
    """A check mark inside the box: dark pixels in its interior."""
    cx, cy, size = box
    inner = pixels[cy - size // 2 + 2:cy + size // 2 - 1, cx - size // 2 + 2:cx + size // 2 - 1, :3]
    return int((inner.max(axis=2) < 100).sum()) > 5


def _boxes(desktop, pixels) -> list[tuple[int, int, int]]:
    left_dock = desktop.x + int(desktop.width * 0.3)
    boxes = check_boxes(pixels, left_dock, desktop.y + 40, desktop.y + int(desktop.height * 0.8))
    assert len(boxes) >= 10, f"found {len(boxes)} check boxes in the left dock"
    steps = np.diff([b[1] for b in boxes])
    assert steps.min() == steps.max(), f"the boxes are not in evenly spaced rows: {steps}"
    return boxes


def save_project(desktop, project: Path) -> dict:
    """File ▸ Save project as… by its keys, the path typed into the file dialog; the saved document."""
    desktop.xdo("windowfocus", "--sync", desktop.window)  # no window manager: a closed dialog took the focus
    desktop.xdo("key", "ctrl+shift+s")
    dialog = desktop.xdo("search", "--sync", "--onlyvisible", "--name", "Save project", timeout=30).split()[0]
    desktop.xdo("windowfocus", "--sync", dialog)  # the keys go to the dialog's name field, even on a
    time.sleep(0.3)  #                               busy machine where it shows late (the suite's load)
    desktop.xdo("type", "--delay", "5", str(project))
    desktop.xdo("key", "Return")
    deadline = time.monotonic() + 60
    while not project.is_file() and time.monotonic() < deadline:
        time.sleep(0.1)
    return json.loads(project.read_text(encoding="utf-8"))


def test_the_window_opens_and_right_steps_a_day_on_the_map(desktop):
    before = desktop.settled()
    assert not desktop.blank(before), "the map is blank"
    centre = (desktop.x + desktop.width // 2, desktop.y + desktop.height // 2)
    desktop.click(*centre)  # the user clicks the map (the pan tool: a click does nothing else) …
    desktop.xdo("key", "Right")  # … and presses →
    after = desktop.settled(unlike=before)
    changed = (np.abs(desktop.map_area(after) - desktop.map_area(before)).max(axis=2) > 30).mean()
    assert changed > 0.005, f"the map did not change after → ({changed:.4f} of its pixels)"
    assert desktop.alive(), desktop.said()


def test_a_click_on_a_layer_check_box_hides_the_layer_and_a_second_shows_it(desktop):
    before = desktop.settled()
    boxes = _boxes(desktop, before)
    first = boxes[0]
    assert ticked(before, first)
    desktop.click(first[0], first[1])
    hidden = desktop.settled(unlike=before)
    assert not ticked(hidden, first), "the click did not clear the check box"
    assert np.any(desktop.map_area(hidden) != desktop.map_area(before)), "the map did not change"
    desktop.click(first[0], first[1])
    shown = desktop.settled(unlike=hidden)
    assert ticked(shown, first) and desktop.alive(), desktop.said()
    assert np.array_equal(desktop.map_area(shown), desktop.map_area(before))


def test_a_hundred_real_check_box_clicks_then_the_saved_project_matches_the_boxes(desktop):
    start = desktop.settled()
    boxes = _boxes(desktop, start)
    expected = [ticked(start, b) for b in boxes]
    rng = random.Random(1944)
    chain: list[str] = []
    previous = None
    for _ in range(100):  # never the same row twice in a row: that would be a double click
        index = rng.choice([i for i in range(len(boxes)) if i != previous])
        previous = index
        expected[index] = not expected[index]
        chain += ["mousemove", str(boxes[index][0]), str(boxes[index][1]), "click", "1", "sleep", "0.02"]
    desktop.xdo(*chain, timeout=120)
    end = desktop.settled()
    assert desktop.alive(), desktop.said()
    assert [ticked(end, b) for b in boxes] == expected
    saved = save_project(desktop, desktop.folder / "after clicks.tvproj")
    top_down = [layer["visible"] for layer in reversed(saved["layers"])]  # the list shows the top layer first
    assert top_down[:len(boxes)] == expected
    logs = desktop.folder / "logs"
    assert not (logs / "crash.log").exists() or (logs / "crash.log").read_text() == ""
    assert "uncaught exception" not in "".join(p.read_text(errors="replace") for p in logs.glob("*.log"))


def test_a_layer_row_dragged_with_the_mouse_onto_another_is_drawn_just_above_it(desktop):
    """A real drag (QDrag's loop on X): press on a row's name, move, release on another row's top half."""
    boxes = _boxes(desktop, desktop.settled())
    before = [layer["name"] for layer in reversed(save_project(desktop, desktop.folder / "before.tvproj")
                                                  ["layers"])]
    source, target = boxes[0], boxes[4]
    x = source[0] + 50  # on the row's name, right of the box and the colour swatch
    top_half = target[1] - 4
    chain = ["mousemove", str(x), str(source[1]), "mousedown", "1", "sleep", "0.2"]
    for y in np.linspace(source[1] + 6, top_half, 8).round().astype(int):
        chain += ["mousemove", str(x), str(y), "sleep", "0.05"]
    desktop.xdo(*chain, "sleep", "0.3", "mouseup", "1", timeout=60)
    desktop.settled()
    after = [layer["name"] for layer in reversed(save_project(desktop, desktop.folder / "after.tvproj")
                                                 ["layers"])]
    dragged, onto = before[0], before[4]
    assert sorted(after) == sorted(before)
    assert after.index(dragged) == after.index(onto) - 1, (before, after)  # listed just above it
    assert desktop.alive(), desktop.said()
