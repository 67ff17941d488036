"""The scene mirrors the document: it listens to model events and never edits items directly
in response to them by pushing commands (DESIGN.md section 6)."""
from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, Signal
from PySide6.QtWidgets import QGraphicsItem, QGraphicsPathItem, QGraphicsScene

from engine.model.groups import boundary, live_members
from gui import style
from gui.canvas.group_items import GroupFrameItem, GroupItem
from gui.canvas.interaction import SceneMouse
from gui.canvas.items import NodeItem, PortItem
from gui.canvas.links import LinkItem
from gui.canvas.spatial import SceneIndex
from gui.editing.commands import node_names

PICK_PX = 8.0  # a block dropped this close to a link (in screen pixels) is inserted into it
BASE_RECT = QRectF(-2000, -2000, 6000, 4000)


class GraphScene(SceneMouse, SceneIndex, QGraphicsScene):
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
        self._press_rects: list[QRectF] = []
        self._hot_link: LinkItem | None = None
        self._obstacle_key = None
        self.group_items: dict[str, QGraphicsItem] = {}
        self.init_index()
        self.setSceneRect(BASE_RECT)
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
        self.clear_index()
        self.nodes.clear()
        self.links.clear()
        self.group_items.clear()
        self._drag_path = self._hot_link = self._obstacle_key = None
        doc = self.editor.doc
        for uid in doc.nodes:
            self._add_node(uid)
        for link in doc.links():
            self._add_link(link)
        self._unsubscribe = doc.subscribe(self._on_event)
        self.apply_groups()
        self.apply_analysis(self.editor.analysis)
        self.grow_to_items()

    def _on_event(self, event) -> None:
        self.batching = True  # links are routed once the burst of events is over (flush_routes)
        try:
            self._mirror(event)
            if self.editor.project.groups and event.kind != "title_changed":
                self.apply_groups()  # boundaries and frames follow nodes and links
        finally:
            self.batching = False

    def _mirror(self, event) -> None:
        kind = event.kind
        if kind == "node_added":
            self.defer_rects([self._add_node(event.uid).body_rect()])  # links under it go around
        elif kind == "node_removed":
            item = self.nodes.pop(event.uid, None)
            if item is not None:
                vacated = item.body_rect()
                self.bodies.drop(item)
                self.removeItem(item)
                self.defer_rects([vacated])
        elif kind == "link_added":
            self._add_link(event.link)
        elif kind == "link_removed":
            item = self.links.pop(event.link, None)
            if item is not None:
                item.detach()
                self.unindex_link(item)
                if item is self._hot_link:
                    self._hot_link = None
                self.removeItem(item)
        elif kind == "node_moved":
            x, y = self.editor.doc.node(event.uid).position
            item = self.nodes[event.uid]
            if (item.pos().x(), item.pos().y()) != (x, y):
                vacated = item.body_rect()
                item.setPos(x, y)
                self.defer_rects([vacated, item.body_rect()])
        elif kind == "title_changed":
            self.nodes[event.uid].set_title(self.editor.doc.node(event.uid).title)
        elif kind == "reset":
            self.rebuild()

    def _add_node(self, uid: str) -> NodeItem:
        node = self.editor.doc.node(uid)
        item = NodeItem(uid, self.editor.doc.spec(uid), node.title)
        item.setPos(*node.position)
        self.addItem(item)
        self.index_body(item)
        self.nodes[uid] = item
        return item

    def _add_link(self, link) -> LinkItem:
        src = self.nodes[link.source].outputs[link.source_port]
        dst = self.nodes[link.target].inputs[link.target_port]
        item = LinkItem(link, src, dst)
        self.addItem(item)
        item.follow()  # in the scene now: route around the nodes (at once, or after the batch)
        self.links[link] = item
        return item

    # -- routing (see gui/canvas/spatial.py for the questions it asks) ----------------
    def grow_to_items(self) -> None:
        """Let the view scroll to every item, however far the project placed it."""
        rect = self.itemsBoundingRect()
        self.setSceneRect(BASE_RECT.united(rect.adjusted(-800, -800, 800, 800)) if not rect.isEmpty() else BASE_RECT)

    # -- groups ------------------------------------------------------------------------
    def apply_groups(self) -> None:
        """Show collapsed groups as one box (members hidden, links re-routed) and
        expanded groups as frames."""
        for item in self.group_items.values():
            self.bodies.drop(item)
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
            if isinstance(item, GroupItem):
                self.index_body(item)
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
        key = tuple((g.id, g.collapsed, tuple(live_members(g, doc))) for g in self.editor.project.groups)
        if key != self._obstacle_key and (key or self._obstacle_key):
            self.reroute_all()  # boxes came or went: links go around what is shown now
        self._obstacle_key = key
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
        names = node_names(doc)
        for link, item in self.links.items():
            item.set_label(style.shape_text(analysis.link_shape(link, doc)) if link.source in analysis.nodes else "")
            item.set_names(names.get(link.source, link.source), names.get(link.target, link.target))
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

    def link_at(self, pos: QPointF, radius: float | None = None):
        """The visible link nearest ``pos`` (scene coordinates) within ``radius``, if any.

        ``radius`` defaults to :data:`PICK_PX` screen pixels at the view's zoom.
        """
        if radius is None:
            views = self.views()
            radius = PICK_PX / (views[0].transform().m11() if views else 1.0)
        item = self.link_near(pos, radius)
        return item.link if item is not None else None

    def set_hot_link(self, link) -> None:
        """Highlight ``link`` (None: none) as where a dragged block would be inserted."""
        item = self.links.get(link) if link is not None else None
        if item is not self._hot_link:
            if self._hot_link is not None and self._hot_link.scene() is self:
                self._hot_link.set_hot(False)
            self._hot_link = item
            if item is not None:
                item.set_hot(True)

    def hot_link(self):
        return self._hot_link.link if self._hot_link is not None else None
