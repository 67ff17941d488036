"""Conv1D: a 1-D convolution over sequences."""
from __future__ import annotations

from blocks.rules.conv import conv_cost, conv_shape
from blocks.rules.keras_import import standing_for
from blocks.rules.params import IN, OUT, activation_param, keras_activation, padding_param, use_bias_param
from blocks.spec import BlockSpec, ParamSpec


def _cost(params, in_shapes, out_shapes):
    k, cin, cout = params["kernel_size"], in_shapes[0][-1], params["filters"]
    return conv_cost(k * cin * cout, cout if params["use_bias"] else 0, out_shapes[0], k * cin * cout, out_shapes)


def _build(params, name):
    import keras
    return keras.layers.Conv1D(params["filters"], params["kernel_size"], strides=params["strides"],
                               padding=params["padding"], dilation_rate=params["dilation_rate"],
                               activation=keras_activation(params["activation"]),
                               use_bias=params["use_bias"], name=name)


SPEC = BlockSpec(
    id="core.conv1d", title="Conv1D", category="Convolution",
    doc="1-D convolution along the time axis of a sequence (batch, steps, features).",
    inputs=IN, outputs=OUT,
    params=(ParamSpec("filters", "int", 16, "Number of output channels.", low=1, high=8192),
            ParamSpec("kernel_size", "int", 3, "Kernel length in steps.", low=1, high=1024),
            ParamSpec("strides", "int", 1, "Step of the kernel.", low=1, high=64),
            padding_param(),
            ParamSpec("dilation_rate", "int", 1, "Spacing between kernel taps.", low=1, high=64),
            activation_param(), use_bias_param()),
    infer_shape=lambda p, s: [conv_shape(p, s, 1, p["filters"])], cost=_cost, build=_build,
    example_inputs=((None, 12, 4),),
    keras_import=standing_for("Conv1D", names=("filters", "kernel_size", "strides", "padding", "dilation_rate", "use_bias"),
                              single=("kernel_size", "strides", "dilation_rate")),
)
