"""Shape and cost inference over a whole graph, with per-node diagnostics.

Pure Python (no Keras): it runs after every edit in the editor and in ``main.py check``.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from blocks.spec import BlockError, Cost
from engine.model.document import GraphDocument, Link


@dataclass(frozen=True)
class Diagnostic:
    """A problem found in the graph; ``uid`` is None for graph-wide problems."""

    uid: str | None
    message: str
    severity: str = "error"  # or "warning"

    def __str__(self) -> str:
        where = f"node {self.uid}" if self.uid else "graph"
        return f"{where}: {self.message}"


@dataclass
class NodeResult:
    """What inference found for one node."""

    uid: str
    block: str
    in_shapes: list = field(default_factory=list)
    out_shapes: list | None = None
    cost: Cost = field(default_factory=Cost)


@dataclass
class Analysis:
    """Shapes, costs and diagnostics of a graph."""

    nodes: dict[str, NodeResult]
    diagnostics: list[Diagnostic]
    order: list[str]
    peak_values: int = 0  # the most activation values alive at once, per sample (see _peak_values)

    @property
    def ok(self) -> bool:
        """True when there are no errors (warnings allowed)."""
        return not self.errors

    @property
    def errors(self) -> list[Diagnostic]:
        """Diagnostics of severity error."""
        return [d for d in self.diagnostics if d.severity == "error"]

    def errors_by_node(self) -> dict[str, list[str]]:
        """Error messages keyed by node uid (for marking nodes red)."""
        out: dict[str, list[str]] = {}
        for d in self.errors:
            if d.uid:
                out.setdefault(d.uid, []).append(d.message)
        return out

    def link_shape(self, link: Link, doc: GraphDocument):
        """The shape travelling on ``link`` (None if unknown).

        A plain tensor's shape is a tuple with the batch axis first, ``(None, 8, 8, 16)``.
        A (high, low) pair (OctConv's ``octave`` ports) is a tuple of two such shape
        tuples, ``((None, 8, 8, 8), (None, 4, 4, 8))``; tell them apart with
        :func:`is_pair_shape`.
        """
        res = self.nodes.get(link.source)
        if not res or res.out_shapes is None:
            return None
        names = doc.spec(link.source).output_names()
        idx = names.index(link.source_port)
        return res.out_shapes[idx] if idx < len(res.out_shapes) else None

    def totals(self) -> dict:
        """Parameters, MACs, FLOPs, activation bytes and model sizes over the graph."""
        params = sum(r.cost.params for r in self.nodes.values())
        macs = sum(r.cost.macs for r in self.nodes.values())
        act = sum(r.cost.activation_bytes for r in self.nodes.values())
        return {"params": params, "macs": macs, "flops": 2 * macs, "activation_bytes": act,
                "peak_activation_values": self.peak_values, "nodes": len(self.nodes),
                "weighted_nodes": sum(1 for r in self.nodes.values() if r.cost.params),
                "scratch_values": max((r.cost.scratch_values for r in self.nodes.values()), default=0),
                "size_float32_bytes": 4 * params, "size_int8_bytes": params}


def analyze(doc: GraphDocument, data=None) -> Analysis:
    """Infer every node's shapes and cost in topological order.

    A node whose inputs are unknown (because an upstream node failed) is skipped
    without a diagnostic of its own, so only the node at fault is marked. With ``data``
    (an :class:`engine.analysis.data_check.DataInfo`), the graph is also checked against
    the dataset: the Input's shape, one score per class at the Output.
    """
    order = doc.topological_order()
    results: dict[str, NodeResult] = {}
    diags: list[Diagnostic] = []
    for uid in order:
        node = doc.node(uid)
        spec = doc.registry.get(node.block)
        res = NodeResult(uid, spec.id)
        results[uid] = res
        incoming = doc.inputs_of(uid)
        missing = [p.name for p in spec.inputs if not p.optional and p.name not in incoming]
        if missing:
            diags.append(Diagnostic(uid, f"input port {', '.join(missing)} is not connected"))
            continue
        in_shapes = []
        for port in spec.inputs:
            link = incoming.get(port.name)
            if link is None:
                continue
            shape = results[link.source].out_shapes and results[link.source].out_shapes[
                doc.spec(link.source).output_names().index(link.source_port)]
            if shape is None:
                break
            problem = _payload_problem(port.kind, shape)
            if problem:
                diags.append(Diagnostic(uid, f"input port {port.name} {problem} (from node {link.source})"))
                break
            in_shapes.append(shape)
        else:
            res.in_shapes = in_shapes
            try:
                res.out_shapes = [_as_shape(s) for s in spec.infer_shape(node.params, in_shapes)]
                res.cost = spec.cost(node.params, in_shapes, res.out_shapes)
            except BlockError as exc:
                res.out_shapes = None
                diags.append(Diagnostic(uid, str(exc)))
    diags.extend(_graph_checks(doc))
    if data is not None:
        from engine.analysis.data_check import data_diagnostics

        diags.extend(data_diagnostics(doc, results, data))
    return Analysis(results, diags, order, _peak_values(doc, results, order))


def _peak_values(doc: GraphDocument, results: dict[str, NodeResult], order: list[str]) -> int:
    """The most activation values alive at once over the topological order, per sample.

    A node's outputs live from its step to the last step that reads them (what a memory
    planner that frees a tensor after its last reader must hold), one sweep over the
    order with a difference array, so it stays linear on a 40,000-node graph.
    """
    position = {uid: i for i, uid in enumerate(order)}
    last_reader: dict[str, int] = {}
    for link in doc.links():
        if link.source in position and link.target in position:
            last_reader[link.source] = max(last_reader.get(link.source, 0), position[link.target])
    delta = [0] * (len(order) + 1)
    for uid in order:
        res = results.get(uid)
        if res is None or not res.out_shapes:
            continue
        values = sum(_values(s) for s in res.out_shapes)
        start = position[uid]
        end = max(last_reader.get(uid, start), start)
        delta[start] += values
        delta[end + 1] -= values
    peak = live = 0
    for change in delta:
        live += change
        peak = max(peak, live)
    return peak


def _values(shape) -> int:
    """Values per sample of one output (a pair shape counts both halves)."""
    if is_pair_shape(shape):
        return sum(_values(s) for s in shape)
    n = 1
    for d in tuple(shape)[1:]:
        n *= int(d or 0)
    return n


def is_pair_shape(shape) -> bool:
    """True when ``shape`` is a (high, low) pair of shapes rather than one tensor's shape."""
    return (isinstance(shape, (list, tuple)) and len(shape) == 2
            and all(isinstance(s, (list, tuple)) for s in shape))


