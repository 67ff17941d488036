"""The graph document: nodes and links over a networkx MultiDiGraph, with events.

No Qt here: views subscribe with :meth:`GraphDocument.subscribe` and get one
:class:`Event` after each real change.
"""
from __future__ import annotations

import copy
import itertools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import networkx as nx

from blocks.registry import Registry, UnknownBlockError
from blocks.spec import ParamError
from engine.errors import (
    CycleError,
    DuplicateLinkError,
    LinkError,
    NodeError,
    OccupiedInputError,
    PortError,
    SproutError,
)


@dataclass
class Node:
    """One block placed on the canvas."""

    uid: str
    block: str
    params: dict
    position: tuple[float, float] = (0.0, 0.0)
    title: str = ""


@dataclass(frozen=True)
class Link:
    """A wire from an output port to an input port."""

    source: str
    source_port: str
    target: str
    target_port: str


@dataclass(frozen=True)
class Event:
    """What changed: ``kind`` is node_added, node_removed, link_added, link_removed,
    params_changed, node_moved, title_changed or reset."""

    kind: str
    uid: str | None = None
    link: Link | None = None
    data: Any = None


@dataclass
class RemovedNode:
    """What :meth:`GraphDocument.remove_node` took away, enough to put it back.

    ``index`` is the node's place in the node order and ``orders`` each link's place in
    the link order: both are what the project file lists, so a restore that ignored them
    would make Delete then Undo rewrite the file.
    """

    node: Node
    links: list[Link] = field(default_factory=list)
    index: int | None = None
    orders: list[int] = field(default_factory=list)


