"""A picture of a PBA schedule: each operation's probability and magnitude over the epochs.

Two heat maps side by side, one row per operation (the 15 of :mod:`blocks.rules.pba`),
one column per epoch: left, the chance the operation is drawn (its two copies'
probabilities added, 0..20 tenths, shown as 0..100%); right, its magnitude (the two
copies' mean, 0..9). Darker is more. Drawn with Pillow (the engine does not import Qt);
the studio shows the same PNG.
"""
from __future__ import annotations

from pathlib import Path

from blocks.rules.pba import OP_NAMES
from engine.experiments.pba_policy import policy_table

CELL_H = 22
LABEL_W = 110
PANEL_W = 330
TOP = 44
BOTTOM = 40
GAP = 36


def op_values(policy: list[int]) -> list[tuple[float, float]]:
    """Per operation: (probability 0..1 of its two copies together / 2, mean magnitude 0..9)."""
    half = len(policy) // 2
    out = []
    for k in range(len(OP_NAMES)):
        p = policy[2 * k] + policy[half + 2 * k]
        m = (policy[2 * k + 1] + policy[half + 2 * k + 1]) / 2
        out.append((p / 20.0, m))
    return out


def _shade(fraction: float, hue: tuple[int, int, int]) -> tuple[int, int, int]:
    f = max(0.0, min(1.0, fraction))
    return tuple(int(round(255 - f * (255 - c))) for c in hue)


def draw_schedule(keyframes: list[dict], epochs: int, path: str | Path, title: str = "PBA schedule") -> Path:
    """Write the PNG to ``path`` (through the atomic writer) and return it."""
    from io import BytesIO

    from PIL import Image, ImageDraw, ImageFont

    from engine import atomic

    epochs = max(1, int(epochs))
    table = [op_values(p) for p in policy_table(keyframes, epochs)]
    rows = len(OP_NAMES)
    width = LABEL_W + 2 * PANEL_W + GAP + 20
    height = TOP + rows * CELL_H + BOTTOM
    img = Image.new("RGB", (width, height), "white")
    d = ImageDraw.Draw(img)
    font = ImageFont.load_default(size=13)
    small = ImageFont.load_default(size=11)
    d.text((LABEL_W, 6), title, fill="black", font=font)
    col_w = PANEL_W / epochs
    panels = (("chance drawn (0-100%)", 0, 1.0, (31, 119, 180)), ("magnitude (0-9)", 1, 9.0, (214, 39, 40)))
    for n, (name, which, scale, hue) in enumerate(panels):
        x0 = LABEL_W + n * (PANEL_W + GAP)
        d.text((x0, 24), name, fill="black", font=small)
        for r in range(rows):
            y = TOP + r * CELL_H
            for e in range(epochs):
                value = table[e][r][which] / scale
                d.rectangle([x0 + e * col_w, y, x0 + (e + 1) * col_w - 1, y + CELL_H - 2],
                            fill=_shade(value, hue))
        d.rectangle([x0, TOP, x0 + PANEL_W, TOP + rows * CELL_H - 2], outline=(120, 120, 120))
        step = max(1, epochs // 8)
        for e in range(0, epochs, step):
            d.text((x0 + e * col_w + 2, TOP + rows * CELL_H + 2), str(e), fill="black", font=small)
        d.text((x0 + PANEL_W - 40, TOP + rows * CELL_H + 18), "epoch", fill="black", font=small)
    for r, op in enumerate(OP_NAMES):
        d.text((6, TOP + r * CELL_H + 4), op, fill="black", font=small)
    buf = BytesIO()
    img.save(buf, format="PNG")
    atomic.write_bytes(Path(path), buf.getvalue())
    return Path(path)
