"""Low-rank factorization: a Dense kernel as two thinner ones, a Conv2D kernel as three.

A Dense kernel W (fan_in, units) is cut by a truncated SVD into A (fan_in, r) @ B (r, units):
the graph gets a linear, bias-free Dense of r units in front of the original node, which
keeps its uid, bias and activation. A Conv2D kernel (kh, kw, cin, cout) is cut by Tucker-2
(HOSVD on the two channel modes): a 1x1 conv down to r_in channels, a kh x kw core conv to
r_out channels, then the original node as a 1x1 conv back to cout. Everything is NumPy;
Keras is only touched through :mod:`engine.compress.graph`. The class layer (a kernel
feeding the Output) is left alone.

A step is a dict: ``{"energy": 0.9}`` (fraction of the squared singular values kept, per
mode for a conv) or ``{"rank": 16}``, plus an optional ``"layers"`` list of node ids or titles.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from engine.compress import graph
from engine.errors import CompressionError

_PLAN_KEYS = {"method", "fine_tune_epochs", "learning_rate"}  # engine.compress.plan's; used by its runner
_KINDS = ("dense", "conv2d")


def rank_for_energy(singular_values, energy: float) -> int:
    """The smallest r with sum(s[:r]**2) / sum(s**2) >= ``energy`` (0 < energy <= 1)."""
    if not 0 < energy <= 1:
        raise CompressionError(f"Expected 0 < energy <= 1. Received: energy={energy}")
    power = np.asarray(singular_values, dtype=np.float64) ** 2
    cumulative = np.cumsum(power)
    if cumulative.size == 0 or cumulative[-1] <= 0:
        return 1
    # a tolerance so that energy=1 is met by the full spectrum despite rounding
    return int(np.searchsorted(cumulative / cumulative[-1], energy - 1e-12) + 1)


def svd_dense(kernel, rank: int):
    """Truncated SVD of a Dense kernel (fan_in, units), sqrt(S) put on both sides.

    Returns:
        (a, b, error): a (fan_in, rank), b (rank, units) in the kernel's dtype, and the
        Frobenius norm of ``kernel - a @ b``.
    """
    w = np.asarray(kernel, dtype=np.float64)
    if not 1 <= rank <= min(w.shape):
        raise CompressionError(f"Expected 1 <= rank <= {min(w.shape)} for a {w.shape} kernel. Received: rank={rank}")
    u, s, vt = np.linalg.svd(w, full_matrices=False)
    root = np.sqrt(s[:rank])
    a, b = u[:, :rank] * root, root[:, None] * vt[:rank]
    dtype = np.asarray(kernel).dtype
    return a.astype(dtype), b.astype(dtype), float(np.linalg.norm(w - a @ b))


def mode_factors(kernel):
    """Left singular vectors and values of a conv kernel's cin-mode and cout-mode unfoldings."""
    w = np.asarray(kernel, dtype=np.float64)
    u_in, s_in, _ = np.linalg.svd(np.moveaxis(w, 2, 0).reshape(w.shape[2], -1), full_matrices=False)
    u_out, s_out, _ = np.linalg.svd(np.moveaxis(w, 3, 0).reshape(w.shape[3], -1), full_matrices=False)
    return (u_in, s_in), (u_out, s_out)


def tucker2(kernel, r_in: int, r_out: int):
    """Tucker-2 of a conv kernel (kh, kw, cin, cout) on its two channel modes.

    Returns:
        (first (1, 1, cin, r_in), core (kh, kw, r_in, r_out), last (1, 1, r_out, cout)), in
        the kernel's dtype. The factors are orthogonal, so at full rank the three convs
        together compute exactly what the original did.
    """
    w = np.asarray(kernel, dtype=np.float64)
    (u_in, _), (u_out, _) = mode_factors(w)
    if not (1 <= r_in <= u_in.shape[1] and 1 <= r_out <= u_out.shape[1]):
        raise CompressionError(f"Expected 1 <= r_in <= {u_in.shape[1]} and 1 <= r_out <= {u_out.shape[1]} "
                               f"for a {w.shape} kernel. Received: r_in={r_in}, r_out={r_out}")
    p_in, p_out = u_in[:, :r_in], u_out[:, :r_out]
    core = np.einsum("hwio,ia,ob->hwab", w, p_in, p_out)
    dtype = np.asarray(kernel).dtype
    return (p_in[None, None].astype(dtype), core.astype(dtype), p_out.T[None, None].astype(dtype))


