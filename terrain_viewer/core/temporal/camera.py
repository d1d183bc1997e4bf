"""Camera moves for exports: view keyframes (an extent at a time) with eased pan and zoom.

Between two keyframes the centre moves and the scale changes along an ease-in-out curve
(smoothstep), and the zoom is interpolated in log scale so that doubling and halving feel
equally fast (napari-animation and Google Earth studio do the same).
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Callable
from dataclasses import dataclass

Extent = tuple[float, float, float, float]


def ease_in_out(s: float) -> float:
    """Smoothstep: 0 → 0, 1 → 1, zero speed at both ends."""
    s = min(max(s, 0.0), 1.0)
    return s * s * (3.0 - 2.0 * s)


EASINGS: dict[str, Callable[[float], float]] = {
    "in-out": ease_in_out,  # starts and stops gently (the default)
    "linear": lambda s: min(max(s, 0.0), 1.0),  # constant speed, e.g. through a middle key
    "in": lambda s: min(max(s, 0.0), 1.0) ** 2,  # starts gently, arrives at full speed
    "out": lambda s: 1.0 - (1.0 - min(max(s, 0.0), 1.0)) ** 2,  # leaves at full speed, stops gently
}


@dataclass(frozen=True)
class ViewKey:
    """The map extent (map CRS) the camera shows at time ``t`` (float days, see timeline);
    ``ease`` shapes the move that arrives at this key (one of ``EASINGS``)."""

    t: float
    extent: Extent
    ease: str = "in-out"


class Camera:
    """A fixed view, or view keyframes the camera glides between."""

    def __init__(self, keys: list[ViewKey]):
        if not keys:
            raise ValueError("a camera needs at least one view")
        for key in keys:
            x0, y0, x1, y1 = key.extent
            if not (x1 > x0 and y1 > y0 and all(math.isfinite(v) for v in key.extent)):
                raise ValueError(f"bad camera extent {key.extent}")
            if key.ease not in EASINGS:
                raise ValueError(f"unknown ease {key.ease!r}: use one of {', '.join(EASINGS)}")
        self.keys = sorted(keys, key=lambda k: k.t)
        self._times = [k.t for k in self.keys]

    @classmethod
    def fixed(cls, extent: Extent) -> Camera:
        return cls([ViewKey(0.0, tuple(float(v) for v in extent))])

    def view_at(self, t: float) -> Extent:
        """The extent at ``t``: held before the first and after the last keyframe."""
        i = bisect.bisect_right(self._times, t)
        if i == 0:
            return self.keys[0].extent
        if i == len(self.keys):
            return self.keys[-1].extent
        a, b = self.keys[i - 1], self.keys[i]
        return interpolate(a.extent, b.extent, EASINGS[b.ease]((t - a.t) / (b.t - a.t)))


def interpolate(a: Extent, b: Extent, s: float) -> Extent:
    """The extent a fraction ``s`` of the way from ``a`` to ``b``: centre linear, size in log scale."""
    (ax, ay, aw, ah), (bx, by, bw, bh) = _centre_size(a), _centre_size(b)
    x, y = ax + (bx - ax) * s, ay + (by - ay) * s
    w = math.exp(math.log(aw) + (math.log(bw) - math.log(aw)) * s)
    h = math.exp(math.log(ah) + (math.log(bh) - math.log(ah)) * s)
    return (x - w / 2, y - h / 2, x + w / 2, y + h / 2)


def _centre_size(e: Extent) -> tuple[float, float, float, float]:
    x0, y0, x1, y1 = e
    return (x0 + x1) / 2, (y0 + y1) / 2, x1 - x0, y1 - y0
