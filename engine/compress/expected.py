"""The expected size of a plan before it runs: parameters and TFLite bytes, from arithmetic alone.

Shown by the wizard's By hand page (and usable by any front end) so a user sees roughly
where a plan lands before spending minutes on it. Rules, per step, from the survey's
descriptions of each method (the measured figures come after the run):

* unstructured pruning keeps the parameter count; ``sparsity`` of the kernels become zero,
  which the gzipped file shows and the raw ``.tflite`` does not;
* structured pruning removes ``sparsity`` of the filters/units, and the next layer's inputs
  with them: a layer between two pruned ones keeps about ``(1 - s)^2`` of its weights; we
  take ``(1 - s)^1.5`` for the whole model (the first and the class layer lose one side
  only);
* distillation into a ``width`` times slimmer copy: about ``width^2`` of the parameters
  (``width^1.5`` by the same reasoning); another student: unknown;
* factorization: what :func:`engine.compress.lowrank.preview` says per layer is not summed
  here (the ranks come from the weights); counted as no change;
* quantization: float16 2 bytes a weight, dynamic and int8 1 byte (int32 biases ignored),
  plus the few KB of the file's structure.
"""
from __future__ import annotations

STRUCTURE_BYTES = 3_000  # a small .tflite's graph, names and metadata (measured on iris_mlp and digits_cnn)
BYTES = {"float32": 4, "float16": 2, "dynamic": 1, "int8": 1, "qat": 1}


def expected(params: int, steps: list[dict]) -> dict:
    """``{"params", "nonzero", "bytes", "precision", "notes"}`` after ``steps`` (parsed plan steps)."""
    total, nonzero, precision, notes = float(params), float(params), "float32", []
    for step in steps:
        method = step["method"]
        if method == "prune" and step.get("structured"):
            keep = (1 - step["sparsity"]) ** 1.5
            total, nonzero = total * keep, nonzero * keep
        elif method == "prune":
            nonzero *= 1 - step["sparsity"]
        elif method == "distill":
            if step.get("student", "slim") == "slim":
                keep = step.get("width", 0.5) ** 1.5
                total, nonzero = total * keep, nonzero * keep
            else:
                notes.append("the student's size is the student's own")
        elif method == "factorize":
            notes.append("factorization: the ranks come from the weights, see the per-layer preview")
        elif method == "quantize":
            precision = step.get("mode", "int8")
    nbytes = int(total * BYTES[precision]) + STRUCTURE_BYTES
    return {"params": int(total), "nonzero": int(nonzero), "bytes": nbytes,
            "precision": "int8" if precision == "qat" else precision, "notes": notes}


def line(params: int, steps: list[dict]) -> str:
    """One sentence for people: 'Expected: about 25.2 KB (int8), 17,800 parameters (17,800 non-zero).'"""
    e = expected(params, steps)
    text = (f"Expected: about {e['bytes'] / 1024:.1f} KB of TFLite ({e['precision']}), {e['params']:,} parameters "
            f"({e['nonzero']:,} non-zero), from {params:,} now")
    return text + ("; " + "; ".join(e["notes"]) if e["notes"] else "") + "."