def _as_shape(shape) -> tuple:
    return tuple(tuple(s) for s in shape) if is_pair_shape(shape) else tuple(shape)


def _payload_problem(kind: str, shape) -> str | None:
    """Why ``shape`` cannot enter a port of ``kind`` (None when it can).

    The document lets ``octave`` ports link to anything because their payload depends
    on parameters; this is where a pair reaching a tensor port (or the reverse) is caught.
    """
    if kind == "tensor" and is_pair_shape(shape):
        return ("receives a (high, low) pair but takes a single tensor: end the octave section "
                "with an OctConv whose alpha_out is 0")
    if kind == "pair" and not is_pair_shape(shape):
        return "receives a single tensor but takes a (high, low) pair"
    return None


def _graph_checks(doc: GraphDocument) -> list[Diagnostic]:
    out: list[Diagnostic] = []
    roles = {uid: doc.spec(uid).role for uid in doc.nodes}
    if "input" not in roles.values():
        out.append(Diagnostic(None, "the graph has no Input block"))
    if "output" not in roles.values():
        out.append(Diagnostic(None, "the graph has no Output block: add one after the last layer"))
    for uid in roles:
        spec = doc.spec(uid)
        if spec.outputs and doc.graph.out_degree(uid) == 0:
            out.append(Diagnostic(uid, "its output is not used; it will not be part of the model",
                                  severity="warning"))
    return out
