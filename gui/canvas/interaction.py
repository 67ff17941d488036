"""Mouse work on the canvas: wiring ports by dragging, and turning a node drag into one Move.

A mixin of :class:`gui.canvas.scene.GraphScene`. Commands are pushed only on release
(DESIGN.md section 6); while dragging, only the items move.
"""
from __future__ import annotations

from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QPen
from PySide6.QtWidgets import QGraphicsPathItem

from engine.errors import SproutError
from gui import style
from gui.canvas.group_items import GroupFrameItem, GroupItem
from gui.canvas.items import PortItem
from gui.canvas.links import curve
from gui.canvas.messages import link_refusal
from gui.editing.commands import AddLinkCommand, MoveNodesCommand


class SceneMouse:
    """Port-to-port wiring and node moves; expects the GraphScene's attributes."""

    def _port_at(self, pos: QPointF) -> PortItem | None:
        for item in self.items(pos):
            if isinstance(item, PortItem):
                return item
        return None

    def mousePressEvent(self, event):
        port = self._port_at(event.scenePos()) if event.button() == Qt.LeftButton else None
        if port is not None and port.is_output:
            self._drag_from = port
            self._drag_path = QGraphicsPathItem()
            self._drag_path.setPen(QPen(style.SELECTED, 2.0, Qt.DashLine))
            self._drag_path.setZValue(5)
            self.addItem(self._drag_path)
            self._drag_path.setPath(curve(port.scene_center(), event.scenePos()))
            event.accept()
            return
        super().mousePressEvent(event)
        self._press_positions = {uid: tuple(self.editor.doc.node(uid).position) for uid in self.selected_uids()}
        self._press_groups = {i.uid: (i.pos().x(), i.pos().y()) for i in self.selectedItems() if isinstance(i, GroupItem)}
        self._press_rects = [self.nodes[u].body_rect() for u in self._press_positions if u in self.nodes]
        self._press_rects += [i.body_rect() for i in self.selectedItems() if isinstance(i, GroupItem)]

    def mouseDoubleClickEvent(self, event):
        for item in self.items(event.scenePos()):
            if isinstance(item, (GroupItem, GroupFrameItem)):
                self.group_toggled.emit(item.uid)
                event.accept()
                return
        super().mouseDoubleClickEvent(event)

    def mouseMoveEvent(self, event):
        if self._drag_from is not None:
            self._drag_path.setPath(curve(self._drag_from.scene_center(), event.scenePos()))
            port = self._port_at(event.scenePos())
            if port is not self._hover_port:
                if self._hover_port is not None:
                    self._hover_port.set_highlight(None)
                self._hover_port = port if port is not None and not port.is_output else None
                if self._hover_port is not None:
                    ok = self.editor.doc.can_link(self._drag_from.uid, self._drag_from.name,
                                                  self._hover_port.uid, self._hover_port.name)
                    self._hover_port.set_highlight(style.OK_PORT if ok else style.BAD_PORT)
            event.accept()
            return
        super().mouseMoveEvent(event)

    def mouseReleaseEvent(self, event):
        if self._drag_from is not None:
            target = self._hover_port
            if target is not None:
                target.set_highlight(None)
                self.connect_ports(self._drag_from.uid, self._drag_from.name, target.uid, target.name)
            self.removeItem(self._drag_path)
            self._drag_from = self._drag_path = self._hover_port = None
            event.accept()
            return
        super().mouseReleaseEvent(event)
        self.commit_moves()

    def connect_ports(self, source: str, source_port: str, target: str, target_port: str) -> bool:
        """Push a link command if the link is allowed; otherwise say why in the status bar."""
        doc = self.editor.doc
        try:
            link = doc.check_link(source, source_port, target, target_port)
        except SproutError as exc:
            self.message.emit(link_refusal(doc, exc, source, source_port, target, target_port))
            return False
        self.editor.stack.push(AddLinkCommand(doc, link))
        return True

    def commit_moves(self) -> None:
        """Turn a finished drag into one Move command (positions of all moved nodes)."""
        moves = {}
        for uid, old in self._press_positions.items():
            item = self.nodes.get(uid)
            if item is None:
                continue
            new = (item.pos().x(), item.pos().y())
            box = self.group_of(uid) if not item.isVisible() else None
            if box is not None and box.uid in self._press_groups:  # moved as part of a collapsed group
                gx, gy = self._press_groups[box.uid]
                new = (old[0] + box.pos().x() - gx, old[1] + box.pos().y() - gy)
            if new != old:
                moves[uid] = (old, new)
        vacated, self._press_rects = self._press_rects, []
        vacated += [self.nodes[u].body_rect() for u in moves if u in self.nodes]
        self._press_positions, self._press_groups = {}, {}
        if moves:
            self.editor.stack.push(MoveNodesCommand(self.editor.doc, moves,
                                                    f"Move {len(moves)} node{'s' if len(moves) > 1 else ''}"))
            self.defer_rects(vacated)  # links around the old places may run straight, those under the new go round