class GraphDocument:
    """Nodes and links of one model graph, validated against a block registry."""

    def __init__(self, registry: Registry):
        self.registry = registry
        self.graph = nx.MultiDiGraph()
        self._nodes: dict[str, Node] = {}
        self._listeners: list[Callable[[Event], None]] = []
        self._counter = itertools.count(1)

    # -- observers -------------------------------------------------------------------
    def subscribe(self, listener: Callable[[Event], None]) -> Callable[[], None]:
        """Call ``listener(event)`` after each change; returns an unsubscribe function."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener)

    def _emit(self, event: Event) -> None:
        for listener in list(self._listeners):
            listener(event)

    # -- queries ---------------------------------------------------------------------
    @property
    def nodes(self) -> dict[str, Node]:
        """Nodes by uid (read it; change it through the mutators)."""
        return self._nodes

    def node(self, uid: str) -> Node:
        """The node ``uid``; NodeError if there is none."""
        try:
            return self._nodes[uid]
        except KeyError:
            raise NodeError(uid, "no such node") from None

    def links(self) -> list[Link]:
        """Every link, in the order they were made."""
        return [d["link"] for _, _, d in sorted(self.graph.edges(data=True), key=lambda e: e[2]["order"])]

    def links_of(self, uid: str) -> list[Link]:
        """Links touching node ``uid``, in creation order."""
        return [lk for lk in self.links() if uid in (lk.source, lk.target)]

    def inputs_of(self, uid: str) -> dict[str, Link]:
        """Incoming links by target port name."""
        return {d["link"].target_port: d["link"] for _, _, d in self.graph.in_edges(uid, data=True)}

    def spec(self, uid: str):
        """The block spec of node ``uid``."""
        return self.registry.get(self.node(uid).block)

    def topological_order(self) -> list[str]:
        """Node uids, every node after the nodes feeding it (ties broken by uid)."""
        return list(nx.lexicographical_topological_sort(self.graph))

    def new_uid(self) -> str:
        """A node uid not used in this document."""
        while True:
            uid = f"n{next(self._counter)}"
            if uid not in self._nodes:
                return uid

    # -- node mutators ---------------------------------------------------------------
    def add_node(self, block: str, params: dict | None = None, position=(0.0, 0.0),
                 title: str | None = None, uid: str | None = None) -> str:
        """Place a block; returns its uid.

        Raises:
            NodeError: unknown block, bad parameter or a uid in use.
        """
        return self._add_node(block, params, position, title, uid, index=None)

    def _add_node(self, block, params, position, title, uid, index: int | None) -> str:
        """:meth:`add_node`, placing the node at ``index`` in the node order (None: last)."""
        uid = uid or self.new_uid()
        if uid in self._nodes:
            raise NodeError(uid, "a node with this id exists already")
        try:
            spec = self.registry.get(block)
        except UnknownBlockError as exc:
            raise NodeError(uid, str(exc)) from None
        clean = self._validate(uid, spec, params)
        node = Node(uid, spec.id, clean, (float(position[0]), float(position[1])), title or spec.title)
        if index is None or index >= len(self._nodes):
            self._nodes[uid] = node
        else:  # a dict keeps insertion order only: rebuild it around the restored node
            items = list(self._nodes.items())
            items.insert(max(index, 0), (uid, node))
            self._nodes.clear()
            self._nodes.update(items)
        self.graph.add_node(uid)
        self._emit(Event("node_added", uid))
        return uid

    def remove_node(self, uid: str) -> RemovedNode:
        """Delete a node and its links; the result lets an undo put both back."""
        node = self.node(uid)
        removed = RemovedNode(copy.deepcopy(node), self.links_of(uid), index=list(self._nodes).index(uid))
        removed.orders = [self.remove_link(link) for link in removed.links]
        del self._nodes[uid]
        self.graph.remove_node(uid)
        self._emit(Event("node_removed", uid, data=removed))
        return removed

    def restore_node(self, removed: RemovedNode) -> None:
        """Undo :meth:`remove_node`: the node at its old place, then its links in their old order.

        Restore nodes removed one after another in the reverse order of their removal:
        each ``index`` was taken with the later-removed nodes still present.
        """
        n = removed.node
        self._add_node(n.block, n.params, n.position, n.title, n.uid, index=removed.index)
        orders = removed.orders if len(removed.orders) == len(removed.links) else [None] * len(removed.links)
        for link, order in zip(removed.links, orders):
            self.restore_link(link, order)

    def set_params(self, uid: str, params: dict) -> dict:
        """Change some parameters; returns the previous full set. No event if nothing changed."""
        node = self.node(uid)
        merged = {**node.params, **params}
        clean = self._validate(uid, self.registry.get(node.block), merged)
        old = dict(node.params)
        if clean != old:
            node.params = clean
            self._emit(Event("params_changed", uid, data=old))
        return old

    def move_node(self, uid: str, position) -> None:
        """Move a node on the canvas."""
        node = self.node(uid)
        pos = (float(position[0]), float(position[1]))
        if pos != node.position:
            node.position = pos
            self._emit(Event("node_moved", uid))

    def set_title(self, uid: str, title: str) -> None:
        """Rename a node."""
        node = self.node(uid)
        if title != node.title:
            node.title = title
            self._emit(Event("title_changed", uid))

    # -- link mutators ---------------------------------------------------------------
    def check_link(self, source: str, source_port: str, target: str, target_port: str,
                   check_cycle: bool = True) -> Link:
        """The link if it may be made; otherwise the typed LinkError saying why.

        The cycle check walks the graph downstream of ``target`` (linear in its size);
        :meth:`add_links` skips it per link and checks the whole graph once instead.
        """
        link = Link(source, source_port, target, target_port)
        for uid in (source, target):
            if uid not in self._nodes:
                raise PortError(f"No node {uid!r} to link")
        out_ports = {p.name: p for p in self.spec(source).outputs}
        in_ports = {p.name: p for p in self.spec(target).inputs}
        if source_port not in out_ports:
            raise PortError(f"Node {source} ({self.node(source).block}) has no output port {source_port!r}; "
                            f"it has {sorted(out_ports) or 'none'}")
        if target_port not in in_ports:
            raise PortError(f"Node {target} ({self.node(target).block}) has no input port {target_port!r}; "
                            f"it has {sorted(in_ports) or 'none'}")
        if not kinds_compatible(out_ports[source_port].kind, in_ports[target_port].kind):
            raise PortError(f"Cannot link a {out_ports[source_port].kind} port to a "
                            f"{in_ports[target_port].kind} port ({source}.{source_port} -> {target}.{target_port})")
        if check_cycle and (source == target or nx.has_path(self.graph, target, source)):
            raise CycleError(f"Linking {source} -> {target} would make a cycle")
        existing = self.inputs_of(target)
        if target_port in existing:
            if existing[target_port] == link:
                raise DuplicateLinkError(f"{source}.{source_port} -> {target}.{target_port} exists already")
            raise OccupiedInputError(f"Input {target}.{target_port} is already fed by "
                                     f"{existing[target_port].source}.{existing[target_port].source_port}")
        return link

    def can_link(self, source: str, source_port: str, target: str, target_port: str) -> bool:
        """True when :meth:`add_link` would succeed (for hover feedback)."""
        try:
            self.check_link(source, source_port, target, target_port)
        except SproutError:
            return False
        return True

    def add_link(self, source: str, source_port: str, target: str, target_port: str) -> Link:
        """Connect ``source.source_port`` to ``target.target_port``.

        Raises:
            LinkError: CycleError, OccupiedInputError, DuplicateLinkError or PortError.
        """
        link = self.check_link(source, source_port, target, target_port)
        self.graph.add_edge(source, target, key=(source_port, target_port), link=link,
                            order=next(self._counter))
        self._emit(Event("link_added", link=link))
        return link

    def restore_link(self, link: Link, order: int | None = None) -> Link:
        """Undo :meth:`remove_link`: checked as by :meth:`add_link`, put back at ``order``.

        ``order`` is what :meth:`remove_link` returned (None: last). Links are listed by
        it, so the link takes its old place in :meth:`links` and in the saved file.
        """
        link = self.check_link(link.source, link.source_port, link.target, link.target_port)
        self.graph.add_edge(link.source, link.target, key=(link.source_port, link.target_port), link=link,
                            order=next(self._counter) if order is None else order)
        self._emit(Event("link_added", link=link))
        return link

    def add_links(self, ends) -> list[Link]:
        """Add many links at once: all of them, or none. Linear in the size of the graph.

        ``ends`` is a sequence of ``(source, source_port, target, target_port)``. Each link
        is checked as by :meth:`add_link`, except that cycles are looked for once, after all
        are in (one check per link would walk the graph once per link: quadratic).

        Raises:
            LinkError: the first bad link's error, with ``index`` set to its position in
                ``ends``; for a cycle, the position of the last-listed link on the cycle.
        """
        added: list[tuple[str, str, tuple]] = []
        order: dict[tuple, int] = {}
        try:
            for i, (source, source_port, target, target_port) in enumerate(ends):
                try:
                    link = self.check_link(source, source_port, target, target_port, check_cycle=False)
                except LinkError as exc:
                    exc.index = i
                    raise
                key = (source_port, target_port)
                self.graph.add_edge(source, target, key=key, link=link, order=next(self._counter))
                added.append((source, target, key))
                order[(source, target, key)] = i
            if not nx.is_directed_acyclic_graph(self.graph):  # cheap; find_cycle only to name the culprit
                cycle = nx.find_cycle(self.graph)
                last = max(order.get(edge, -1) for edge in cycle)
                source, target, _ = next(e for e in cycle if order.get(e, -1) == last)
                exc = CycleError(f"Linking {source} -> {target} would make a cycle")
                exc.index = last
                raise exc
        except LinkError:
            for source, target, key in added:
                self.graph.remove_edge(source, target, key)
            raise
        links = [self.graph.edges[e]["link"] for e in added]
        for link in links:
            self._emit(Event("link_added", link=link))
        return links

    def remove_link(self, link: Link) -> int:
        """Delete a link; returns its place in the link order, for :meth:`restore_link`."""
        key = (link.source_port, link.target_port)
        if not self.graph.has_edge(link.source, link.target, key):
            raise PortError(f"No link {link.source}.{link.source_port} -> {link.target}.{link.target_port}")
        order = self.graph.edges[link.source, link.target, key]["order"]
        self.graph.remove_edge(link.source, link.target, key)
        self._emit(Event("link_removed", link=link))
        return order

    # -- whole document --------------------------------------------------------------
    def state(self) -> tuple:
        """Every node and link as they are (copies), in their orders: for :meth:`restore_state`."""
        return [copy.deepcopy(n) for n in self._nodes.values()], self.links()

    def restore_state(self, state: tuple) -> None:
        """Make the document ``state`` again: a ``reset`` event, then the nodes and links in order."""
        nodes, links = state
        self.clear()
        for n in nodes:
            self._add_node(n.block, n.params, n.position, n.title, n.uid, index=None)
        for link in links:
            self.restore_link(link)

    def clear(self) -> None:
        """Remove everything (one ``reset`` event)."""
        self.graph.clear()
        self._nodes.clear()
        self._emit(Event("reset"))

    def _validate(self, uid: str, spec, params) -> dict:
        try:
            return spec.validate_params(params)
        except ParamError as exc:
            raise NodeError(uid, str(exc), param=exc.param) from None


def kinds_compatible(out_kind: str, in_kind: str) -> bool:
    """Whether a port of ``out_kind`` may feed a port of ``in_kind``.

    An ``octave`` port (OctConv) carries a (high, low) pair or, at the ends of an octave
    section where alpha is 0, a plain tensor: which one depends on parameters that may
    change after linking, so it links to either; ``analysis.analyze`` then checks what
    actually travels and marks the node at fault. ``tensor`` and ``pair`` never mix.
    """
    return out_kind == in_kind or "octave" in (out_kind, in_kind)
