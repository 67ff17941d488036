"""Shape and cost rules shared by the convolution and pooling blocks."""
from __future__ import annotations

from blocks.rules.shapes import one_input, simple_cost, spatial
from blocks.spec import ShapeError


def conv_shape(params, in_shapes, rank: int, channels_out=None):
    """Output shape of a channels-last convolution with Keras's rules."""
    shape = one_input(in_shapes, rank + 2, "(batch, " + ", ".join(["size"] * rank) + ", channels)")
    kernel = _tuple(params.get("kernel_size"), rank)
    strides = _tuple(params.get("strides", 1), rank)
    dilation = _tuple(params.get("dilation_rate", 1), rank)
    if max(strides) > 1 and max(dilation) > 1:
        raise ShapeError("strides > 1 and dilation_rate > 1 cannot be combined. "
                         f"Received: strides={strides}, dilation_rate={dilation}")
    out_c = channels_out if channels_out is not None else shape[-1]
    return (None, *spatial(shape, kernel, strides, params["padding"], dilation), out_c)


def pool_shape(params, in_shapes):
    """Output shape of a 2-D pooling window."""
    shape = one_input(in_shapes, 4, "(batch, height, width, channels)")
    return (None, *spatial(shape, params["pool_size"], params["strides"], params["padding"]), shape[-1])


def conv_cost(kernel_weights: int, bias: int, out_shape, macs_per_position: int, out_shapes):
    """Cost of a convolution: weights, MACs = output positions x MACs per position."""
    positions = 1
    for d in out_shape[1:-1]:
        positions *= d
    return simple_cost(kernel_weights + bias, positions * macs_per_position, out_shapes)


def _tuple(value, rank: int) -> tuple:
    if isinstance(value, (list, tuple)):
        return tuple(value) if len(value) == rank else tuple(value) * rank
    return (value,) * rank
