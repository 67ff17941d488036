"""The TFLite converter, as Sprout uses it: built-in ops only, never Select TF ops.

``model.export(format="litert")`` would add Select TF ops, and their file runs in no
interpreter here; the converter is driven directly instead. Runs in the converter
process only (:mod:`engine.export.worker`).
"""
from __future__ import annotations

import numpy as np

from engine.errors import SproutError

REPRESENTATIVE_SAMPLES = 200


def convert(model, variant: str, x_rep: np.ndarray | None, int8_io: str = "int8") -> bytes:
    """The ``.tflite`` bytes of ``model`` (already unrolled and deterministic).

    Args:
        variant: ``float32``, ``float16`` (weights in half precision), ``dynamic``
            (int8 weights, float activations) or ``int8`` (everything int8, calibrated on
            ``x_rep``, int8 built-in ops only).
        x_rep: representative inputs (what the model takes), needed for ``int8``.
        int8_io: ``int8`` or ``float`` input/output tensors for the ``int8`` variant.

    Raises:
        SproutError: int8 without representative samples.
    """
    import logging

    import tensorflow as tf

    logging.getLogger("tensorflow").setLevel(logging.ERROR)
    converter = tf.lite.TFLiteConverter.from_keras_model(model)
    converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS]
    if variant == "float16":
        converter.optimizations = [tf.lite.Optimize.DEFAULT]
        converter.target_spec.supported_types = [tf.float16]
    elif variant == "dynamic":
        converter.optimizations = [tf.lite.Optimize.DEFAULT]
    elif variant == "int8":
        if x_rep is None or not len(x_rep):
            raise SproutError("tflite int8: no representative samples (the source has no training data)")
        converter.optimizations = [tf.lite.Optimize.DEFAULT]
        converter.representative_dataset = _representative(model, x_rep)
        converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
        if int8_io == "int8":
            if all(np.dtype(t.dtype).kind == "f" for t in model.inputs):
                converter.inference_input_type = tf.int8
            converter.inference_output_type = tf.int8
    elif variant != "float32":
        raise SproutError(f"unknown TFLite variant {variant!r}")
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return converter.convert()


def _representative(model, x_rep: np.ndarray):
    dtype = np.dtype(model.inputs[0].dtype)

    def samples():
        for sample in x_rep[:REPRESENTATIVE_SAMPLES]:
            yield [sample[None, ...].astype(dtype)]
    return samples
