"""Octave Convolution helpers: pure-Python shape/cost rules and the Keras layers.

An *octave* tensor is a ``(high, low)`` pair: ``high`` at full resolution with
``C - int(alpha * C)`` channels, ``low`` at half the height and width with
``int(alpha * C)`` channels (the split of the official code). On a graph link its
shape is a tuple of two shape tuples, ``((None, H, W, Ch), (None, H/2, W/2, Cl))``.
At the ends of an octave section (``alpha = 0``) the same port carries a plain tensor.

The Keras classes are defined inside :func:`classes` (cached) so importing this module
never imports Keras.
"""
from __future__ import annotations

import functools
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


@functools.cache
def classes() -> tuple:
    """Define and register the Keras layers (OctConv2D, OctaveBatchNormAct) once."""
    import keras
    from keras import ops

    def pool(x, size: int):
        return ops.average_pool(x, pool_size=size, strides=size, padding="valid")

    def up2(x):  # nearest-neighbour 2x upsampling
        return ops.repeat(ops.repeat(x, 2, axis=1), 2, axis=2)

    def split_input(inputs):
        if isinstance(inputs, (list, tuple)):
            return inputs[0], inputs[1]
        return inputs, None

    @keras.saving.register_keras_serializable(package="sprout")
    class OctConv2D(keras.layers.Layer):
        """Octave convolution over a (high, low) pair; plain tensors at alpha 0 ends."""

        def __init__(self, filters, kernel_size=(3, 3), strides=1, alpha_in=0.5, alpha_out=0.5,
                     use_bias=True, activation=None, **kwargs):
            super().__init__(**kwargs)
            if strides not in (1, 2):
                raise ValueError(f"Expected strides 1 or 2. Received: strides={strides!r}")
            for name, a in (("alpha_in", alpha_in), ("alpha_out", alpha_out)):
                if not 0 <= a < 1:
                    raise ValueError(f"Expected 0 <= {name} < 1. Received: {name}={a!r}")
            self.filters = int(filters)
            self.kernel_size = tuple(int(k) for k in kernel_size)
            self.strides = int(strides)
            self.alpha_in, self.alpha_out = float(alpha_in), float(alpha_out)
            self.use_bias = bool(use_bias)
            self.activation = keras.activations.get(activation)
            self.c_high, self.c_low = split_channels(self.filters, self.alpha_out)

        def build(self, input_shape):
            pair = is_pair(input_shape)
            if pair != (self.alpha_in > 0):
                raise ValueError(f"OctConv2D with alpha_in={self.alpha_in} got "
                                 f"{'a pair' if pair else 'a single tensor'}: input_shape={input_shape}")
            c_in_high = int(input_shape[0][-1] if pair else input_shape[-1])
            c_in_low = int(input_shape[1][-1]) if pair else 0

            def kernel(name, cin, cout):
                return self.add_weight(name=name, shape=(*self.kernel_size, cin, cout),
                                       initializer="glorot_uniform") if cin and cout else None

            self.k_h2h = kernel("kernel_h2h", c_in_high, self.c_high)
            self.k_h2l = kernel("kernel_h2l", c_in_high, self.c_low)
            self.k_l2h = kernel("kernel_l2h", c_in_low, self.c_high)
            self.k_l2l = kernel("kernel_l2l", c_in_low, self.c_low)
            # One bias per output frequency, not one per path (as the official code).
            self.b_high = self.add_weight(name="bias_high", shape=(self.c_high,), initializer="zeros") \
                if self.use_bias else None
            self.b_low = self.add_weight(name="bias_low", shape=(self.c_low,), initializer="zeros") \
                if self.use_bias and self.c_low else None

        def _conv(self, x, k):
            return ops.conv(x, k, strides=1, padding="same")

        def call(self, inputs):
            x_high, x_low = split_input(inputs)
            if self.strides == 2:
                x_high = pool(x_high, 2)
            y_high = self._conv(x_high, self.k_h2h)
            if x_low is not None:
                # At stride 1 L->H is upsampled; at stride 2 the low input already has
                # the output's high resolution, so the upsample is skipped.
                l2h = self._conv(x_low, self.k_l2h)
                y_high = y_high + (up2(l2h) if self.strides == 1 else l2h)
            if self.b_high is not None:
                y_high = y_high + self.b_high
            y_high = self.activation(y_high)
            if not self.c_low:
                return y_high
            y_low = self._conv(pool(x_high, 2), self.k_h2l)
            if x_low is not None:
                y_low = y_low + self._conv(pool(x_low, 2) if self.strides == 2 else x_low, self.k_l2l)
            if self.b_low is not None:
                y_low = y_low + self.b_low
            return y_high, self.activation(y_low)

        def get_config(self):
            return {**super().get_config(), "filters": self.filters, "kernel_size": self.kernel_size,
                    "strides": self.strides, "alpha_in": self.alpha_in, "alpha_out": self.alpha_out,
                    "use_bias": self.use_bias, "activation": keras.activations.serialize(self.activation)}

    @keras.saving.register_keras_serializable(package="sprout")
    class OctaveBatchNormAct(keras.layers.Layer):
        """BatchNormalization then an activation, separately on each frequency branch."""

        def __init__(self, momentum=0.99, epsilon=1e-3, activation="relu", **kwargs):
            super().__init__(**kwargs)
            self.momentum, self.epsilon = float(momentum), float(epsilon)
            self.activation = keras.activations.get(activation)
            # Each branch has its own statistics: high and low frequencies differ in scale.
            self.bn_high = keras.layers.BatchNormalization(momentum=momentum, epsilon=epsilon, name="bn_high")
            self.bn_low = keras.layers.BatchNormalization(momentum=momentum, epsilon=epsilon, name="bn_low")

        def build(self, input_shape):
            if is_pair(input_shape):
                self.bn_high.build(tuple(input_shape[0]))
                self.bn_low.build(tuple(input_shape[1]))
            else:
                self.bn_high.build(tuple(input_shape))

        def call(self, inputs, training=None):
            x_high, x_low = split_input(inputs)
            y_high = self.activation(self.bn_high(x_high, training=training))
            if x_low is None:
                return y_high
            return y_high, self.activation(self.bn_low(x_low, training=training))

        def get_config(self):
            return {**super().get_config(), "momentum": self.momentum, "epsilon": self.epsilon,
                    "activation": keras.activations.serialize(self.activation)}

    return OctConv2D, OctaveBatchNormAct
