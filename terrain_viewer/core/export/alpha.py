"""Frames for compositing: a transparent background recovered from two renders (on black and on
white), and mixing in linear light (a crossfade without a grey dip).

Every drawing operation of the renderer is an "over" of something on the paper, so a pixel drawn
on black is ``a·c`` and on white ``a·c + (1 − a)``: their difference gives the coverage ``a`` and
the black render divided by it the colour ``c`` (straight alpha, as PNG and ProRes 4444 want it).
"""

from __future__ import annotations

import numpy as np

BLACK, WHITE = "#000000", "#ffffff"


def paper_renderers(model, transparent: bool) -> list:
    """One renderer on the paper; for a transparent background one on black and one on white,
    whose two frames ``matte`` makes one."""
    from terrain_viewer.core.render.renderer import MapRenderer

    renderers = [MapRenderer(model) for _ in range(2 if transparent else 1)]
    for renderer, paper in zip(renderers, (BLACK, WHITE) if transparent else (), strict=False):
        renderer.paper = paper
    return renderers


def matte(on_black: np.ndarray, on_white: np.ndarray) -> np.ndarray:
    """The RGBA frame (straight alpha) whose composite over black and over white gives these two."""
    b = on_black[..., :3].astype(np.float32)
    w = on_white[..., :3].astype(np.float32)
    alpha = np.clip(1.0 - (w - b).mean(axis=-1) / 255.0, 0.0, 1.0)
    safe = np.where(alpha > 0, alpha, 1.0)[..., None]
    rgb = np.clip(b / safe, 0, 255)
    out = np.empty(on_black.shape[:2] + (4,), np.uint8)
    out[..., :3] = np.rint(rgb).astype(np.uint8)
    out[..., 3] = np.rint(alpha * 255).astype(np.uint8)
    out[alpha == 0, :3] = 0
    return out


def to_linear(srgb: np.ndarray) -> np.ndarray:
    """sRGB values 0..255 to linear light 0..1."""
    c = np.asarray(srgb, np.float32) / 255.0
    return np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)


def to_srgb(linear: np.ndarray) -> np.ndarray:
    """Linear light 0..1 to sRGB values 0..255 (uint8)."""
    c = np.clip(linear, 0.0, 1.0)
    s = np.where(c <= 0.0031308, c * 12.92, 1.055 * np.power(c, 1 / 2.4) - 0.055)
    return np.rint(s * 255.0).astype(np.uint8)


def mix_linear(a: np.ndarray, b: np.ndarray, s: float) -> np.ndarray:
    """RGBA frames ``a`` → ``b`` a fraction ``s`` of the way, colours mixed in linear light
    (premultiplied by their alpha), so a crossfade never passes through a muddy grey."""
    aa = a[..., 3:4].astype(np.float32) / 255.0
    ba = b[..., 3:4].astype(np.float32) / 255.0
    alpha = aa * (1 - s) + ba * s
    premultiplied = to_linear(a[..., :3]) * aa * (1 - s) + to_linear(b[..., :3]) * ba * s
    rgb = premultiplied / np.where(alpha > 0, alpha, 1.0)
    out = np.empty(a.shape, np.uint8)
    out[..., :3] = to_srgb(rgb)
    out[..., 3] = np.rint(alpha[..., 0] * 255).astype(np.uint8)
    return out
