"""Links on the canvas: a wire from an output port to an input port, labelled with its shape.

A link is routed (gui/canvas/routing.py) around the bodies of the nodes it does not
connect; only when no clear way exists is it drawn above them, so it is never hidden.
"""
from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QFontMetricsF, QPainter, QPainterPath, QPainterPathStroker, QPen
from PySide6.QtWidgets import QGraphicsItem, QGraphicsPathItem

from gui import style
from gui.canvas import routing
from gui.canvas.items import LOD_TEXT, PortItem

LABEL_PT = 7.5
LABEL_LINE = 13.0


def label_font() -> QFont:
    font = QFont()
    font.setPointSizeF(LABEL_PT)
    return font


_METRICS: list = []


def _label_metrics() -> QFontMetricsF:
    if not _METRICS:
        _METRICS.append(QFontMetricsF(label_font()))
    return _METRICS[0]


class LinkItem(QGraphicsPathItem):
    """A routed wire, labelled with the tensor shape it carries; ``hot`` while a block hovers to be dropped in."""

    def __init__(self, link, source: PortItem, target: PortItem):
        super().__init__()
        self.link, self.source, self.target = link, source, target
        self.label = ""
        self.hot = False
        self.route: routing.Route | None = None
        self.label_at: tuple[float, float] = (0.0, 0.0)
        self.setZValue(0)
        self.setFlag(QGraphicsItem.ItemIsSelectable)
        self.setPen(QPen(style.LINK, 2.0))
        self._label_size = (0.0, 0.0)
        self._names: tuple[str, str] | None = None
        source.node.links.append(self)
        target.node.links.append(self)  # routed by the scene once added to it

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

    def follow(self) -> None:
        """An end moved: route again now, or once the scene's batch of model changes is over."""
        scene = self.scene()
        if scene is not None and getattr(scene, "batching", False):
            a, b = self.source.scene_center(), self.target.scene_center()
            self.prepareGeometryChange()
            self.route = routing.curve_route((a.x(), a.y()), (b.x(), b.y()))  # until routed: the plain curve
            self.setPath(_path(self.route))
            scene.defer_links([self])
        else:
            self.update_path()

    def update_path(self) -> None:
        """Route again from the ports' current places around the nodes now in the way."""
        a, b = self.source.scene_center(), self.target.scene_center()
        scene = self.scene()
        ends = (self.source.node, self.target.node)
        if scene is None or not hasattr(scene, "obstacles"):
            route = routing.curve_route((a.x(), a.y()), (b.x(), b.y()))
        else:
            own = [_rect(n.body_rect()) for n in ends if hasattr(n, "body_rect")]
            route = routing.plan((a.x(), a.y()), (b.x(), b.y()), lambda r: scene.obstacles(r, ends), own,
                                 lambda r: scene.lanes(r, self))
        self.prepareGeometryChange()  # the label moves with the route
        self.route = route
        self.setZValue(0 if route.clear else 2)  # no clear way: above the nodes, never hidden
        self.setPath(_path(route))
        self._place_label()
        if scene is not None and hasattr(scene, "index_link"):
            scene.index_link(self)

    def _place_label(self) -> None:
        """Put the label at the first of the route's spots where it covers no node and no other label."""
        if self.route is None:
            return
        self.label_at = self.route.label_spots[0]
        scene = self.scene()
        if not self.label or scene is None or not hasattr(scene, "obstacles"):
            return
        for spot in self.route.label_spots:
            self.label_at = spot
            box = _rect(self.label_rect())
            if not scene.obstacles(box) and not scene.labels_near(box, self):
                return  # covers no node and no other label
        self.label_at = self.route.label_spots[0]

    def lanes(self) -> list:
        """The long horizontal runs of a detour, as thin rectangles (others keep apart from them)."""
        if self.route is None or self.route.kind != "lanes":
            return []
        return [(min(p[0], q[0]), p[1] - 1, max(p[0], q[0]), p[1] + 1)
                for p, q in zip(self.route.corners, self.route.corners[1:])
                if abs(p[1] - q[1]) < 1e-6 and abs(p[0] - q[0]) > 2 * routing.STUB]

    def points(self) -> tuple:
        """A polyline close to the drawn path, in scene coordinates."""
        return self.route.points if self.route is not None else ()

    def set_label(self, text: str) -> None:
        if text != self.label:
            self.prepareGeometryChange()
            self.label = text
            metrics = _label_metrics()
            lines = self.label_lines()
            self._label_size = (max((metrics.horizontalAdvance(t) for t in lines), default=0.0) + 8,
                                LABEL_LINE * len(lines) + 3)
            self._place_label()
            scene = self.scene()
            if scene is not None and hasattr(scene, "index_link"):
                scene.index_link(self)
            self._refresh_tooltip()
            self.update()

    def set_names(self, source: str, target: str) -> None:
        """The titles of the nodes at either end, for the tooltip."""
        if (source, target) != self._names:
            self._names = (source, target)
            self._refresh_tooltip()

    def _refresh_tooltip(self) -> None:
        source, target = self._names or (self.link.source, self.link.target)
        tip = f"{source}.{self.link.source_port} → {target}.{self.link.target_port}"
        if self.label:
            tip += f"<br>shape: (batch, {self.label.replace('×', ', ')})"
        self.setToolTip(tip)

    def set_hot(self, hot: bool) -> None:
        if hot != self.hot:
            self.hot = hot
            self.update()

    def label_lines(self) -> list[str]:
        """The label as drawn: a (high, low) pair on two lines, so it fits between two columns."""
        return self.label.split(" | ") if self.label else []

    def label_rect(self) -> QRectF:
        """Where the shape label is drawn, in scene coordinates (empty without a label)."""
        if not self.label:
            return QRectF()
        w, h = self._label_size
        x, y = self.label_at
        return QRectF(x - w / 2, y - h / 2, w, h)

    def paint(self, painter: QPainter, option, widget=None):
        painter.setRenderHint(QPainter.Antialiasing)
        if self.hot:
            painter.setPen(QPen(QColor(style.OK_PORT.red(), style.OK_PORT.green(), style.OK_PORT.blue(), 90), 9.0,
                                Qt.SolidLine, Qt.RoundCap))
            painter.drawPath(self.path())
        color = style.OK_PORT if self.hot else (style.SELECTED if self.isSelected() else style.LINK)
        painter.setPen(QPen(color, 3.0 if (self.isSelected() or self.hot) else 2.0))
        painter.setBrush(Qt.NoBrush)
        painter.drawPath(self.path())
        lines = self.label_lines()
        if lines and option.levelOfDetailFromTransform(painter.worldTransform()) >= LOD_TEXT:
            box = self.label_rect()
            painter.setPen(QPen(QColor("#d1d5db"), 0.8))
            painter.setBrush(QColor(255, 255, 255, 235))
            painter.drawRoundedRect(box, 4, 4)
            painter.setFont(label_font())
            painter.setPen(QColor("#374151"))
            for i, text in enumerate(lines):
                painter.drawText(QRectF(box.left(), box.top() + 1.5 + i * LABEL_LINE, box.width(), LABEL_LINE),
                                 Qt.AlignCenter, text)

    def itemChange(self, change, value):
        if change == QGraphicsItem.ItemVisibleHasChanged:
            scene = self.scene()
            if scene is not None and hasattr(scene, "index_link"):
                scene.index_link(self)  # a hidden link (inside a collapsed group) is no obstacle
        return super().itemChange(change, value)

    def boundingRect(self) -> QRectF:
        rect = super().boundingRect().adjusted(-6, -6, 6, 6)
        return rect.united(self.label_rect().adjusted(-2, -2, 2, 2)) if self.label else rect

    def shape(self) -> QPainterPath:
        stroker = QPainterPathStroker()
        stroker.setWidth(10)
        return stroker.createStroke(self.path())


