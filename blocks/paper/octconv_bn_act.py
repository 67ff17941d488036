"""OctConv BN+Act: batch normalization and an activation on each branch of a (high, low) pair."""
from __future__ import annotations

from blocks.rules.keras_import import standing_for
from blocks.rules.octave import fmt_octave, is_pair
from blocks.rules.params import activation_param, keras_activation
from blocks.rules.shapes import elements, simple_cost
from blocks.spec import BlockSpec, ParamSpec, PortSpec, ShapeError


def _branches(shape) -> list:
    return [tuple(s) for s in shape] if is_pair(shape) else [tuple(shape)]


def _shape(params, in_shapes):
    shape = in_shapes[0]
    for s in _branches(shape):
        if len(s) != 4:
            raise ShapeError("OctConv BN+Act expects (batch, height, width, channels) tensors or a "
                             f"(high, low) pair of them. Received: {fmt_octave(shape)}")
    return [tuple(_branches(shape)) if is_pair(shape) else tuple(shape)]


def _cost(params, in_shapes, out_shapes):
    branches = _branches(in_shapes[0])
    # 4 numbers per channel and branch (gamma, beta, moving mean, moving variance);
    # one multiply-accumulate per value for the normalization, as core.batchnorm counts.
    return simple_cost(sum(4 * s[-1] for s in branches), sum(elements(s) for s in branches), branches)


def _build(params, name):
    from blocks.layers.octconv import OctaveBatchNormAct

    return OctaveBatchNormAct(momentum=params["momentum"], epsilon=params["epsilon"],
                              activation=keras_activation(params["activation"]), name=name)


SPEC = BlockSpec(
    id="paper.octconv_bn_act", title="OctConv BN+Act", category="Paper techniques",
    doc="Batch normalization followed by an activation, applied separately to the high- and "
        "low-frequency branches of an OctConv output (each branch keeps its own statistics). "
        "Put it after an OctConv with a linear activation, as in the paper's Conv-BN-ReLU "
        "units. A plain tensor (after an OctConv with alpha_out = 0) passes through one branch.",
    inputs=(PortSpec("in", kind="octave"),), outputs=(PortSpec("out", kind="octave"),),
    params=(ParamSpec("momentum", "float", 0.99, "Momentum of the running averages.",
                      low=0.0, high=1.0, high_open=True),
            ParamSpec("epsilon", "float", 1e-3, "Added to the variance for stability.",
                      low=0.0, high=1.0, low_open=True),
            activation_param("relu")),
    infer_shape=_shape, cost=_cost, build=_build,
    example_inputs=(((None, 4, 4, 3), (None, 2, 2, 2)),), stochastic=True,
    pros="Lets an OctConv network use the usual Conv-BN-ReLU recipe: faster, steadier training.",
    cons="Batch statistics make training and inference behave differently; small batches give "
         "noisy statistics, worse on the low branch's fewer positions.",
    reference="Y. Chen et al.: Drop an Octave: Reducing Spatial Redundancy in Convolutional Neural "
              "Networks with Octave Convolution. ICCV 2019 (Conv-BN-ReLU on both branches).",
    keras_import=standing_for("OctaveBatchNormAct", names=("momentum", "epsilon")),
)
