"""The model each export family gets (runs in the converter process; imports Keras).

- ``keras``: the model as trained.
- ``portable``: every layer that samples at inference made deterministic (a layer class
  says how with ``export_config(config, fmt)``; Swapout does).
- ``tflite``: portable, with every recurrent layer unrolled (``unroll=True``, same
  weights): the TFLite converter cannot lower a recurrent loop over a dynamic batch.

Then, when asked, the data's preprocessing is folded in front (a ``Normalization``
layer), so the exported model takes the raw inputs the user has.
"""
from __future__ import annotations

from engine.data.preprocess import Preprocessing

FAMILY_FORMAT = {"keras": "keras", "portable": "onnx", "tflite": "tflite"}
PREPROCESS_LAYER = "sprout_preprocess"


def for_family(model, family: str):
    """``model`` rebuilt for ``family`` (the same object when nothing changes)."""
    import keras

    if family == "keras":
        return model
    classes = {layer.name: type(layer) for layer in model.layers}
    config = model.get_config()
    changed = _rewrite(config, classes, FAMILY_FORMAT[family], unroll=family == "tflite")
    if not changed:
        return model
    rebuilt = type(model).from_config(config) if type(model) is not keras.Model else keras.Model.from_config(config)
    rebuilt.set_weights(model.get_weights())
    return rebuilt


def _rewrite(config: dict, classes: dict, fmt: str, unroll: bool) -> bool:
    changed = False
    for entry in config.get("layers", ()):
        layer_config = entry.get("config", {})
        cls = classes.get(entry.get("name") or layer_config.get("name"))
        hook = getattr(cls, "export_config", None)
        if hook is not None:
            new = hook(layer_config, fmt)
            if new != layer_config:
                entry["config"] = layer_config = dict(new)
                changed = True
        if unroll and layer_config.get("unroll") is False:
            layer_config["unroll"] = True
            changed = True
        if "layers" in layer_config:  # a nested model
            changed = _rewrite(layer_config, classes, fmt, unroll) or changed
    return changed


def with_preprocessing(model, preprocessing: Preprocessing | None):
    """A model taking raw inputs: ``preprocessing`` as its first layer, then ``model``.

    The transform is a ``BatchNormalization`` layer in inference mode with
    ``moving_mean = offset`` and ``moving_variance = 1 / scale**2`` (epsilon 1e-12): a
    standard Keras layer whose numbers are weights, so every format carries it (a
    ``Normalization`` layer holds them as constants, which tf2onnx turns into extra
    inputs) and the TFLite converter folds it into one multiply-add.
    Returns ``model`` itself when there is no preprocessing or the model has several inputs.
    """
    import keras
    import numpy as np

    if preprocessing is None or len(model.inputs) != 1:
        return model
    shape = tuple(model.inputs[0].shape[1:])
    features = shape[-1]
    mean = np.broadcast_to(preprocessing.mean, (features,)).astype("float32")
    variance = np.broadcast_to(preprocessing.variance, (features,)).astype("float32")
    raw = keras.Input(shape=shape, dtype="float32", name="raw_input")
    norm = keras.layers.BatchNormalization(epsilon=1e-12, center=False, scale=False, name=PREPROCESS_LAYER)
    norm.build((None, *shape))
    norm.set_weights([mean, variance])
    norm.trainable = False
    return keras.Model(raw, model(norm(raw, training=False)), name=f"{model.name}_raw_inputs")
