"""Groups: a set of nodes shown as one collapsible unit. Purely visual: compile ignores them.

Stored in the project file under ``"groups"``:
``[{"id": "g1", "title": "Residual block", "nodes": ["n3", "n4", "n5"], "collapsed": true}]``.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field

from engine.errors import ProjectFileError
from engine.model.document import GraphDocument


@dataclass
class Group:
    """A named set of node uids."""

    id: str
    title: str
    nodes: list[str] = field(default_factory=list)
    collapsed: bool = True

    def to_json(self) -> dict:
        return asdict(self)


def parse_groups(items, doc: GraphDocument, source: str) -> list[Group]:
    """Validate the ``groups`` section of a project file.

    Raises:
        ProjectFileError: naming the group and what is wrong.
    """
    if not isinstance(items, list):
        raise ProjectFileError(f"{source}: \"groups\" must be a JSON array")
    groups, seen_ids, owner = [], set(), {}
    for i, item in enumerate(items):
        if not isinstance(item, dict):
            raise ProjectFileError(f"{source}: groups[{i}] must be an object")
        gid, title = item.get("id"), item.get("title", "Group")
        nodes, collapsed = item.get("nodes", []), item.get("collapsed", True)
        if not isinstance(gid, str) or not gid or gid in seen_ids:
            raise ProjectFileError(f"{source}: groups[{i}] needs a unique string \"id\", found {gid!r}")
        if not isinstance(title, str) or not isinstance(collapsed, bool):
            raise ProjectFileError(f"{source}: group {gid}: \"title\" must be text and \"collapsed\" true/false")
        if not isinstance(nodes, list) or not all(isinstance(n, str) for n in nodes):
            raise ProjectFileError(f"{source}: group {gid}: \"nodes\" must be a list of node ids")
        for uid in nodes:
            if uid not in doc.nodes:
                raise ProjectFileError(f"{source}: group {gid}: no node {uid!r}")
            if uid in owner:
                raise ProjectFileError(f"{source}: node {uid} is in both group {owner[uid]} and group {gid}")
            owner[uid] = gid
        seen_ids.add(gid)
        groups.append(Group(gid, title, list(nodes), collapsed))
    return groups


def live_members(group: Group, doc: GraphDocument) -> list[str]:
    """The group's nodes that still exist (deleted nodes drop out silently)."""
    return [uid for uid in group.nodes if uid in doc.nodes]


def boundary(group: Group, doc: GraphDocument) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """Member ports linked from outside (inputs) and to outside (outputs), in link order."""
    members = set(live_members(group, doc))
    ins: list[tuple[str, str]] = []
    outs: list[tuple[str, str]] = []
    for link in doc.links():
        if link.target in members and link.source not in members and (link.target, link.target_port) not in ins:
            ins.append((link.target, link.target_port))
        if link.source in members and link.target not in members and (link.source, link.source_port) not in outs:
            outs.append((link.source, link.source_port))
    return ins, outs


def new_group_id(groups: list[Group]) -> str:
    """``g1``, ``g2``, ... not used yet."""
    used = {g.id for g in groups}
    i = 1
    while f"g{i}" in used:
        i += 1
    return f"g{i}"
