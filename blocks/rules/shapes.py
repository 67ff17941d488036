"""Pure-Python shape and cost helpers shared by the standard blocks."""
from __future__ import annotations

from collections.abc import Sequence

from blocks.spec import Cost, Shape, ShapeError, activation_bytes


def one_input(in_shapes: Sequence[Shape], rank: int | None = None, what: str = "") -> Shape:
    """The single input shape, checked for rank (batch axis included).

    Raises:
        ShapeError: when the rank differs, naming the expected layout.
    """
    shape = tuple(in_shapes[0])
    if rank is not None and len(shape) != rank:
        layout = what or f"rank {rank}"
        raise ShapeError(f"Expected an input of {layout} (rank {rank} with the batch axis). "
                         f"Received: shape={fmt(shape)}")
    return shape


def min_rank(shape: Shape, rank: int, what: str) -> None:
    """Raise ShapeError when ``shape`` has fewer than ``rank`` axes."""
    if len(shape) < rank:
        raise ShapeError(f"Expected {what}. Received: shape={fmt(shape)}")


def conv_length(size: int | None, kernel: int, stride: int, padding: str, dilation: int = 1) -> int | None:
    """Output length of a convolution or pooling window along one axis (Keras rules)."""
    if size is None:
        return None
    effective = (kernel - 1) * dilation + 1
    if padding == "same":
        return -(-size // stride)
    out = (size - effective) // stride + 1
    if out <= 0:
        raise ShapeError(f"Window {kernel} (dilation {dilation}) is larger than the input "
                         f"size {size} with padding='valid'. Use padding='same' or a smaller kernel.")
    return out


def spatial(shape: Shape, kernel: Sequence[int], strides: Sequence[int], padding: str,
            dilation: Sequence[int] | None = None) -> tuple:
    """Output spatial sizes for channels-last ``shape`` (batch, *spatial, channels)."""
    dims = shape[1:-1]
    dilation = dilation or [1] * len(dims)
    return tuple(conv_length(d, k, s, padding, r) for d, k, s, r in zip(dims, kernel, strides, dilation))


def elements(shape: Shape) -> int:
    """Number of items in one sample of ``shape``."""
    n = 1
    for d in shape[1:]:
        n *= int(d or 0)
    return n


def simple_cost(params: int, macs: int, out_shapes: Sequence[Shape]) -> Cost:
    """A :class:`Cost` with activation bytes summed over the outputs."""
    return Cost(int(params), int(macs), sum(activation_bytes(s) for s in out_shapes))


def same_shapes(in_shapes: Sequence[Shape], op: str) -> Shape:
    """Check that every connected input has one shape (for Add, Multiply)."""
    first = tuple(in_shapes[0])
    for s in in_shapes[1:]:
        if tuple(s) != first:
            raise ShapeError(f"{op} needs inputs of one shape. Received: "
                             + ", ".join(fmt(x) for x in in_shapes))
    return first


def fmt(shape: Shape) -> str:
    """``(None, 8, 8, 1)`` -> ``(batch, 8, 8, 1)``."""
    return "(" + ", ".join("batch" if i == 0 else str(d) for i, d in enumerate(shape)) + ")"
