"""DepthwiseConv2D: one kernel per input channel (no mixing across channels)."""
from __future__ import annotations

from blocks.rules.conv import conv_cost, conv_shape
from blocks.rules.keras_import import standing_for
from blocks.rules.params import IN, OUT, activation_param, keras_activation, padding_param, pair_param, use_bias_param
from blocks.spec import BlockSpec, ParamSpec


def _cost(params, in_shapes, out_shapes):
    kh, kw = params["kernel_size"]
    outc = in_shapes[0][-1] * params["depth_multiplier"]
    return conv_cost(kh * kw * outc, outc if params["use_bias"] else 0, out_shapes[0], kh * kw * outc, out_shapes)


def _build(params, name):
    import keras
    return keras.layers.DepthwiseConv2D(params["kernel_size"], strides=params["strides"],
                                        padding=params["padding"], depth_multiplier=params["depth_multiplier"],
                                        activation=keras_activation(params["activation"]),
                                        use_bias=params["use_bias"], name=name)


SPEC = BlockSpec(
    id="core.depthwise_conv2d", title="DepthwiseConv2D", category="Convolution",
    doc="Depthwise convolution: each input channel gets its own spatial kernel. About "
        "k*k times cheaper than Conv2D; pair it with a 1x1 Conv2D to mix channels.",
    inputs=IN, outputs=OUT,
    params=(pair_param("kernel_size", (3, 3), "Kernel height and width."),
            pair_param("strides", (1, 1), "Step of the kernel."), padding_param(),
            ParamSpec("depth_multiplier", "int", 1, "Output channels per input channel.", low=1, high=64),
            activation_param(), use_bias_param()),
    infer_shape=lambda p, s: [conv_shape(p, s, 2, s[0][-1] * p["depth_multiplier"])],
    cost=_cost, build=_build, example_inputs=((None, 8, 8, 3),),
    keras_import=standing_for("DepthwiseConv2D", names=("kernel_size", "strides", "padding", "depth_multiplier",
                                                       "use_bias")),
)
