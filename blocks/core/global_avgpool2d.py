"""GlobalAvgPool2D: one average per channel."""
from __future__ import annotations

from blocks.rules.keras_import import standing_for
from blocks.rules.params import IN, OUT
from blocks.rules.shapes import elements, one_input, simple_cost
from blocks.spec import CHANNELWISE, BlockSpec


def _shape(params, in_shapes):
    shape = one_input(in_shapes, 4, "(batch, height, width, channels)")
    return [(None, shape[-1])]


def _build(params, name):
    import keras
    return keras.layers.GlobalAveragePooling2D(name=name)


SPEC = BlockSpec(
    id="core.global_avgpool2d", title="GlobalAvgPool2D", category="Pooling",
    doc="Averages each channel over the whole image, giving one feature per channel. "
        "A cheap, weight-free replacement for Flatten + a large Dense.",
    inputs=IN, outputs=OUT, params=(),
    compression=CHANNELWISE,
    infer_shape=_shape, cost=lambda p, i, o: simple_cost(0, elements(i[0]), o),
    build=_build, example_inputs=((None, 8, 8, 3),),
    keras_import=standing_for("GlobalAveragePooling2D"),
)
