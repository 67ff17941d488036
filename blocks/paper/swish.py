"""Swish: x * sigmoid(beta * x), with beta fixed, one learned scalar or learned per channel.

Cost per element: three multiply-accumulates (beta * x, the sigmoid counted as one, and
the product with x); the sigmoid's exp and division make it dearer than ReLU in practice.
"""
from __future__ import annotations

from blocks.rules.keras_import import standing_for
from blocks.rules.params import IN, OUT
from blocks.rules.shapes import elements, fmt, min_rank, one_input, simple_cost
from blocks.rules.techniques import SWISH_MODES as MODES
from blocks.spec import BlockSpec, ParamSpec, ShapeError

MACS_PER_ELEMENT = 3


def _shape(params, in_shapes):
    shape = one_input(in_shapes)
    min_rank(shape, 2, "at least (batch, features)")
    if params["beta_mode"] == "per_channel" and shape[-1] is None:
        raise ShapeError("Expected a known channel count on the last axis for beta_mode='per_channel'. "
                         f"Received: shape={fmt(shape)}")
    return [shape]


def _weights(params, shape) -> int:
    return {"fixed": 0, "scalar": 1, "per_channel": int(shape[-1] or 0)}[params["beta_mode"]]


def _cost(params, in_shapes, out_shapes):
    shape = in_shapes[0]
    return simple_cost(_weights(params, shape), MACS_PER_ELEMENT * elements(shape), out_shapes)


def _build(params, name):
    from blocks.layers.swish import Swish

    return Swish(beta_mode=params["beta_mode"], beta=params["beta"], name=name)


SPEC = BlockSpec(
    id="paper.swish", family="activation", title="Swish", category="Paper techniques",
    doc="Swish activation: f(x) = x * sigmoid(beta * x). Smooth, non-monotonic (a small dip "
        "below zero for negative inputs), bounded below and unbounded above like ReLU. With "
        "beta = 1 it is SiLU; as beta grows it approaches ReLU, at beta = 0 it is x / 2. "
        "beta_mode 'fixed' keeps beta constant (no weights); 'scalar' learns one beta for the "
        "whole layer; 'per_channel' learns one beta per channel of the last axis. Use it in "
        "place of ReLU in deeper networks (set the previous layer's activation to linear and "
        "put Swish after it). Costs about 3 multiply-accumulates per value.",
    inputs=IN, outputs=OUT,
    params=(ParamSpec("beta_mode", "choice", "fixed",
                      "'fixed': beta is a constant; 'scalar': one trainable beta; "
                      "'per_channel': one trainable beta per channel (last axis).", choices=MODES),
            ParamSpec("beta", "float", 1.0, "The value of beta (the starting value when trainable).",
                      low=-100.0, high=100.0)),
    infer_shape=_shape, cost=_cost, build=_build, example_inputs=((None, 16),),
    pros="Helps deeper networks train (smooth, keeps a gradient for negative inputs, fewer "
         "dead units than ReLU); tends to converge faster; has been used with GANs.",
    cons="Can over-fit on simple tasks; epochs and inference are slower than with ReLU "
         "(about 15% per the survey) because of the sigmoid.",
    reference="Ramachandran, P., Zoph, B., Le, Q. V. Searching for Activation Functions. "
              "ICLR 2018 Workshop Track (arXiv:1710.05941, 2017).",
    keras_import=standing_for("Swish", names=("beta_mode", "beta")),
)
