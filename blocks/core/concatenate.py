"""Concatenate: joins tensors along one axis."""
from __future__ import annotations

from blocks.rules.keras_import import standing_for
from blocks.rules.params import MERGE_IN, OUT
from blocks.rules.shapes import fmt, simple_cost
from blocks.spec import BlockSpec, ParamSpec, ShapeError


def _shape(params, in_shapes):
    rank = len(in_shapes[0])
    axis = params["axis"] if params["axis"] > 0 else rank + params["axis"]
    if not 1 <= axis < rank or any(len(s) != rank for s in in_shapes):
        raise ShapeError(f"Concatenate needs inputs of one rank and an axis inside it. Received: axis="
                         f"{params['axis']}, shapes " + ", ".join(fmt(s) for s in in_shapes))
    for s in in_shapes[1:]:
        if any(a != b for i, (a, b) in enumerate(zip(s, in_shapes[0])) if i != axis):
            raise ShapeError(f"Concatenate on axis {params['axis']} needs all other sizes equal. "
                             "Received: " + ", ".join(fmt(x) for x in in_shapes))
    out = list(in_shapes[0])
    out[axis] = sum(s[axis] for s in in_shapes)
    return [tuple(out)]


def _build(params, name):
    import keras
    return keras.layers.Concatenate(axis=params["axis"], name=name)


SPEC = BlockSpec(
    id="core.concatenate", title="Concatenate", category="Merge",
    doc="Joins its inputs along `axis` (-1: channels/features). Other sizes must match.",
    inputs=MERGE_IN, outputs=OUT,
    params=(ParamSpec("axis", "int", -1, "Axis to join along (-1 is the last).", low=-4, high=4),),
    infer_shape=_shape, cost=lambda p, i, o: simple_cost(0, 0, o), build=_build,
    example_inputs=((None, 4, 3), (None, 4, 5)),
    keras_import=standing_for("Concatenate", names=("axis",)),
)
