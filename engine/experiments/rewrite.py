"""Graph rewrites behind the ablation specs: swap a kind of block, swap an activation, bypass a node.

Each works on a GraphDocument the caller owns (a copy of the project's), through the
document's own rules, so a rewrite that would break the graph fails with the document's
one-line error. A swapped node keeps its id (its Keras layer name, so runs compare layer by
layer), its place and its wiring (ports matched in order).
"""
from __future__ import annotations

from blocks.rules.params import ACTIVATIONS
from engine.errors import SproutError
from engine.model.document import GraphDocument

OFFSET = 40.0  # canvas units: where an inserted node goes, right of and below the one it follows


def _carried(doc: GraphDocument, uid: str, spec, params: dict) -> dict:
    """The parameters of ``params`` that ``spec`` has and accepts as they are."""
    out = {}
    for p in spec.params:
        if p.name in params:
            try:
                doc._validate(uid, spec, {p.name: params[p.name]})  # noqa: SLF001 - the document's own rule
            except SproutError:
                continue
            out[p.name] = params[p.name]
    return out


def _swap_node(doc: GraphDocument, uid: str, block: str, params: dict | None = None) -> None:
    old = doc.node(uid)
    old_spec, new_spec = doc.spec(uid), doc.registry.get(block)
    links = doc.links_of(uid)
    ins = {p.name: i for i, p in enumerate(old_spec.inputs)}
    outs = {p.name: i for i, p in enumerate(old_spec.outputs)}
    carried = _carried(doc, uid, new_spec, old.params) if params is None else params
    title = new_spec.title if old.title in ("", old_spec.title) else old.title
    removed = doc.remove_node(uid)
    try:
        doc.add_node(block, carried, old.position, title, uid=uid)
        for link in links:
            if link.target == uid:
                port = new_spec.inputs[ins[link.target_port]].name
                doc.add_link(link.source, link.source_port, uid, port)
            else:
                port = new_spec.outputs[outs[link.source_port]].name
                doc.add_link(uid, port, link.target, link.target_port)
    except (SproutError, IndexError) as exc:
        if uid in doc.nodes:
            doc.remove_node(uid)
        doc.restore_node(removed)
        why = str(exc).splitlines()[0] if isinstance(exc, SproutError) else "its ports do not match"
        raise SproutError(f"node {uid}: cannot become {block}: {why}") from None
    lost = old.params.get("activation")
    if lost not in (None, "linear") and "activation" not in carried:
        insert_after(doc, uid, "core.activation", {"activation": lost})  # the activation stays


def replace_block(doc: GraphDocument, kind: str, block: str, options: dict | None = None) -> list[str]:
    """Every ``kind`` node becomes a ``block`` node; returns their ids.

    ``options``: parameters set on every new node. Swapped to OctConv, the nodes get the
    alphas their place in an octave section needs (:func:`octave_sections`, ``alpha`` in
    ``options``, default 0.5).
    """
    doc.registry.get(kind)
    doc.registry.get(block)
    options = dict(options or {})
    alpha = options.pop("alpha", None) if doc.registry.resolve(block) == OCTCONV else None
    uids = [uid for uid, n in doc.nodes.items() if n.block == doc.registry.resolve(kind)]
    for uid in uids:
        _swap_node(doc, uid, block)
        if options:
            doc.set_params(uid, options)
    if doc.registry.resolve(block) == OCTCONV:
        octave_sections(doc, uids, 0.5 if alpha is None else alpha)
    return uids


OCTCONV = "paper.octconv"
OCTAVE_PASS = "paper.octconv_bn_act"  # takes and gives what it is given: pairs stay pairs


def _octave_consumer(doc: GraphDocument, uid: str) -> bool:
    """True when every node ``uid`` feeds can take a (high, low) pair."""
    fed = [lk.target for lk in doc.links_of(uid) if lk.source == uid]
    if not fed:
        return False
    return all(doc.node(t).block == OCTCONV or (doc.node(t).block == OCTAVE_PASS and _octave_consumer(doc, t))
               for t in fed)


def octave_sections(doc: GraphDocument, uids: list[str], alpha: float) -> None:
    """Set ``alpha_in``/``alpha_out`` of the OctConv nodes ``uids`` by where they sit.

    An OctConv gives a pair (``alpha_out = alpha``) only when everything it feeds takes one
    (another OctConv, or OctConv BN+Act before one), and takes what its producer gives
    (``alpha_in``: the producer's ``alpha_out``, 0 for a plain tensor). Chains of swapped
    Conv2D become sections that start and end on plain tensors; a lone Conv2D stays a
    section of one (both alphas 0: a plain convolution, which the analysis would allow).
    """
    chosen = set(uids)
    for uid in doc.topological_order():
        if uid not in chosen:
            continue
        producer = next((lk.source for lk in doc.links_of(uid) if lk.target == uid), None)
        while producer is not None and doc.node(producer).block == OCTAVE_PASS:
            producer = next((lk.source for lk in doc.links_of(producer) if lk.target == producer), None)
        alpha_in = doc.node(producer).params.get("alpha_out", 0.0) if (
            producer is not None and doc.node(producer).block == OCTCONV) else 0.0
        doc.set_params(uid, {"alpha_in": alpha_in, "alpha_out": alpha if _octave_consumer(doc, uid) else 0.0})


def insert_after(doc: GraphDocument, uid: str, block: str, params: dict | None = None) -> str:
    """A new one-in, one-out node between ``uid``'s first output and everything it fed."""
    spec = doc.spec(uid)
    port = spec.outputs[0].name
    fed = [lk for lk in doc.links_of(uid) if lk.source == uid and lk.source_port == port]
    for lk in fed:
        doc.remove_link(lk)
    x, y = doc.node(uid).position
    new = doc.add_node(block, params or {}, (x + OFFSET, y + OFFSET))
    new_spec = doc.spec(new)
    doc.add_link(uid, port, new, new_spec.inputs[0].name)
    for lk in fed:
        doc.add_link(new, new_spec.outputs[0].name, lk.target, lk.target_port)
    return new


def replace_activation(doc: GraphDocument, name: str, other: str, options: dict | None = None) -> int:
    """Every ``name`` activation becomes ``other`` (an activation name or a block id); returns how many.

    Inline activations (a layer's ``activation`` parameter) are set, or, for a block
    ``other``, set to ``linear`` with an ``other`` node inserted after the layer.
    """
    as_name = other in ACTIVATIONS
    if not as_name:
        doc.registry.get(other)
    count = 0
    for uid, node in list(doc.nodes.items()):
        if node.params.get("activation") != name or not any(p.name == "activation" for p in doc.spec(uid).params):
            continue
        count += 1
        if as_name:
            doc.set_params(uid, {"activation": other})
        elif node.block == "core.activation":
            _swap_node(doc, uid, other, dict(options or {}))
        else:
            doc.set_params(uid, {"activation": "linear"})
            insert_after(doc, uid, other, dict(options or {}))
    return count


def bypass(doc: GraphDocument, uid: str) -> None:
    """Remove ``uid`` and wire its one input to everything it fed (a technique node: just removed)."""
    links = doc.links_of(uid)
    into = [lk for lk in links if lk.target == uid]
    fed = [lk for lk in links if lk.source == uid]
    if len(into) > 1:
        raise SproutError(f"node {uid} has {len(into)} inputs; only a node with one input can be switched off")
    if fed and not into:
        raise SproutError(f"node {uid} feeds other nodes but has no input; it cannot be switched off")
    doc.remove_node(uid)
    for lk in fed:
        doc.add_link(into[0].source, into[0].source_port, lk.target, lk.target_port)
