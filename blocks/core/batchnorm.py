"""BatchNormalization: normalizes each channel with batch statistics."""
from __future__ import annotations

from blocks.rules.keras_import import standing_for
from blocks.rules.params import IN, OUT
from blocks.rules.shapes import elements, min_rank, one_input, simple_cost
from blocks.spec import CHANNELWISE, BlockSpec, ParamSpec


def _shape(params, in_shapes):
    shape = one_input(in_shapes)
    min_rank(shape, 2, "at least (batch, features)")
    return [shape]


def _build(params, name):
    import keras
    return keras.layers.BatchNormalization(momentum=params["momentum"], epsilon=params["epsilon"], name=name)


SPEC = BlockSpec(
    id="core.batchnorm", family="normalization", title="BatchNormalization", category="Normalization",
    doc="Normalizes each channel (last axis) to zero mean and unit variance using the "
        "batch while training and running averages at inference, then scales and shifts. "
        "Speeds up training; 4 numbers per channel (2 learned, 2 running statistics).",
    inputs=IN, outputs=OUT,
    params=(ParamSpec("momentum", "float", 0.99, "Momentum of the running averages.",
                      low=0.0, high=1.0, high_open=True),
            ParamSpec("epsilon", "float", 1e-3, "Added to the variance for stability.",
                      low=0.0, high=1.0, low_open=True)),
    compression=CHANNELWISE,
    infer_shape=_shape, cost=lambda p, i, o: simple_cost(4 * i[0][-1], elements(i[0]), o),
    build=_build, example_inputs=((None, 4, 4, 3),), stochastic=True,
    keras_import=standing_for("BatchNormalization", names=("momentum", "epsilon")),
)
