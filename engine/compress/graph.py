"""The graph side of compression: copies of a document and models rebuilt from one.

Methods that change a model's structure (structured pruning, factorization, a slimmer
student) rewrite the graph document, so the user sees the new blocks, then compile it
and carry the weights over. The compiler names every Keras layer after its node id, so
weights travel by layer name: a node that kept its shape keeps its weights.
"""
from __future__ import annotations

from collections.abc import Iterator, Mapping

import numpy as np

from engine.build.compiler import compile_document
from engine.errors import CompressionError
from engine.model.document import GraphDocument
from engine.model.project import Project, from_dict, to_dict


def clone(project: Project) -> Project:
    """An independent copy of ``project`` (its document can be edited freely)."""
    copy = from_dict(to_dict(project), project.document.registry, source="compression copy")
    copy.path = project.path
    return copy


def compressible(doc: GraphDocument, kernel: str | None = None) -> Iterator[str]:
    """Node ids whose block has a compressible kernel (of kind ``kernel`` when given), in graph order."""
    for uid in doc.topological_order():
        comp = doc.spec(uid).compression
        if comp is not None and comp.kernel and (kernel is None or comp.kernel == kernel):
            yield uid


def downstream(doc: GraphDocument, uid: str, follow) -> Iterator[str]:
    """Every node reachable from ``uid``'s outputs, each once, going on past a node only when
    ``follow(node_uid)`` is true (the one forward walk of compression)."""
    stack, seen = [uid], {uid}
    while stack:
        current = stack.pop()
        for link in doc.links_of(current):
            if link.source != current or link.target in seen:
                continue
            seen.add(link.target)
            yield link.target
            if follow(link.target):
                stack.append(link.target)


def has_kernel(doc: GraphDocument, uid: str) -> bool:
    """True for a node whose block has a compressible kernel (Dense, Conv2D)."""
    comp = doc.spec(uid).compression
    return comp is not None and bool(comp.kernel)


def feeds_output(doc: GraphDocument, uid: str) -> bool:
    """True when ``uid``'s output reaches an Output node without passing another kernel block.

    Such a layer makes the model's answer (the class layer): its width is fixed by the
    data, so pruning, slimming and factorizing leave it alone.
    """
    return any(doc.spec(target).role == "output"
               for target in downstream(doc, uid, lambda t: not has_kernel(doc, t)))


def layer_weights(model) -> dict[str, list[np.ndarray]]:
    """Every layer's weights by layer name (layers without weights left out)."""
    return {layer.name: [np.asarray(w) for w in layer.get_weights()] for layer in model.layers
            if layer.weights}


def rebuild(doc: GraphDocument, source_model, overrides: Mapping[str, list] | None = None, name=None):
    """Compile ``doc`` and give every layer its weights.

    A layer named in ``overrides`` gets those arrays; any other layer takes the weights of
    the layer of the same name in ``source_model``, which must have the same shapes; a
    layer new to the graph and not in ``overrides`` keeps its fresh initialization.

    Returns:
        the compiled graph (``engine.build.compiler.CompiledGraph``).

    Raises:
        CompressionError: a carried-over weight does not fit its new layer.
    """
    overrides = dict(overrides or {})
    compiled = compile_document(doc, name=name or getattr(source_model, "name", "sprout_model"))
    old = layer_weights(source_model) if source_model is not None else {}
    for layer in compiled.model.layers:
        if not layer.weights:
            continue
        weights = overrides.get(layer.name, old.get(layer.name))
        if weights is None:
            continue
        want = [tuple(w.shape) for w in layer.weights]
        got = [tuple(np.shape(w)) for w in weights]
        if want != got:
            raise CompressionError(f"node {layer.name}: weights of shapes {got} do not fit the rebuilt layer {want}")
        layer.set_weights([np.asarray(w) for w in weights])
    return compiled
