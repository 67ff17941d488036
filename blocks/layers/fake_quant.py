"""Fake quantization for quantization-aware training (QAT) that converts to int8 TFLite.

Everything here rounds values to the int8 grid in float32 and lets gradients pass
straight through (``keras.quantizers.fake_quant_with_min_max_vars``). On TensorFlow that
function lowers to ``tf.quantization.fake_quant_*`` ops; the TFLite converter reads their
ranges and gives every tensor the scale the model was fine-tuned with, so the int8 file
computes what the Keras QAT model computes.

- :class:`FakeQuant` quantizes activations per tensor (asymmetric, 256 levels) with a
  range kept as an exponential moving average of batch min/max, always including 0.
- :class:`QuantDense` and :class:`QuantConv2D` quantize their kernel per output channel,
  symmetric over [-127, 127] (what TFLite's int8 kernels expect), from the kernel's
  current per-channel absolute maximum, and quantize their own output.
"""
from __future__ import annotations

import keras
from keras import ops

# Activations TFLite fuses into FULLY_CONNECTED / CONV_2D: one quantizer after them is
# enough. Any other activation needs its input quantized too (the pre-activation tensor
# is a real int8 tensor in the file).
FUSED_ACTIVATIONS = frozenset({"linear", "relu", "relu6"})
# TFLite's int8 kernels for these give their output a fixed scale and zero point
# (1/256 and -128 for softmax and sigmoid, 1/128 and 0 for tanh): quantizing to exactly
# that grid avoids a requantize op and rounds as the file does.
FIXED_RANGES = {"softmax": (0.0, 255.0 / 256.0), "sigmoid": (0.0, 255.0 / 256.0),
                "tanh": (-1.0, 127.0 / 128.0)}
_EPS = 1e-6


def quantize_kernel(kernel, per_channel=True):
    """``kernel`` rounded to 255 symmetric int8 levels, per output channel (last axis) or whole.

    The range is the kernel's current absolute maximum; no gradient flows through it.
    """
    reduce_axes = tuple(range(len(kernel.shape) - 1)) if per_channel else None
    bound = ops.stop_gradient(ops.maximum(ops.max(ops.abs(kernel), axis=reduce_axes), _EPS))
    return keras.quantizers.fake_quant_with_min_max_vars(
        kernel, -bound, bound, num_bits=8, narrow_range=True, axis=-1 if per_channel else None)


@keras.saving.register_keras_serializable(package="sprout")
class FakeQuant(keras.layers.Layer):
    """Per-tensor int8 fake quantization of activations with a moving-average range.

    In training the range moves toward each batch's min/max (both widened to include 0)
    with ``momentum``; the first batch ever seen sets it outright. At inference the stored
    range is used as it is. While ``calibrating`` is set (see
    ``engine.compress.qat.calibrate``) inference calls widen the range to everything they
    see instead, as post-training calibration does, without training any weight.

    Args:
        momentum: weight of the old range in the moving average, in [0, 1).
        fixed_range: ``(min, max)`` to use always instead of a learned range (the output
            of an activation whose int8 scale TFLite fixes, see ``FIXED_RANGES``).
    """

    def __init__(self, momentum=0.99, fixed_range=None, **kwargs):
        super().__init__(**kwargs)
        if not 0.0 <= float(momentum) < 1.0:
            raise ValueError(f"Expected 0 <= momentum < 1. Received: momentum={momentum}")
        if fixed_range is not None and (len(fixed_range) != 2 or not fixed_range[0] <= 0.0 < fixed_range[1]):
            raise ValueError(f"Expected fixed_range=(min, max) with min <= 0 < max. "
                             f"Received: fixed_range={fixed_range}")
        self.momentum = float(momentum)
        self.fixed_range = None if fixed_range is None else (float(fixed_range[0]), float(fixed_range[1]))
        self.calibrating = False
        self.supports_masking = True

    def build(self, input_shape):
        zeros = keras.initializers.Zeros()
        self.range_min = self.add_weight(name="range_min", shape=(), initializer=zeros, trainable=False)
        self.range_max = self.add_weight(name="range_max", shape=(), initializer=zeros, trainable=False)
        self.batches_seen = self.add_weight(name="batches_seen", shape=(), initializer=zeros,
                                            trainable=False)

    def call(self, inputs, training=None):
        if self.fixed_range is not None:
            low, high = self.fixed_range
            return keras.quantizers.fake_quant_with_min_max_vars(inputs, low, high, num_bits=8)
        low, high = self.range_min, self.range_max
        if training or self.calibrating:
            x = ops.stop_gradient(ops.cast(inputs, "float32"))
            batch_low, batch_high = ops.minimum(ops.min(x), 0.0), ops.maximum(ops.max(x), 0.0)
            first = ops.equal(self.batches_seen, 0.0)
            if self.calibrating:
                low = ops.where(first, batch_low, ops.minimum(low, batch_low))
                high = ops.where(first, batch_high, ops.maximum(high, batch_high))
            else:
                keep = self.momentum
                low = ops.where(first, batch_low, keep * low + (1.0 - keep) * batch_low)
                high = ops.where(first, batch_high, keep * high + (1.0 - keep) * batch_high)
            self.range_min.assign(low)
            self.range_max.assign(high)
            self.batches_seen.assign(self.batches_seen + 1.0)
        # A range that never saw data (or saw only zeros) must not be empty.
        high = ops.maximum(high, low + _EPS)
        return keras.quantizers.fake_quant_with_min_max_vars(inputs, low, high, num_bits=8)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "momentum": self.momentum,
                "fixed_range": None if self.fixed_range is None else list(self.fixed_range)}


