"""Undo commands. They touch only the document; the scene follows its events.

Per DESIGN.md section 6, no command is composed through ``parent=`` (segfaults under
PySide6); compound edits use ``QUndoStack.beginMacro`` or compose in Python.
"""
from __future__ import annotations

import copy
import time
from collections import Counter

from PySide6.QtGui import QUndoCommand

from engine.model.document import GraphDocument, Link, RemovedNode

PARAMS_ID = 1001
MERGE_WINDOW_S = 2.0  # edits of one field closer than this in time are one undo step


def node_name(doc: GraphDocument, uid: str, quote: bool = False) -> str:
    """How messages name a node: by its title (in quotes with ``quote``), with its id only
    when another node has the same title: ``Pool (n5)``, ``“Pool” (n5)``."""
    node = doc.nodes.get(uid)
    if node is None:
        return uid
    title = node.title or doc.registry.get(node.block).title
    if quote:
        title = f"“{title}”"
    twins = sum(1 for n in doc.nodes.values() if n.title == node.title)
    return f"{title} ({uid})" if twins > 1 else title


def node_names(doc: GraphDocument) -> dict[str, str]:
    """:func:`node_name` of every node, in one pass (for a whole canvas)."""
    counts = Counter(n.title for n in doc.nodes.values())
    return {uid: (n.title or doc.registry.get(n.block).title) + (f" ({uid})" if counts[n.title] > 1 else "")
            for uid, n in doc.nodes.items()}


class AddNodeCommand(QUndoCommand):
    """Place one block."""

    def __init__(self, doc: GraphDocument, block: str, params=None, position=(0.0, 0.0), title=None, uid=None):
        super().__init__(f"Add {doc.registry.get(block).title}")
        self.doc, self.block, self.params, self.position, self.title = doc, block, params, position, title
        self.uid = uid or doc.new_uid()

    def redo(self):
        self.doc.add_node(self.block, self.params, self.position, self.title, uid=self.uid)

    def undo(self):
        self.doc.remove_node(self.uid)


class RemoveNodesCommand(QUndoCommand):
    """Delete nodes with their links; undo puts each back where it was in the file's order."""

    def __init__(self, doc: GraphDocument, uids):
        self.doc = doc
        self.uids = [u for u in doc.nodes if u in set(uids)]
        super().__init__(f"Delete {node_name(doc, self.uids[0])}" if len(self.uids) == 1
                         else f"Delete {len(self.uids)} nodes")
        self.removed: list[RemovedNode] = []

    def redo(self):
        self.removed = [self.doc.remove_node(u) for u in self.uids]

    def undo(self):
        # Reverse order: each RemovedNode's index and link orders were taken with the
        # nodes removed after it still present. Links between two removed nodes went
        # with the first; the second's record has them no longer, so none is added twice.
        for removed in reversed(self.removed):
            self.doc.restore_node(removed)


class AddLinkCommand(QUndoCommand):
    """Connect an output port to an input port (validated before pushing)."""

    def __init__(self, doc: GraphDocument, link: Link):
        super().__init__(f"Connect {node_name(doc, link.source)} to {node_name(doc, link.target)}")
        self.doc, self.link = doc, link
        self.order: int | None = None  # after an undo: where a redo puts the link back

    def redo(self):
        self.doc.restore_link(self.link, self.order)

    def undo(self):
        self.order = self.doc.remove_link(self.link)


class RemoveLinkCommand(QUndoCommand):
    """Disconnect one link."""

    def __init__(self, doc: GraphDocument, link: Link):
        super().__init__(f"Disconnect {node_name(doc, link.source)} from {node_name(doc, link.target)}")
        self.doc, self.link = doc, link
        self.order: int | None = None

    def redo(self):
        self.order = self.doc.remove_link(self.link)

    def undo(self):
        self.doc.restore_link(self.link, self.order)  # back at its old place in the file


class MoveNodesCommand(QUndoCommand):
    """Move several nodes at once: one undo step per drag (pushed on release)."""

    def __init__(self, doc: GraphDocument, moves: dict, text: str = "Move"):
        super().__init__(text)
        self.doc, self.moves = doc, moves  # uid -> (old, new)

    def redo(self):
        for uid, (_, new) in self.moves.items():
            self.doc.move_node(uid, new)

    def undo(self):
        for uid, (old, _) in self.moves.items():
            self.doc.move_node(uid, old)


