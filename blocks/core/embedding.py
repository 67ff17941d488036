"""Embedding: a learned vector per integer token."""
from __future__ import annotations

from blocks.rules.keras_import import standing_for
from blocks.rules.params import IN, OUT
from blocks.rules.shapes import one_input, simple_cost
from blocks.spec import BlockSpec, ParamSpec


def _shape(params, in_shapes):
    shape = one_input(in_shapes, 2, "(batch, steps) of integer ids")
    return [(None, shape[1], params["output_dim"])]


def _build(params, name):
    import keras
    return keras.layers.Embedding(params["input_dim"], params["output_dim"], name=name)


SPEC = BlockSpec(
    id="core.embedding", title="Embedding", category="Core",
    doc="Maps integer ids 0..input_dim-1 (words, categories) to learned vectors of "
        "`output_dim` values. Feed it from an Input of dtype int32.",
    inputs=IN, outputs=OUT,
    params=(ParamSpec("input_dim", "int", 100, "Number of distinct ids (vocabulary size).", low=1, high=10_000_000),
            ParamSpec("output_dim", "int", 16, "Length of each vector.", low=1, high=65536)),
    infer_shape=_shape,
    cost=lambda p, i, o: simple_cost(p["input_dim"] * p["output_dim"], 0, o),
    build=_build, example_inputs=((None, 7),), example_dtype="int32",
    keras_import=standing_for("Embedding", names=("input_dim", "output_dim")),
)
