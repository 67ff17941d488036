"""Run exported files with their real clients, in a fresh process: ``python consumers.py KIND MANIFEST``.

The manifest is a JSON list of ``{"file", "x", "out"}``: read the raw inputs ``x``
(.npy), predict with the client of KIND, write the outputs to ``out`` (.npy). Each KIND
imports only its own client: ``litert`` and ``onnx`` never import TensorFlow.
Nothing from Sprout is imported, except Sprout's layer classes for ``keras`` files.
"""
from __future__ import annotations

import json
import sys

import numpy as np


def litert(path, x):
    from ai_edge_litert.interpreter import Interpreter

    interp = Interpreter(model_path=path)
    interp.allocate_tensors()
    inp, out = interp.get_input_details()[0], interp.get_output_details()[0]
    results = []
    for sample in x.astype("float32"):
        value = sample[None]
        scale, zero = inp["quantization"]
        if inp["dtype"] != np.float32 and scale:
            value = np.clip(np.round(value / scale) + zero, -128, 127)
        interp.set_tensor(inp["index"], value.astype(inp["dtype"]))
        interp.invoke()
        y = interp.get_tensor(out["index"])[0].astype("float64")
        scale, zero = out["quantization"]
        if out["dtype"] != np.float32 and scale:
            y = (y - zero) * scale
        results.append(y)
    return np.stack(results)


def onnx(path, x):
    import onnx as onnx_lib
    import onnxruntime

    onnx_lib.checker.check_model(onnx_lib.load(path), full_check=True)
    session = onnxruntime.InferenceSession(path, providers=["CPUExecutionProvider"])
    return session.run(None, {session.get_inputs()[0].name: x.astype("float32")})[0]


def keras_file(path, x):
    import keras

    # A .keras file names Sprout's custom layers (Swish, OctConv...) by class; Keras needs
    # those classes to rebuild it, as any custom layer. Only this client imports Sprout.
    from blocks import register_keras_objects

    register_keras_objects()

    return np.asarray(keras.saving.load_model(path, safe_mode=True)(x.astype("float32"), training=False))


def savedmodel(path, x):
    import tensorflow as tf

    serve = tf.saved_model.load(path).signatures["serving_default"]
    name = next(iter(serve.structured_input_signature[1]))
    out = serve(**{name: tf.constant(x.astype("float32"))})
    return next(iter(out.values())).numpy()


KINDS = {"litert": litert, "onnx": onnx, "keras": keras_file, "savedmodel": savedmodel}

if __name__ == "__main__":
    kind, manifest = sys.argv[1], json.load(open(sys.argv[2], encoding="utf-8"))
    for item in manifest:
        np.save(item["out"], KINDS[kind](item["file"], np.load(item["x"])))
    banned = [m for m in ("blocks", "engine", "cli", "gui") if m in sys.modules]
    tf_loaded = "tensorflow" in sys.modules
    print(json.dumps({"sprout_modules": banned, "tensorflow": tf_loaded}))
