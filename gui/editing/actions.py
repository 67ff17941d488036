"""Editing actions shared by menus, shortcuts and drops; each pushes undo commands."""
from __future__ import annotations

from PySide6.QtCore import QPointF
from PySide6.QtWidgets import QApplication

from engine.model.clipboard import copy_nodes, plan_paste
from engine.model.groups import Group, new_group_id
from engine.model.layout import layered_positions
from gui.canvas.items import HEADER_H, NODE_W
from gui.editing.commands import (
    AddLinkCommand,
    AddNodeCommand,
    GroupsCommand,
    MoveNodesCommand,
    PasteCommand,
    RemoveLinkCommand,
    RemoveNodesCommand,
    node_name,
)


class EditActions:
    """What a user can do to the graph, independent of which widget asked."""

    def __init__(self, editor, scene):
        self.editor, self.scene = editor, scene

    @property
    def doc(self):
        return self.editor.doc

    def add_block(self, block: str, pos: QPointF) -> str:
        """Drop a block at ``pos``; dropped on a link, it is inserted into that link."""
        position = (round(pos.x() - NODE_W / 2), round(pos.y() - HEADER_H))
        link = self.scene.link_at(pos)
        spec = self.doc.registry.get(block)
        cmd = AddNodeCommand(self.doc, block, None, position)
        if link is None or not spec.inputs or not spec.outputs:
            self.editor.stack.push(cmd)
            self.scene.select_uids([cmd.uid])
            return cmd.uid
        stack = self.editor.stack
        stack.beginMacro(f"Insert {spec.title} between {node_name(self.doc, link.source)} "
                         f"and {node_name(self.doc, link.target)}")
        stack.push(cmd)
        stack.push(RemoveLinkCommand(self.doc, link))
        first_in, first_out = spec.inputs[0].name, spec.outputs[0].name
        for s, sp, t, tp in ((link.source, link.source_port, cmd.uid, first_in),
                             (cmd.uid, first_out, link.target, link.target_port)):
            if self.doc.can_link(s, sp, t, tp):
                stack.push(AddLinkCommand(self.doc, self.doc.check_link(s, sp, t, tp)))
        stack.endMacro()
        self.scene.select_uids([cmd.uid])
        return cmd.uid

    def delete_selection(self) -> None:
        """Delete selected nodes (with their links) and selected links, as one step."""
        uids = self.scene.selected_uids()
        links = [lk for lk in self.scene.selected_links() if lk.source not in uids and lk.target not in uids]
        if not uids and not links:
            return
        stack = self.editor.stack
        stack.beginMacro("Delete")
        for link in links:
            stack.push(RemoveLinkCommand(self.doc, link))
        if uids:
            stack.push(RemoveNodesCommand(self.doc, uids))
        stack.endMacro()

    def copy(self) -> bool:
        """Copy selected nodes and their internal links to the clipboard."""
        uids = self.scene.selected_uids()
        if not uids:
            return False
        # Plain text (JSON) on purpose: handing a QMimeData to the clipboard makes PySide
        # and Qt both own it, and the process segfaults at exit.
        QApplication.clipboard().setText(copy_nodes(self.doc, uids))
        return True

    def cut(self) -> None:
        if self.copy():
            self.delete_selection()

    def paste(self, text: str | None = None, label: str = "Paste") -> list[str]:
        """Paste nodes from the clipboard (or ``text``) with fresh ids, links kept.

        Returns the new uids; [] when the text holds no Sprout blocks.

        Raises:
            PasteError: a Sprout payload a project file could not hold; nothing changed.
        """
        if text is None:
            text = QApplication.clipboard().text()
        plan = plan_paste(self.doc, text or "")  # validated as a project file, before any command
        if not plan or not plan[0]:
            return []
        nodes, links = plan
        self.editor.stack.push(PasteCommand(self.doc, nodes, links, label))
        uids = [n["uid"] for n in nodes]
        self.scene.select_uids(uids)
        return uids

    def duplicate(self) -> list[str]:
        """Copy and paste the selection in one go."""
        uids = self.scene.selected_uids()
        return self.paste(copy_nodes(self.doc, uids), "Duplicate") if uids else []

    def select_all(self) -> None:
        self.scene.select_uids(list(self.doc.nodes))

    def arrange(self, max_columns: int | None = None) -> None:
        """Auto-arrange: layered, left to right, wrapping after ``max_columns`` layers.

        By default, after as many layers as the canvas shows side by side at a readable zoom.
        """
        if max_columns is None:
            views = self.scene.views()
            max_columns = views[0].arrange_columns() if views and hasattr(views[0], "arrange_columns") else 4
        positions = layered_positions(self.doc, max_columns=max_columns)
        moves = {uid: (self.doc.node(uid).position, pos) for uid, pos in positions.items()
                 if pos != self.doc.node(uid).position}
        if moves:
            self.editor.stack.push(MoveNodesCommand(self.doc, moves, "Arrange"))
            self.scene.flush_routes()  # route every link once, around the nodes' new places

    # -- groups ------------------------------------------------------------------------
    def _set_groups(self, groups, text: str) -> None:
        self.editor.stack.push(GroupsCommand(self.editor.project, groups, text, self.editor.notify_project_changed))

    def group_selection(self, title: str | None = None) -> str | None:
        """Make the selected nodes one collapsed unit; nodes leave any group they were in."""
        uids = self.scene.selected_uids()
        if not uids:
            return None
        groups = [Group(g.id, g.title, [u for u in g.nodes if u not in uids], g.collapsed)
                  for g in self.editor.project.groups]
        gid = new_group_id(groups)
        groups = [g for g in groups if g.nodes] + [Group(gid, title or f"Unit {gid[1:]}", uids, True)]
        self._set_groups(groups, f"Group {len(uids)} blocks")
        item = self.scene.group_items.get(gid)
        if item is not None:
            self.scene.clearSelection()
            item.setSelected(True)
        return gid

    def ungroup_selection(self) -> None:
        """Dissolve the selected groups (their blocks stay)."""
        gids = set(self.scene.selected_groups())
        if gids:
            self._set_groups([g for g in self.editor.project.groups if g.id not in gids], "Ungroup")

    def toggle_group(self, gid: str) -> None:
        """Collapse an expanded group or expand a collapsed one."""
        groups = [Group(g.id, g.title, list(g.nodes), (not g.collapsed) if g.id == gid else g.collapsed)
                  for g in self.editor.project.groups]
        target = next((g for g in groups if g.id == gid), None)
        if target is not None:
            self._set_groups(groups, ("Collapse " if target.collapsed else "Expand ") + target.title)

    def rename_group(self, gid: str, title: str) -> None:
        """Give a unit a new title (one undo step)."""
        current = next((g for g in self.editor.project.groups if g.id == gid), None)
        if current is None or not title or title == current.title:
            return
        groups = [Group(g.id, title if g.id == gid else g.title, list(g.nodes), g.collapsed)
                  for g in self.editor.project.groups]
        self._set_groups(groups, f"Rename unit {current.title}")
