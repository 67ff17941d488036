"""Reshape: same values, another layout."""
from __future__ import annotations

from blocks.rules.keras_import import standing_for
from blocks.rules.params import IN, OUT
from blocks.rules.shapes import elements, fmt, one_input, simple_cost
from blocks.spec import BlockSpec, ParamSpec, ShapeError


def _shape(params, in_shapes):
    shape = one_input(in_shapes)
    target = (None, *params["target_shape"])
    if elements(shape) != elements(target):
        raise ShapeError(f"Reshape keeps the number of values per sample: {fmt(shape)} has "
                         f"{elements(shape)}, target {fmt(target)} has {elements(target)}.")
    return [target]


def _build(params, name):
    import keras
    return keras.layers.Reshape(tuple(params["target_shape"]), name=name)


SPEC = BlockSpec(
    id="core.reshape", title="Reshape", category="Reshape",
    doc="Rearranges each sample into `target_shape` (batch axis excluded). The number of "
        "values must stay the same: 64 features can become (8, 8, 1).",
    inputs=IN, outputs=OUT,
    params=(ParamSpec("target_shape", "tuple", (8, 8, 1), "New shape of one sample.",
                      low=1, high=1_000_000, length=(1, 4)),),
    infer_shape=_shape, cost=lambda p, i, o: simple_cost(0, 0, o), build=_build,
    example_inputs=((None, 64),),
    keras_import=standing_for("Reshape", names=("target_shape",)),
)
