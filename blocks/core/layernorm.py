"""LayerNormalization: normalizes each sample over its last axis."""
from __future__ import annotations

from blocks.rules.keras_import import standing_for
from blocks.rules.params import IN, OUT
from blocks.rules.shapes import elements, min_rank, one_input, simple_cost
from blocks.spec import BlockSpec, ParamSpec


def _shape(params, in_shapes):
    shape = one_input(in_shapes)
    min_rank(shape, 2, "at least (batch, features)")
    return [shape]


def _build(params, name):
    import keras
    return keras.layers.LayerNormalization(epsilon=params["epsilon"], name=name)


SPEC = BlockSpec(
    id="core.layernorm", family="normalization", title="LayerNormalization", category="Normalization",
    doc="Normalizes the features of each sample (last axis) to zero mean and unit "
        "variance, then scales and shifts. Independent of the batch: the same in training "
        "and inference; common in recurrent and attention models.",
    inputs=IN, outputs=OUT,
    params=(ParamSpec("epsilon", "float", 1e-3, "Added to the variance for stability.",
                      low=0.0, high=1.0, low_open=True),),
    infer_shape=_shape, cost=lambda p, i, o: simple_cost(2 * i[0][-1], elements(i[0]), o),
    build=_build, example_inputs=((None, 6, 5),),
    keras_import=standing_for("LayerNormalization", names=("epsilon",)),
)
