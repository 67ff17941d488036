"""Conv2D: a 2-D convolution over images."""
from __future__ import annotations

from dataclasses import replace

from blocks.rules.conv import conv_cost, conv_shape
from blocks.rules.keras_import import standing_for
from blocks.rules.params import IN, OUT, activation_param, keras_activation, padding_param, pair_param, use_bias_param
from blocks.spec import BlockSpec, Compression, ParamSpec


def _cost(params, in_shapes, out_shapes):
    kh, kw = params["kernel_size"]
    cin, cout = in_shapes[0][-1], params["filters"]
    cost = conv_cost(kh * kw * cin * cout, cout if params["use_bias"] else 0, out_shapes[0],
                     kh * kw * cin * cout, out_shapes)
    if (kh, kw) == (1, 1) and tuple(params["strides"]) == (1, 1):
        return cost
    _b, h, w, _c = out_shapes[0]
    return replace(cost, scratch_values=h * w * kh * kw * cin)  # the im2col buffer of TFLite's kernel


def _build(params, name):
    import keras
    return keras.layers.Conv2D(params["filters"], params["kernel_size"], strides=params["strides"],
                               padding=params["padding"], dilation_rate=params["dilation_rate"],
                               activation=keras_activation(params["activation"]),
                               use_bias=params["use_bias"], name=name)


SPEC = BlockSpec(
    id="core.conv2d", family="conv2d", title="Conv2D", category="Convolution",
    doc="2-D convolution: slides `filters` learned kernels over an image (batch, height, "
        "width, channels). The workhorse of image models.",
    inputs=IN, outputs=OUT,
    params=(ParamSpec("filters", "int", 16, "Number of output channels.", low=1, high=8192),
            pair_param("kernel_size", (3, 3), "Kernel height and width."),
            pair_param("strides", (1, 1), "Step of the kernel; 2 halves the image."),
            padding_param(),
            pair_param("dilation_rate", (1, 1), "Spacing between kernel taps."),
            activation_param(), use_bias_param()),
    compression=Compression(kernel="conv2d", width="filters"),
    infer_shape=lambda p, s: [conv_shape(p, s, 2, p["filters"])], cost=_cost, build=_build,
    example_inputs=((None, 8, 8, 3),),
    keras_import=standing_for("Conv2D", names=("filters", "kernel_size", "strides", "padding", "dilation_rate", "use_bias")),
)
