"""AvgPool2D: averages each window."""
from __future__ import annotations

from blocks.rules.conv import pool_shape
from blocks.rules.keras_import import standing_for
from blocks.rules.params import IN, OUT, padding_param, pair_param
from blocks.rules.shapes import elements, simple_cost
from blocks.spec import CHANNELWISE, BlockSpec


def _cost(params, in_shapes, out_shapes):
    kh, kw = params["pool_size"]
    return simple_cost(0, elements(out_shapes[0]) * kh * kw, out_shapes)


def _build(params, name):
    import keras
    return keras.layers.AveragePooling2D(params["pool_size"], strides=params["strides"],
                                         padding=params["padding"], name=name)


SPEC = BlockSpec(
    id="core.avgpool2d", family="pool2d", title="AvgPool2D", category="Pooling",
    doc="Average pooling: replaces each window by its mean, shrinking the image.",
    inputs=IN, outputs=OUT,
    params=(pair_param("pool_size", (2, 2), "Window height and width."),
            pair_param("strides", (2, 2), "Step between windows."), padding_param()),
    compression=CHANNELWISE,
    infer_shape=lambda p, s: [pool_shape(p, s)], cost=_cost, build=_build,
    example_inputs=((None, 8, 8, 3),),
    keras_import=standing_for("AveragePooling2D", names=("pool_size", "strides", "padding")),
)
