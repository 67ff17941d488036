"""Swapout's layer: Y = T1 * X + T2 * F(X) with independent per-unit masks (block ``paper.swapout``)."""
from __future__ import annotations

import keras
from keras import ops

from blocks.rules.techniques import SWAPOUT_INFERENCE_MODES


@keras.saving.register_keras_serializable(package="sprout")
class Swapout(keras.layers.Layer):
    """Mixes a skip input X and a residual input F(X) with independent unit masks.

    Args:
        keep_x: probability that a unit keeps X (theta1), 0 <= keep_x <= 1.
        keep_fx: probability that a unit keeps F(X) (theta2), 0 <= keep_fx <= 1.
        inference: ``deterministic`` (the masks' expectation) or ``stochastic`` (keep sampling).
        seed: seed of the mask draws.
    """

    def __init__(self, keep_x=1.0, keep_fx=1.0, inference="deterministic", seed=None, **kwargs):
        super().__init__(**kwargs)
        for label, value in (("keep_x", keep_x), ("keep_fx", keep_fx)):
            if not 0.0 <= float(value) <= 1.0:  # also refuses NaN
                raise ValueError(f"Expected 0 <= {label} <= 1. Received: {label}={value!r}")
        if inference not in SWAPOUT_INFERENCE_MODES:
            raise ValueError(f"Expected inference in {list(SWAPOUT_INFERENCE_MODES)}. "
                             f"Received: inference={inference!r}")
        self.keep_x = float(keep_x)
        self.keep_fx = float(keep_fx)
        self.inference = inference
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed)

    def build(self, input_shape):
        pair = isinstance(input_shape, (list, tuple)) and len(input_shape) == 2 \
            and all(isinstance(s, (list, tuple)) for s in input_shape)
        if not pair or tuple(input_shape[0]) != tuple(input_shape[1]):
            raise ValueError("Swapout needs two inputs of one shape, X and F(X). "
                             f"Received: input_shape={input_shape}")

    def _mask(self, like, keep):
        # uniform draws lie in [0, 1), so keep = 1 always keeps and keep = 0 never does.
        draw = keras.random.uniform(ops.shape(like), seed=self.seed_generator, dtype=like.dtype)
        return ops.cast(ops.less(draw, keep), like.dtype)

    def call(self, inputs, training=None):
        x, fx = inputs
        if training or self.inference == "stochastic":
            # Two separate draws: the masks are independent of each other.
            return self._mask(x, self.keep_x) * x + self._mask(fx, self.keep_fx) * fx
        return self.keep_x * x + self.keep_fx * fx

    def compute_output_shape(self, input_shape):
        return input_shape[0]

    @staticmethod
    def export_config(config: dict, fmt: str) -> dict:
        """The config this layer is exported with to ``fmt`` (see ``blocks.paper.swapout``):
        random masks have no TFLite op, so only the Keras files keep sampling."""
        if fmt in ("keras", "h5", "python"):
            return config
        return {**config, "inference": "deterministic"}

    def get_config(self):
        return {**super().get_config(), "keep_x": self.keep_x, "keep_fx": self.keep_fx,
                "inference": self.inference, "seed": self.seed}
