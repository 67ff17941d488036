"""Quantization-aware training: a copy of a trained model that computes in simulated int8.

:func:`qat_model` rebuilds a trained single-input Keras model (Sequential or Functional)
with the same weights and fake quantizers (``blocks.layers.fake_quant``) where a full-int8
TFLite file has int8 tensors with their own scale. Fine-tuning it for an epoch or so lets
the weights adapt to the rounding; the TFLite converter then takes the quantizers' ranges
as the tensors' scales, so the int8 file agrees with the Keras QAT model far more closely
than post-training quantization of the float model does. Convert it with
``engine.export.tflite_convert.convert(model, "int8", x_rep, int8_io=...)`` as any model.

What each layer becomes:

- the input (float dtype only): a :class:`FakeQuant` after it;
- ``Dense`` / ``Conv2D``: ``QuantDense`` / ``QuantConv2D`` (kernel quantized per output
  channel, symmetric; output quantized after the activation; an activation TFLite does not
  fuse, such as softmax, also gets its input quantized). When the only consumer is a
  ReLU-like layer TFLite fuses into the kernel op, the quantizer moves after that layer;
- layers whose output gets a new range (``Add``, ``Concatenate``, ``Multiply``, ...,
  ``BatchNormalization``, activation layers, and any layer this module does not know,
  e.g. Sprout's custom layers): kept as they are, with a :class:`FakeQuant` after them;
- layers that only move or pick values (pooling, ``Flatten``, ``Reshape``, ``Dropout``,
  padding, cropping, upsampling): kept, no quantizer (int8 keeps the input's scale).

Every kept layer is cloned from its config and given its weights.
"""
from __future__ import annotations

import numpy as np

from engine.errors import CompressionError

# Layers whose int8 output shares its input's scale: no quantizer after them.
PASS_THROUGH = frozenset({
    "MaxPooling1D", "MaxPooling2D", "AveragePooling1D", "AveragePooling2D",
    "GlobalMaxPooling1D", "GlobalMaxPooling2D", "GlobalAveragePooling1D",
    "GlobalAveragePooling2D", "Flatten", "Reshape", "Permute", "Dropout", "SpatialDropout1D",
    "SpatialDropout2D", "GaussianNoise", "GaussianDropout", "AlphaDropout", "ZeroPadding1D",
    "ZeroPadding2D", "Cropping1D", "Cropping2D", "UpSampling1D", "UpSampling2D", "Identity",
    "InputLayer",
})
# Separate activation layers TFLite fuses into a preceding FULLY_CONNECTED / CONV_2D.
_FUSABLE = {"ReLU": None, "Activation": ("relu", "relu6")}


def qat_model(model, x_calibrate: np.ndarray | None = None, momentum: float = 0.99,
              batch_size: int = 64):
    """The QAT copy of a trained ``model`` (same weights, fake quantizers added).

    Args:
        model: a built Sequential or Functional Keras model with one input.
        x_calibrate: inputs to set the quantizers' ranges from before any fine-tuning
            (see :func:`calibrate`); without them the first training batch sets them.
        momentum: of the ranges' moving average during training.
        batch_size: of the calibration passes.

    Returns:
        a new, uncompiled Functional model; compile and fine-tune it like the original.

    Raises:
        CompressionError: a subclassed model, or more than one input.
    """
    import keras

    from blocks.layers.fake_quant import FakeQuant, QuantConv2D, QuantDense

    graph = _functional(model)
    if len(graph.inputs) != 1:
        raise CompressionError(f"QAT needs a model with one input; {model.name} has {len(graph.inputs)}")
    consumers = _consumers(graph)
    old = {layer.name: layer for layer in graph.layers}

    def clone(layer):
        config = layer.get_config()
        kind = {keras.layers.Dense: QuantDense, keras.layers.Conv2D: QuantConv2D}.get(type(layer))
        if kind is None:
            return layer.__class__.from_config(config)
        after = consumers.get(layer.name, [])
        # The activation layer after it gets the quantizer (see call); TFLite fuses the two.
        fused = config.get("activation") == "linear" and len(after) == 1 and _fusable(after[0])
        return kind.from_config({**config, "quantize_output": not fused, "momentum": momentum})

    source_input = graph.inputs[0]
    new_input = keras.Input(batch_shape=source_input.shape, dtype=source_input.dtype,
                            name=source_input.name)
    quantized = {}

    def quantize_input(tensor):
        if tensor is not new_input or not np.issubdtype(np.dtype(tensor.dtype), np.floating):
            return tensor
        if "x" not in quantized:
            quantized["x"] = FakeQuant(momentum=momentum, name="input_quant")(tensor)
        return quantized["x"]

    def call(layer, *args, **kwargs):
        args = keras.tree.map_structure(quantize_input, args)
        outputs = layer(*args, **kwargs)
        name = type(layer).__name__
        if isinstance(layer, (QuantDense, QuantConv2D)) or name in PASS_THROUGH:
            return outputs
        fixed = _fixed_range(layer)
        return keras.tree.map_structure(
            lambda t: FakeQuant(momentum=momentum, fixed_range=fixed, name=f"{layer.name}_quant")(t)
            if np.issubdtype(np.dtype(t.dtype), np.floating) else t, outputs)

    # The same structure as the original's input (a list of one, or the tensor itself).
    input_tensors = [new_input] if isinstance(graph.input, (list, tuple)) else new_input
    qat = keras.models.clone_model(graph, input_tensors=input_tensors, clone_function=clone,
                                   call_function=call)
    for layer in qat.layers:
        source = old.get(layer.name)
        if source is None or not source.weights:
            continue
        if isinstance(layer, (QuantDense, QuantConv2D)):
            layer.kernel.assign(source.kernel)
            if source.use_bias:
                layer.bias.assign(source.bias)
        else:
            layer.set_weights(source.get_weights())
    if x_calibrate is not None:
        calibrate(qat, x_calibrate, batch_size=batch_size)
    return qat


