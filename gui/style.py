"""Colours and number formatting shared by the views."""
from __future__ import annotations

from PySide6.QtGui import QColor

from blocks import categories

ERROR = QColor("#d32f2f")
OK_PORT = QColor("#2e7d32")
BAD_PORT = QColor("#d32f2f")
CANVAS_BG = QColor("#f4f5f7")
GRID = QColor("#e3e5e9")
LINK = QColor("#6b7280")
SELECTED = QColor("#1e88e5")


def category_color(category: str) -> QColor:
    """The header colour of a block category (grey for unknown ones); the table is ``blocks.categories``."""
    return QColor(categories.color(category))


def human(n: float) -> str:
    """1234 -> '1.2k', 3_400_000 -> '3.4M'."""
    n = float(n)
    for unit, size in (("G", 1e9), ("M", 1e6), ("k", 1e3)):
        if abs(n) >= size:
            return f"{n / size:.1f}{unit}"
    return f"{int(n)}"


def human_bytes(n: float) -> str:
    """Bytes as B / KB / MB (1 KB = 1024 B)."""
    n = float(n)
    if n >= 1024 * 1024:
        return f"{n / 1024 / 1024:.2f} MB"
    if n >= 1024:
        return f"{n / 1024:.1f} KB"
    return f"{int(n)} B"


def shape_text(shape) -> str:
    """(None, 8, 8, 1) -> '8×8×1'; a (high, low) pair -> 'H 8×8×4 | L 4×4×4'."""
    if shape is None:
        return "?"
    if shape and isinstance(shape[0], (tuple, list)):
        return " | ".join(f"{tag} {shape_text(s)}" for tag, s in zip(("H", "L"), shape) if s is not None)
    dims = [str(d) for d in shape[1:]]
    return "×".join(dims) if dims else "scalar"
