"""Measuring a compressed model the way it will run: its TFLite file in the LiteRT interpreter.

Conversion can crash the process doing it (int8 of some graphs segfaults), so each
model is converted and measured by a converter process (``python -m
engine.compress.measure REQUEST``), driven by the export's runner: a crash costs that
measurement only, with one line naming the signal. The parent side is :func:`measure`.
"""
from __future__ import annotations

import gzip
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from engine.errors import CompressionError
from engine.jobs import JobControl

LATENCY_SAMPLES = 100


@dataclass(frozen=True)
class Measurement:
    """One TFLite file and what it did on the test split."""

    file: Path
    size_bytes: int
    size_gz_bytes: int
    accuracy: float | None  # LiteRT, test split (None for regression)
    keras_accuracy: float | None  # the Keras model it came from, same samples
    latency_ms: float  # per sample, median, one thread
    agreement: float | None  # same class as the Keras model


def gz_size(content: bytes) -> int:
    """Bytes after gzip -9 (what sparsity and clustering buy on disk and over the air)."""
    return len(gzip.compress(content, compresslevel=9, mtime=0))


@dataclass(frozen=True)
class Item:
    """One model to convert and measure: a ``.keras`` file, a TFLite variant, the file to write."""

    model_path: Path
    variant: str
    out_file: Path
    int8_io: str = "int8"


def measure_all(items: list[Item], x_test, y_test, x_rep=None, control: JobControl | None = None,
                on_event=None) -> dict[Path, Measurement | str]:
    """Convert and measure every item in one converter process (a crash costs one item).

    Returns, per output file, its Measurement or the one-line reason it failed; items not
    reached because ``control`` stopped the job are left out.
    """
    from engine.export.runner import run_converter

    if not items:
        return {}
    if len({item.out_file for item in items}) != len(items):
        raise CompressionError("measure: two items write the same file")
    with tempfile.TemporaryDirectory(prefix="sprout-measure-") as tmp:
        samples = Path(tmp) / "samples.npz"
        arrays = {"x_test": np.asarray(x_test), "y_test": np.asarray(y_test)}
        if x_rep is not None:
            arrays["x_rep"] = np.asarray(x_rep)
        np.savez(samples, **arrays)
        request = {"files": [{"format": "tflite", "variant": i.variant, "file": str(i.out_file),
                              "model_path": str(i.model_path), "int8_io": i.int8_io} for i in items],
                   "samples": str(samples)}
        finals = run_converter(request, Path(tmp) / "request.json", on_event or (lambda e: None), control,
                               module="engine.compress.measure")
    out: dict[Path, Measurement | str] = {}
    for event in finals:
        path = Path(event["file"])
        if event["event"] == "error":
            out[path] = event["message"]
            continue
        d = event["details"]
        out[path] = Measurement(path, d["size_bytes"], d["size_gz_bytes"], d["accuracy"], d["keras_accuracy"],
                                d["latency_ms"], d["agreement"])
    return out


# -- the converter process ----------------------------------------------------------
def _run(request: dict) -> int:
    from engine import atomic
    from engine.build.modelio import load_model
    from engine.export.adapt import for_family
    from engine.export.checks import run_tflite
    from engine.export.tflite_convert import convert
    from engine.export.worker import emit

    with np.load(request["samples"]) as samples:
        x_all, y_test = samples["x_test"], samples["y_test"]
        x_rep_all = samples["x_rep"] if "x_rep" in samples.files else None
    for item in request["files"]:
        head = {"format": "tflite", "variant": item["variant"], "file": item["file"]}
        emit({"event": "start", **head})
        try:
            model = for_family(load_model(item["model_path"]), "tflite")
            shape, dtype = tuple(model.inputs[0].shape[1:]), model.inputs[0].dtype
            x_test = x_all.reshape((len(x_all), *shape)).astype(dtype)
            x_rep = None if x_rep_all is None else x_rep_all.reshape((len(x_rep_all), *shape)).astype(dtype)
            content = convert(model, item["variant"], x_rep, item.get("int8_io", "int8"))
            atomic.write_bytes(Path(item["file"]), content)
            got, _ = run_tflite(content, x_test)
            keras_out = np.asarray(model.predict(x_test, batch_size=256, verbose=0))
        except Exception as exc:  # noqa: BLE001 - reported on its file, the parent decides
            text = str(exc).strip().splitlines()
            emit({"event": "error", **head, "message": f"{type(exc).__name__}: {text[-1] if text else ''}"[:400]})
            continue
        classification = got.ndim == 2 and got.shape[1] > 1
        y = np.asarray(y_test).reshape(-1)
        details = {"size_bytes": len(content), "size_gz_bytes": gz_size(content),
                   "accuracy": float(np.mean(np.argmax(got, 1) == y)) if classification else None,
                   "keras_accuracy": float(np.mean(np.argmax(keras_out, 1) == y)) if classification else None,
                   "agreement": float(np.mean(np.argmax(got, 1) == np.argmax(keras_out, 1)))
                   if classification else None,
                   "latency_ms": _latency_ms(content, x_test)}
        emit({"event": "done", **head, "ok": True, "message": "measured", "details": details})
    return 0


def _latency_ms(content: bytes, x: np.ndarray) -> float:
    """Median time of one invoke on one sample, one thread, after a warm-up."""
    from ai_edge_litert.interpreter import Interpreter

    interp = Interpreter(model_content=content, num_threads=1)
    interp.allocate_tensors()
    inp = interp.get_input_details()[0]
    sample = np.zeros(inp["shape"], dtype=inp["dtype"])
    if not np.issubdtype(inp["dtype"], np.integer):
        sample = x[:1].astype(inp["dtype"]).reshape(inp["shape"])
    interp.set_tensor(inp["index"], sample)
    for _ in range(10):
        interp.invoke()
    times = []
    for _ in range(LATENCY_SAMPLES):
        t = time.perf_counter()
        interp.invoke()
        times.append(time.perf_counter() - t)
    return float(np.median(times) * 1000.0)


if __name__ == "__main__":
    from engine.export.worker import serve

    sys.exit(serve(sys.argv[1:], _run))
