"""Octave Convolution (OctConv): a convolution that keeps part of its channels at half resolution.

Ports are of kind ``octave``: they carry a ``(high, low)`` pair, or a plain image tensor
at the ends of an octave section (``alpha_in = 0`` on the first OctConv, ``alpha_out = 0``
on the last). The link check accepts an octave port next to a tensor or pair port; the
graph analysis then checks what actually travels and marks the node at fault (see
``engine/analysis/``).

Cost: only the four inner convolutions' multiply-accumulates are counted (the 2x2
average pools, the nearest upsample and the branch sums are additions and copies). With
``alpha_in = alpha_out = a`` on an even-sized image this is exactly
``1 - 3/4 * a * (2 - a)`` of a plain Conv2D (43.75% at a = 0.5). Parameters equal the
plain Conv2D's: the four kernels split its kernel, and there is one bias per output
channel (per output frequency, not per path).
"""
from __future__ import annotations

from blocks.rules.keras_import import standing_for
from blocks.rules.octave import is_pair, octconv_paths, octconv_shape
from blocks.rules.params import activation_param, keras_activation, pair_param, use_bias_param
from blocks.rules.shapes import simple_cost
from blocks.spec import BlockSpec, ParamSpec, PortSpec


def alpha_param(name: str, default: float, help: str) -> ParamSpec:
    """A ratio of low-frequency channels, 0 <= alpha < 1."""
    return ParamSpec(name, "float", default, help, low=0.0, high=1.0, high_open=True)


def _cost(params, in_shapes, out_shapes):
    macs = sum(octconv_paths(params, in_shapes[0]).values())
    in_shape = in_shapes[0]
    c_in = in_shape[0][-1] + in_shape[1][-1] if is_pair(in_shape) else in_shape[-1]
    kh, kw = params["kernel_size"]
    weights = kh * kw * c_in * params["filters"] + (params["filters"] if params["use_bias"] else 0)
    flat = [s for o in out_shapes for s in (o if is_pair(o) else (o,))]
    return simple_cost(weights, macs, flat)


def _build(params, name):
    from blocks.layers.octconv import OctConv2D

    return OctConv2D(params["filters"], kernel_size=params["kernel_size"], strides=params["strides"],
                     alpha_in=params["alpha_in"], alpha_out=params["alpha_out"],
                     use_bias=params["use_bias"], activation=keras_activation(params["activation"]),
                     name=name)


SPEC = BlockSpec(
    id="paper.octconv", family="conv2d", title="OctConv", category="Paper techniques",
    doc="Octave Convolution: splits the feature maps into a high-frequency part at full "
        "resolution and a low-frequency part (a fraction alpha of the channels) at half the "
        "height and width, and convolves within and between the two (high->low through a 2x2 "
        "average pool, low->high through a nearest 2x upsample). Same parameters as a Conv2D "
        "with the same channels, but far fewer multiply-accumulates: 43.75% of them at "
        "alpha = 0.5. Drop it in place of a 'same'-padded Conv2D: the first OctConv of a "
        "section takes the image (alpha_in = 0) and outputs a (high, low) pair, middle ones "
        "take and give pairs (alpha_in = the previous alpha_out), the last one outputs a plain "
        "tensor again (alpha_out = 0). Use OctConv BN+Act between them for batch norm and "
        "activation on both branches. Needs even image sizes (divisible by 4 with strides 2).",
    inputs=(PortSpec("in", kind="octave"),), outputs=(PortSpec("out", kind="octave"),),
    params=(ParamSpec("filters", "int", 16, "Number of output channels (high + low).", low=1, high=8192),
            pair_param("kernel_size", (3, 3), "Kernel height and width."),
            ParamSpec("strides", "choice", 1, "2 halves both branches (average pool, then a stride-1 "
                                                 "convolution).", choices=(1, 2)),
            ParamSpec("padding", "choice", "same", "Always 'same': the two branches must stay aligned.",
                      choices=("same",)),
            alpha_param("alpha_in", 0.5, "Fraction of the INPUT channels at low resolution; 0 means the "
                                         "input is a plain image tensor (first OctConv)."),
            alpha_param("alpha_out", 0.5, "Fraction of the OUTPUT channels at low resolution, "
                                          "low = int(alpha_out * filters); 0 gives a plain tensor "
                                          "(last OctConv)."),
            activation_param(), use_bias_param()),
    infer_shape=octconv_shape, cost=_cost, build=_build,
    example_inputs=(((None, 8, 8, 4), (None, 4, 4, 4)),),
    pros="Saves computation and feature-map memory by keeping smoothly varying information at a "
         "lower resolution, with the same parameter count; the wider receptive field of the low "
         "branch often improves accuracy a little, and it has been used to stabilize GAN training. "
         "A plug-in replacement for a regular convolution.",
    cons="One more hyper-parameter (alpha) per layer to tune; how it combines with other "
         "compression methods (pruning, quantization) is largely untested. Fewer MACs is not always "
         "faster: the pools, upsamples and four smaller convolutions add overhead on real hardware. "
         "Needs even image sizes.",
    reference="Y. Chen, H. Fan, B. Xu, Z. Yan, Y. Kalantidis, M. Rohrbach, S. Yan, J. Feng: Drop an "
              "Octave: Reducing Spatial Redundancy in Convolutional Neural Networks with Octave "
              "Convolution. ICCV 2019.",
    keras_import=standing_for("OctConv2D", names=("filters", "kernel_size", "strides", "alpha_in", "alpha_out", "use_bias")),
)