def calibrate(model, x: np.ndarray, batch_size: int = 64) -> None:
    """Set every quantizer's range to the min/max ``model`` sees on ``x`` at inference.

    Like post-training calibration: layers behave as at inference (no dropout), no weight
    is trained, and the ranges start from scratch.
    """
    quantizers = fake_quantizers(model)
    for q in quantizers:
        q.batches_seen.assign(0.0)
        q.calibrating = True
    as_list = isinstance(getattr(model, "_inputs_struct", None), (list, tuple))
    try:
        for start in range(0, len(x), batch_size):
            batch = x[start:start + batch_size]
            model([batch] if as_list else batch, training=False)
    finally:
        for q in quantizers:
            q.calibrating = False


def fake_quantizers(model) -> list:
    """Every ``FakeQuant`` of ``model``, including those inside quantized kernel layers."""
    from blocks.layers.fake_quant import FakeQuant

    found = []
    for layer in model.layers:
        if isinstance(layer, FakeQuant):
            found.append(layer)
        found.extend(getattr(layer, "quantizers", ()))
    return found


def _functional(model):
    import keras

    if isinstance(model, keras.Sequential):
        if not model.built or not getattr(model, "inputs", None):
            raise CompressionError(f"QAT needs a built model; {model.name} has no input shape yet")
        return keras.Model(model.inputs, model.outputs, name=model.name)
    if not hasattr(model, "_nodes_by_depth"):  # only graph models record their layer calls
        raise CompressionError(f"QAT needs a Sequential or Functional model; {model.name} is subclassed")
    return model


def _consumers(graph) -> dict[str, list]:
    """``{layer name: layers that take its output}`` in ``graph``."""
    found: dict[str, list] = {}
    for layer in graph.layers:
        for node in getattr(layer, "_inbound_nodes", []):
            for tensor in node.input_tensors:
                producer = tensor._keras_history.operation
                found.setdefault(producer.name, [])
                if layer not in found[producer.name]:
                    found[producer.name].append(layer)
    return found


def _fixed_range(layer):
    """The fixed int8 output range of an activation layer TFLite gives one (softmax, ...)."""
    from blocks.layers.fake_quant import FIXED_RANGES

    name = type(layer).__name__
    if name == "Softmax":
        return FIXED_RANGES["softmax"]
    if name == "Activation":
        return FIXED_RANGES.get(layer.get_config().get("activation"))
    return None


def _fusable(layer) -> bool:
    name = type(layer).__name__
    if name not in _FUSABLE:
        return False
    if name == "ReLU":
        config = layer.get_config()
        return not config.get("negative_slope") and not config.get("threshold") \
            and config.get("max_value") in (None, 6.0, 6)
    return layer.get_config().get("activation") in _FUSABLE[name]
