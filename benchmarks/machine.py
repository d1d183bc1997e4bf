"""The machine a table was measured on, and whether it was quiet enough to trust."""

from __future__ import annotations

import os
import platform

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
