"""Shape and cost rules shared by the recurrent blocks."""
from __future__ import annotations

from blocks.rules.shapes import one_input, simple_cost
from blocks.spec import ParamSpec


def rnn_params(units: int = 32) -> tuple:
    """``units`` and ``return_sequences``, common to every recurrent block."""
    return (ParamSpec("units", "int", units, "Size of the hidden state.", low=1, high=8192),
            ParamSpec("return_sequences", "bool", False,
                      "Output every step (to stack another recurrent layer) instead of the last one."))


def rnn_shape(params, in_shapes):
    """(batch, steps, features) -> (batch, units) or (batch, steps, units)."""
    shape = one_input(in_shapes, 3, "(batch, steps, features)")
    if params["return_sequences"]:
        return [(None, shape[1], params["units"])]
    return [(None, params["units"])]


def rnn_cost(gates: int, extra_bias: int = 0):
    """A cost rule for a cell with ``gates`` affine maps of [x, h] per step."""
    def cost(params, in_shapes, out_shapes):
        steps, features = in_shapes[0][1], in_shapes[0][2]
        units = params["units"]
        per_step = gates * units * (features + units)
        weights = per_step + gates * units + extra_bias * units
        return simple_cost(weights, (steps or 0) * per_step, out_shapes)
    return cost
