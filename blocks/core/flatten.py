"""Flatten: one vector per sample."""
from __future__ import annotations

from blocks.rules.keras_import import standing_for
from blocks.rules.params import IN, OUT
from blocks.rules.shapes import elements, min_rank, one_input, simple_cost
from blocks.spec import BlockSpec, Compression


def _shape(params, in_shapes):
    shape = one_input(in_shapes)
    min_rank(shape, 2, "at least (batch, features)")
    return [(None, elements(shape))]


def _build(params, name):
    import keras
    return keras.layers.Flatten(name=name)


SPEC = BlockSpec(
    id="core.flatten", title="Flatten", category="Reshape",
    doc="Turns each sample into one long vector, e.g. (8, 8, 16) into 1024 features, "
        "so a Dense layer can follow.",
    inputs=IN, outputs=OUT, params=(),
    compression=Compression(flattens=True),
    infer_shape=_shape, cost=lambda p, i, o: simple_cost(0, 0, o), build=_build,
    example_inputs=((None, 4, 4, 2),),
    keras_import=standing_for("Flatten"),
)
