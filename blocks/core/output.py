"""Output: marks a model output and the loss it is trained with."""
from __future__ import annotations

from blocks.rules.keras_import import standing_for
from blocks.rules.params import IN
from blocks.rules.shapes import one_input
from blocks.spec import BlockSpec, Cost, ParamSpec

LOSSES = ("auto", "sparse_categorical_crossentropy", "categorical_crossentropy",
          "binary_crossentropy", "mse", "mae")


def _build(params, name):
    import keras
    return keras.layers.Identity(name=name)


SPEC = BlockSpec(
    id="core.output", role="output", title="Output", category="Input / Output",
    doc="Marks a model output and its loss. 'auto' picks sparse categorical cross-entropy "
        "for class labels and mean squared error for numeric targets. If the layer before "
        "has no softmax/sigmoid, the loss reads its values as logits.",
    inputs=IN, outputs=(),
    params=(ParamSpec("loss", "choice", "auto", "Loss minimised for this output.", choices=LOSSES),
            ParamSpec("loss_weight", "float", 1.0, "Weight of this loss when there are several outputs.",
                      low=0.0, high=1000.0)),
    infer_shape=lambda p, s: [one_input(s)], cost=lambda p, i, o: Cost(),
    build=_build, example_inputs=((None, 10),),
    keras_import=standing_for("Identity"),
)
