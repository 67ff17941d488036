"""The scene mirrors the document: it listens to model events and never edits items directly
in response to them by pushing commands (DESIGN.md section 6)."""
from __future__ import annotations

from PySide6.QtCore import QPointF, Qt, Signal
from PySide6.QtGui import QPen
from PySide6.QtWidgets import QGraphicsItem, QGraphicsPathItem, QGraphicsScene

from engine.errors import SproutError
from engine.model.groups import boundary, live_members
from gui import style
from gui.canvas.group_items import GroupFrameItem, GroupItem
from gui.canvas.items import LinkItem, NodeItem, PortItem, curve
from gui.editing.commands import AddLinkCommand, MoveNodesCommand


class GraphScene(QGraphicsScene):
    """Node and link items for the editor's document."""

    message = Signal(str)
    group_toggled = Signal(str)  # double-click on a group: collapse or expand it

    def __init__(self, editor, parent=None):
        super().__init__(parent)
        self.editor = editor
        self.nodes: dict[str, NodeItem] = {}
        self.links: dict = {}
        self._unsubscribe = None
        self._drag_from: PortItem | None = None
        self._drag_path: QGraphicsPathItem | None = None
        self._hover_port: PortItem | None = None
        self._press_positions: dict[str, tuple] = {}
        self._press_groups: dict[str, tuple] = {}
        self.group_items: dict[str, QGraphicsItem] = {}
        self.setSceneRect(-2000, -2000, 6000, 4000)
        editor.document_replaced.connect(self.rebuild)
        editor.analysis_changed.connect(self.apply_analysis)
        editor.project_changed.connect(self.apply_groups)
        self.rebuild()

    # -- mirroring the model -------------------------------------------------------------
    def rebuild(self) -> None:
        """Drop every item and rebuild from the document (new project, reset)."""
        if self._unsubscribe:
            self._unsubscribe()
        self.clear()
        self.nodes.clear()
        self.links.clear()
        self.group_items.clear()
        self._drag_path = None
        doc = self.editor.doc
        for uid in doc.nodes:
            self._add_node(uid)
        for link in doc.links():
            self._add_link(link)
        self._unsubscribe = doc.subscribe(self._on_event)
        self.apply_groups()
        self.apply_analysis(self.editor.analysis)

    def _on_event(self, event) -> None:
        self._mirror(event)
        if self.editor.project.groups and event.kind != "title_changed":
            self.apply_groups()  # boundaries and frames follow nodes and links

    def _mirror(self, event) -> None:
        kind = event.kind
        if kind == "node_added":
            self._add_node(event.uid)
        elif kind == "node_removed":
            item = self.nodes.pop(event.uid, None)
            if item is not None:
                self.removeItem(item)
        elif kind == "link_added":
            self._add_link(event.link)
        elif kind == "link_removed":
            item = self.links.pop(event.link, None)
            if item is not None:
                item.detach()
                self.removeItem(item)
        elif kind == "node_moved":
            x, y = self.editor.doc.node(event.uid).position
            item = self.nodes[event.uid]
            if (item.pos().x(), item.pos().y()) != (x, y):
                item.setPos(x, y)
        elif kind == "title_changed":
            self.nodes[event.uid].set_title(self.editor.doc.node(event.uid).title)
        elif kind == "reset":
            self.rebuild()

    def _add_node(self, uid: str) -> NodeItem:
        node = self.editor.doc.node(uid)
        item = NodeItem(uid, self.editor.doc.spec(uid), node.title)
        item.setPos(*node.position)
        self.addItem(item)
        self.nodes[uid] = item
        return item

    def _add_link(self, link) -> LinkItem:
        src = self.nodes[link.source].outputs[link.source_port]
        dst = self.nodes[link.target].inputs[link.target_port]
        item = LinkItem(link, src, dst)
        self.addItem(item)
        self.links[link] = item
        return item

    # -- groups ------------------------------------------------------------------------
    def apply_groups(self) -> None:
        """Show collapsed groups as one box (members hidden, links re-routed) and
        expanded groups as frames."""
        for item in self.group_items.values():
            self.removeItem(item)
        self.group_items.clear()
        doc = self.editor.doc
        owner: dict[str, GroupItem] = {}
        for item in self.nodes.values():
            item.setVisible(True)
        for group in self.editor.project.groups:
            members = live_members(group, doc)
            if not members:
                continue
            if group.collapsed:
                ins, outs = boundary(group, doc)
                item = GroupItem(group, ins, outs)
                xs = [doc.node(u).position[0] for u in members]
                ys = [doc.node(u).position[1] for u in members]
                item.setPos(sum(xs) / len(xs), sum(ys) / len(ys))
                for uid in members:
                    self.nodes[uid].setSelected(False)
                    self.nodes[uid].setVisible(False)
                    owner[uid] = item
            else:
                rect = self.nodes[members[0]].sceneBoundingRect()
                for uid in members[1:]:
                    rect = rect.united(self.nodes[uid].sceneBoundingRect())
                item = GroupFrameItem(group, rect)
            self.addItem(item)
            self.group_items[group.id] = item
        for link, item in self.links.items():
            sg, tg = owner.get(link.source), owner.get(link.target)
            if sg is not None and sg is tg:
                item.setVisible(False)
                continue
            item.setVisible(True)
            src = sg.outputs[(link.source, link.source_port)] if sg else self.nodes[link.source].outputs[link.source_port]
            dst = tg.inputs[(link.target, link.target_port)] if tg else self.nodes[link.target].inputs[link.target_port]
            item.set_ends(src, dst)
        if self.group_items:
            self.apply_analysis(self.editor.analysis)

    def group_of(self, uid: str):
        """The collapsed GroupItem hiding node ``uid``, if any."""
        for item in self.group_items.values():
            if isinstance(item, GroupItem) and uid in item.group.nodes:
                return item
        return None

    def apply_analysis(self, analysis) -> None:
        """Show shapes, costs and errors from the latest analysis."""
        errors = analysis.errors_by_node()
        for uid, item in self.nodes.items():
            res = analysis.nodes.get(uid)
            shape = ""
            cost = ""
            if res is not None and res.out_shapes:
                shape = "→ " + style.shape_text(res.out_shapes[0])
                cost = f"{style.human(res.cost.params)} params · {style.human(res.cost.macs)} MACs"
            item.set_result(shape, cost, errors.get(uid, []))
        doc = self.editor.doc
        for link, item in self.links.items():
            item.set_label(style.shape_text(analysis.link_shape(link, doc)) if link.source in analysis.nodes else "")
        for item in self.group_items.values():
            if isinstance(item, GroupItem):
                members = [u for u in item.group.nodes if u in analysis.nodes]
                params = sum(analysis.nodes[u].cost.params for u in members)
                macs = sum(analysis.nodes[u].cost.macs for u in members)
                item.set_info(f"{len(members)} blocks\n{style.human(params)} params · {style.human(macs)} MACs",
                              [f"{u}: {m}" for u in members for m in errors.get(u, [])])

    # -- selection helpers ---------------------------------------------------------------
    def selected_uids(self) -> list[str]:
        """Uids of selected nodes (members of selected collapsed groups included), in document order."""
        chosen = {i.uid for i in self.selectedItems() if isinstance(i, NodeItem)}
        for item in self.selectedItems():
            if isinstance(item, GroupItem):
                chosen.update(item.group.nodes)
        return [u for u in self.editor.doc.nodes if u in chosen]

    def selected_groups(self) -> list[str]:
        """Ids of selected group boxes and frames."""
        return [i.uid for i in self.selectedItems() if isinstance(i, (GroupItem, GroupFrameItem))]

    def selected_links(self) -> list:
        """Selected links."""
        return [i.link for i in self.selectedItems() if isinstance(i, LinkItem)]

    def select_uids(self, uids) -> None:
        """Select exactly these nodes."""
        self.clearSelection()
        for uid in uids:
            if uid in self.nodes:
                self.nodes[uid].setSelected(True)

    def link_at(self, pos: QPointF):
        """The link under ``pos`` (scene coordinates), if any."""
        for item in self.items(pos):
            if isinstance(item, LinkItem):
                return item.link
        return None

    # -- mouse: connecting ports and moving nodes ----------------------------------------
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
        try:
            link = self.editor.doc.check_link(source, source_port, target, target_port)
        except SproutError as exc:
            self.message.emit(f"Cannot connect: {exc}")
            return False
        self.editor.stack.push(AddLinkCommand(self.editor.doc, link))
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
        self._press_positions, self._press_groups = {}, {}
        if moves:
            self.editor.stack.push(MoveNodesCommand(self.editor.doc, moves,
                                                    f"Move {len(moves)} node{'s' if len(moves) > 1 else ''}"))
