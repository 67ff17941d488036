"""Octave Convolution's Keras layers (Chen et al., ICCV 2019): OctConv2D and OctaveBatchNormAct.

Blocks ``paper.octconv`` and ``paper.octconv_bn_act``. The shape and cost rules of octave
tensors (a ``(high, low)`` pair, or a plain tensor at an ``alpha = 0`` end) are pure Python
in ``blocks/rules/octave.py``.
"""
from __future__ import annotations

import keras
from keras import ops

from blocks.rules.octave import is_pair, split_channels


def _pool(x, size: int):
    """A size x size average pool with stride size (the low-frequency branch)."""
    return ops.average_pool(x, pool_size=size, strides=size, padding="valid")


def _up2(x):
    """Nearest-neighbour 2x upsampling of height and width."""
    return ops.repeat(ops.repeat(x, 2, axis=1), 2, axis=2)


def _split_input(inputs):
    """(high, low) of a pair; (tensor, None) for a plain tensor."""
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
        x_high, x_low = _split_input(inputs)
        if self.strides == 2:
            x_high = _pool(x_high, 2)
        y_high = self._conv(x_high, self.k_h2h)
        if x_low is not None:
            # At stride 1 L->H is upsampled; at stride 2 the low input already has
            # the output's high resolution, so the upsample is skipped.
            l2h = self._conv(x_low, self.k_l2h)
            y_high = y_high + (_up2(l2h) if self.strides == 1 else l2h)
        if self.b_high is not None:
            y_high = y_high + self.b_high
        y_high = self.activation(y_high)
        if not self.c_low:
            return y_high
        y_low = self._conv(_pool(x_high, 2), self.k_h2l)
        if x_low is not None:
            y_low = y_low + self._conv(_pool(x_low, 2) if self.strides == 2 else x_low, self.k_l2l)
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
        x_high, x_low = _split_input(inputs)
        y_high = self.activation(self.bn_high(x_high, training=training))
        if x_low is None:
            return y_high
        return y_high, self.activation(self.bn_low(x_low, training=training))

    def get_config(self):
        return {**super().get_config(), "momentum": self.momentum, "epsilon": self.epsilon,
                "activation": keras.activations.serialize(self.activation)}
