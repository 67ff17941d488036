"""Compile a graph document into a Keras 3 functional model.

Keras is imported inside the functions. Every error names the node it belongs to.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from engine.analysis import analyze
from engine.document import GraphDocument
from engine.errors import CompileError

PROBABILITY_ACTIVATIONS = {"softmax", "sigmoid"}


@dataclass(frozen=True)
class OutputSpec:
    """One model output: the Output node, its loss and whether it sees logits."""

    uid: str
    loss: str
    loss_weight: float
    from_logits: bool
    shape: tuple


@dataclass
class CompiledGraph:
    """A Keras model plus what the trainer needs to know about its outputs."""

    model: object  # keras.Model
    inputs: list[str]
    outputs: list[OutputSpec]
    hooks: list = field(default_factory=list)  # (uid, blocks.spec.TrainingHooks) of technique blocks


def compile_document(doc: GraphDocument, name: str = "sprout_model") -> CompiledGraph:
    """Build the Keras functional model for ``doc`` in topological order.

    Raises:
        CompileError: naming the node at fault (or the graph when no node is).
    """
    analysis = analyze(doc)
    if analysis.errors:
        first = analysis.errors[0]
        raise CompileError(first.uid, first.message)
    import keras

    tensors: dict[tuple[str, str], object] = {}
    inputs: list[str] = []
    outputs: list[OutputSpec] = []
    hooks: list = []
    model_inputs, model_outputs = [], []
    for uid in analysis.order:
        node = doc.node(uid)
        spec = doc.registry.get(node.block)
        if spec.training is not None:
            hooks.append((uid, spec.training(node.params)))
            if not spec.inputs and not spec.outputs:
                continue  # a training technique, not a layer
        try:
            if node.block == "core.input":
                t = keras.Input(shape=tuple(node.params["shape"]), dtype=node.params["dtype"], name=uid)
                inputs.append(uid)
                model_inputs.append(t)
                tensors[(uid, "out")] = t
                continue
            incoming = doc.inputs_of(uid)
            args = [tensors[(incoming[p.name].source, incoming[p.name].source_port)]
                    for p in spec.inputs if p.name in incoming]
            layer = spec.build(node.params, uid)
            result = layer(args[0] if len(args) == 1 else args)
        except CompileError:
            raise
        except Exception as exc:  # Keras raises many types; report them on the node
            raise CompileError(uid, f"Keras could not build {spec.title}: {_first_line(exc)}") from exc
        if node.block == "core.output":
            src = next(iter(incoming.values()))
            outputs.append(OutputSpec(uid, node.params["loss"], node.params["loss_weight"],
                                      not _ends_in_probabilities(doc, src.source),
                                      analysis.nodes[uid].out_shapes[0]))
            model_outputs.append(result)
            continue
        # A single port keeps the result whole: it may be a (high, low) tuple (OctConv).
        results = result if len(spec.outputs) > 1 and isinstance(result, (list, tuple)) else [result]
        for port, tensor in zip(spec.output_names(), results):
            tensors[(uid, port)] = tensor
    try:
        model = keras.Model(inputs=model_inputs, outputs=model_outputs, name=name)
    except Exception as exc:
        raise CompileError(None, f"Keras could not assemble the model: {_first_line(exc)}") from exc
    return CompiledGraph(model, inputs, outputs, hooks)


def _ends_in_probabilities(doc: GraphDocument, uid: str) -> bool:
    params = doc.node(uid).params
    return params.get("activation") in PROBABILITY_ACTIVATIONS


def _first_line(exc: Exception) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__