@dataclass(frozen=True)
class _Layer:
    """One chosen node as shapes: ``dims`` is (fan_in, units) or (kh, kw, cin, cout)."""

    uid: str
    title: str
    kind: str
    dims: tuple
    bias: bool

    @property
    def name(self) -> str:
        return f"node {self.uid} ({self.title})"

    @property
    def label(self) -> str:
        return f"{self.uid} {self.title} {'x'.join(map(str, self.dims))}"

    def ranks(self, rank: int) -> tuple:
        """Per-mode ranks for an explicit ``rank``, clamped to what each mode holds."""
        if self.kind == "dense":
            return (rank,)
        kh, kw, cin, cout = self.dims
        return min(rank, cin, kh * kw * cout), min(rank, cout, kh * kw * cin)

    def params(self, ranks: tuple | None = None) -> int:
        """Weights of the layer, as it is (``ranks`` None) or factorized at ``ranks``."""
        extra = self.dims[-1] if self.bias else 0
        if ranks is None:
            return int(np.prod(self.dims)) + extra
        if self.kind == "dense":
            return ranks[0] * sum(self.dims) + extra
        kh, kw, cin, cout = self.dims
        return cin * ranks[0] + kh * kw * ranks[0] * ranks[1] + ranks[1] * cout + extra

    def limit(self) -> int:
        """The largest explicit rank that means something here (a conv clamps each mode)."""
        return min(self.dims) if self.kind == "dense" else max(self.dims[2:])

    def saving_limit(self) -> int:
        """The largest explicit rank that still saves parameters (0: none does)."""
        return max((r for r in range(1, self.limit() + 1) if self.params(self.ranks(r)) < self.params()), default=0)


def _parse(step) -> tuple[float | None, int | None, list | None]:
    if not isinstance(step, dict):
        raise CompressionError(f"low-rank step: expected a dict with energy or rank. Received: {step!r}")
    unknown = sorted(set(step) - {"energy", "rank", "layers"} - _PLAN_KEYS)
    if unknown:
        raise CompressionError(f"low-rank step: unknown key {unknown[0]!r}; expected energy, rank or layers")
    energy, rank, layers = step.get("energy"), step.get("rank"), step.get("layers")
    if (energy is None) == (rank is None):
        raise CompressionError(f"low-rank step: expected exactly one of energy or rank. Received: {step!r}")
    if energy is not None and (isinstance(energy, bool) or not isinstance(energy, (int, float))
                               or not 0 < energy <= 1):
        raise CompressionError(f"low-rank step: expected 0 < energy <= 1. Received: energy={energy!r}")
    if rank is not None and (isinstance(rank, bool) or not isinstance(rank, int) or rank < 1):
        raise CompressionError(f"low-rank step: expected an integer rank >= 1. Received: rank={rank!r}")
    if layers is not None and (not isinstance(layers, list) or not all(isinstance(x, str) for x in layers)):
        raise CompressionError(f"low-rank step: expected layers as a list of node ids or titles. Received: {layers!r}")
    return energy, rank, layers


def _resolve(doc, name: str) -> str:
    if name in doc.nodes:
        return name
    hits = [uid for uid, node in doc.nodes.items() if node.title == name]
    if len(hits) != 1:
        raise CompressionError(f"low-rank step: the title {name!r} names {len(hits)} nodes ({', '.join(hits)}); "
                               "name one by its id" if hits else f"low-rank step: no node with id or title {name!r}")
    return hits[0]


def _plan(doc, step):
    """(energy, rank, [(layer, reason to leave it or None)]), every error raised up front."""
    from engine.analysis.graph import analyze

    energy, rank, names = _parse(step)
    if names is None:
        uids = [uid for uid in graph.compressible(doc) if doc.spec(uid).compression.kernel in _KINDS]
    else:
        uids = list(dict.fromkeys(_resolve(doc, name) for name in names))
    shapes = analyze(doc).nodes
    chosen = []
    for uid in uids:
        node, comp = doc.node(uid), doc.spec(uid).compression
        if comp is None or comp.kernel not in _KINDS:
            raise CompressionError(f"node {uid} ({node.title}): expected a Dense or Conv2D kind of layer; "
                                   f"received {doc.spec(uid).title}, which has no kernel to factorize")
        result = shapes.get(uid)
        if result is None or result.out_shapes is None or not result.in_shapes:
            raise CompressionError(f"node {uid} ({node.title}): its input shape is unknown; fix the graph first")
        fan_in, width = result.in_shapes[0][-1], node.params[comp.width]
        dims = (fan_in, width) if comp.kernel == "dense" else (*node.params["kernel_size"], fan_in, width)
        layer = _Layer(uid, node.title, comp.kernel, tuple(int(d) for d in dims), bool(node.params.get("use_bias")))
        if graph.feeds_output(doc, uid):
            chosen.append((layer, "left alone: it makes the model's answer (the class layer)"))
            continue
        if rank is not None and rank > layer.limit():
            raise CompressionError(f"{layer.name}: rank {rank} is larger than the layer "
                                   f"({' x '.join(map(str, layer.dims))} allows at most {layer.limit()})")
        chosen.append((layer, None))
    return energy, rank, chosen


def _summary(layer: _Layer, ranks: tuple, kept: tuple | None) -> str:
    word = "rank" if len(ranks) == 1 else "ranks"
    energy = f" ({'/'.join(f'{k:.1%}' for k in kept)} energy)" if kept else ""
    return (f"{layer.label} -> {word} {'/'.join(map(str, ranks))}{energy}: "
            f"{layer.params():,} -> {layer.params(ranks):,} params")


