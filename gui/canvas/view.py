"""The canvas view: zoom, pan, grid, and drops from the palette."""
from __future__ import annotations

import math

from PySide6.QtCore import QPoint, QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QPainter, QPen, QTransform
from PySide6.QtWidgets import QGraphicsView

from blocks.registry import UnknownBlockError
from engine.model.layout import columns_for_width
from gui import style
from gui.canvas import routing
from gui.canvas.items import TITLE_PT, NodeItem

BLOCK_MIME = "application/x-sprout-block"
MIN_ZOOM, MAX_ZOOM = 0.15, 3.0
MIN_TITLE_PX = 8.0   # Fit to View never shrinks a node title below this (point size x zoom)
FIT_MARGIN = 20.0    # scene units kept around the graph by Fit to View


class GraphView(QGraphicsView):
    """Shows a GraphScene; emits ``block_dropped(block_id, scene_pos)`` for palette drops."""

    block_dropped = Signal(str, QPointF)
    node_menu_requested = Signal(str, QPoint)  # a right-click on a node: its uid, the global position

    def __init__(self, scene, parent=None):
        super().__init__(scene, parent)
        self.setRenderHints(QPainter.Antialiasing | QPainter.TextAntialiasing)
        self.setDragMode(QGraphicsView.RubberBandDrag)
        self.setTransformationAnchor(QGraphicsView.AnchorUnderMouse)
        self.setViewportUpdateMode(QGraphicsView.SmartViewportUpdate)
        self.setAcceptDrops(True)
        self.setBackgroundBrush(style.CANVAS_BG)
        self._panning: QPointF | None = None

    # -- zoom and pan -------------------------------------------------------------------
    def zoom(self) -> float:
        return self.transform().m11()

    def zoom_by(self, factor: float) -> None:
        target = min(MAX_ZOOM, max(MIN_ZOOM, self.zoom() * factor))
        self.scale(target / self.zoom(), target / self.zoom())

    def wheelEvent(self, event):
        steps = event.angleDelta().y() / 120.0
        if steps:
            self.zoom_by(math.pow(1.15, steps))
        event.accept()

    def readable_zoom(self) -> float:
        """The least zoom at which node titles stay readable: Fit to View goes no lower."""
        return MIN_TITLE_PX / TITLE_PT

    def arrange_columns(self) -> int:
        """How many layers Arrange puts side by side: as many as fit across at a readable zoom."""
        across = self.viewport().width() / self.readable_zoom() - 2 * (FIT_MARGIN + routing.STUB)
        return columns_for_width(across)

    def graph_rect(self) -> QRectF:
        """Scene rectangle of every visible node, group and link (labels included)."""
        scene = self.scene()
        scene.flush_routes()
        rect = QRectF()
        for item in list(scene.nodes.values()) + list(scene.group_items.values()) + list(scene.links.values()):
            if item.isVisible():
                rect = rect.united(item.sceneBoundingRect())
        return rect

    def fit_all(self) -> None:
        """Zoom and scroll to show the whole graph, at most 100% and never below a readable zoom.

        When the graph does not fit at the readable zoom, the view scrolls to its start (the
        top left, where a left-to-right graph begins) instead of shrinking it further.
        """
        scene = self.scene()
        rect = self.graph_rect()
        if rect.isEmpty():
            return
        scene.grow_to_items()
        rect = rect.adjusted(-FIT_MARGIN, -FIT_MARGIN, FIT_MARGIN, FIT_MARGIN)
        vp = self.viewport().rect()
        fit = min(vp.width() / rect.width(), vp.height() / rect.height())
        zoom = max(self.readable_zoom(), min(1.0, fit))
        self.setTransform(QTransform.fromScale(zoom, zoom))
        seen_w, seen_h = vp.width() / zoom, vp.height() / zoom
        cx = rect.center().x() if rect.width() <= seen_w else rect.left() + seen_w / 2
        cy = rect.center().y() if rect.height() <= seen_h else rect.top() + seen_h / 2
        self.centerOn(QPointF(cx, cy))

    def mousePressEvent(self, event):
        if event.button() == Qt.MiddleButton:
            self._panning = event.position()
            self.setCursor(Qt.ClosedHandCursor)
            event.accept()
            return
        super().mousePressEvent(event)

    def mouseMoveEvent(self, event):
        if self._panning is not None:
            delta = event.position() - self._panning
            self._panning = event.position()
            self.horizontalScrollBar().setValue(self.horizontalScrollBar().value() - int(delta.x()))
            self.verticalScrollBar().setValue(self.verticalScrollBar().value() - int(delta.y()))
            event.accept()
            return
        super().mouseMoveEvent(event)

    def mouseReleaseEvent(self, event):
        if self._panning is not None and event.button() == Qt.MiddleButton:
            self._panning = None
            self.unsetCursor()
            event.accept()
            return
        super().mouseReleaseEvent(event)

    def contextMenuEvent(self, event):
        item = self.itemAt(event.pos())
        while item is not None and not isinstance(item, NodeItem):
            item = item.parentItem()
        if item is None:
            super().contextMenuEvent(event)
            return
        if not item.isSelected():
            self.scene().clearSelection()
            item.setSelected(True)
        self.node_menu_requested.emit(item.uid, event.globalPos())
        event.accept()

    def drawBackground(self, painter: QPainter, rect: QRectF):
        super().drawBackground(painter, rect)
        if self.zoom() < 0.4:
            return  # a dense grid only costs frame time when zoomed far out
        step = 20
        painter.setPen(QPen(style.GRID, 0))
        left = int(math.floor(rect.left() / step) * step)
        top = int(math.floor(rect.top() / step) * step)
        lines = [QPointF(x, rect.top()) for x in range(left, int(rect.right()) + step, step)]
        for p in lines:
            painter.drawLine(QPointF(p.x(), rect.top()), QPointF(p.x(), rect.bottom()))
        for y in range(top, int(rect.bottom()) + step, step):
            painter.drawLine(QPointF(rect.left(), y), QPointF(rect.right(), y))

    # -- drops from the palette ---------------------------------------------------------
    def _insertable(self, mime) -> bool:
        """Whether the dragged block has an input and an output (so it can go into a link)."""
        try:
            spec = self.scene().editor.doc.registry.get(bytes(mime.data(BLOCK_MIME)).decode("utf-8"))
        except (UnknownBlockError, UnicodeDecodeError):  # refused on drop, not here
            return False
        return bool(spec.inputs and spec.outputs)

    def _hover_link(self, event) -> None:
        """Highlight the link a block dropped here would be inserted into (within PICK_PX pixels)."""
        scene = self.scene()
        pos = self.mapToScene(event.position().toPoint())
        scene.set_hot_link(scene.link_at(pos) if self._insertable(event.mimeData()) else None)

    def dragEnterEvent(self, event):
        if event.mimeData().hasFormat(BLOCK_MIME):
            event.acceptProposedAction()
            self._hover_link(event)
        else:
            super().dragEnterEvent(event)

    def dragMoveEvent(self, event):
        if event.mimeData().hasFormat(BLOCK_MIME):
            event.acceptProposedAction()
            self._hover_link(event)
        else:
            super().dragMoveEvent(event)

    def dragLeaveEvent(self, event):
        self.scene().set_hot_link(None)
        super().dragLeaveEvent(event)

    def dropEvent(self, event):
        mime = event.mimeData()
        self.scene().set_hot_link(None)
        if mime.hasFormat(BLOCK_MIME):
            block = bytes(mime.data(BLOCK_MIME)).decode("utf-8")
            self.block_dropped.emit(block, self.mapToScene(event.position().toPoint()))
            event.acceptProposedAction()
        else:
            super().dropEvent(event)
