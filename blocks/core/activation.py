"""Activation: an element-wise non-linearity."""
from __future__ import annotations

from blocks.rules.keras_import import activation_named
from blocks.rules.params import ACTIVATIONS, IN, OUT, keras_activation
from blocks.rules.shapes import one_input, simple_cost
from blocks.spec import CHANNELWISE, BlockSpec, KerasImport, ParamSpec


def _build(params, name):
    import keras
    return keras.layers.Activation(keras_activation(params["activation"]) or "linear", name=name)


SPEC = BlockSpec(
    id="core.activation", family="activation", title="Activation", category="Activation",
    doc="Applies a non-linearity to every value: relu (the default choice), relu6 (for "
        "int8 deployment), sigmoid/tanh (bounded), softmax (class probabilities over the "
        "last axis), gelu, elu, selu, leaky_relu.",
    inputs=IN, outputs=OUT,
    params=(ParamSpec("activation", "choice", "relu", "The function applied.", choices=ACTIVATIONS),),
    compression=CHANNELWISE,
    infer_shape=lambda p, s: [one_input(s)], cost=lambda p, i, o: simple_cost(0, 0, o),
    build=_build, example_inputs=((None, 10),),
    keras_import=KerasImport(("Activation",), activation_named(ACTIVATIONS)),
)
