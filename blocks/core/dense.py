"""Dense: a fully connected layer on the last axis."""
from __future__ import annotations

from blocks.rules.keras_import import standing_for
from blocks.rules.params import IN, OUT, activation_param, keras_activation, use_bias_param
from blocks.rules.shapes import elements, min_rank, one_input, simple_cost
from blocks.spec import BlockSpec, Compression, ParamSpec


def _shape(params, in_shapes):
    shape = one_input(in_shapes)
    min_rank(shape, 2, "at least (batch, features)")
    return [(*shape[:-1], params["units"])]


def _cost(params, in_shapes, out_shapes):
    fan_in, units = in_shapes[0][-1], params["units"]
    weights = fan_in * units + (units if params["use_bias"] else 0)
    positions = elements(in_shapes[0]) // fan_in
    return simple_cost(weights, positions * fan_in * units, out_shapes)


def _build(params, name):
    import keras
    return keras.layers.Dense(params["units"], activation=keras_activation(params["activation"]),
                              use_bias=params["use_bias"], name=name)


SPEC = BlockSpec(
    id="core.dense", title="Dense", category="Core",
    doc="Fully connected layer: every output unit sees every input feature of the last axis. "
        "Flatten images first. The last Dense of a classifier has one unit per class.",
    inputs=IN, outputs=OUT,
    params=(ParamSpec("units", "int", 32, "Number of output units.", low=1, high=65536),
            activation_param(), use_bias_param()),
    compression=Compression(kernel="dense", width="units"),
    infer_shape=_shape, cost=_cost, build=_build, example_inputs=((None, 16),),
    keras_import=standing_for("Dense", names=("units", "use_bias")),
)
