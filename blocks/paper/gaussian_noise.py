"""Gaussian noise: adds N(0, sigma^2) noise to every value while training; identity at inference.

Keras's own ``GaussianNoise`` refuses a standard deviation above 1, but inputs are not
always standardised, so this block has its own layer that takes any sigma >= 0
(``blocks/layers/gaussian_noise.py``).
Cost: no weights and no multiply-accumulates at inference (the add happens only while
training).
"""
from __future__ import annotations

from blocks.rules.keras_import import standing_for
from blocks.rules.params import IN, OUT
from blocks.rules.shapes import one_input, simple_cost
from blocks.spec import CHANNELWISE, BlockSpec, ParamSpec


def _build(params, name):
    from blocks.layers.gaussian_noise import AdditiveGaussianNoise

    return AdditiveGaussianNoise(sigma=params["sigma"], name=name)


SPEC = BlockSpec(
    id="paper.gaussian_noise", family="regularizer", title="Gaussian noise", category="Paper techniques",
    doc="While training, adds independent Gaussian noise with mean 0 and standard deviation "
        "sigma to every value; at inference it passes values through unchanged. Put it after "
        "the Input (noisy inputs) or after a hidden layer. For a linear model with squared "
        "loss, input noise adds sigma^2 * ||w||^2 to the expected loss: it acts like weight "
        "decay (Tikhonov regularization), so it fights over-fitting on small data sets. "
        "Choose sigma relative to the scale of the values it is added to.",
    inputs=IN, outputs=OUT,
    params=(ParamSpec("sigma", "float", 0.1, "Standard deviation of the noise added while training "
                      "(any value >= 0; 0 turns the block off).", low=0.0),),
    compression=CHANNELWISE,
    infer_shape=lambda p, s: [one_input(s)], cost=lambda p, i, o: simple_cost(0, 0, o),
    build=_build, example_inputs=((None, 32),), stochastic=True,
    pros="Cheap regularizer with no weights: improves generalization and reduces over-fitting, "
         "like training on many jittered copies of the data; nothing changes at inference.",
    cons="sigma must be tuned to the scale of the data (too large drowns the signal); the "
         "noise makes the training loss noisier and convergence slower.",
    reference="An, G. The Effects of Adding Noise During Backpropagation Training on a "
              "Generalization Performance. Neural Computation 8(3):643-674, 1996; "
              "Bishop, C. M. Training with Noise is Equivalent to Tikhonov Regularization. "
              "Neural Computation 7(1):108-116, 1995.",
    keras_import=standing_for("AdditiveGaussianNoise", names=("sigma",)),
)