def preview(project, step) -> list[str]:
    """What a low-rank step would do to each chosen layer, from shapes alone (no weights).

    Raises:
        CompressionError: a bad step, an unknown or unsuitable layer, a rank too large.
    """
    energy, rank, chosen = _plan(project.document, step)
    lines = []
    for layer, reason in chosen:
        if reason:
            lines.append(f"{layer.label}: {reason}")
        elif rank is not None and layer.params(layer.ranks(rank)) >= layer.params():
            lines.append(f"{layer.label}: left as is: rank {rank} would not save parameters "
                         f"(it needs rank <= {layer.saving_limit()})")
        elif rank is not None:
            lines.append(_summary(layer, layer.ranks(rank), None))
        else:
            lines.append(f"{layer.label}: the smallest rank keeping {energy:.0%} of the energy, if it saves "
                         f"parameters ({layer.params():,} params now)")
    return lines


def _insert_before(doc, uid: str, params: dict, title: str) -> str:
    """A new node of ``uid``'s block between ``uid`` and whatever fed it; returns its uid."""
    port = doc.spec(uid).inputs[0].name
    link = doc.inputs_of(uid)[port]
    doc.remove_link(link)
    new = doc.add_node(doc.node(uid).block, params, doc.node(uid).position, title)
    spec = doc.spec(new)
    doc.add_link(link.source, link.source_port, new, spec.inputs[0].name)
    doc.add_link(new, spec.outputs[0].name, uid, port)
    return new


def factorize(project, model, step, force: bool = False):
    """Factorize the chosen layers of ``model`` (trained from ``project``) on a copy of the project.

    Args:
        force: factorize even where it saves no parameters (full-rank checks).

    Returns:
        (new_project, overrides, notes): ``graph.rebuild(new_project.document, model,
        overrides)`` is the factorized model; one note per chosen layer.

    Raises:
        CompressionError: as :func:`preview`, or weights that do not fit the graph.
    """
    new = graph.clone(project)
    doc = new.document
    energy, rank, chosen = _plan(doc, step)
    columns = len({round(n.position[0]) for n in doc.nodes.values()})
    overrides, notes = {}, []
    group_of = {uid: g for g in new.groups for uid in g.nodes}
    trained = graph.layer_weights(model)
    for layer, reason in chosen:
        if reason:
            notes.append(f"{layer.label}: {reason}")
            continue
        weights = trained.get(layer.uid)
        if not weights or tuple(weights[0].shape) != layer.dims:
            raise CompressionError(f"{layer.name}: expected a trained kernel of shape {layer.dims} in the model; "
                                   f"received {tuple(weights[0].shape) if weights else 'no weights'}")
        spectra = ((np.linalg.svd(np.asarray(weights[0], np.float64), compute_uv=False),) if layer.kind == "dense"
                   else tuple(s for _, s in mode_factors(weights[0])))
        ranks = layer.ranks(rank) if rank is not None else tuple(rank_for_energy(s, energy) for s in spectra)
        kept = tuple(float(np.sum(s[:r] ** 2) / max(np.sum(s ** 2), 1e-300)) for s, r in zip(spectra, ranks))
        if layer.params(ranks) >= layer.params() and not force:
            notes.append(f"{_summary(layer, ranks, kept)}: left as is, it would not save parameters")
            continue
        width, node = doc.spec(layer.uid).compression.width, doc.node(layer.uid)
        lean = {"activation": "linear", "use_bias": False}
        if layer.kind == "dense":
            a, b, _ = svd_dense(weights[0], ranks[0])
            added = [_insert_before(doc, layer.uid, {width: ranks[0], **lean}, f"{node.title} low-rank")]
            overrides[added[0]], overrides[layer.uid] = [a], [b, *weights[1:]]
        else:
            first, core, last = tucker2(weights[0], *ranks)
            conv = {k: node.params[k] for k in ("kernel_size", "strides", "padding", "dilation_rate")}
            unit = {"kernel_size": (1, 1), "strides": (1, 1), "padding": "same", "dilation_rate": (1, 1)}
            added = [_insert_before(doc, layer.uid, {width: ranks[0], **unit, **lean}, f"{node.title} low-rank in"),
                     _insert_before(doc, layer.uid, {width: ranks[1], **conv, **lean}, f"{node.title} low-rank core")]
            doc.set_params(layer.uid, unit)
            overrides[added[0]], overrides[added[1]] = [first], [core]
            overrides[layer.uid] = [last, *weights[1:]]
        if layer.uid in group_of:
            group_of[layer.uid].nodes.extend(added)
        notes.append(_summary(layer, ranks, kept))
    if overrides:  # lay the new graph out again, wrapping after as many columns as before
        from engine.model.layout import layered_positions

        origin = (min(n.position[0] for n in doc.nodes.values()), min(n.position[1] for n in doc.nodes.values()))
        for uid, position in layered_positions(doc, origin, columns if columns > 1 else None).items():
            doc.move_node(uid, position)
    return new, overrides, notes
