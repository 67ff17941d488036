"""Jumpout's layer (Wang, Zhou & Bilmes, ICML 2019, Algorithm 1; block ``paper.jumpout``).

The three changes to dropout and our two safeguards are described in the block module,
``blocks/paper/jumpout.py``.
"""
from __future__ import annotations

import keras
from keras import ops

from blocks.rules.techniques import JUMPOUT_NORMALIZE

RESCALE_EXPONENT = -0.75  # Sec. 3.3 / Algorithm 1: kept units scale by (1 - p')^-0.75
MAX_RATE = 0.9  # ours: caps p' so the rescale stays finite in very sparse layers


@keras.saving.register_keras_serializable(package="sprout")
class JumpOut(keras.layers.Layer):
    """Drops ReLU units at a half-Gaussian rate normalized by the active fraction.

    Args:
        sigma: standard deviation of the half-Gaussian the rate is drawn from.
        p_min, p_max: bounds of the drawn rate, 0 <= p_min <= p_max < 1.
        normalize: count the active fraction per ``batch`` or per ``sample``.
        seed: seed of the rate and mask draws.
    """

    def __init__(self, sigma=0.1, p_min=0.0, p_max=0.6, normalize="batch", seed=None, **kwargs):
        super().__init__(**kwargs)
        if not 0.0 <= float(p_min) <= float(p_max) < 1.0:
            raise ValueError(f"Expected 0 <= p_min <= p_max < 1. Received: p_min={p_min!r}, p_max={p_max!r}")
        if normalize not in JUMPOUT_NORMALIZE:
            raise ValueError(f"Expected normalize in {list(JUMPOUT_NORMALIZE)}. Received: normalize={normalize!r}")
        self.sigma, self.p_min, self.p_max = float(sigma), float(p_min), float(p_max)
        self.normalize = normalize
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed)

    def call(self, inputs, training=None):
        if not training:
            return inputs
        dtype = inputs.dtype
        active = ops.cast(ops.greater(inputs, 0), dtype)
        if self.normalize == "batch":
            rate_shape, q = (), ops.mean(active)
        else:  # one rate and one active fraction per sample
            rate_shape = (ops.shape(inputs)[0],) + (1,) * (len(inputs.shape) - 1)
            q = ops.mean(active, axis=tuple(range(1, len(inputs.shape))), keepdims=True)
        noise = keras.random.normal(rate_shape, stddev=self.sigma, seed=self.seed_generator, dtype=dtype)
        p = ops.minimum(self.p_min + ops.abs(noise), self.p_max)
        # A batch (or sample) with no active unit keeps p unnormalized (ours, not the paper's).
        rate = ops.where(q > 0, p / ops.where(q > 0, q, ops.ones_like(q)), p)
        rate = ops.minimum(rate, MAX_RATE)
        draw = keras.random.uniform(ops.shape(inputs), seed=self.seed_generator, dtype=dtype)
        keep = ops.cast(ops.greater_equal(draw, rate), dtype)
        return inputs * keep * ops.power(1.0 - rate, RESCALE_EXPONENT)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "sigma": self.sigma, "p_min": self.p_min, "p_max": self.p_max,
                "normalize": self.normalize, "seed": self.seed}