class SetParamsCommand(QUndoCommand):
    """Change parameters of one node; consecutive edits of one field merge into one step."""

    def __init__(self, doc: GraphDocument, uid: str, params: dict):
        super().__init__(f"Edit {', '.join(params)} of {node_name(doc, uid)}")
        self.doc, self.uid = doc, uid
        self.new = dict(params)
        self.old = {k: doc.node(uid).params[k] for k in params}
        self.stamp = time.monotonic()

    def id(self):
        return PARAMS_ID

    def mergeWith(self, other):
        if (not isinstance(other, SetParamsCommand) or other.uid != self.uid or set(other.new) != set(self.new)
                or other.stamp - self.stamp > MERGE_WINDOW_S):
            return False
        self.new, self.stamp = other.new, other.stamp
        return True

    def redo(self):
        self.doc.set_params(self.uid, self.new)

    def undo(self):
        self.doc.set_params(self.uid, self.old)


class RenameNodeCommand(QUndoCommand):
    """Change a node's title."""

    def __init__(self, doc: GraphDocument, uid: str, title: str):
        super().__init__(f"Rename {node_name(doc, uid)}")
        self.doc, self.uid, self.title, self.old = doc, uid, title, doc.node(uid).title

    def redo(self):
        self.doc.set_title(self.uid, self.title)

    def undo(self):
        self.doc.set_title(self.uid, self.old)


class PasteCommand(QUndoCommand):
    """Add a set of nodes and the links between them (paste, duplicate)."""

    def __init__(self, doc: GraphDocument, nodes: list[dict], links: list[tuple], text: str = "Paste"):
        super().__init__(text)
        self.doc, self.nodes, self.links = doc, nodes, links

    def redo(self):
        for n in self.nodes:
            self.doc.add_node(n["block"], n["params"], n["position"], n["title"], uid=n["uid"])
        for s, sp, t, tp in self.links:
            if self.doc.can_link(s, sp, t, tp):
                self.doc.add_link(s, sp, t, tp)

    def undo(self):
        for n in reversed(self.nodes):
            self.doc.remove_node(n["uid"])


class SetProjectFieldCommand(QUndoCommand):
    """Change a project-level section (budget, data, training) as one undoable step."""

    def __init__(self, project, field: str, value: dict, on_change=None, text: str | None = None):
        super().__init__(text or f"Edit {field}")
        self.project, self.field, self.value = project, field, dict(value)
        self.old = dict(getattr(project, field))
        self.on_change = on_change

    def id(self):
        return PARAMS_ID + 1

    def mergeWith(self, other):
        if not isinstance(other, SetProjectFieldCommand) or other.field != self.field:
            return False
        self.value = other.value
        return True

    def redo(self):
        setattr(self.project, self.field, dict(self.value))
        if self.on_change:
            self.on_change()

    def undo(self):
        setattr(self.project, self.field, dict(self.old))
        if self.on_change:
            self.on_change()


class GroupsCommand(QUndoCommand):
    """Replace the project's groups (group, ungroup, collapse, expand, rename) as one step."""

    def __init__(self, project, groups: list, text: str, on_change=None):
        super().__init__(text)
        self.project, self.on_change = project, on_change
        self.new = copy.deepcopy(groups)
        self.old = copy.deepcopy(project.groups)

    def redo(self):
        self.project.groups = copy.deepcopy(self.new)
        if self.on_change:
            self.on_change()

    def undo(self):
        self.project.groups = copy.deepcopy(self.old)
        if self.on_change:
            self.on_change()


class ReplaceGraphCommand(QUndoCommand):
    """Turn the graph into another as one step (an ablation's winner applied).

    ``change(doc)`` edits the document in place the first time; undo and redo then swap
    the whole node and link state (``GraphDocument.state``), so the step replays exactly.
    """

    def __init__(self, doc: GraphDocument, change, text: str):
        super().__init__(text)
        self.doc, self.change = doc, change
        self.before = doc.state()
        self.after = None

    def redo(self):
        if self.after is None:
            self.change(self.doc)
            self.after = self.doc.state()
        else:
            self.doc.restore_state(self.after)

    def undo(self):
        self.doc.restore_state(self.before)