class _QuantKernelMixin:
    """Shared by the quantized Dense and Conv2D: quantizers around the kernel op."""

    def __init__(self, *args, quantize_output=True, momentum=0.99, **kwargs):
        super().__init__(*args, **kwargs)
        self._make_quantizers(quantize_output, momentum)

    def build(self, input_shape):
        super().build(input_shape)
        self._build_quantizers(input_shape)

    def _make_quantizers(self, quantize_output, momentum):
        self.quantize_output = bool(quantize_output)
        self.momentum = float(momentum)
        activation = keras.activations.serialize(self.activation)
        name = activation if isinstance(activation, str) else activation.get("config", activation)
        self.fused_activation = name in FUSED_ACTIVATIONS
        base = self.name
        self.pre_activation_quantizer = None if self.fused_activation else \
            FakeQuant(momentum=self.momentum, name=f"{base}_pre_activation_quant")
        self.output_quantizer = FakeQuant(momentum=self.momentum, fixed_range=FIXED_RANGES.get(name),
                                          name=f"{base}_output_quant") if self.quantize_output else None

    def _build_quantizers(self, input_shape):
        # Symbolic calls use compute_output_shape, never call(): build the quantizers here.
        output_shape = self.compute_output_shape(input_shape)
        for quantizer in self.quantizers:
            if not quantizer.built:
                quantizer.build(output_shape)

    @property
    def quantizers(self):
        """The activation quantizers this layer owns (for calibration)."""
        return tuple(q for q in (self.pre_activation_quantizer, self.output_quantizer) if q is not None)

    def _finish(self, outputs, training):
        if self.pre_activation_quantizer is not None:
            outputs = self.pre_activation_quantizer(outputs, training=training)
        if self.activation is not None:
            outputs = self.activation(outputs)
        if self.output_quantizer is not None:
            outputs = self.output_quantizer(outputs, training=training)
        return outputs

    def _quant_config(self):
        return {"quantize_output": self.quantize_output, "momentum": self.momentum}


@keras.saving.register_keras_serializable(package="sprout")
class QuantDense(_QuantKernelMixin, keras.layers.Dense):
    """A ``Dense`` layer whose kernel and output are fake-quantized to int8.

    Args:
        quantize_output: quantize the output (after the activation); off when the next
            layer quantizes it instead (e.g. a separate ReLU layer).
        momentum: of the output ranges' moving average (see :class:`FakeQuant`).
        **kwargs: everything ``keras.layers.Dense`` takes.
    """

    def call(self, inputs, training=None):
        # Per tensor: the converter transposes a Dense kernel, and a per-channel fake
        # quant on it fails ("tfl.transpose op has mismatched quantized axes").
        outputs = ops.matmul(inputs, quantize_kernel(self.kernel, per_channel=False))
        if self.bias is not None:
            outputs = ops.add(outputs, self.bias)
        return self._finish(outputs, training)

    def get_config(self):
        return {**super().get_config(), **self._quant_config()}


@keras.saving.register_keras_serializable(package="sprout")
class QuantConv2D(_QuantKernelMixin, keras.layers.Conv2D):
    """A ``Conv2D`` layer whose kernel (per filter) and output are fake-quantized to int8.

    Args:
        quantize_output: as for :class:`QuantDense`.
        momentum: as for :class:`QuantDense`.
        **kwargs: everything ``keras.layers.Conv2D`` takes.
    """

    def call(self, inputs, training=None):
        outputs = self.convolution_op(inputs, quantize_kernel(self.kernel))
        if self.use_bias:
            shape = (1, 1, 1, self.filters) if self.data_format == "channels_last" \
                else (1, self.filters, 1, 1)
            outputs = ops.add(outputs, ops.reshape(self.bias, shape))
        return self._finish(outputs, training)

    def get_config(self):
        return {**super().get_config(), **self._quant_config()}
