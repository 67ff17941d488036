"""SeparableConv2D: depthwise convolution followed by a 1x1 pointwise convolution."""
from __future__ import annotations

from blocks.rules.conv import conv_cost, conv_shape
from blocks.rules.keras_import import standing_for
from blocks.rules.params import IN, OUT, activation_param, keras_activation, padding_param, pair_param, use_bias_param
from blocks.spec import BlockSpec, ParamSpec


def _cost(params, in_shapes, out_shapes):
    kh, kw = params["kernel_size"]
    mid = in_shapes[0][-1] * params["depth_multiplier"]
    cout = params["filters"]
    weights = kh * kw * mid + mid * cout
    return conv_cost(weights, cout if params["use_bias"] else 0, out_shapes[0], weights, out_shapes)


def _build(params, name):
    import keras
    return keras.layers.SeparableConv2D(params["filters"], params["kernel_size"], strides=params["strides"],
                                        padding=params["padding"], depth_multiplier=params["depth_multiplier"],
                                        activation=keras_activation(params["activation"]),
                                        use_bias=params["use_bias"], name=name)


SPEC = BlockSpec(
    id="core.separable_conv2d", family="conv2d", title="SeparableConv2D", category="Convolution",
    doc="Depthwise-separable convolution (as in MobileNet and Xception): a per-channel "
        "spatial kernel, then a 1x1 convolution that mixes channels. Far fewer weights and "
        "MACs than Conv2D for the same output channels.",
    inputs=IN, outputs=OUT,
    params=(ParamSpec("filters", "int", 16, "Number of output channels.", low=1, high=8192),
            pair_param("kernel_size", (3, 3), "Kernel height and width."),
            pair_param("strides", (1, 1), "Step of the kernel."), padding_param(),
            ParamSpec("depth_multiplier", "int", 1, "Depthwise outputs per input channel.", low=1, high=64),
            activation_param(), use_bias_param()),
    infer_shape=lambda p, s: [conv_shape(p, s, 2, p["filters"])], cost=_cost, build=_build,
    example_inputs=((None, 8, 8, 3),),
    keras_import=standing_for("SeparableConv2D", names=("filters", "kernel_size", "strides", "padding",
                                                       "depth_multiplier", "use_bias")),
)
