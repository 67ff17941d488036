"""MaxPool2D: keeps the largest value of each window."""
from __future__ import annotations

from blocks.rules.conv import pool_shape
from blocks.rules.keras_import import standing_for
from blocks.rules.params import IN, OUT, padding_param, pair_param
from blocks.rules.shapes import simple_cost
from blocks.spec import CHANNELWISE, BlockSpec


def _build(params, name):
    import keras
    return keras.layers.MaxPooling2D(params["pool_size"], strides=params["strides"],
                                     padding=params["padding"], name=name)


SPEC = BlockSpec(
    id="core.maxpool2d", family="pool2d", title="MaxPool2D", category="Pooling",
    doc="Max pooling: keeps the largest value of each window, shrinking the image "
        "(2x2 windows with stride 2 halve height and width). Comparisons only: no MACs.",
    inputs=IN, outputs=OUT,
    params=(pair_param("pool_size", (2, 2), "Window height and width."),
            pair_param("strides", (2, 2), "Step between windows."), padding_param()),
    compression=CHANNELWISE,
    infer_shape=lambda p, s: [pool_shape(p, s)], cost=lambda p, i, o: simple_cost(0, 0, o),
    build=_build, example_inputs=((None, 8, 8, 3),),
    keras_import=standing_for("MaxPooling2D", names=("pool_size", "strides", "padding")),
)
