"""Input: where samples enter the model."""
from __future__ import annotations

from blocks.rules.params import OUT
from blocks.rules.shapes import simple_cost
from blocks.spec import BlockSpec, KerasImport, ParamSpec


def _shape(params, in_shapes):
    return [(None, *params["shape"])]


def _from_input_layer(config):
    """A saved ``InputLayer``: its batch shape without the batch axis, and its dtype."""
    shape = config.get("batch_shape") or [None, *(config.get("shape") or ())]
    return {"shape": tuple(shape[1:]), "dtype": config.get("dtype", "float32")}


SPEC = BlockSpec(
    id="core.input", role="input", title="Input", category="Input / Output",
    doc="Where samples enter the model. `shape` is one sample without the batch axis: "
        "(8, 8, 1) for an 8x8 grey image, (8, 8) for 8 steps of 8 features, (4,) for a "
        "table of 4 columns. Use dtype int32 for token ids feeding an Embedding.",
    inputs=(), outputs=OUT,
    params=(ParamSpec("shape", "tuple", (8, 8, 1), "One sample's shape, batch axis excluded.",
                      low=1, high=1_000_000, length=(1, 4)),
            ParamSpec("dtype", "choice", "float32", "Element type of the samples.",
                      choices=("float32", "int32"))),
    infer_shape=_shape, cost=lambda p, i, o: simple_cost(0, 0, o), build=None,
    keras_import=KerasImport(("InputLayer",), _from_input_layer),
)
