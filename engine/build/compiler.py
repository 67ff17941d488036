"""Compile a graph document into a Keras 3 functional model.

Keras is imported inside the functions. Every error names the node it belongs to.
The order and the wiring come from the one graph walk (:mod:`engine.build.walk`).
"""
from __future__ import annotations

from dataclasses import dataclass, field

from engine.build.walk import walk
from engine.errors import CompileError
from engine.model.document import GraphDocument

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
    """Build the Keras functional model for ``doc``, following :func:`engine.build.walk.walk`.

    Raises:
        CompileError: naming the node at fault (or the graph when no node is).
    """
    steps = list(walk(doc))
    import keras

    tensors: dict[tuple[str, str], object] = {}
    inputs: list[str] = []
    outputs: list[OutputSpec] = []
    hooks: list = []
    model_inputs, model_outputs = [], []
    for step in steps:
        uid, params, spec = step.uid, step.node.params, step.spec
        if spec.training is not None:
            hooks.append((uid, spec.training(params)))
        if step.role == "technique":
            continue  # it changes training, not the layer graph
        try:
            if step.role == "input":
                t = keras.Input(shape=tuple(params["shape"]), dtype=params["dtype"], name=uid)
                inputs.append(uid)
                model_inputs.append(t)
                tensors[(uid, "out")] = t
                continue
            args = [tensors[source] for source in step.sources]
            layer = spec.build(params, uid)
            result = layer(args[0] if len(args) == 1 else args)
        except CompileError:
            raise
        except Exception as exc:  # Keras raises many types; report them on the node
            raise CompileError(uid, f"Keras could not build {spec.title}: {_first_line(exc)}") from exc
        if step.role == "output":
            outputs.append(OutputSpec(uid, params["loss"], params["loss_weight"],
                                      not _ends_in_probabilities(doc, step.sources[0][0]), step.out_shapes[0]))
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
