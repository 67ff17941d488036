"""Export the canvas as PNG or SVG."""
from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QRectF, QSize, Qt
from PySide6.QtGui import QImage, QPainter
from PySide6.QtSvg import QSvgGenerator

from gui import style


def _bounds(scene) -> QRectF:
    if hasattr(scene, "flush_routes"):
        scene.flush_routes()  # links waiting to be routed are drawn where they will be
    rect = QRectF()
    for item in scene.items():
        if item.parentItem() is None:
            rect = rect.united(item.sceneBoundingRect())
    return rect.adjusted(-30, -30, 30, 30) if not rect.isEmpty() else QRectF(0, 0, 400, 300)


def export_png(scene, path: str | Path, scale: float = 2.0) -> Path:
    """Render every item at ``scale`` into a PNG."""
    rect = _bounds(scene)
    image = QImage(int(rect.width() * scale), int(rect.height() * scale), QImage.Format_ARGB32)
    image.fill(style.CANVAS_BG)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.Antialiasing)
    scene.clearSelection()
    scene.render(painter, QRectF(image.rect()), rect, Qt.KeepAspectRatio)
    painter.end()
    if not image.save(str(path), "PNG"):
        raise OSError(f"could not write {path}")
    return Path(path)


def export_svg(scene, path: str | Path) -> Path:
    """Render every item into an SVG file."""
    rect = _bounds(scene)
    gen = QSvgGenerator()
    gen.setFileName(str(path))
    gen.setSize(QSize(int(rect.width()), int(rect.height())))
    gen.setViewBox(QRectF(0, 0, rect.width(), rect.height()))
    gen.setTitle("Sprout graph")
    painter = QPainter(gen)
    scene.clearSelection()
    scene.render(painter, QRectF(0, 0, rect.width(), rect.height()), rect)
    painter.end()
    return Path(path)
