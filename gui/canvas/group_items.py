"""Group items: a collapsed group drawn as one node, an expanded one as a dashed frame."""
from __future__ import annotations

from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QFont, QPainter, QPen
from PySide6.QtWidgets import QGraphicsItem

from gui import style
from gui.canvas.items import HEADER_H, LOD_TEXT, NODE_W, PORT_GAP, PortItem, reindex

GROUP_COLOR = QColor("#455a64")


class GroupItem(QGraphicsItem):
    """A collapsed group: one box whose ports stand in for the members' boundary ports."""

    def __init__(self, group, ins, outs):
        super().__init__()
        self.group = group
        self.title = group.title
        self.summary = ""
        self.errors: list[str] = []
        self.links = []
        rows = max(len(ins), len(outs), 1)
        self.height = max(78.0, HEADER_H + 14 + rows * PORT_GAP)
        self.setFlags(QGraphicsItem.ItemIsMovable | QGraphicsItem.ItemIsSelectable
                      | QGraphicsItem.ItemSendsGeometryChanges)
        self.setZValue(1)
        self.inputs = {(uid, port): PortItem(self, port, False, uid=uid) for uid, port in ins}
        self.outputs = {(uid, port): PortItem(self, port, True, uid=uid) for uid, port in outs}
        for ports, x in ((self.inputs, 0.0), (self.outputs, NODE_W)):
            top = HEADER_H + (self.height - HEADER_H - (len(ports) - 1) * PORT_GAP) / 2
            for i, port in enumerate(ports.values()):
                port.setPos(x, top + i * PORT_GAP)
                port.tip = f"{'output' if port.is_output else 'input'} {uid_port(port)} inside the group"

    @property
    def uid(self) -> str:
        return self.group.id

    def boundingRect(self) -> QRectF:
        return QRectF(-4, -8, NODE_W + 12, self.height + 12)

    def body_rect(self) -> QRectF:
        """The box with its stack, in scene coordinates (what a link must not pass under)."""
        return self.mapRectToScene(QRectF(0, -6, NODE_W + 6, self.height + 6))

    def paint(self, painter: QPainter, option, widget=None):
        painter.setRenderHint(QPainter.Antialiasing)
        rect = QRectF(0, 0, NODE_W, self.height)
        for offset in (6, 3):  # a small stack: this box holds several blocks
            painter.setPen(QPen(QColor("#b0bec5"), 1))
            painter.setBrush(QColor("#eceff1"))
            painter.drawRoundedRect(rect.translated(offset, -offset), 7, 7)
        border = style.ERROR if self.errors else (style.SELECTED if self.isSelected() else QColor("#78909c"))
        painter.setPen(QPen(border, 3.0 if (self.errors or self.isSelected()) else 1.2))
        painter.setBrush(QBrush(QColor("#fff5f5") if self.errors else QColor("#ffffff")))
        painter.drawRoundedRect(rect, 7, 7)
        painter.fillRect(QRectF(1, 1, NODE_W - 2, HEADER_H - 1), GROUP_COLOR)
        if option.levelOfDetailFromTransform(painter.worldTransform()) < LOD_TEXT:
            return
        font = QFont()
        font.setBold(True)
        font.setPointSizeF(9.0)
        painter.setFont(font)
        painter.setPen(QColor("#ffffff"))
        painter.drawText(QRectF(10, 0, NODE_W - 20, HEADER_H), Qt.AlignVCenter,
                         painter.fontMetrics().elidedText("▣ " + self.title, Qt.ElideRight, int(NODE_W - 20)))
        font.setBold(False)
        font.setPointSizeF(8.0)
        painter.setFont(font)
        painter.setPen(style.ERROR if self.errors else QColor("#374151"))
        lines = self.summary.split("\n") + (["⚠ " + self.errors[0]] if self.errors else [])
        for i, text in enumerate(lines[:3]):
            painter.drawText(QRectF(12, HEADER_H + 4 + 16 * i, NODE_W - 24, 16), Qt.AlignVCenter,
                             painter.fontMetrics().elidedText(text, Qt.ElideRight, int(NODE_W - 24)))

    def set_info(self, summary: str, errors: list[str]) -> None:
        self.summary, self.errors = summary, errors
        self.tip = (f"<b>{self.title}</b> (group {self.group.id}): {len(self.group.nodes)} blocks. "
                    "Double-click to expand." + ("<br><span style='color:#d32f2f'>" + "<br>".join(errors) + "</span>"
                                                 if errors else ""))
        self.setToolTip(self.tip)
        self.update()

    def itemChange(self, change, value):
        if change in (QGraphicsItem.ItemPositionHasChanged, QGraphicsItem.ItemVisibleHasChanged):
            reindex(self)
            if change == QGraphicsItem.ItemPositionHasChanged:
                for link in self.links:
                    link.follow()
        return super().itemChange(change, value)


class GroupFrameItem(QGraphicsItem):
    """An expanded group: a dashed frame with its title around the members."""

    def __init__(self, group, rect: QRectF):
        super().__init__()
        self.group, self.rect = group, rect.adjusted(-16, -34, 16, 16)
        self.setZValue(-1)
        self.setFlag(QGraphicsItem.ItemIsSelectable)
        self.setToolTip(f"Group {group.title}: double-click the title bar to collapse it")

    @property
    def uid(self) -> str:
        return self.group.id

    def boundingRect(self) -> QRectF:
        return self.rect.adjusted(-2, -2, 2, 2)

    def shape(self):
        from PySide6.QtGui import QPainterPath
        path = QPainterPath()
        path.addRect(QRectF(self.rect.left(), self.rect.top(), self.rect.width(), 26))
        return path  # only the title bar grabs clicks, so members stay editable

    def paint(self, painter: QPainter, option, widget=None):
        painter.setRenderHint(QPainter.Antialiasing)
        pen = QPen(style.SELECTED if self.isSelected() else GROUP_COLOR, 1.5, Qt.DashLine)
        painter.setPen(pen)
        painter.setBrush(QColor(69, 90, 100, 18))
        painter.drawRoundedRect(self.rect, 10, 10)
        font = QFont()
        font.setBold(True)
        font.setPointSizeF(9.0)
        painter.setFont(font)
        painter.setPen(GROUP_COLOR)
        painter.drawText(QRectF(self.rect.left() + 12, self.rect.top() + 4, self.rect.width() - 24, 20),
                         Qt.AlignVCenter, "▣ " + self.group.title)


def uid_port(port: PortItem) -> str:
    return f"{port.uid}.{port.name}"
