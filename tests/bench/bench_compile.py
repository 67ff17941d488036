"""Compiling a ~200-node ResNet-style graph vs building the same model directly in Keras."""
from __future__ import annotations

from tests.bench.common import best_of

BLOCKS = 49  # 4 nodes each + input, stem, pool, dense, output = 201 nodes
CH = 8


def resnet_document():
    """Input -> stem -> BLOCKS x (conv, conv, add skip, relu) -> pool -> dense -> output."""
    from blocks import default_registry
    from engine.model.document import GraphDocument

    doc = GraphDocument(default_registry())
    prev = doc.add_node("core.input", {"shape": [8, 8, 1]})
    stem = doc.add_node("core.conv2d", {"filters": CH, "padding": "same", "activation": "relu"})
    doc.add_link(prev, "out", stem, "in")
    prev = stem
    for _ in range(BLOCKS):
        a = doc.add_node("core.conv2d", {"filters": CH, "padding": "same", "activation": "relu"})
        b = doc.add_node("core.conv2d", {"filters": CH, "padding": "same"})
        add = doc.add_node("core.add")
        act = doc.add_node("core.activation", {"activation": "relu"})
        doc.add_link(prev, "out", a, "in")
        doc.add_link(a, "out", b, "in")
        doc.add_link(b, "out", add, "in1")
        doc.add_link(prev, "out", add, "in2")
        doc.add_link(add, "out", act, "in")
        prev = act
    for block, params in (("core.global_avgpool2d", {}), ("core.dense", {"units": 10, "activation": "softmax"}),
                          ("core.output", {})):
        uid = doc.add_node(block, params)
        doc.add_link(prev, "out", uid, "in")
        prev = uid
    return doc


def keras_direct():
    import keras

    inp = keras.Input((8, 8, 1))
    x = keras.layers.Conv2D(CH, 3, padding="same", activation="relu")(inp)
    for _ in range(BLOCKS):
        y = keras.layers.Conv2D(CH, 3, padding="same", activation="relu")(x)
        y = keras.layers.Conv2D(CH, 3, padding="same")(y)
        x = keras.layers.Activation("relu")(keras.layers.Add()([y, x]))
    x = keras.layers.GlobalAveragePooling2D()(x)
    out = keras.layers.Identity()(keras.layers.Dense(10, activation="softmax")(x))
    return keras.Model(inp, out)


def run() -> dict:
    import keras

    from engine.build.compiler import compile_document

    doc = resnet_document()
    nodes = len(doc.nodes)

    def sprout():
        keras.utils.clear_session()
        compile_document(doc)

    def plain():
        keras.utils.clear_session()
        keras_direct()

    plain(), sprout()  # warm up both paths
    t_plain, t_sprout = best_of(plain, 5), best_of(sprout, 5)
    assert compile_document(doc).model.count_params() == keras_direct().count_params()
    return {"name": "compile_resnet", "what": f"compile a {nodes}-node ResNet-style graph vs direct Keras",
            "sprout_s": round(t_sprout, 4), "keras_s": round(t_plain, 4),
            "ratio": round(t_sprout / t_plain, 3), "target": "<= 1.2 (time ratio)"}
