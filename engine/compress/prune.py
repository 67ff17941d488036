"""Magnitude pruning: unstructured (per layer or one global threshold) and structured.

Unstructured pruning zeroes the smallest-magnitude kernel weights of every Dense and
Conv2D (biases and normalization left alone) to exactly the requested fraction, one
shot or gradually on the polynomial schedule of Zhu & Gupta (2017), which the TF Model
Optimization Toolkit also uses: s_t = s_f * (1 - (1 - t/T)^3). The masks travel in the
state, so every later fine-tuning keeps the pruned weights at zero.

Structured pruning removes whole filters / units with the smallest L1 norm and rebuilds
the graph smaller: the layer's width parameter drops, the per-channel layers after it
(BatchNorm, activations, pooling, dropout) are sliced with it and the next kernel's
input channels are cut to match (through a Flatten too). A layer whose output reaches
anything else (an Add, a Concatenate, the Output) is kept whole, with a note saying why.
"""
from __future__ import annotations

import math

import numpy as np

from engine.compress import graph
from engine.compress.context import Context, State, apply_masks, fine_tune
from engine.errors import CompressionError

SCHEDULES = ("one_shot", "polynomial")
SCOPES = ("layer", "global")


def kernel_layers(model, project=None) -> list:
    """The Keras layers pruning works on: the graph's Dense/Conv2D nodes, or any layer with a kernel."""
    if project is not None:
        names = set(graph.compressible(project.document))
        return [layer for layer in model.layers if layer.name in names]
    return [layer for layer in model.layers if hasattr(layer, "kernel") and len(layer.kernel.shape) in (2, 4)]


def magnitude_masks(kernels: dict[str, np.ndarray], sparsity: float, scope: str = "layer") -> dict:
    """0/1 masks pruning exactly ``round(sparsity * n)`` smallest-magnitude weights.

    ``layer``: that fraction of every kernel; ``global``: of all kernels together (one
    threshold, so layers with many small weights lose more). Ties break by position.
    """
    masks = {}
    if scope == "global":
        flat = np.concatenate([np.abs(k).ravel() for k in kernels.values()]) if kernels else np.zeros(0)
        cut = _cut(flat, sparsity)
        offset = 0
        for name, kernel in kernels.items():
            masks[name] = cut[offset:offset + kernel.size].reshape(kernel.shape)
            offset += kernel.size
        return masks
    return {name: _cut(np.abs(k).ravel(), sparsity).reshape(k.shape) for name, k in kernels.items()}


def _cut(magnitudes: np.ndarray, sparsity: float) -> np.ndarray:
    k = int(round(sparsity * magnitudes.size))
    mask = np.ones(magnitudes.size, dtype="float32")
    if k:
        mask[np.argsort(magnitudes, kind="stable")[:k]] = 0.0
    return mask


def polynomial(step: int, total: int, final: float, power: int = 3) -> float:
    """Sparsity after ``step`` of ``total`` schedule steps (0 at the start, ``final`` at the end)."""
    t = min(1.0, max(0.0, step / max(1, total)))
    return final * (1.0 - (1.0 - t) ** power)


def sparsity_of(model, names) -> dict[str, float]:
    """Fraction of exact zeros in the kernel of each named layer."""
    out = {}
    for layer in model.layers:
        if layer.name in names:
            k = np.asarray(layer.kernel)
            out[layer.name] = float(np.mean(k == 0))
    return out


