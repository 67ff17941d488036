"""Octave tensors: pure-Python shape and cost rules for OctConv and OctConv BN+Act.

An *octave* tensor is a ``(high, low)`` pair: ``high`` at full resolution with
``C - int(alpha * C)`` channels, ``low`` at half the height and width with
``int(alpha * C)`` channels (the split of the official code). On a graph link its
shape is a tuple of two shape tuples, ``((None, H, W, Ch), (None, H/2, W/2, Cl))``.
At the ends of an octave section (``alpha = 0``) the same port carries a plain tensor.

The Keras layers that compute these tensors live in ``blocks/layers/octconv.py``.
"""
from __future__ import annotations

from collections.abc import Sequence

from blocks.rules.shapes import fmt
from blocks.spec import ParamError, Shape, ShapeError


def is_pair(shape) -> bool:
    """True when ``shape`` is a (high, low) pair of shapes rather than one shape."""
    return (isinstance(shape, (list, tuple)) and len(shape) == 2
            and all(isinstance(s, (list, tuple)) for s in shape))


def split_channels(channels: int, alpha: float) -> tuple[int, int]:
    """(high, low) channel counts: low = int(alpha * C), high = C - low."""
    low = int(alpha * channels)
    return channels - low, low


def fmt_octave(shape) -> str:
    """A shape or a (high, low) pair of shapes in words."""
    return f"(high={fmt(shape[0])}, low={fmt(shape[1])})" if is_pair(shape) else fmt(shape)


def _half(size, what: str, got) -> int | None:
    """``size / 2`` when ``size`` is even (None stays None); ShapeError otherwise."""
    if size is None:
        return None
    if size % 2:
        raise ShapeError(f"{what} Expected an even height and width here (the low-frequency branch "
                         f"is a 2x2 average pool). Received: {fmt_octave(got)}. Crop or pad the image, "
                         "or change the pooling before this block.")
    return size // 2


def octave_input(alpha_in: float, in_shape, block: str) -> tuple[Shape, Shape | None]:
    """Check an input against ``alpha_in``; returns (high shape, low shape or None).

    Raises:
        ShapeError: a pair where a plain tensor is expected (or the reverse), a rank other
            than 4, or a low branch whose size or channels do not match the high branch.
    """
    if alpha_in == 0:
        if is_pair(in_shape):
            raise ShapeError(f"{block} with alpha_in=0 expects a plain image tensor. Received a (high, low) "
                             f"pair {fmt_octave(in_shape)}; set alpha_in to the previous block's alpha_out.")
        high, low = tuple(in_shape), None
    else:
        if not is_pair(in_shape):
            raise ShapeError(f"{block} with alpha_in={alpha_in} expects a (high, low) pair from an octave "
                             f"block. Received a plain tensor {fmt(in_shape)}; use alpha_in=0 for the first "
                             "octave layer.")
        high, low = tuple(in_shape[0]), tuple(in_shape[1])
    for s in (high, low) if low is not None else (high,):
        if len(s) != 4:
            raise ShapeError(f"{block} expects (batch, height, width, channels) tensors. "
                             f"Received: {fmt_octave(in_shape)}")
    if low is None:
        return high, None
    want = (None, _half(high[1], block, in_shape), _half(high[2], block, in_shape))
    if low[1:3] != want[1:]:
        raise ShapeError(f"{block} expects the low branch at half the high branch's height and width, "
                         f"{fmt(want + (low[3],))}. Received: {fmt_octave(in_shape)}")
    total = high[3] + low[3]
    if split_channels(total, alpha_in)[1] != low[3]:
        raise ShapeError(f"{block} with alpha_in={alpha_in} expects int({alpha_in} * {total}) = "
                         f"{split_channels(total, alpha_in)[1]} low channels out of {total}. Received: "
                         f"{fmt_octave(in_shape)}; set alpha_in to the previous block's alpha_out.")
    return high, low


def octconv_shape(params, in_shapes: Sequence) -> list:
    """Output of an OctConv: a (high, low) pair, or one tensor when ``alpha_out`` is 0."""
    block = "OctConv"
    high, _ = octave_input(params["alpha_in"], in_shapes[0], block)
    c_high, c_low = split_channels(params["filters"], params["alpha_out"])
    if params["alpha_out"] > 0 and c_low == 0:
        raise ParamError("alpha_out", f"Expected at least one low-frequency channel: int(alpha_out * filters) = "
                                      f"int({params['alpha_out']} * {params['filters']}) = 0. Received: "
                                      f"alpha_out={params['alpha_out']}; raise filters or set alpha_out=0.")
    h, w = high[1], high[2]
    if params["strides"] == 2:  # stride 2 is a 2x2 average pool before a stride-1 conv
        h, w = _half(h, block, in_shapes[0]), _half(w, block, in_shapes[0])
    out_high = (None, h, w, c_high)
    if c_low == 0:
        return [out_high]
    return [(out_high, (None, _half(h, block, in_shapes[0]), _half(w, block, in_shapes[0]), c_low))]


def octconv_paths(params, in_shape) -> dict[str, int]:
    """Multiply-accumulates of each of the four inner convolutions (missing paths are absent).

    Every path is a stride-1 'same' convolution at the resolution of its *output*
    branch: H->H and L->H at the output high size (L->H before the upsample, at the low
    input size, when stride is 1), H->L and L->L at the output low size.
    """
    high, low = octave_input(params["alpha_in"], in_shape, "OctConv")
    kh, kw = params["kernel_size"]
    c_in_high, c_in_low = high[3], (low[3] if low is not None else 0)
    c_out_high, c_out_low = split_channels(params["filters"], params["alpha_out"])
    s = params["strides"]
    area_high = (high[1] // s) * (high[2] // s)  # the output high branch's positions
    area_low = area_high // 4
    paths = {"h2h": area_high * kh * kw * c_in_high * c_out_high}
    if c_out_low:
        paths["h2l"] = area_low * kh * kw * c_in_high * c_out_low
    if c_in_low:
        # L->H runs at the low input size: area_low for stride 1 (then upsampled),
        # area_high for stride 2 (the low input already has the output's size).
        paths["l2h"] = (area_low if s == 1 else area_high) * kh * kw * c_in_low * c_out_high
        if c_out_low:
            paths["l2l"] = area_low * kh * kw * c_in_low * c_out_low
    return paths
