"""Guards the pinned Qt binding against a reference-count bug that crashes long sessions."""
from __future__ import annotations

import sys

from PySide6.QtWidgets import QGraphicsRectItem, QGraphicsScene


def test_void_calls_keep_none_alive(qapp):
    """PySide6 6.12.0 on Python 3.11 drops a reference to None on every void call; after
    a few thousand edits the app aborts with "deallocating None". Our pin must not."""
    scene = QGraphicsScene()
    item = QGraphicsRectItem(0, 0, 5, 5)
    scene.addItem(item)
    before = sys.getrefcount(None)
    for i in range(2000):
        item.setPos(i, i)
        item.setToolTip("tip")
    assert sys.getrefcount(None) >= before - 50