def prune_unstructured(state: State, ctx: Context, step: dict) -> State:
    """Masks at the requested sparsity (one shot or gradual), then fine-tuning that keeps them."""
    sparsity, scope = float(step["sparsity"]), step.get("scope", "global")
    schedule, epochs = step.get("schedule", "one_shot"), int(step.get("fine_tune_epochs", 0))
    layers = kernel_layers(state.model, state.project)
    chosen = _chosen(layers, step.get("layers"), state.project)

    def masks_at(target: float) -> dict:
        kernels = {layer.name: np.asarray(layer.kernel) * state.masks.get(layer.name, 1.0) for layer in chosen}
        fresh = magnitude_masks(kernels, target, scope)
        # A weight pruned by an earlier step stays pruned.
        return {n: m * state.masks[n] if n in state.masks else m for n, m in fresh.items()}

    if schedule == "polynomial" and epochs > 0:
        batches = max(1, math.ceil(len(ctx.dataset.x_train) / ctx.config.batch_size))
        # Reach the final sparsity after two thirds of fine-tuning, re-masking 4 times an epoch.
        end = max(1, (epochs * batches * 2) // 3)
        every = max(1, batches // 4)

        def on_batch(done: int, total: int) -> None:
            if done % every == 0 or done == end:
                state.masks.update(masks_at(polynomial(min(done, end), end, sparsity)))
                apply_masks(state.model, state.masks)

        state.masks.update(masks_at(polynomial(0, end, sparsity)))
        fine_tune(state, ctx, epochs, step.get("learning_rate"), on_batch=on_batch)
    else:
        on_batch = None
    state.masks.update(masks_at(sparsity))  # the final masks, exact (also after a gradual schedule)
    apply_masks(state.model, state.masks)
    if schedule != "polynomial" and epochs > 0:
        fine_tune(state, ctx, epochs, step.get("learning_rate"))
    done = sparsity_of(state.model, {layer.name for layer in chosen})
    state.notes.append(f"pruned {len(chosen)} layers to {sparsity:.0%} sparsity ({scope}, {schedule}): "
                       + ", ".join(f"{n} {s:.1%}" for n, s in done.items()))
    return state


def _chosen(layers: list, names, project) -> list:
    if not names:
        return layers
    doc = project.document if project is not None else None
    wanted = set()
    for name in names:
        uid = _resolve(doc, name) if doc is not None else name
        if uid not in {layer.name for layer in layers}:
            raise CompressionError(f"prune: {name!r} is not a Dense or Conv2D layer of the model")
        wanted.add(uid)
    return [layer for layer in layers if layer.name in wanted]


def _resolve(doc, name: str) -> str:
    if name in doc.nodes:
        return name
    for uid, node in doc.nodes.items():
        if node.title == name:
            return uid
    raise CompressionError(f"prune: no node {name!r} in the graph")


# -- structured ---------------------------------------------------------------------
def channel_paths(doc, uid: str):
    """Where channel c of ``uid``'s output goes: (followers, consumers) or a reason it cannot be cut.

    followers: channelwise nodes and Flattens on the way (in order); consumers: the kernel
    nodes that read those channels. Returns (None, None, reason) when some path reaches a
    block that mixes channels in a way slicing cannot follow.
    """
    followers, consumers = [], []

    def passes(target: str) -> bool:
        comp = doc.spec(target).compression
        return comp is not None and not comp.kernel and (comp.channelwise or comp.flattens)

    for target in graph.downstream(doc, uid, passes):
        if graph.has_kernel(doc, target):
            consumers.append(target)
        elif passes(target):
            followers.append(target)
        else:
            label = doc.node(target).title or doc.spec(target).title
            return None, None, f"it feeds {label} ({target}), which mixes channels"
    return followers, consumers, ""


def prune_structured(state: State, ctx: Context, step: dict) -> State:
    """Remove the weakest filters / units of every prunable layer, rebuild, fine-tune."""
    if state.project is None:
        raise CompressionError("structured pruning needs the model's graph (a run or a project), "
                               "not a bare model file; use structured: false")
    project = graph.clone(state.project)
    doc = project.document
    weights = graph.layer_weights(state.model)
    from engine.analysis.graph import analyze

    shapes = analyze(doc).nodes
    sparsity = float(step["sparsity"])
    targets = [u for u in graph.compressible(doc) if not graph.feeds_output(doc, u)]
    if step.get("layers"):
        targets = [_resolve(doc, n) for n in step["layers"]]
    changed: set[str] = set()
    for uid in targets:
        followers, consumers, reason = channel_paths(doc, uid)
        label = doc.node(uid).title or doc.spec(uid).title
        if followers is None or graph.feeds_output(doc, uid):
            state.notes.append(f"{uid} {label} kept whole: {reason or 'it makes the model output'}")
            continue
        kernel = weights[uid][0]
        width = kernel.shape[-1]
        keep = max(1, int(round(width * (1.0 - sparsity))))
        norms = np.abs(kernel.reshape(-1, width)).sum(axis=0)
        kept = np.sort(np.argsort(-norms, kind="stable")[:keep])
        weights[uid] = [w[..., kept] for w in weights[uid]]  # kernel and bias: last axis
        _slice_downstream(doc, shapes, weights, uid, followers, consumers, kept, width)
        comp = doc.spec(uid).compression
        doc.set_params(uid, {**doc.node(uid).params, comp.width: int(keep)})
        changed.update([uid, *followers, *consumers])
        state.notes.append(f"{uid} {label}: {width} -> {keep} {comp.width}")
    compiled = graph.rebuild(doc, state.model, {u: weights[u] for u in changed if u in weights})
    state.model, state.project = compiled.model, project
    fine_tune(state, ctx, int(step.get("fine_tune_epochs", 0)), step.get("learning_rate"))
    return state


def _slice_downstream(doc, shapes, weights, producer, followers, consumers, kept, width) -> None:
    """Cut followers' per-channel weights and consumers' input channels to ``kept``.

    Each node's input carries (kept indices, channels) from its one source; a Flatten
    turns channel indices into every flattened position of those channels.
    """
    carried = {producer: (kept, width)}
    order = [u for u in doc.topological_order() if u in set(followers) | set(consumers)]
    for uid in order:
        source = next(iter(doc.inputs_of(uid).values())).source
        index, channels = carried[source]
        if uid in consumers:
            kernel, *rest = weights[uid]
            if kernel.shape[-2] != channels:
                raise CompressionError(f"node {uid}: expected {channels} input channels to cut, "
                                       f"found {kernel.shape[-2]}")
            weights[uid] = [np.take(kernel, index, axis=-2), *rest]
            continue
        if uid in weights:
            weights[uid] = [w[..., index] if w.ndim and w.shape[-1] == channels else w for w in weights[uid]]
        if doc.spec(uid).compression.flattens:
            in_shape = shapes[uid].in_shapes[0]
            positions = int(np.prod(in_shape[1:-1])) if len(in_shape) > 2 else 1
            index = np.concatenate([p * channels + index for p in range(positions)])
            channels = positions * channels
        carried[uid] = (index, channels)


def prune(state: State, ctx: Context, step: dict) -> State:
    """The ``prune`` step of a plan."""
    if step.get("structured"):
        return prune_structured(state, ctx, step)
    return prune_unstructured(state, ctx, step)
