"""Add: element-wise sum of two to four tensors (residual connections)."""
from __future__ import annotations

from blocks.rules.keras_import import standing_for
from blocks.rules.params import MERGE_IN, OUT
from blocks.rules.shapes import elements, same_shapes, simple_cost
from blocks.spec import BlockSpec


def _build(params, name):
    import keras
    return keras.layers.Add(name=name)


SPEC = BlockSpec(
    id="core.add", title="Add", category="Merge",
    doc="Adds its inputs element by element; all must have the same shape. Used for "
        "residual (skip) connections: x + F(x).",
    inputs=MERGE_IN, outputs=OUT, params=(),
    infer_shape=lambda p, s: [same_shapes(s, "Add")],
    cost=lambda p, i, o: simple_cost(0, elements(o[0]) * (len(i) - 1), o),
    build=_build, example_inputs=((None, 6), (None, 6)),
    keras_import=standing_for("Add"),
)
