"""Dropout: zeroes random units while training."""
from __future__ import annotations

from blocks.rules.keras_import import standing_for
from blocks.rules.params import IN, OUT
from blocks.rules.shapes import one_input, simple_cost
from blocks.spec import CHANNELWISE, BlockSpec, ParamSpec


def _build(params, name):
    import keras
    return keras.layers.Dropout(params["rate"], name=name)


SPEC = BlockSpec(
    id="core.dropout", family="regularizer", title="Dropout", category="Regularization",
    doc="While training, sets a random fraction `rate` of the values to zero and scales the "
        "rest by 1/(1-rate); does nothing at inference. Fights over-fitting.",
    inputs=IN, outputs=OUT,
    params=(ParamSpec("rate", "float", 0.25, "Fraction of units dropped while training.",
                      low=0.0, high=1.0, high_open=True),),
    compression=CHANNELWISE,
    infer_shape=lambda p, s: [one_input(s)], cost=lambda p, i, o: simple_cost(0, 0, o),
    build=_build, example_inputs=((None, 32),), stochastic=True,
    keras_import=standing_for("Dropout", names=("rate",)),
)
