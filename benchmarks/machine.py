"""The machine a table was measured on, and whether it was quiet enough to trust."""

from __future__ import annotations

import os
import platform
import statistics
import time

BUSY = 0.5  # a 1-minute load above this × cores before a run: the figures are not to be trusted


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def load() -> tuple[float, float, float]:
    try:
        return os.getloadavg()
    except OSError:
        return (float("nan"),) * 3


def describe() -> dict:
    """Cores, CPU model, RAM, OS and Python."""
    try:
        ram = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    except (ValueError, OSError):
        ram = float("nan")
    return {"cores": os.cpu_count(), "cpu": cpu_model(), "ram_gib": round(ram, 1),
            "os": platform.platform(terse=True), "python": platform.python_version(), "node": platform.node()}


def gauge(rounds: int = 7) -> dict[str, float]:
    """Medians (ms) of three fixed workloads: the interpreter, matplotlib's Agg at 1080p and an
    8 MB copy. A shared or throttled host can be slower with no load in this machine's average:
    figures of two runs are comparable when their gauges are (docs/performance.md)."""
    import numpy as np
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    rng = np.random.default_rng(0)
    fig = Figure(figsize=(19.2, 10.8), dpi=100)
    canvas = FigureCanvasAgg(fig)
    ax = fig.add_axes((0, 0, 1, 1))
    for k in range(20):
        ax.plot(np.sort(rng.random(40)), rng.random(40), lw=1.5)
        ax.text(rng.random(), rng.random(), f"Label {k}", fontsize=10)
    frame = np.zeros((1080, 1920, 4), np.uint8)
    work = {"python": _python_work, "agg": canvas.draw, "copy": frame.copy}
    return {name: _median_ms(func, rounds) for name, func in work.items()}


def python_gauge(rounds: int = 5) -> float:
    """The gauge's Python workload alone (ms, ~0.1 s in all): taken before every case of a run,
    so that each row says how fast the machine was just then."""
    return _median_ms(_python_work, rounds)


def _python_work() -> None:
    boxes = {}
    for i in range(60_000):
        boxes.setdefault(i % 97, []).append((i * 0.5, float(i), str(i)))


def _median_ms(func, rounds: int) -> float:
    times = []
    for _ in range(rounds):
        t0 = time.perf_counter()
        func()
        times.append((time.perf_counter() - t0) * 1e3)
    return statistics.median(times)


def gauge_text(g: dict[str, float]) -> str:
    return (f"speed gauge: Python {g['python']:.1f} ms, Agg 1080p {g['agg']:.1f} ms, "
            f"8 MB copy {g['copy']:.2f} ms")


def too_busy(before: tuple[float, float, float], cores: int | None = None) -> bool:
    return before[0] > BUSY * (cores or os.cpu_count() or 1)


def header(info: dict, before: tuple, after: tuple | None = None) -> str:
    """One line for a table: the machine and the load before (and after) the run."""
    text = (f"{info['cores']} cores ({info['cpu']}), {info['ram_gib']} GiB RAM, {info['os']}, "
            f"Python {info['python']}; load average before {before[0]:.2f} {before[1]:.2f} {before[2]:.2f}")
    if after is not None:
        text += f", after {after[0]:.2f} {after[1]:.2f} {after[2]:.2f}"
    if too_busy(before, info["cores"]):
        text += (f" — BUSY: 1-minute load above {BUSY} × cores before the run; "
                 "these figures are not to be trusted")
    return text