def _rect(r: QRectF) -> routing.Rect:
    return (r.left(), r.top(), r.right(), r.bottom())


def _path(route: routing.Route) -> QPainterPath:
    """The drawn path of a route: a cubic, or straight runs with rounded corners."""
    pts = [QPointF(*p) for p in route.corners]
    path = QPainterPath(pts[0])
    if route.kind == "curve":
        path.cubicTo(pts[1], pts[2], pts[3])
        return path
    for prev, corner, nxt in zip(pts, pts[1:], pts[2:]):
        r = min(routing.RADIUS, _manhattan(prev, corner) / 2, _manhattan(corner, nxt) / 2)
        path.lineTo(_toward(corner, prev, r))
        path.quadTo(corner, _toward(corner, nxt, r))
    path.lineTo(pts[-1])
    return path


def _manhattan(p: QPointF, q: QPointF) -> float:
    return abs(p.x() - q.x()) + abs(p.y() - q.y())


def _toward(p: QPointF, q: QPointF, d: float) -> QPointF:
    length = _manhattan(p, q)
    return p if length == 0 else p + (q - p) * (d / length)


def curve(a: QPointF, b: QPointF) -> QPainterPath:
    """A horizontal S-curve from ``a`` to ``b`` (the wire drawn while connecting ports)."""
    return _path(routing.curve_route((a.x(), a.y()), (b.x(), b.y())))
