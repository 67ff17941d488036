"""Export of digits_cnn to every format: time per file, size raw and gzipped, and latency.

Latency is the median time of one single-sample prediction in the file's own runtime
(LiteRT interpreter, onnxruntime, the SavedModel's serving function), as a ratio to
Keras ``model(x)`` on one sample measured in the same run (below 1: faster than Keras).
Export time is measured per file between the converter's start and done events (the
converter process start, ~5 s of TensorFlow import, is reported once, separately).
"""
from __future__ import annotations

import tempfile
import time
from pathlib import Path

import numpy as np

from tests.bench.common import median

EXAMPLE = Path(__file__).resolve().parents[2] / "resources" / "examples" / "digits_cnn.sprout"
CALLS = 300


def _per_call(fn, calls: int = CALLS) -> float:
    for _ in range(20):
        fn()
    times = []
    for _ in range(calls):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return median(times)


def _latency(artifact, x) -> float | None:
    path = str(artifact.path)
    if artifact.format in ("tflite", "c"):
        if artifact.format == "c":
            return None
        from ai_edge_litert.interpreter import Interpreter

        interp = Interpreter(model_path=path)
        interp.allocate_tensors()
        inp, out = interp.get_input_details()[0], interp.get_output_details()[0]
        value = x.astype(inp["dtype"]) if inp["dtype"] == np.float32 else np.zeros(inp["shape"], inp["dtype"])

        def call():
            interp.set_tensor(inp["index"], value)
            interp.invoke()
            interp.get_tensor(out["index"])
        return _per_call(call)
    if artifact.format == "onnx":
        import onnxruntime

        session = onnxruntime.InferenceSession(path, providers=["CPUExecutionProvider"])
        name = session.get_inputs()[0].name
        return _per_call(lambda: session.run(None, {name: x}))
    if artifact.format == "savedmodel":
        import tensorflow as tf

        serve = tf.saved_model.load(path).signatures["serving_default"]
        key = next(iter(serve.structured_input_signature[1]))
        t = tf.constant(x)
        return _per_call(lambda: serve(**{key: t}))
    return None


def _trained_run(folder: Path, epochs: int = 5) -> Path:
    """digits_cnn trained a few epochs (int8 is judged against a model that has learned something)."""
    import json

    from engine.model.project import ProjectSnapshot
    from engine.runs.job import RunOptions, training_job

    data = json.loads(EXAMPLE.read_text(encoding="utf-8"))
    data["training"]["epochs"] = epochs
    folder.mkdir(parents=True)
    training_job(ProjectSnapshot(json.dumps(data), EXAMPLE), RunOptions("bench", folder, "bench"))
    return folder


def run() -> list[dict]:
    import keras

    from engine.export.formats import VARIANTS, formats
    from engine.export.job import export_job
    from engine.export.options import ExportOptions
    from engine.export.source import run_source

    marks: dict[str, float] = {}
    durations: dict[str, float] = {}
    t_start = time.perf_counter()

    def on_progress(p):
        now = time.perf_counter()
        if p.message.startswith("writing "):
            marks[p.message[len("writing "):]] = now
        elif p.milestone and ":" in p.message:
            name = p.message.split(":", 1)[0]
            if name in marks:
                durations[name] = now - marks[name]

    out = Path(tempfile.mkdtemp(prefix="sprout-bench-export-"))
    options = ExportOptions(formats=tuple(formats()), quantize=VARIANTS)
    run = _trained_run(out / "run")
    t_start = time.perf_counter()
    result = export_job(run_source(run), options, out / "export", on_progress)
    total = time.perf_counter() - t_start
    first = min(marks.values()) - t_start if marks else total
    model = keras.saving.load_model(out / "export" / "model.keras", safe_mode=True)
    x = np.random.default_rng(0).random((1, *model.inputs[0].shape[1:])).astype("float32") * 16
    keras_s = _per_call(lambda: model(x, training=False))
    rows = []
    for a in result.artifacts:
        latency = _latency(a, x)
        rows.append({"file": a.path.name, "export_s": round(durations.get(a.path.name, float("nan")), 2),
                     "bytes": a.size, "gzip_bytes": a.gzip_size, "ok": a.ok,
                     "latency_us": None if latency is None else round(latency * 1e6, 1),
                     "latency_vs_keras": None if latency is None else float(f"{latency / keras_s:.3g}")})
    tflite = next(r for r in rows if r["file"] == "model.tflite")
    what = "; ".join(f"{r['file']} {r['export_s']}s {r['bytes'] / 1024:.0f}/{r['gzip_bytes'] / 1024:.0f} KB"
                     + (f" x{r['latency_vs_keras']}" if r["latency_vs_keras"] is not None else "") for r in rows)
    return [{"name": "export_digits_cnn", "ratio": tflite["latency_vs_keras"],
             "target": "float32 .tflite latency below Keras model(x) (< 1)",
             "what": f"Keras model(x) {keras_s * 1e6:.0f} us/sample; converter start {first:.1f}s; "
                     f"total {total:.1f}s; {what}",
             "rows": rows, "errors": result.errors}]


if __name__ == "__main__":
    for r in run():
        print(r["what"])
