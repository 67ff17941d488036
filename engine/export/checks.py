"""Comparing what a real client predicts with what the Keras model predicts.

Float files must agree to ``FLOAT_TOLERANCE`` (absolute, plus the same relative part);
quantized files are judged by the predicted class (``MIN_AGREEMENT`` of the samples), or
for regression by the error relative to the outputs' spread.
"""
from __future__ import annotations

import numpy as np

from engine.export.formats import Check

FLOAT_TOLERANCE = 1e-4
MIN_AGREEMENT = 0.97
REGRESSION_TOLERANCE = 0.05  # of the outputs' standard deviation


def outputs_list(outputs) -> list[np.ndarray]:
    """A model's outputs as a list of float64 arrays (one per output)."""
    if isinstance(outputs, dict):
        outputs = list(outputs.values())
    if not isinstance(outputs, (list, tuple)):
        outputs = [outputs]
    return [np.asarray(o, dtype="float64") for o in outputs]


def compare(client: str, got, expected, exact: bool, classification: bool) -> Check:
    """Judge ``got`` against ``expected`` (both lists of arrays, one per output).

    Args:
        client: who produced ``got`` (named in the message).
        exact: True for float files (tolerance check), False for quantized ones.
        classification: True when the (first) output's argmax is the predicted class.
    """
    got, expected = outputs_list(got), outputs_list(expected)
    if len(got) != len(expected) or any(g.shape != e.shape for g, e in zip(got, expected)):
        shapes = [g.shape for g in got], [e.shape for e in expected]
        return Check(False, f"{client}: output shapes {shapes[0]} differ from the Keras model's {shapes[1]}")
    diff = max(float(np.max(np.abs(g - e))) if g.size else 0.0 for g, e in zip(got, expected))
    n = len(expected[0])
    agreement = None
    if classification and expected[0].ndim == 2 and expected[0].shape[1] > 1:
        agreement = float(np.mean(np.argmax(got[0], axis=1) == np.argmax(expected[0], axis=1)))
    if exact:
        scale = max(float(np.max(np.abs(e))) if e.size else 0.0 for e in expected)
        ok = diff <= FLOAT_TOLERANCE * (1.0 + scale)
        rule = f"max abs diff {diff:.2g} (limit {FLOAT_TOLERANCE * (1.0 + scale):.2g})"
    elif agreement is not None:
        ok = agreement >= MIN_AGREEMENT
        rule = f"class agreement {agreement:.1%} (at least {MIN_AGREEMENT:.0%}), max abs diff {diff:.2g}"
    else:
        spread = max(float(np.std(e)) for e in expected) or 1.0
        ok = diff <= REGRESSION_TOLERANCE * spread
        rule = f"max abs diff {diff:.2g} (at most {REGRESSION_TOLERANCE:.0%} of the outputs' spread {spread:.2g})"
    verdict = "matches the Keras model" if ok else "DIFFERS from the Keras model"
    return Check(ok, f"{client}: {n} test samples, {rule}: {verdict}", diff, agreement)


def run_tflite(content: bytes, x: np.ndarray) -> tuple[np.ndarray, dict]:
    """Run a ``.tflite`` on ``x`` one sample at a time with the LiteRT interpreter.

    Integer input/output tensors are quantized and dequantized with the file's own scale
    and zero point, as an app would. Returns (outputs, input quantization details).
    """
    from ai_edge_litert.interpreter import Interpreter

    interp = Interpreter(model_content=content)
    interp.allocate_tensors()
    inp, out = interp.get_input_details()[0], interp.get_output_details()[0]
    in_scale, in_zero = inp["quantization"]
    out_scale, out_zero = out["quantization"]
    results = []
    for sample in x:
        value = sample[None, ...].astype("float32")
        if np.issubdtype(inp["dtype"], np.integer) and in_scale:
            info = np.iinfo(inp["dtype"])
            value = np.clip(np.round(value / in_scale + in_zero), info.min, info.max)
        interp.set_tensor(inp["index"], value.astype(inp["dtype"]))
        interp.invoke()
        y = interp.get_tensor(out["index"]).astype("float64")
        if np.issubdtype(out["dtype"], np.integer) and out_scale:
            y = (y - out_zero) * out_scale
        results.append(y[0])
    return np.stack(results), {"dtype": np.dtype(inp["dtype"]).name, "scale": float(in_scale),
                               "zero_point": int(in_zero), "output_dtype": np.dtype(out["dtype"]).name,
                               "output_scale": float(out_scale), "output_zero_point": int(out_zero)}
