"""Hard swish: x * relu6(x + 3) / 6, the piecewise approximation of Swish from MobileNetV3.

Keras's built-in ``hard_silu`` activation computes exactly this formula, so the block
builds a plain ``Activation`` layer: no custom class, and saved models reload anywhere.
Cost per element: two multiply-accumulates (the product with x and the division by 6);
the add and the clip are counted as free, like ReLU's.
"""
from __future__ import annotations

from blocks.rules.keras_import import activation_named
from blocks.rules.params import IN, OUT
from blocks.rules.shapes import elements, min_rank, one_input, simple_cost
from blocks.spec import CHANNELWISE, BlockSpec, KerasImport

MACS_PER_ELEMENT = 2


def _shape(params, in_shapes):
    shape = one_input(in_shapes)
    min_rank(shape, 2, "at least (batch, features)")
    return [shape]


def _build(params, name):
    import keras
    # Keras 3 defines hard_silu(x) = x * relu6(x + 3) / 6 ("hard_swish" is its alias).
    return keras.layers.Activation("hard_silu", name=name)


SPEC = BlockSpec(
    id="paper.hard_swish", family="activation", title="Hard swish", category="Paper techniques",
    doc="Hard swish activation: f(x) = x * relu6(x + 3) / 6. Zero for x <= -3, equal to x "
        "for x >= 3, a quadratic bend in between, with Swish's small dip below zero. It "
        "replaces Swish's sigmoid by a clipped line, so it is cheaper and friendlier to int8 "
        "quantization; MobileNetV3 uses it in its deeper layers. No parameters.",
    inputs=IN, outputs=OUT, params=(),
    compression=CHANNELWISE,
    infer_shape=_shape, build=_build, example_inputs=((None, 16),),
    cost=lambda p, i, o: simple_cost(0, MACS_PER_ELEMENT * elements(i[0]), o),
    pros="Keeps most of Swish's accuracy benefit in deep networks while avoiding the sigmoid: "
         "faster than Swish and well suited to quantized mobile inference.",
    cons="A piecewise approximation: gradients are zero below -3 and the curve has kinks; "
         "still slightly more work per value than ReLU.",
    reference="Howard, A., Sandler, M., Chu, G., Chen, L.-C., Chen, B., Tan, M., Wang, W., Zhu, Y., "
              "Pang, R., Vasudevan, V., Le, Q. V., Adam, H. Searching for MobileNetV3. "
              "ICCV 2019.",
    keras_import=KerasImport(("Activation",), activation_named(("hard_silu", "hard_swish"), param=None)),
)
