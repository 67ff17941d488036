"""Graphics items: nodes with ports, links with shape labels."""
from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QFont, QPainter, QPainterPath, QPen
from PySide6.QtWidgets import QGraphicsItem, QGraphicsPathItem

from gui import style

NODE_W = 190.0
HEADER_H = 24.0
PORT_R = 6.0
PORT_GAP = 20.0
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
        rows = max(len(spec.inputs), len(spec.outputs), 1)
        self.height = max(78.0, HEADER_H + 14 + rows * PORT_GAP)
        self.setFlags(QGraphicsItem.ItemIsMovable | QGraphicsItem.ItemIsSelectable
                      | QGraphicsItem.ItemSendsGeometryChanges)
        self.setZValue(1)
        self.inputs = {p.name: PortItem(self, p.name, False, p.optional) for p in spec.inputs}
        self.outputs = {p.name: PortItem(self, p.name, True) for p in spec.outputs}
        self._place_ports()
        self.links: list[LinkItem] = []
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
        header.addRect(QRectF(0, HEADER_H - 8, NODE_W, 8))
        painter.fillPath(header.simplified(), QBrush(self.color))
        if option.levelOfDetailFromTransform(painter.worldTransform()) < LOD_TEXT:
            return  # zoomed far out: text would be unreadable and costs most of the frame
        painter.setPen(QColor("#ffffff"))
        bold = QFont()
        bold.setBold(True)
        bold.setPointSizeF(9.0)
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
        if change == QGraphicsItem.ItemPositionHasChanged:
            for link in self.links:
                link.update_path()
        elif change == QGraphicsItem.ItemSelectedHasChanged:
            self.update()
        return super().itemChange(change, value)


class LinkItem(QGraphicsPathItem):
    """A curved wire from an output port to an input port, labelled with its tensor shape."""

    def __init__(self, link, source: PortItem, target: PortItem):
        super().__init__()
        self.link, self.source, self.target = link, source, target
        self.label = ""
        self.setZValue(0)
        self.setFlag(QGraphicsItem.ItemIsSelectable)
        self.setPen(QPen(style.LINK, 2.0))
        source.node.links.append(self)
        target.node.links.append(self)
        self.update_path()

    def detach(self) -> None:
        for node in (self.source.node, self.target.node):
            if self in node.links:
                node.links.remove(self)

    def set_ends(self, source: PortItem, target: PortItem) -> None:
        """Re-attach to other port items (a collapsed group's proxy ports)."""
        if (source, target) == (self.source, self.target):
            return
        self.detach()
        self.source, self.target = source, target
        source.node.links.append(self)
        target.node.links.append(self)
        self.update_path()

    def update_path(self) -> None:
        self.setPath(curve(self.source.scene_center(), self.target.scene_center()))

    def set_label(self, text: str) -> None:
        if text != self.label:
            self.label = text
            self.setToolTip(f"{self.link.source}.{self.link.source_port} → {self.link.target}.{self.link.target_port}"
                            f"<br>shape: (batch, {text.replace('×', ', ')})")
            self.update()

    def paint(self, painter: QPainter, option, widget=None):
        painter.setRenderHint(QPainter.Antialiasing)
        pen = QPen(style.SELECTED if self.isSelected() else style.LINK, 3.0 if self.isSelected() else 2.0)
        painter.setPen(pen)
        painter.setBrush(Qt.NoBrush)
        painter.drawPath(self.path())
        if self.label and option.levelOfDetailFromTransform(painter.worldTransform()) >= LOD_TEXT:
            mid = self.path().pointAtPercent(0.5)
            font = QFont()
            font.setPointSizeF(7.5)
            painter.setFont(font)
            w = painter.fontMetrics().horizontalAdvance(self.label) + 8
            box = QRectF(mid.x() - w / 2, mid.y() - 9, w, 16)
            painter.setPen(Qt.NoPen)
            painter.setBrush(QColor(255, 255, 255, 230))
            painter.drawRoundedRect(box, 4, 4)
            painter.setPen(QColor("#374151"))
            painter.drawText(box, Qt.AlignCenter, self.label)

    def boundingRect(self) -> QRectF:
        return super().boundingRect().adjusted(-60, -12, 60, 12)

    def shape(self) -> QPainterPath:
        from PySide6.QtGui import QPainterPathStroker
        stroker = QPainterPathStroker()
        stroker.setWidth(10)
        return stroker.createStroke(self.path())


def curve(a: QPointF, b: QPointF) -> QPainterPath:
    """A horizontal S-curve from ``a`` to ``b``."""
    path = QPainterPath(a)
    dx = max(40.0, abs(b.x() - a.x()) * 0.5)
    if b.x() < a.x():
        dx = min(dx, 120.0)  # a link running backwards (wrapped layout): keep its bulge near the nodes
    path.cubicTo(QPointF(a.x() + dx, a.y()), QPointF(b.x() - dx, b.y()), b)
    return path
