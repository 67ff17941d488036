"""Graphics items: nodes with their ports (links are in gui/canvas/links.py)."""
from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QFont, QPainter, QPainterPath, QPen
from PySide6.QtWidgets import QGraphicsItem

from engine.model.layout import HEADER_HEIGHT, NODE_WIDTH, PORT_GAP, box_height
from gui import style

NODE_W = NODE_WIDTH  # the layout's box sizes: Arrange leaves room for what is drawn here
HEADER_H = HEADER_HEIGHT
PORT_R = 6.0
TITLE_PT = 9.0  # a node's title; the canvas's Fit to View keeps it readable (view.MIN_TITLE_PX)
LOD_TEXT = 0.4  # below this zoom, nodes and links are drawn without text


class PortItem(QGraphicsItem):
    """A port circle on a node's left (inputs) or right (outputs) edge."""

    def __init__(self, node, name: str, is_output: bool, optional: bool = False, uid: str | None = None):
        super().__init__(node)
        self.node, self.name, self.is_output, self.optional = node, name, is_output, optional
        self._uid = uid  # a group's proxy port stands for a member's port
        self.highlight: QColor | None = None
        self.setAcceptHoverEvents(True)
        self.setToolTip(f"{'output' if is_output else 'input'} '{name}'" + (" (optional)" if optional else ""))

    @property
    def uid(self) -> str:
        return self._uid or self.node.uid

    def boundingRect(self) -> QRectF:
        r = PORT_R + 3
        return QRectF(-r, -r, 2 * r, 2 * r)

    def paint(self, painter: QPainter, option, widget=None):
        painter.setRenderHint(QPainter.Antialiasing)
        color = self.highlight or (QColor("#ffffff"))
        painter.setBrush(QBrush(color))
        painter.setPen(QPen(QColor("#374151") if not self.highlight else self.highlight.darker(130), 1.5))
        painter.drawEllipse(QPointF(0, 0), PORT_R, PORT_R)

    def scene_center(self) -> QPointF:
        return self.mapToScene(QPointF(0, 0))

    def set_highlight(self, color: QColor | None) -> None:
        self.highlight = color
        self.update()


class NodeItem(QGraphicsItem):
    """One block: coloured header with its title, then shape, parameters and MACs."""

    def __init__(self, uid: str, spec, title: str):
        super().__init__()
        self.uid, self.spec, self.title = uid, spec, title
        self.shape_line = ""
        self.cost_line = ""
        self.errors: list[str] = []
        self.color = style.category_color(spec.category)
        self.height = box_height(spec)
        self.setFlags(QGraphicsItem.ItemIsMovable | QGraphicsItem.ItemIsSelectable
                      | QGraphicsItem.ItemSendsGeometryChanges)
        self.setZValue(1)
        self.inputs = {p.name: PortItem(self, p.name, False, p.optional) for p in spec.inputs}
        self.outputs = {p.name: PortItem(self, p.name, True) for p in spec.outputs}
        self._place_ports()
        self.links: list = []  # LinkItems ending here
        self._refresh_tooltip()

    def _place_ports(self):
        for ports, x in ((self.inputs, 0.0), (self.outputs, NODE_W)):
            n = len(ports)
            top = HEADER_H + (self.height - HEADER_H - (n - 1) * PORT_GAP) / 2
            for i, port in enumerate(ports.values()):
                port.setPos(x, top + i * PORT_GAP)

    def boundingRect(self) -> QRectF:
        return QRectF(-2, -2, NODE_W + 4, self.height + 4)

    def paint(self, painter: QPainter, option, widget=None):
        painter.setRenderHint(QPainter.Antialiasing)
        rect = QRectF(0, 0, NODE_W, self.height)
        border = style.ERROR if self.errors else (style.SELECTED if self.isSelected() else QColor("#9ca3af"))
        painter.setPen(QPen(border, 3.0 if (self.errors or self.isSelected()) else 1.0))
        painter.setBrush(QBrush(QColor("#fff5f5") if self.errors else QColor("#ffffff")))
        painter.drawRoundedRect(rect, 7, 7)
        header = QPainterPath()
        header.addRoundedRect(QRectF(0, 0, NODE_W, HEADER_H), 7, 7)
        square = QPainterPath()
        square.addRect(QRectF(0, HEADER_H - 8, NODE_W, 8))
        painter.fillPath(header.united(square), QBrush(self.color))  # rounded top, square bottom
        if option.levelOfDetailFromTransform(painter.worldTransform()) < LOD_TEXT:
            return  # zoomed far out: text would be unreadable and costs most of the frame
        painter.setPen(QColor("#ffffff"))
        bold = QFont()
        bold.setBold(True)
        bold.setPointSizeF(TITLE_PT)
        painter.setFont(bold)
        painter.drawText(QRectF(10, 0, NODE_W - 20, HEADER_H), Qt.AlignVCenter | Qt.AlignLeft,
                         painter.fontMetrics().elidedText(self.title, Qt.ElideRight, int(NODE_W - 20)))
        small = QFont()
        small.setPointSizeF(8.0)
        painter.setFont(small)
        painter.setPen(QColor("#6b7280"))
        lines = [f"{self.spec.title} · {self.uid}", self.shape_line, self.cost_line]
        if self.errors:
            lines = [f"{self.spec.title} · {self.uid}", "⚠ " + self.errors[0]]
            painter.setPen(style.ERROR)
        y = HEADER_H + 4
        for i, text in enumerate(lines):
            if not text:
                continue
            if i == 1 and not self.errors:
                painter.setPen(QColor("#111827"))
            painter.drawText(QRectF(12, y, NODE_W - 24, 16), Qt.AlignVCenter | Qt.AlignLeft,
                             painter.fontMetrics().elidedText(text, Qt.ElideRight, int(NODE_W - 24)))
            painter.setPen(QColor("#6b7280") if not self.errors else style.ERROR)
            y += 16

    def body_rect(self) -> QRectF:
        """The box, in scene coordinates (what a link must not pass under)."""
        return self.mapRectToScene(QRectF(0, 0, NODE_W, self.height))

    def set_title(self, title: str) -> None:
        self.title = title
        self._refresh_tooltip()
        self.update()

    def set_result(self, shape_line: str, cost_line: str, errors: list[str]) -> None:
        if (shape_line, cost_line, errors) != (self.shape_line, self.cost_line, self.errors):
            self.shape_line, self.cost_line, self.errors = shape_line, cost_line, list(errors)
            self._refresh_tooltip()
            self.update()

    def _refresh_tooltip(self) -> None:
        tip = f"<b>{self.title}</b> ({self.spec.id}, node {self.uid})<br>{self.spec.doc}"
        if self.errors:
            tip += "<br><span style='color:#d32f2f'><b>Error:</b> " + "<br>".join(self.errors) + "</span>"
        self.setToolTip(tip)

    def itemChange(self, change, value):
        if change in (QGraphicsItem.ItemPositionHasChanged, QGraphicsItem.ItemVisibleHasChanged):
            reindex(self)
            if change == QGraphicsItem.ItemPositionHasChanged:
                for link in self.links:
                    link.follow()
        elif change == QGraphicsItem.ItemSelectedHasChanged:
            self.update()
        return super().itemChange(change, value)


def reindex(item) -> None:
    """Tell the scene's routing grid that a node or group box moved, showed or hid."""
    scene = item.scene()
    if scene is not None and hasattr(scene, "index_body"):
        scene.index_body(item)
