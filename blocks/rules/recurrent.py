"""Shape and cost rules shared by the recurrent blocks."""
from __future__ import annotations

from blocks.rules.shapes import one_input, simple_cost
from blocks.spec import TFLITE_FORMATS, ExportNote, ParamSpec


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


def rnn_export_notes(params, in_shapes, fmt):
    """TFLite cannot run a recurrent loop over a dynamic batch: the layer is unrolled.

    The exporter rebuilds the layer with ``unroll=True`` and the same weights (outputs
    identical). Sprout's inputs have a fixed number of steps, so this always works.
    """
    if fmt not in TFLITE_FORMATS:
        return None
    return ExportNote("note", f"unrolled for TFLite: {in_shapes[0][1]} steps (same weights, same outputs)")
