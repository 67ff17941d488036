"""Additive Gaussian noise for any sigma >= 0 (block ``paper.gaussian_noise``).

Keras's own ``GaussianNoise`` refuses a standard deviation above 1, but inputs are not
always standardised, hence this layer.
"""
from __future__ import annotations

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="sprout")
class AdditiveGaussianNoise(keras.layers.Layer):
    """x + N(0, sigma^2) when ``training`` is true, x otherwise.

    Args:
        sigma: standard deviation of the noise, any value >= 0 (0 turns it off).
        seed: seed of the noise draws.
    """

    def __init__(self, sigma=0.1, seed=None, **kwargs):
        super().__init__(**kwargs)
        sigma = float(sigma)
        if not sigma >= 0.0:  # also rejects NaN
            raise ValueError(f"Expected sigma >= 0. Received: sigma={sigma!r}")
        self.sigma = sigma
        self.seed = seed
        # Created here, not in call(), so every training step draws fresh noise.
        self.seed_generator = keras.random.SeedGenerator(seed)
        self.supports_masking = True
        self.built = True

    def call(self, inputs, training=None):
        if not training or self.sigma == 0.0:
            return inputs
        noise = keras.random.normal(ops.shape(inputs), mean=0.0, stddev=self.sigma,
                                    dtype=inputs.dtype, seed=self.seed_generator)
        return inputs + noise

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "sigma": self.sigma, "seed": self.seed}
