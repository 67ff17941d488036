"""Swish: x * sigmoid(beta * x), with beta a constant or a trainable weight (block ``paper.swish``)."""
from __future__ import annotations

import keras
from keras import ops

from blocks.rules.techniques import SWISH_MODES


@keras.saving.register_keras_serializable(package="sprout")
class Swish(keras.layers.Layer):
    """x * sigmoid(beta * x); beta is a constant or a trainable weight.

    Args:
        beta_mode: ``fixed`` (a constant, no weights), ``scalar`` (one trainable beta) or
            ``per_channel`` (one trainable beta per channel of the last axis).
        beta: the value of beta, or its starting value when trainable.
    """

    def __init__(self, beta_mode="fixed", beta=1.0, **kwargs):
        super().__init__(**kwargs)
        if beta_mode not in SWISH_MODES:
            raise ValueError(f"Expected beta_mode in {list(SWISH_MODES)}. Received: beta_mode={beta_mode!r}")
        self.beta_mode = beta_mode
        self.beta_init = float(beta)

    def build(self, input_shape):
        if self.beta_mode == "fixed":
            self.beta = None
            return
        shape = ()
        if self.beta_mode == "per_channel":
            channels = input_shape[-1]
            if channels is None:
                raise ValueError("Swish with beta_mode='per_channel' needs a known last axis. "
                                 f"Received: input_shape={input_shape}")
            shape = (int(channels),)
        self.beta = self.add_weight(name="beta", shape=shape,
                                    initializer=keras.initializers.Constant(self.beta_init),
                                    trainable=True)

    def call(self, inputs):
        beta = self.beta_init if self.beta is None else ops.cast(self.beta, inputs.dtype)
        return inputs * ops.sigmoid(beta * inputs)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "beta_mode": self.beta_mode, "beta": self.beta_init}
