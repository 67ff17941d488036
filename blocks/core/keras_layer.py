"""Keras layer: a layer kept as it was saved, for models imported with layers no block covers.

A partial import (``main.py import MODEL --partial``) turns each such layer into one of
these nodes. The node holds the layer's serialized config and the shapes it was saved
with, as JSON text: the graph stays data only. Building it deserializes a built-in Keras
layer class only (never a class or function named by the file), so the compiled model
holds the same layer and the imported weights fit it. Its shape rule replays the saved
shapes and refuses any other input, so edits around it are checked.
"""
from __future__ import annotations

import json

from blocks.rules.shapes import fmt
from blocks.spec import BlockSpec, Cost, KerasImport, ParamSpec, PortSpec, ShapeError, activation_bytes

# What the node holds when placed by hand: a small Dense, so the default builds.
EXAMPLE = {"class_name": "Dense", "config": {"units": 4}, "input_shapes": [[None, 16]],
           "output_shape": [None, 4], "weights": 68, "macs": 64}
REFUSED = ("Lambda", "TFSMLayer", "TorchModuleWrapper", "JaxLayer", "FlaxLayer")


def saved(params) -> dict:
    """The stored layer description; ShapeError when the text is not one."""
    try:
        data = json.loads(params["layer"])
    except ValueError as exc:
        raise ShapeError(f"Expected the saved layer as JSON text. Received: {exc}") from None
    keys = ("class_name", "config", "input_shapes", "output_shape")
    if not isinstance(data, dict) or any(k not in data for k in keys) or not isinstance(data["config"], dict):
        raise ShapeError(f"Expected a JSON object with {', '.join(keys)}. Received: {params['layer'][:60]!r}")
    return data


def _shape(params, in_shapes):
    data = saved(params)
    expected = [tuple(s) for s in data["input_shapes"]]
    if [tuple(s) for s in in_shapes] != expected:
        raise ShapeError(f"{data['class_name']} was saved for inputs {', '.join(fmt(s) for s in expected)}. "
                         f"Received: {', '.join(fmt(s) for s in in_shapes)}")
    return [tuple(data["output_shape"])]


def _cost(params, in_shapes, out_shapes):
    data = saved(params)
    return Cost(int(data.get("weights", 0)), int(data.get("macs", 0)),
                sum(activation_bytes(s) for s in out_shapes))


def _build(params, name):
    import keras

    data = saved(params)
    cls = getattr(keras.layers, str(data["class_name"]), None)
    if data["class_name"] in REFUSED or not (isinstance(cls, type) and issubclass(cls, keras.layers.Layer)):
        raise ValueError(f"{data['class_name']} is not a built-in Keras layer Sprout can rebuild")
    config = {**data["config"], "name": name}
    return keras.saving.deserialize_keras_object({"module": "keras.layers", "class_name": data["class_name"],
                                                  "config": config, "registered_name": None}, safe_mode=True)


def _from_layer(entry):
    return {"layer": json.dumps(entry, sort_keys=True)}


SPEC = BlockSpec(
    id="core.keras_layer", title="Keras layer", category="Core",
    doc="A Keras layer kept exactly as it was in an imported model file (partial import), for "
        "layers no Sprout block stands for. It compiles back to the same layer with the same "
        "options and imported weights, and accepts only the input shapes it was saved with. "
        "Its options are read-only: replace it by a block to edit them.",
    inputs=(PortSpec("in"), PortSpec("in2", optional=True), PortSpec("in3", optional=True),
            PortSpec("in4", optional=True)),
    outputs=(PortSpec("out"),),
    params=(ParamSpec("layer", "str", json.dumps(EXAMPLE, sort_keys=True),
                      "The saved layer: class, config, shapes (JSON, read-only)."),),
    infer_shape=_shape, cost=_cost, build=_build, example_inputs=((None, 16),),
    keras_import=KerasImport((), _from_layer, fallback=True),
)
