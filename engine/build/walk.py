"""The one walk over a graph that every builder follows (compiler, code generator, exporters).

It checks the graph first (any error stops the walk, naming its node), then yields the
nodes in topological order with what a builder needs: the block spec, the block's role,
and for each connected input port the (node, port) whose tensor feeds it. Builders
decide what to emit per role; they never compare block ids and never re-derive the order.
"""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from blocks.spec import BlockSpec
from engine.analysis.graph import Analysis, analyze
from engine.errors import CompileError
from engine.model.document import GraphDocument, Node


@dataclass(frozen=True)
class Step:
    """One node of the walk.

    Attributes:
        uid: the node's id.
        node: the document's node (block id, params, title).
        spec: its block spec.
        sources: ``(source uid, source port)`` for each connected input port, in port order.
        out_shapes: the shapes inference found for its outputs.
    """

    uid: str
    node: Node
    spec: BlockSpec
    sources: tuple[tuple[str, str], ...]
    out_shapes: tuple

    @property
    def role(self) -> str:
        """``input``, ``output``, ``layer`` or ``technique`` (see ``BlockSpec.role``)."""
        return self.spec.role

    @property
    def label(self) -> str:
        """The node's title when the user gave it one, else the block's title."""
        return self.node.title or self.spec.title


def checked_analysis(doc: GraphDocument) -> Analysis:
    """``analyze(doc)``, raising the first error as a CompileError on its node."""
    analysis = analyze(doc)
    if analysis.errors:
        first = analysis.errors[0]
        raise CompileError(first.uid, first.message)
    return analysis


def walk(doc: GraphDocument, analysis: Analysis | None = None) -> Iterator[Step]:
    """The nodes of a valid graph in topological order.

    Raises:
        CompileError: when the graph has an error (naming the node at fault).
    """
    analysis = analysis if analysis is not None and analysis.ok else checked_analysis(doc)
    for uid in analysis.order:
        node = doc.node(uid)
        spec = doc.registry.get(node.block)
        incoming = doc.inputs_of(uid)
        sources = tuple((incoming[p.name].source, incoming[p.name].source_port)
                        for p in spec.inputs if p.name in incoming)
        yield Step(uid, node, spec, sources, tuple(analysis.nodes[uid].out_shapes or ()))
